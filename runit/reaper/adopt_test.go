package reaper

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestAdoptSeesExitAndSignals(t *testing.T) {
	r := shared()
	pid, done, err := r.Start("/bin/sleep", []string{"sleep", "1000"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	if !r.IsChild(pid) {
		t.Errorf("IsChild(%d) = false for a child", pid)
	}
	adopted, err := r.Adopt(pid)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-adopted:
		t.Fatalf("adopted process reported %v while alive", ws)
	case <-time.After(200 * time.Millisecond):
	}
	if err := r.Signal(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-adopted:
		if ws != Unknown {
			t.Errorf("adopted status %#x, want Unknown", uint32(ws))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit seen through the pidfd")
	}
	select {
	case ws := <-done:
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("child status %v, want killed by SIGKILL", ws)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child not reaped")
	}
	if r.IsChild(pid) {
		t.Errorf("IsChild(%d) after the reap", pid)
	}
	if err := r.Signal(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("Signal after exit = %v, want ESRCH", err)
	}
}

func TestAdoptGone(t *testing.T) {
	r := shared()
	pid, done, err := r.Start("/bin/true", []string{"true"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if _, err := r.Adopt(pid); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("Adopt of a reaped pid = %v, want ESRCH", err)
	}
	if Unknown.Exited() || Unknown.Signaled() {
		t.Errorf("Unknown looks like a real exit")
	}
}
