package runsv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// readyAt reads the time a service wrote to path (date +%s%N) just before
// it signalled readiness.
func readyAt(t *testing.T, path string) time.Time {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(0, ns)
}

// notifyingService is a run script that signals readiness on descriptor 3
// two seconds after it starts, writing the time to ./readyat first.
const notifyingService = `sleep 2
date +%s%N > readyat.new && mv readyat.new readyat
echo >&3
exec sleep 1000
`

// TestReadinessHoldsSvUp: a service with notification-fd is up for our
// sv -w only once it wrote its newline, and sv returns right after.
func TestReadinessHoldsSvUp(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, notifyingService)
	for name, body := range map[string]string{"notification-fd": "3\n", "down": ""} {
		if err := os.WriteFile(filepath.Join(s, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startRunsv(t, testenv.Tool(t, "runsv"), s)
	cmd := exec.Command(testenv.Tool(t, "sv"), "-w", "15", "up", s)
	start := time.Now()
	out, errOut, code := testenv.Run(t, 20*time.Second, cmd)
	end := time.Now()
	if code != 0 || !strings.HasPrefix(out, "ok: run: "+s+": (pid ") || errOut != "" {
		t.Fatalf("sv -w 15 up: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	pid := waitRunning(t, s)
	ready := readyAt(t, filepath.Join(s, "readyat"))
	if ready.Before(start.Add(time.Second)) {
		t.Fatalf("the service was ready %v after sv started, want about 2 s", ready.Sub(start))
	}
	if end.Before(ready) {
		t.Fatalf("sv returned %v before the service was ready", ready.Sub(end))
	}
	if late := end.Sub(ready); late > 300*time.Millisecond {
		t.Errorf("sv returned %v after the service was ready, want ≤ 300ms", late)
	}
	got := supervise.ReadReadinessAt(unix.AT_FDCWD, s)
	if got != (supervise.Readiness{PID: pid, Ready: true}) {
		t.Errorf("supervise/ready = %+v, want ready %d", got, pid)
	}
}

// TestReadinessWithoutNotification: without notification-fd a running
// service is up at once, and a stale ready file is gone; with Debian's
// runsv, which writes no ready file, a notification-fd does not hold sv.
func TestReadinessWithoutNotification(t *testing.T) {
	for _, im := range impls(t) {
		t.Run(im.name, func(t *testing.T) {
			s := filepath.Join(t.TempDir(), "s")
			mkrun(t, s, "exec sleep 1000\n")
			if err := os.MkdirAll(filepath.Join(s, "supervise"), 0o700); err != nil {
				t.Fatal(err)
			}
			// A leftover of an earlier notifying run, for a pid that the
			// new process may well get: it must not hold sv back.
			stale := supervise.ReadyLine(1, false)
			if err := os.WriteFile(filepath.Join(s, "supervise", "ready"), stale, 0o644); err != nil {
				t.Fatal(err)
			}
			if im.name == "debian" {
				if err := os.WriteFile(filepath.Join(s, "notification-fd"), []byte("3\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			startRunsv(t, im.runsv, s)
			waitRunning(t, s)
			start := time.Now()
			out, _, code := testenv.Run(t, 20*time.Second, exec.Command(testenv.Tool(t, "sv"), "-w", "15", "up", s))
			if code != 0 || !strings.HasPrefix(out, "ok: run: ") {
				t.Fatalf("sv -w 15 up: exit %d, stdout %q", code, out)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("sv -w 15 up took %v on a running service", d)
			}
			if im.name == "ours" {
				if _, err := os.Stat(filepath.Join(s, "supervise", "ready")); !os.IsNotExist(err) {
					t.Errorf("supervise/ready of a service without notification-fd: %v, want none", err)
				}
			}
		})
	}
}
