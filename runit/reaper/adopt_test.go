package reaper

import (
	"errors"
	"os"
	"strconv"
	"strings"
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

// KillGroup kills a child and what it left in its process group, which
// ignore SIGTERM.
func TestKillGroup(t *testing.T) {
	r := shared()
	dir := t.TempDir()
	script := `trap "" TERM; sleep 1000 & echo $! > ` + dir + `/child; wait`
	pid, done, err := r.Start("/bin/sh", []string{"sh", "-c", script}, &syscall.ProcAttr{Sys: &syscall.SysProcAttr{Setsid: true}})
	if err != nil {
		t.Fatal(err)
	}
	var child int
	deadline := time.Now().Add(5 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(dir + "/child")
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(5 * time.Millisecond)
	}
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		if child > 0 {
			syscall.Kill(child, syscall.SIGKILL)
		}
	})
	if child == 0 {
		t.Fatal("the script wrote no child pid")
	}
	if err := r.KillGroup(pid); err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-done:
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("the leader ended with %v", ws)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the leader is still running")
	}
	for time.Now().Before(deadline.Add(5 * time.Second)) {
		if !running(child) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("the child %d in the group is still running", child)
}

// running tells whether pid exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && !strings.HasPrefix(string(b[i+1:]), " Z")
}
