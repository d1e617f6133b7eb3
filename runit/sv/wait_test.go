package sv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// startSupervisor starts runsvProg on a service that sleeps, and waits
// until it runs.
func startSupervisor(t testing.TB, runsvProg, dir string) int {
	t.Helper()
	testenv.WriteScript(t, filepath.Join(dir, "run"), "exec sleep 1000\n")
	testenv.Start(t, exec.Command(runsvProg, dir))
	return waitNewPID(t, dir, 0)
}

// waitNewPID waits until dir's status names a running pid other than old.
func waitNewPID(t testing.TB, dir string, old int) int {
	t.Helper()
	var pid int
	testenv.Eventually(t, 10*time.Second, func() string {
		if supervise.Probe(dir) != nil {
			return "no supervisor yet"
		}
		st, err := supervise.ReadStatusFile(dir)
		if err != nil || st.State != supervise.StateRun || st.PID == 0 || st.PID == old {
			return fmt.Sprintf("%s: not running a new process (%v)", dir, err)
		}
		pid = st.PID
		return ""
	})
	return pid
}

// restartOnce runs svProg -w 10 restart on dir more than a second after
// the service started (sv compares start times in whole seconds, so a
// younger process could pass for the new one), and returns its duration
// and output.
func restartOnce(t testing.TB, svProg, dir string, old int) (time.Duration, string) {
	d, _, out := restartTimed(t, svProg, dir, old)
	return d, out
}

// restartTimed is restartOnce, also returning how long after the status
// naming the new process was written sv returned.
func restartTimed(t testing.TB, svProg, dir string, old int) (time.Duration, time.Duration, string) {
	t.Helper()
	time.Sleep(1100 * time.Millisecond)
	cmd := exec.Command(svProg, "-w", "10", "restart", dir)
	start := time.Now()
	out, errOut, code := testenv.Run(t, 20*time.Second, cmd)
	end := time.Now()
	d := end.Sub(start)
	var after time.Duration
	if fi, err := os.Stat(filepath.Join(dir, "supervise", "status")); err == nil {
		after = end.Sub(fi.ModTime())
	}
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "ok: run: "+dir+": (pid ") {
		t.Fatalf("%s -w 10 restart: exit %d, stdout %q, stderr %q", svProg, code, out, errOut)
	}
	if pid := waitNewPID(t, dir, old); strings.Contains(out, fmt.Sprintf("(pid %d)", old)) {
		t.Fatalf("%s -w 10 restart said ok on the old process %d (new %d): %q", svProg, old, pid, out)
	}
	return d, after, out
}

// TestWaitRestartWithoutPolling: our sv -w 10 restart returns as soon as
// the new process runs, well before runit's first 420 ms poll, under our
// runsv and under Debian's, which renames its state files into place.
func TestWaitRestartWithoutPolling(t *testing.T) {
	t.Parallel()
	for _, prog := range []string{"ours", "debian"} {
		t.Run(prog, func(t *testing.T) {
			t.Parallel()
			runsvProg := testenv.Tool(t, "runsv")
			if prog == "debian" {
				runsvProg = testenv.DebianRunit(t, "runsv")
			}
			dir := filepath.Join(t.TempDir(), "s")
			pid := startSupervisor(t, runsvProg, dir)
			var ds, afters []time.Duration
			for range 3 {
				d, after, _ := restartTimed(t, testenv.Tool(t, "sv"), dir, pid)
				pid = waitNewPID(t, dir, pid)
				ds, afters = append(ds, d), append(afters, after)
			}
			t.Logf("sv -w 10 restart took %v, returning %v after the status naming the new process", ds, afters)
			// The best of three: a loaded machine may delay one run,
			// never all by 200 ms; runit's sv takes 420 ms each time.
			if best := slices.Min(ds); best > 200*time.Millisecond {
				t.Errorf("sv -w 10 restart took %v (best of %v), want well under runit's 420 ms", best, ds)
			}
			// sv returns with the status that names the new process.
			if best := slices.Min(afters); best > 50*time.Millisecond {
				t.Errorf("sv -w 10 restart returned %v after the status naming the new process (best of %v), want a few ms", best, afters)
			}
		})
	}
}

// BenchmarkWaitRestart times `sv -w 10 restart` of a sleeping service,
// our sv with our runsv against Debian's sv with Debian's runsv, and
// reports the medians and their ratio (target: ours/runit ≤ 0.15).
func BenchmarkWaitRestart(b *testing.B) {
	const rounds = 7
	type side struct {
		name, sv, runsv, dir string
		pid                  int
		times                []time.Duration
	}
	sides := []*side{
		{name: "ours", sv: testenv.Tool(b, "sv"), runsv: testenv.Tool(b, "runsv")},
		{name: "runit", sv: testenv.DebianRunit(b, "sv"), runsv: testenv.DebianRunit(b, "runsv")},
	}
	for _, s := range sides {
		s.dir = filepath.Join(b.TempDir(), "s")
		s.pid = startSupervisor(b, s.runsv, s.dir)
	}
	b.ResetTimer()
	for b.Loop() {
		for range rounds {
			for _, s := range sides {
				d, _ := restartOnce(b, s.sv, s.dir, s.pid)
				s.pid = waitNewPID(b, s.dir, s.pid)
				s.times = append(s.times, d)
			}
		}
	}
	b.StopTimer()
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	o, r := median(sides[0].times), median(sides[1].times)
	ratio := float64(o) / float64(r)
	b.ReportMetric(float64(o.Microseconds())/1000, "ours-ms")
	b.ReportMetric(float64(r.Microseconds())/1000, "runit-ms")
	b.ReportMetric(ratio, "ours/runit")
	fmt.Printf("sv -w 10 restart (median of %d): ours %v, runit %v, ours/runit %.3f\n", len(sides[0].times), o, r, ratio)
}
