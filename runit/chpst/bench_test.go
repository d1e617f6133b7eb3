package chpst

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
)

// BenchmarkExecOverhead measures what chpst -u nobody -e DIR true costs
// beyond plain true, ours and Debian's, over 1,500 runs each. The commands
// take turns run by run, so that the machine's noise, which drifts from
// second to second on a shared machine, hits them alike; each figure is
// the median of its runs (blocks of 100 runs each drifted with the load
// by more than the differences measured). A
// fourth command, testdata/floor, is the least any Go program can cost in
// chpst's place (start the runtime, exec). A fifth, the chpst binary
// (cmd/chpst) built with -tags benchfloor and called as exec-floor, execs
// once every package is initialised: its cost above the floor is the
// binary's size and initialisation, and the part of our figure above it is
// chpst's own work.
func BenchmarkExecOverhead(b *testing.B) {
	const runs = 1500
	env := filepath.Join(b.TempDir(), "env")
	writeFile(b, filepath.Join(env, "A"), "1\n")
	trueBin := "/usr/bin/true"
	floor := filepath.Join(b.TempDir(), "floor")
	build := exec.Command("go", "build", "-o", floor, "./testdata/floor")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build testdata/floor: %v\n%s", err, out)
	}
	binFloor := filepath.Join(b.TempDir(), "exec-floor")
	build = exec.Command("go", "build", "-tags", "benchfloor", "-o", binFloor, "../../cmd/chpst")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build -tags benchfloor cmd/chpst: %v\n%s", err, out)
	}
	cmds := []struct {
		name string
		argv []string
	}{
		{"true", []string{trueBin}},
		{"ours", []string{testenv.Tool(b, "chpst"), "-u", "nobody", "-e", env, "true"}},
		{"debian", []string{testenv.DebianRunit(b, "chpst"), "-u", "nobody", "-e", env, "true"}},
		{"go-floor", []string{floor, trueBin}},
		{"chpst-floor", []string{binFloor, trueBin}},
	}
	environ := []string{"PATH=/usr/bin:/bin"}
	spawn := func(argv []string) {
		pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Env: environ, Files: []uintptr{0, 1, 2}})
		if err != nil {
			b.Fatal(err)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			b.Fatal(err)
		}
		if ws.ExitStatus() != 0 {
			b.Fatalf("%q exited %v", argv, ws)
		}
	}
	for range b.N {
		per := make([][]time.Duration, len(cmds))
		for range runs {
			for i, c := range cmds {
				start := time.Now()
				spawn(c.argv)
				per[i] = append(per[i], time.Since(start))
			}
		}
		median := func(d []time.Duration) time.Duration {
			slices.Sort(d)
			return (d[len(d)/2-1] + d[len(d)/2]) / 2
		}
		base, ours, deb, fl, bfl := median(per[0]), median(per[1]), median(per[2]), median(per[3]), median(per[4])
		oursOver, debOver, floorOver, binOver := ours-base, deb-base, fl-base, bfl-base
		ratio := float64(oursOver) / float64(debOver)
		b.ReportMetric(float64(base.Microseconds()), "true-µs/run")
		b.ReportMetric(float64(oursOver.Microseconds()), "ours-overhead-µs/run")
		b.ReportMetric(float64(debOver.Microseconds()), "debian-overhead-µs/run")
		b.ReportMetric(float64(floorOver.Microseconds()), "go-floor-overhead-µs/run")
		b.ReportMetric(float64(binOver.Microseconds()), "chpst-floor-overhead-µs/run")
		b.ReportMetric(ratio, "ours/debian")
		b.ReportMetric(float64(oursOver)/float64(floorOver), "ours/go-floor")
		fmt.Printf("chpst -u nobody -e DIR true, overhead over true (median of %d runs each, taking turns): ours %v, debian %v, ours/debian %.2f (true alone %v; a Go program doing nothing but exec: %v, ours/floor %.2f; the chpst binary doing nothing but exec: %v, ours/that %.2f)\n",
			runs, oursOver, debOver, ratio, base, floorOver, float64(oursOver)/float64(floorOver), binOver, float64(oursOver)/float64(binOver))
	}
}
