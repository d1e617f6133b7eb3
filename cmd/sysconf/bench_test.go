package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sysconf/generations"
	"sysconf/planner"
)

// genDescription writes a description of n services, each with a log and
// a dependency on the one before it, and a few variables and locals.
func genDescription(tb testing.TB, dir string, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("variable \"base_port\" {\n  type    = number\n  default = 10000\n}\n\nlocals {\n  user = \"nobody\"\n}\n\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "service \"svc%04d\" {\n", i)
		fmt.Fprintf(&b, "  command = [\"/bin/sh\", \"-c\", \"exec sleep 100000\", \"svc%04d\"]\n", i)
		b.WriteString("  user    = local.user\n")
		fmt.Fprintf(&b, "  env     = { PORT = var.base_port + %d, NAME = \"svc%04d\" }\n", i, i)
		if i > 0 {
			fmt.Fprintf(&b, "  depends_on = [service.svc%04d]\n", i-1)
		}
		b.WriteString("  limits {\n    open_files = 1024\n    memory     = \"256MB\"\n  }\n")
		b.WriteString("  log {\n    size = \"1MB\"\n    keep = 5\n  }\n}\n\n")
	}
	p := filepath.Join(dir, "system.hcl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// applyRecord writes what an applied generation leaves for plan to read:
// ROOT/etc/sv pointing into generation 1, whose manifest.json holds m.
func applyRecord(tb testing.TB, root string, m generations.Manifest) {
	tb.Helper()
	gen := filepath.Join(root, generations.SandboxLayout.Generation(1))
	if err := os.MkdirAll(filepath.Join(gen, "sv"), 0o755); err != nil {
		tb.Fatal(err)
	}
	js, err := json.Marshal(generations.Record{Number: 1, Hash: m.Hash(), Manifest: m})
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gen, "manifest.json"), js, 0o444); err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(generations.Link(generations.SandboxLayout.Definitions, generations.SandboxLayout.Generation(1)+"/sv"), filepath.Join(root, generations.SandboxLayout.Definitions)); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkPlan1000 is `sysconf plan` of 1,000 services with logs and
// dependencies against nothing (target < 1 s).
func BenchmarkPlan1000(b *testing.B) {
	dir := b.TempDir()
	cfg := genDescription(b, dir, 1000)
	root := filepath.Join(dir, "root")
	b.ReportAllocs()
	for b.Loop() {
		if rc := run(context.Background(), []string{"plan", "--root", root, "-c", cfg}, io.Discard, io.Discard); rc != 0 {
			b.Fatalf("sysconf plan: exit %d", rc)
		}
	}
}

// BenchmarkPlanNoChange1000 is `sysconf plan` of the same 1,000 services
// against an applied generation of them: nothing to do (target < 150 ms).
func BenchmarkPlanNoChange1000(b *testing.B) {
	dir := b.TempDir()
	cfg := genDescription(b, dir, 1000)
	root := filepath.Join(dir, "root")
	a := &app{root: root, config: cfg, stdout: io.Discard, stderr: io.Discard}
	l, err := a.loadQuiet()
	if err != nil || l.diags.HasErrors() {
		b.Fatal(err, l.diags)
	}
	applyRecord(b, root, planner.Plan(l.sys))
	b.ReportAllocs()
	for b.Loop() {
		var out strings.Builder
		if rc := run(context.Background(), []string{"plan", "--detailed-exitcode", "--root", root, "-c", cfg}, &out, io.Discard); rc != 0 {
			b.Fatalf("sysconf plan: exit %d\n%s", rc, out.String())
		}
	}
}

// TestPlanNoChange checks plan against an applied generation of the same
// description reports nothing, and a change as one service.
func TestPlanNoChange(t *testing.T) {
	dir := t.TempDir()
	cfg := genDescription(t, dir, 5)
	root := filepath.Join(dir, "root")
	a := &app{root: root, config: cfg, stdout: io.Discard, stderr: io.Discard}
	l, err := a.loadQuiet()
	if err != nil || l.diags.HasErrors() {
		t.Fatal(err, l.diags)
	}
	applyRecord(t, root, planner.Plan(l.sys))
	var out strings.Builder
	if err := a.plan(context.Background(), planOptions{detailedExitCode: true}, &out); err != nil {
		t.Fatalf("plan: %v\n%s", err, out.String())
	}
	if got := out.String(); got != "No changes: 5 services unchanged.\n" {
		t.Errorf("plan = %q", got)
	}
	out.Reset()
	a.vars = []string{"base_port=20000"}
	err = a.plan(context.Background(), planOptions{detailedExitCode: true}, &out)
	if ee, ok := err.(*exitError); !ok || ee.code != 2 {
		t.Fatalf("plan with a change: %v, want exit 2", err)
	}
	if !strings.Contains(out.String(), "Plan: 0 to add, 5 to change, 0 to remove, 0 unchanged.") || !strings.Contains(out.String(), "~ env/PORT") {
		t.Errorf("plan = %s", out.String())
	}
}
