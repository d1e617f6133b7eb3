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
)

// A runsv killed with SIGKILL leaves its service running; a new runsv on
// the same directory adopts it instead of starting a second copy, and
// controls it from there.
func TestAdoption(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "echo x >> starts; exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(s, "finish"), `echo "$1 $2" >> args`)
	runsv := testenv.Tool(t, "runsv")
	first := startRunsv(t, runsv, s)
	pid := waitRunning(t, s)
	time.Sleep(time.Second)
	killRunsv(t, first)

	second := startRunsv(t, runsv, s)
	waitStat(t, s, "run\n")
	if got := servicePID(t, s); got != pid {
		t.Fatalf("after restart of runsv the pid is %d, want the adopted %d; stderr %s", got, pid, second.Stderr)
	}
	time.Sleep(1500 * time.Millisecond) // a second copy would have started by now
	// The uptime (now ≥ 2.5 s) continues from the first start.
	if got := readString(t, filepath.Join(s, "starts")); got != "x\n" {
		t.Errorf("starts = %q: a second copy ran", got)
	}
	if !alive(pid) {
		t.Fatalf("adopted %d died", pid)
	}
	out, code := sv(t, "status", s)
	matches(t, `^run: \S+: \(pid `+strconv.Itoa(pid)+`\) [0-9]+s\n$`, out)
	if code != 0 {
		t.Errorf("sv status exit %d", code)
	}
	if f := strings.Fields(out); len(f) < 5 || f[4] == "0s" || f[4] == "1s" {
		t.Errorf("uptime restarted: %q", out)
	}

	out, code = sv(t, "-v", "down", s)
	matches(t, `^ok: down: \S+: [0-9]+s, normally up\n$`, out)
	if code != 0 {
		t.Errorf("sv down exit %d", code)
	}
	testenv.Eventually(t, 5*time.Second, func() string {
		if alive(pid) {
			return "adopted process still alive"
		}
		return ""
	})
	// The exit status of a process that is not our child is unknown.
	testenv.Eventually(t, 5*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(s, "args"))
		if string(b) != "-1 0\n" {
			return "finish args " + strconv.Quote(string(b))
		}
		return ""
	})

	sv(t, "up", s)
	if n := waitRunning(t, s); n == pid {
		t.Errorf("up reused pid %d", n)
	}
	testenv.Eventually(t, 5*time.Second, func() string {
		if got := readString(t, filepath.Join(s, "starts")); got != "x\nx\n" {
			return "starts after up = " + strconv.Quote(got)
		}
		return ""
	})
}

// Adopting a service and its logger also takes over the pipe between them:
// a restarted service still reaches the adopted logger.
func TestAdoptionWithLog(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "echo line; exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(s, "log", "run"), "exec cat > out")
	runsv := testenv.Tool(t, "runsv")
	first := startRunsv(t, runsv, s)
	pid := waitRunning(t, s)
	waitStat(t, filepath.Join(s, "log"), "run\n")
	logPID := servicePID(t, filepath.Join(s, "log"))
	t.Cleanup(func() { syscall.Kill(logPID, syscall.SIGKILL) })
	killRunsv(t, first)

	startRunsv(t, runsv, s)
	waitStat(t, s, "run\n")
	if got := servicePID(t, s); got != pid {
		t.Fatalf("service pid %d, want the adopted %d", got, pid)
	}
	if got := servicePID(t, filepath.Join(s, "log")); got != logPID {
		t.Fatalf("log pid %d, want the adopted %d", got, logPID)
	}
	if out, code := sv(t, "restart", s); code != 0 {
		t.Fatalf("sv restart: exit %d: %s", code, out)
	}
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(s, "log", "out"))
		if string(b) != "line\nline\n" {
			return "log/out = " + strconv.Quote(string(b))
		}
		return ""
	})
	if !alive(logPID) {
		t.Errorf("adopted logger died")
	}
}

// A status naming a process that is no longer the one it was (here: our
// own test process, started long before the stamp) is not adopted.
func TestNoAdoptionOfStranger(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "echo x >> starts; exec sleep 1000")
	runsv := testenv.Tool(t, "runsv")
	first := startRunsv(t, runsv, s)
	pid := waitRunning(t, s)
	killRunsv(t, first)
	// Replace the pid with one that is alive but started at another time.
	b := []byte(readString(t, filepath.Join(s, "supervise", "status")))
	me := os.Getppid()
	b[12], b[13], b[14], b[15] = byte(me), byte(me>>8), byte(me>>16), byte(me>>24)
	os.WriteFile(filepath.Join(s, "supervise", "status"), b, 0o644)

	startRunsv(t, runsv, s)
	testenv.Eventually(t, 10*time.Second, func() string {
		if n := servicePID(t, s); n == 0 || n == me || n == pid {
			return "no fresh start yet"
		}
		return ""
	})
	waitRunning(t, s)
	testenv.Eventually(t, 5*time.Second, func() string {
		if got := readString(t, filepath.Join(s, "starts")); got != "x\nx\n" {
			return "starts = " + strconv.Quote(got)
		}
		return ""
	})
}

// killRunsv kills p with SIGKILL and waits until it is gone. (Proc.Wait
// would also wait for the service, which holds runsv's stderr pipe.)
func killRunsv(t *testing.T, p *testenv.Proc) {
	t.Helper()
	p.Signal(9)
	// Reaped (gone from /proc), not merely a zombie leader: the other
	// threads of a killed Go program may still hold its FIFOs and locks
	// for a while, and an sv command written to a control FIFO whose last
	// reader then goes is lost with the FIFO's buffer.
	proc := "/proc/" + strconv.Itoa(p.PID())
	testenv.Eventually(t, 5*time.Second, func() string {
		if _, err := os.Stat(proc); err == nil {
			return "runsv not reaped yet"
		}
		return ""
	})
}
