package sv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// BenchmarkStatus500 times `sv status` over 500 fake-supervised services
// (FIFOs held open by the benchmark, half of them with a log service),
// ours against Debian's, and reports the medians of 41 alternating runs and
// their ratio (target: ours/runit ≤ 1.2), for the wall time and for the
// CPU time (user+system), which other load on the machine disturbs less.
func BenchmarkStatus500(b *testing.B) { benchStatus(b, 500, 41) }

// BenchmarkStatus1 is the same for one service, 401 alternating runs, where
// the start of the program is all there is to it (target: ≤ 1.5). A third
// program, a Go program that does nothing, is the floor of any Go sv.
func BenchmarkStatus1(b *testing.B) { benchStatus(b, 1, 401) }

func benchStatus(b *testing.B, services, rounds int) {
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
	env := append(os.Environ(), "SVDIR="+base)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	// run returns the wall time and the CPU time (user+system) of one run,
	// forked straight from here (os/exec's pipes and goroutines would add
	// more than a one-service sv costs).
	run := func(argv []string) (time.Duration, time.Duration) {
		start := time.Now()
		pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Dir: base, Env: env, Files: []uintptr{0, devnull.Fd(), 2}})
		if err != nil {
			b.Fatal(err)
		}
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		if _, err := syscall.Wait4(pid, &ws, 0, &ru); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		if !ws.Exited() || ws.ExitStatus() != 0 {
			b.Fatalf("%q: %v", argv, ws)
		}
		return d, time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	}
	// Check both print the same (and warm the page cache).
	output := func(prog string) string {
		cmd := exec.Command(prog, append([]string{"status"}, names...)...)
		cmd.Dir, cmd.Env = base, env
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%s status: %v", prog, err)
		}
		return mask(string(out))
	}
	if want, got := output(deb), output(ours); got != want {
		b.Fatalf("outputs differ:\nours:\n%.300s\nrunit:\n%.300s", got, want)
	}
	progs := [][]string{append([]string{ours, "status"}, names...), append([]string{deb, "status"}, names...)}
	if services == 1 {
		progs = append(progs, []string{goFloor(b)})
	}
	wall := make([][]time.Duration, len(progs))
	cpu := make([][]time.Duration, len(progs))
	b.ResetTimer()
	for b.Loop() {
		for range rounds {
			for i, argv := range progs {
				d, c := run(argv)
				wall[i], cpu[i] = append(wall[i], d), append(cpu[i], c)
			}
		}
	}
	b.StopTimer()
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	o, r := median(wall[0]), median(wall[1])
	oc, rc := median(cpu[0]), median(cpu[1])
	ratio, cpuRatio := float64(o)/float64(r), float64(oc)/float64(rc)
	b.ReportMetric(float64(o.Microseconds())/1000, "ours-ms")
	b.ReportMetric(float64(r.Microseconds())/1000, "runit-ms")
	b.ReportMetric(ratio, "ours/runit")
	b.ReportMetric(cpuRatio, "cpu-ours/runit")
	fmt.Printf("sv status over %d services (median of %d): wall ours %v, runit %v, ours/runit %.2f; cpu ours %v, runit %v, ours/runit %.2f",
		services, len(wall[0]), o, r, ratio, oc, rc, cpuRatio)
	if len(progs) > 2 {
		f, fc := median(wall[2]), median(cpu[2])
		b.ReportMetric(float64(f.Microseconds())/1000, "go-floor-ms")
		fmt.Printf("; a Go program that does nothing: wall %v, cpu %v, ours/floor %.2f", f, fc, float64(o)/float64(f))
	}
	fmt.Println()
}

// goFloor builds a Go program that does nothing: what any Go sv costs to
// start and exit.
func goFloor(b *testing.B) string {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module floor\n\ngo 1.22\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", "floor", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build floor: %v\n%s", err, out)
	}
	return filepath.Join(dir, "floor")
}
