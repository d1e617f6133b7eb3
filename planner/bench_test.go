package planner

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"sysconf/config"
	"sysconf/generations"
)

func benchSystem(b *testing.B, n int) *config.System {
	var s strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&s, "service \"s%04d\" {\n  command = [\"/bin/sleep\", \"1000\"]\n  env = { N = \"%d\" }\n", i, i)
		if i > 0 {
			fmt.Fprintf(&s, "  depends_on = [service.s%04d]\n", i-1)
		}
		s.WriteString("  log {\n    keep = 3\n  }\n}\n")
	}
	sys, diags := config.Load(config.Options{FS: fstest.MapFS{"s.hcl": {Data: []byte(s.String())}}, Path: "."})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	return sys
}

// BenchmarkPlan is the planner alone (no parsing) on 1,000 services.
func BenchmarkPlan(b *testing.B) {
	sys := benchSystem(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		Plan(sys)
	}
}

// BenchmarkCompareHash compares two plans of 1,000 services, hashing every
// service on both sides.
func BenchmarkCompareHash(b *testing.B) {
	m := Plan(benchSystem(b, 1000))
	b.ReportAllocs()
	for b.Loop() {
		if d := generations.Compare(&m, m); !d.Empty() {
			b.Fatal("a plan differs from itself")
		}
	}
}
