package runsv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// stubborn is a run script that ignores SIGTERM, leaves a child in its
// process group that ignores it too, and says so in ./ready once both are
// set up.
const stubborn = `trap "" TERM
sleep 1000 &
echo $! > child
echo $$ > ready
wait
`

// waitFile waits until path holds a pid and returns it.
func waitFile(t *testing.T, path string) int {
	t.Helper()
	var pid int
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(path)
		if !strings.HasSuffix(string(b), "\n") {
			return path + " not written yet"
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return ""
	})
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// stubbornService starts our runsv on a stubborn service with the given
// extra files and returns the dir, runsv, and the pids of ./run and of its
// child.
func stubbornService(t *testing.T, files map[string]string) (string, *testenv.Proc, int, int) {
	t.Helper()
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, stubborn)
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(s, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := startRunsv(t, testenv.Tool(t, "runsv"), s)
	run := waitFile(t, filepath.Join(s, "ready"))
	child := waitFile(t, filepath.Join(s, "child"))
	// runsv writes the status after the fork returns, while ./run may
	// already have written its files.
	testenv.Eventually(t, 5*time.Second, func() string {
		if got := servicePID(t, s); got != run {
			return "supervise/status names pid " + strconv.Itoa(got) + ", ./run is " + strconv.Itoa(run)
		}
		return ""
	})
	return s, p, run, child
}

func waitGone(t *testing.T, d time.Duration, pids ...int) {
	t.Helper()
	testenv.Eventually(t, d, func() string {
		for _, pid := range pids {
			if alive(pid) {
				return "pid " + strconv.Itoa(pid) + " still running"
			}
		}
		return ""
	})
}

// sv down on a service that ignores SIGTERM: after timeout-kill its whole
// process group is killed, and not before.
func TestStopTimeoutKillsGroup(t *testing.T) {
	s, p, run, child := stubbornService(t, map[string]string{supervise.TimeoutKillFile: "300\n"})
	start := time.Now()
	if out, code := sv(t, "down", s); code != 0 {
		t.Fatalf("sv down: %q exit %d", out, code)
	}
	waitGone(t, 5*time.Second, run, child)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("killed after %v, before timeout-kill's 300ms", d)
	}
	waitStat(t, s, "down\n")
	if want := "runsv " + s + ": warning: ./run still running 300ms after the stop signal: killing process group " + strconv.Itoa(run) + "\n"; !strings.Contains(p.Stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", p.Stderr.String(), want)
	}
	// The supervisor lives on and starts the service again.
	os.Remove(filepath.Join(s, "ready"))
	sv(t, "up", s)
	waitFile(t, filepath.Join(s, "ready"))
}

// Without timeout-kill runsv waits forever, as runit does.
func TestStopWithoutTimeoutWaits(t *testing.T) {
	s, _, run, child := stubbornService(t, nil)
	t.Cleanup(func() { syscall.Kill(-run, syscall.SIGKILL) })
	sv(t, "down", s)
	waitStat(t, s, "run, got TERM, want down\n")
	// Nothing is to happen: watch for a while that it does not.
	deadline := time.Now().Add(700 * time.Millisecond)
	for time.Now().Before(deadline) {
		if !alive(run) || !alive(child) {
			t.Fatalf("the service was killed without a timeout-kill file (run alive %v, child alive %v)", alive(run), alive(child))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runsvdir's SIGTERM to a supervisor (the exit path) is bounded too.
func TestTermOfSupervisorBounded(t *testing.T) {
	_, p, run, child := stubbornService(t, map[string]string{supervise.TimeoutKillFile: "200"})
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(t, 5*time.Second); code != 0 {
		t.Errorf("runsv exit %d, want 0", code)
	}
	waitGone(t, 5*time.Second, run, child)
}

// down-signal INT reaches a service that stops only on SIGINT.
func TestDownSignal(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, `trap "" TERM
sleep 1000 &
c=$!
trap 'kill -9 $c; echo int > got; exit 0' INT
echo $$ > ready
wait
`)
	os.WriteFile(filepath.Join(s, supervise.DownSignalFile), []byte("SIGINT\n"), 0o644)
	startRunsv(t, testenv.Tool(t, "runsv"), s)
	run := waitFile(t, filepath.Join(s, "ready"))
	sv(t, "down", s)
	waitStat(t, s, "down\n")
	waitGone(t, 5*time.Second, run)
	if b, _ := os.ReadFile(filepath.Join(s, "got")); string(b) != "int\n" {
		t.Errorf("the service did not see SIGINT: got %q", b)
	}
}

// Garbage in timeout-kill and down-signal gives runit-style warnings and
// the defaults: the service stops on SIGTERM, the supervisor lives on.
func TestBadStopFiles(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "exec sleep 1000")
	os.WriteFile(filepath.Join(s, supervise.TimeoutKillFile), []byte("soon"), 0o644)
	os.WriteFile(filepath.Join(s, supervise.DownSignalFile), []byte("STOP\n"), 0o644)
	p := startRunsv(t, testenv.Tool(t, "runsv"), s)
	pid := waitRunning(t, s)
	sv(t, "down", s)
	waitStat(t, s, "down\n")
	waitGone(t, 5*time.Second, pid)
	for _, want := range []string{
		"runsv " + s + ": warning: bad timeout-kill \"soon\": not a number of milliseconds, waiting forever\n",
		"runsv " + s + ": warning: bad down-signal \"STOP\\n\": not a signal name, sending TERM\n",
	} {
		if !strings.Contains(p.Stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", p.Stderr.String(), want)
		}
	}
	sv(t, "up", s)
	waitRunning(t, s)
}

// procStat returns fields 5 and 6 of /proc/PID/stat: pgrp and session.
func procStat(t *testing.T, pid int) (pgrp, sid int) {
	t.Helper()
	b := readString(t, "/proc/"+strconv.Itoa(pid)+"/stat")
	f := strings.Fields(b[strings.LastIndexByte(b, ')')+1:])
	pgrp, _ = strconv.Atoi(f[2])
	sid, _ = strconv.Atoi(f[3])
	return pgrp, sid
}

// ./run and log/run lead a session and process group of their own, unless
// nosetsid says otherwise; sv's signal commands reach ./run alone, not its
// group.
func TestProcessGroups(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, `trap 'echo hup >> got' HUP
sleep 1000 &
echo $! > child
echo $$ > ready
while :; do wait; done
`)
	testenv.WriteScript(t, filepath.Join(s, "log", "run"), "exec cat > out")
	startRunsv(t, testenv.Tool(t, "runsv"), s)
	run := waitFile(t, filepath.Join(s, "ready"))
	child := waitFile(t, filepath.Join(s, "child"))
	if pg, sid := procStat(t, run); pg != run || sid != run {
		t.Errorf("./run %d: pgrp %d session %d, want its own", run, pg, sid)
	}
	if pg, _ := procStat(t, child); pg != run {
		t.Errorf("the child of ./run is in group %d, want %d", pg, run)
	}
	logDir := filepath.Join(s, "log")
	waitStat(t, logDir, "run\n")
	logPID := servicePID(t, logDir)
	if pg, sid := procStat(t, logPID); pg != logPID || sid != logPID {
		t.Errorf("log/run %d: pgrp %d session %d, want its own", logPID, pg, sid)
	}
	sv(t, "hup", s)
	testenv.Eventually(t, 5*time.Second, func() string {
		if b, _ := os.ReadFile(filepath.Join(s, "got")); string(b) != "hup\n" {
			return "./run did not get SIGHUP"
		}
		return ""
	})
	if !alive(child) {
		t.Errorf("sv hup reached the child of ./run (default action: die)")
	}

	n := filepath.Join(t.TempDir(), "n")
	mkrun(t, n, "exec sleep 1000")
	os.WriteFile(filepath.Join(n, supervise.NoSetsidFile), nil, 0o644)
	q := startRunsv(t, testenv.Tool(t, "runsv"), n)
	pid := waitRunning(t, n)
	wantPG, wantSID := procStat(t, q.PID())
	if pg, sid := procStat(t, pid); pg != wantPG || sid != wantSID {
		t.Errorf("with nosetsid: pgrp %d session %d, want runsv's %d %d", pg, sid, wantPG, wantSID)
	}
}
