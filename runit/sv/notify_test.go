package sv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestWatcher: a state file renamed into place wakes the wait at once; sv's
// own probe of ok and a status.new do not; without inotify the wait is a
// plain sleep.
func TestWatcher(t *testing.T) {
	dir := t.TempDir()
	sup := filepath.Join(dir, "supervise")
	if err := os.MkdirAll(sup, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(sup, "ok"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A reader, so that opening ok for writing (sv's probe) succeeds.
	r, err := syscall.Open(filepath.Join(sup, "ok"), syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(r)

	w := newWatcher()
	defer w.close()
	if w.fd < 0 {
		t.Fatal("no inotify on this machine")
	}
	w.add(dir)

	// sv's probe and a supervisor's status.new: no wake-up.
	fd, err := syscall.Open(filepath.Join(sup, "ok"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	if err := os.WriteFile(filepath.Join(sup, "status.new"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w.wait(100 * time.Millisecond) {
		t.Error("woken by the probe of ok or by status.new")
	}

	// The rename of status (queued before the wait): a wake-up at once.
	if err := os.Rename(filepath.Join(sup, "status.new"), filepath.Join(sup, "status")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !w.wait(5 * time.Second) {
		t.Fatal("not woken by the rename of status")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("woken %v after the wait began, want at once", d)
	}

	// Without inotify, a sleep of the whole time.
	none := &watcher{fd: -1}
	none.add(dir)
	start = time.Now()
	if none.wait(60*time.Millisecond) || time.Since(start) < 60*time.Millisecond {
		t.Error("the fallback did not sleep the whole time")
	}
}
