package runsv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/reaper"
	"sysconf/runit/supervise"
)

func TestFinishArgv(t *testing.T) {
	tests := []struct {
		ws   syscall.WaitStatus
		want string
	}{
		{7 << 8, "7 0"},
		{111 << 8, "111 0"},
		{0, "0 0"},
		{syscall.WaitStatus(syscall.SIGTERM), "-1 15"},
		{syscall.WaitStatus(syscall.SIGKILL), "-1 9"},
		{syscall.WaitStatus(syscall.SIGSEGV) | 0x80, "-1 139"},
		{reaper.Unknown, "-1 0"},
	}
	for _, tt := range tests {
		got := finishArgv(tt.ws)
		if got[0] != "./finish" || strings.Join(got[1:], " ") != tt.want {
			t.Errorf("finishArgv(%#x) = %q, want ./finish %s", uint32(tt.ws), got, tt.want)
		}
	}
}

// open runs Open on dir without a reaper loop (Open starts no child; a
// running loop would steal os/exec's statuses in this test process).
func open(t *testing.T, dir string) (*Supervisor, string, error) {
	t.Helper()
	var stderr strings.Builder
	s, err := Open(Config{Dir: dir, Name: "svc", Stderr: &stderr, StderrFD: 2, Reaper: new(reaper.Reaper)})
	if s != nil {
		t.Cleanup(s.release)
	}
	return s, stderr.String(), err
}

func fdCount(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestOpenFatal(t *testing.T) {
	tests := []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"supervise is a file", func(d string) { os.WriteFile(filepath.Join(d, "supervise"), nil, 0o644) },
			"unable to open supervise/lock: not a directory"},
		{"dangling symlink, parent missing", func(d string) { os.Symlink(filepath.Join(d, "no", "such"), filepath.Join(d, "supervise")) },
			"unable to open supervise/lock: file does not exist"},
		{"control is a file", func(d string) {
			os.Mkdir(filepath.Join(d, "supervise"), 0o700)
			os.WriteFile(filepath.Join(d, "supervise", "control"), nil, 0o600)
		}, "supervise/control exists but is not a fifo"},
		{"link too long", func(d string) { os.Symlink(strings.Repeat("x", 300), filepath.Join(d, "supervise")) },
			"unable to readlink ./supervise: name too long"},
		{"no dir", func(d string) { os.RemoveAll(d) }, "unable to change to directory: file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "s")
			mkrun(t, dir, "exec sleep 1")
			tt.setup(dir)
			before := fdCount(t)
			_, _, err := open(t, dir)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Open = %v, want %q", err, tt.want)
			}
			if after := fdCount(t); after != before {
				t.Errorf("%d fds open after a failed Open, %d before", after, before)
			}
		})
	}
}

func TestOpenLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	mkrun(t, dir, "exec sleep 1")
	if _, _, err := open(t, dir); err != nil {
		t.Fatal(err)
	}
	_, _, err := open(t, dir)
	if err == nil || err.Error() != "unable to lock supervise/lock: temporary failure" {
		t.Fatalf("second Open = %v", err)
	}
}

func TestOpenLogWarnings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	mkrun(t, dir, "exec sleep 1")
	os.WriteFile(filepath.Join(dir, "log"), nil, 0o644)
	s, stderr, err := open(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if stderr != "runsv svc: warning: ./log: not a directory.\n" || s.log != nil {
		t.Errorf("stderr %q, log %v", stderr, s.log)
	}
}

// The log's lock is waited for (runit blocks in flock; we poll).
func TestOpenWaitsForLogLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	mkrun(t, dir, "exec sleep 1")
	testenv.WriteScript(t, filepath.Join(dir, "log", "run"), "exec cat")
	os.MkdirAll(filepath.Join(dir, "log", "supervise"), 0o700)
	f, err := os.OpenFile(filepath.Join(dir, "log", "supervise", "lock"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 1)
	go func() { _, _, err := open(t, dir); opened <- err }()
	select {
	case err := <-opened:
		t.Fatalf("Open returned %v while the log lock was held", err)
	case <-time.After(300 * time.Millisecond):
	}
	f.Close()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open still waiting after the log lock was released")
	}
}

// Debian's runsv gives the same fatal messages for the same broken dirs.
func TestFatalLikeDebian(t *testing.T) {
	setups := map[string]func(d string){
		"supervise-file": func(d string) { os.WriteFile(filepath.Join(d, "supervise"), nil, 0o644) },
		"control-file": func(d string) {
			os.Mkdir(filepath.Join(d, "supervise"), 0o700)
			os.WriteFile(filepath.Join(d, "supervise", "control"), nil, 0o600)
		},
		"log-file": func(d string) {
			os.WriteFile(filepath.Join(d, "log"), nil, 0o644)
			os.WriteFile(filepath.Join(d, "supervise"), nil, 0o644)
		},
	}
	for name, setup := range setups {
		got := map[string]string{}
		for _, im := range impls(t) {
			dir := filepath.Join(t.TempDir(), "s")
			mkrun(t, dir, "exec sleep 1")
			setup(dir)
			_, stderr, code := testenv.Run(t, 5*time.Second, exec.Command(im.runsv, dir))
			got[im.name] = strings.ReplaceAll(stderr, dir, "DIR") + " exit " + strconv.Itoa(code)
		}
		if got["ours"] != got["debian"] {
			t.Errorf("%s: ours %q, Debian %q", name, got["ours"], got["debian"])
		}
	}
}

// The restart delay (§2.6) holds a service that stopped within a second of
// its start for a blocking second — unless it was told to exit: nothing
// restarts it then, and a sysconf switch waits for the supervisor to go.
func TestRestartDelaySkippedOnExit(t *testing.T) {
	for _, tt := range []struct {
		want    byte
		delayed bool
	}{{'u', true}, {'d', true}, {'x', false}} {
		dir := t.TempDir()
		testenv.WriteScript(t, filepath.Join(dir, "run"), "exec sleep 1000")
		s, stderr, err := open(t, dir)
		if err != nil {
			t.Fatalf("open: %v %s", err, stderr)
		}
		s.main.want = supervise.Want(tt.want)
		s.main.start = time.Now() // started just now, as if run had exited at once
		t0 := time.Now()
		s.stopped(s.main)
		// The delay is a full second; a status update without it takes
		// milliseconds, so half a second separates the two.
		if took := time.Since(t0); (took >= 500*time.Millisecond) != tt.delayed {
			t.Errorf("want %c: stopped took %v, delayed %v expected", tt.want, took, tt.delayed)
		}
	}
}

// supervise/ok is a hard link of supervise/control, which runsv holds open
// for reading: sv's open of ok for writing succeeds exactly while runsv
// runs, and a service costs one descriptor less. An ok FIFO of its own
// (runit's) is replaced by the link.
func TestOkIsLinkOfControl(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteScript(t, filepath.Join(dir, "run"), "exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(dir, "log", "run"), "exec cat")
	for _, sup := range []string{"supervise", "log/supervise"} {
		if err := os.MkdirAll(filepath.Join(dir, sup), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(filepath.Join(dir, sup, "ok"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before := fdCount(t)
	s, stderr, err := open(t, dir)
	if err != nil {
		t.Fatalf("open: %v %s", err, stderr)
	}
	// dir, pipe (2), and per service lock and control: no ok descriptors.
	if got := fdCount(t) - before; got != 1+2+2*2 {
		t.Errorf("Open holds %d descriptors, want 7", got)
	}
	okOpen := func(sup string) error {
		fd, err := syscall.Open(filepath.Join(dir, sup, "ok"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			syscall.Close(fd)
		}
		return err
	}
	for _, sup := range []string{"supervise", "log/supervise"} {
		var ok, ctl syscall.Stat_t
		if syscall.Lstat(filepath.Join(dir, sup, "ok"), &ok) != nil || syscall.Lstat(filepath.Join(dir, sup, "control"), &ctl) != nil || ok.Ino != ctl.Ino {
			t.Errorf("%s/ok (inode %d) is not a link of %s/control (inode %d)", sup, ok.Ino, sup, ctl.Ino)
		}
		if ok.Mode&syscall.S_IFMT != syscall.S_IFIFO || ok.Mode&0o777 != 0o600 {
			t.Errorf("%s/ok mode %o, want a FIFO 0600", sup, ok.Mode)
		}
		if err := okOpen(sup); err != nil {
			t.Errorf("%s/ok while runsv runs: %v", sup, err)
		}
	}
	s.release()
	for _, sup := range []string{"supervise", "log/supervise"} {
		if err := okOpen(sup); err != syscall.ENXIO {
			t.Errorf("%s/ok after runsv: %v, want ENXIO (runsv not running)", sup, err)
		}
	}
}
