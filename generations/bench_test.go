package generations

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// benchManifest has n services running sleep; version changes service s0.
func benchManifest(n int, version string) Manifest {
	var svcs []Service
	for i := 0; i < n; i++ {
		v := "1"
		if i == 0 {
			v = version
		}
		svcs = append(svcs, Service{Name: fmt.Sprintf("s%d", i), Tree: []Entry{
			{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\n# " + v + "\nexec sleep 100000\n")},
		}})
	}
	return testManifest(svcs...)
}

// BenchmarkApplyChangeOf500 applies a change to one service of a supervised
// 500-service generation and measures until that service runs again (its
// new instance's pid in supervise/status). Target: < 0.5 s.
func BenchmarkApplyChangeOf500(b *testing.B) {
	root := b.TempDir()
	ctx := context.Background()
	m := benchManifest(500, "0")
	if _, err := openT(b, root).Apply(ctx, m, Options{}); err != nil {
		b.Fatal(err)
	}
	bin, path := supervisor(b)
	cmd := exec.Command(bin, "-P", filepath.Join(root, "service"))
	cmd.Env = []string{"PATH=" + path}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := testenv.Start(b, cmd)
	b.Cleanup(func() { stopSupervision(p, root) })
	rec, _ := openT(b, root).Load(1)
	testenv.Eventually(b, 120*time.Second, func() string {
		for i := 0; i < 500; i++ {
			n := fmt.Sprintf("s%d", i)
			if st, err := statusOf(root, rec, n); err != nil || st.State != supervise.StateRun {
				return n + " not running"
			}
		}
		return ""
	})
	var total, applyTotal, buildTotal time.Duration
	for i := 0; i < b.N; i++ {
		old, _ := statusOf(root, rec, "s0")
		next := benchManifest(500, fmt.Sprint(i+1))
		svc := next.Services[0]
		dir := filepath.Join(root, SandboxLayout.StorePath(svc))
		start := time.Now()
		done := make(chan time.Duration, 1)
		go func() {
			for time.Since(start) < 60*time.Second {
				if st, err := supervise.ReadStatus(dir); err == nil && st.State == supervise.StateRun && st.PID != old.PID {
					done <- time.Since(start)
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
			done <- -1
		}()
		events := func(e Event) {
			if e.Kind == "generation" {
				buildTotal += time.Since(start)
			}
		}
		if _, err := openT(b, root).Apply(ctx, next, Options{Settle: -1, Timeout: 60 * time.Second, Events: events}); err != nil {
			b.Fatal(err)
		}
		applyTotal += time.Since(start)
		d := <-done
		if d < 0 {
			b.Fatal("changed service never ran again")
		}
		total += d
		rec, _ = openT(b, root).Load(i + 2)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-until-running/op")
	b.ReportMetric(applyTotal.Seconds()/float64(b.N), "s-apply/op")
	b.ReportMetric(buildTotal.Seconds()/float64(b.N), "s-build/op")
	fmt.Printf("apply of a change to 1 of 500 services: runs again after %v (target < 0.5 s; generation built after %v), apply returned after %v\n",
		total/time.Duration(b.N), buildTotal/time.Duration(b.N), applyTotal/time.Duration(b.N))
}

// BenchmarkNoopApply500 applies the current description of 500 services
// again. Target: < 0.2 s.
func BenchmarkNoopApply500(b *testing.B) {
	root := b.TempDir()
	m := benchManifest(500, "0")
	if _, err := openT(b, root).Apply(context.Background(), m, Options{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := openT(b, root).Apply(context.Background(), m, Options{})
		if err != nil || res.Created {
			b.Fatalf("%+v %v", res, err)
		}
	}
	fmt.Printf("no-op apply of 500 services: %v (target < 0.2 s)\n", time.Since(start)/time.Duration(b.N))
}

// BenchmarkApply1000Memory runs the sysconf binary's apply of a
// 1,000-service description into a fresh root and reports its peak RSS
// (the planning parent's and the detached activation's, whichever is
// larger), and the library's allocations for the same apply.
func BenchmarkApply1000Memory(b *testing.B) {
	dir := b.TempDir()
	exe := filepath.Join(dir, "sysconf")
	build := exec.Command("go", "build", "-o", exe, "sysconf/cmd/sysconf")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	var hcl strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&hcl, "service \"s%d\" {\n  command = [\"/bin/sleep\", \"100000\"]\n}\n", i)
	}
	src := filepath.Join(dir, "system.hcl")
	if err := os.WriteFile(src, []byte(hcl.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	var maxKB int64
	for i := 0; i < b.N; i++ {
		root := filepath.Join(dir, fmt.Sprint("root", i))
		cmd := exec.Command(exe, "apply", "--root", root, "-c", src)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("sysconf apply: %v\n%s", err, out)
		}
		// ru_maxrss of a waited-for child covers its waited-for children.
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxKB {
			maxKB = ru.Maxrss
		}
	}
	b.ReportMetric(float64(maxKB), "maxrss-kB")
	root := b.TempDir()
	m := benchManifest(1000, "0")
	allocs := testing.AllocsPerRun(1, func() {
		g, err := Create(filepath.Join(root, fmt.Sprint(time.Now().UnixNano())))
		if err != nil {
			b.Fatal(err)
		}
		defer g.Close()
		if _, err := g.Apply(context.Background(), m, Options{}); err != nil {
			b.Fatal(err)
		}
	})
	fmt.Printf("sysconf apply of 1,000 services: peak RSS %d kB; library apply: %.0f allocations\n", maxKB, allocs)
}
