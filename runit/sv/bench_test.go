package sv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// BenchmarkStatus500 times `sv status` over 500 fake-supervised services
// (FIFOs held open by the benchmark, half of them with a log service),
// ours against Debian's, and reports the medians of 25 alternating runs and
// their ratio (target: ours/runit ≤ 1.2), for the wall time and for the
// CPU time (user+system), which other load on the machine disturbs less.
func BenchmarkStatus500(b *testing.B) {
	const services, rounds = 500, 41
	base := b.TempDir()
	names := make([]string, services)
	for i := range names {
		names[i] = fmt.Sprintf("svc%03d", i)
		dir := filepath.Join(base, names[i])
		newFake(b, dir, record(1000+i, supervise.StateRun, supervise.WantUp, 5, false, false))
		if i%2 == 0 {
			newFake(b, filepath.Join(dir, "log"), record(2000+i, supervise.StateRun, supervise.WantUp, 5, false, false))
		}
	}
	ours, deb := testenv.Tool(b, "sv"), testenv.DebianRunit(b, "sv")
	// run returns the wall time and the CPU time (user+system) of one run.
	run := func(prog string) (time.Duration, time.Duration, string) {
		cmd := exec.Command(prog, append([]string{"status"}, names...)...)
		cmd.Dir = base
		cmd.Env = append(os.Environ(), "SVDIR="+base)
		start := time.Now()
		out, err := cmd.Output()
		d := time.Since(start)
		if err != nil {
			b.Fatalf("%s status: %v", prog, err)
		}
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		return d, cpu, mask(string(out))
	}
	// Warm the page cache and check both print the same.
	_, _, wantOut := run(deb)
	if _, _, got := run(ours); got != wantOut {
		b.Fatalf("outputs differ:\nours:\n%.300s\nrunit:\n%.300s", got, wantOut)
	}
	b.ResetTimer()
	var oursT, debT, oursCPU, debCPU []time.Duration
	for b.Loop() {
		for range rounds {
			d, c, _ := run(ours)
			oursT, oursCPU = append(oursT, d), append(oursCPU, c)
			d, c, _ = run(deb)
			debT, debCPU = append(debT, d), append(debCPU, c)
		}
	}
	b.StopTimer()
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	o, r := median(oursT), median(debT)
	oc, rc := median(oursCPU), median(debCPU)
	ratio, cpuRatio := float64(o)/float64(r), float64(oc)/float64(rc)
	b.ReportMetric(float64(o.Microseconds())/1000, "ours-ms")
	b.ReportMetric(float64(r.Microseconds())/1000, "runit-ms")
	b.ReportMetric(ratio, "ours/runit")
	b.ReportMetric(cpuRatio, "cpu-ours/runit")
	fmt.Printf("sv status over %d services (median of %d): wall ours %v, runit %v, ours/runit %.2f; cpu ours %v, runit %v, ours/runit %.2f\n",
		services, len(oursT), o, r, ratio, oc, rc, cpuRatio)
}
