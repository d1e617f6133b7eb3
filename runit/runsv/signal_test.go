package runsv

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// Spec §2.11: signals other than TERM keep their default action; runsv
// dies of them and its service lives on, as with runit's runsv.
func TestOtherSignalsKillRunsv(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGALRM} {
		t.Run(sig.String(), func(t *testing.T) {
			s := filepath.Join(t.TempDir(), "s")
			mkrun(t, s, "exec sleep 1000")
			p := startRunsv(t, testenv.Tool(t, "runsv"), s)
			pid := waitRunning(t, s)
			p.Signal(sig)
			testenv.Eventually(t, 5*time.Second, func() string {
				if alive(p.PID()) {
					return "runsv still alive after " + sig.String()
				}
				return ""
			})
			if !alive(pid) {
				t.Errorf("service died with runsv")
			}
		})
	}
}

// A flood of bytes on the control FIFO is worked off one byte per
// iteration; unknown bytes are ignored; x on the log's FIFO is ignored;
// k forces the state down and the service restarts.
func TestCommandBytes(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(s, "log", "run"), "exec cat > out")
	p := startRunsv(t, testenv.Tool(t, "runsv"), s)
	pid := waitRunning(t, s)

	ctl, err := os.OpenFile(filepath.Join(s, "supervise", "control"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	if _, err := ctl.Write([]byte(strings.Repeat("zZ?\n", 8000))); err != nil {
		t.Fatal(err)
	}
	if _, err := ctl.Write([]byte("k")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, func() string {
		if n := servicePID(t, s); n == 0 || n == pid {
			return "k not applied yet"
		}
		return ""
	})
	if alive(pid) {
		t.Errorf("k left %d alive", pid)
	}
	waitRunning(t, s)

	logCtl, err := os.OpenFile(filepath.Join(s, "log", "supervise", "control"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer logCtl.Close()
	logCtl.Write([]byte("x"))
	time.Sleep(500 * time.Millisecond)
	if p.Exited() {
		t.Fatal("x on log/supervise/control made runsv exit")
	}
	if got := readString(t, filepath.Join(s, "log", "supervise", "stat")); got != "run\n" {
		t.Errorf("log stat %q after x", got)
	}
	if _, code := sv(t, "exit", s); code != 0 {
		t.Errorf("sv exit: %d", code)
	}
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Errorf("runsv exit %d", code)
	}
}
