package runsv

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// Spec §10.1.
func TestUsage(t *testing.T) {
	for _, im := range impls(t) {
		for _, args := range [][]string{{}, {"a", "b"}} {
			_, stderr, code := testenv.Run(t, 5*time.Second, exec.Command(im.runsv, args...))
			if want := "usage: " + im.runsv + " dir\n\n"; stderr != want || code != 1 {
				t.Errorf("%s %v: stderr %q exit %d, want %q exit 1", im.name, args, stderr, code, want)
			}
		}
	}
}

func TestChdirFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	for _, im := range impls(t) {
		_, stderr, code := testenv.Run(t, 5*time.Second, exec.Command(im.runsv, dir))
		if want := "runsv " + dir + ": fatal: unable to change to directory: file does not exist\n"; stderr != want || code != 111 {
			t.Errorf("%s: stderr %q exit %d, want %q exit 111", im.name, stderr, code, want)
		}
	}
}

// Spec §10.8–12.
func TestSuperviseDir(t *testing.T) {
	a := filepath.Join(t.TempDir(), "a")
	mkrun(t, a, "exec sleep 1000")
	runsv := testenv.Tool(t, "runsv")
	startRunsv(t, runsv, a)
	pid := waitRunning(t, a)
	// What the service inherits is checked on sleep, not on the shell
	// before its exec (the shell installs its own SIGCHLD handler).
	testenv.Eventually(t, 10*time.Second, func() string {
		if comm := readString(t, "/proc/"+strconv.Itoa(pid)+"/comm"); comm != "sleep\n" {
			return "the service runs " + strconv.Quote(comm) + ", not sleep yet"
		}
		return ""
	})

	modes := map[string]os.FileMode{
		"":        os.ModeDir | 0o700,
		"control": os.ModeNamedPipe | 0o600,
		"ok":      os.ModeNamedPipe | 0o600,
		"lock":    0o600,
		"status":  0o644,
		"stat":    0o644,
		"pid":     0o644,
	}
	for name, want := range modes {
		fi, err := os.Stat(filepath.Join(a, "supervise", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() &^ 0o022 & (os.ModeType | 0o777); got != want&^0o022 {
			t.Errorf("supervise/%s mode %v, want %v", name, fi.Mode(), want)
		}
	}
	if fi, _ := os.Stat(filepath.Join(a, "supervise", "lock")); fi.Size() != 0 {
		t.Errorf("lock size %d", fi.Size())
	}
	if got := readString(t, filepath.Join(a, "supervise", "pid")); got != strconv.Itoa(pid)+"\n" {
		t.Errorf("pid = %q, want %d", got, pid)
	}
	if ppid := parentOf(t, pid); ppid == 0 {
		t.Errorf("service %d has no parent", pid)
	}
	// The child gets none of runsv's own fds (only what runsv itself
	// inherited), no blocked signals, no handlers.
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	for _, fd := range fds {
		target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
		if strings.HasPrefix(target, a) || strings.HasPrefix(target, "anon_inode:") {
			t.Errorf("service inherited fd %s -> %s", fd.Name(), target)
		}
	}
	for _, line := range strings.Split(readString(t, "/proc/"+strconv.Itoa(pid)+"/status"), "\n") {
		if strings.HasPrefix(line, "SigBlk:") || strings.HasPrefix(line, "SigCgt:") {
			if strings.Trim(strings.Fields(line)[1], "0") != "" {
				t.Errorf("service %s", line)
			}
		}
	}
	st := []byte(readString(t, filepath.Join(a, "supervise", "status")))
	if len(st) != 20 {
		t.Fatalf("status is %d bytes", len(st))
	}
	sec := int64(binary.BigEndian.Uint64(st[0:8]) - 4611686018427387914)
	if d := time.Now().Unix() - sec; d < 0 || d > 3 {
		t.Errorf("status time %d is %ds from now", sec, d)
	}
	if nano := binary.BigEndian.Uint32(st[8:12]); nano%1000 != 500 {
		t.Errorf("status nano %d not ≡ 500 mod 1000", nano)
	}
	if string(st[16:20]) != "\x00u\x00\x01" {
		t.Errorf("status[16:20] = %q", st[16:20])
	}
	out, code := sv(t, "status", a)
	matches(t, `^run: \S+: \(pid `+strconv.Itoa(pid)+`\) [0-9]+s\n$`, out)
	if code != 0 {
		t.Errorf("sv status exit %d", code)
	}

	_, stderr, code := testenv.Run(t, 5*time.Second, exec.Command(runsv, a))
	if want := "runsv " + a + ": fatal: unable to lock supervise/lock: temporary failure\n"; stderr != want || code != 111 {
		t.Errorf("second runsv: %q exit %d, want %q exit 111", stderr, code, want)
	}
}

func parentOf(t *testing.T, pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// Spec §10.13–15.
func TestDownUpOnce(t *testing.T) {
	a := filepath.Join(t.TempDir(), "a")
	mkrun(t, a, "exec sleep 1000")
	startRunsv(t, testenv.Tool(t, "runsv"), a)
	waitRunning(t, a)

	out, code := sv(t, "-v", "down", a)
	matches(t, `^ok: down: \S+: [0-9]+s, normally up\n$`, out)
	if code != 0 {
		t.Errorf("sv down exit %d", code)
	}
	if got := readString(t, filepath.Join(a, "supervise", "stat")); got != "down\n" {
		t.Errorf("stat %q", got)
	}
	if got := readString(t, filepath.Join(a, "supervise", "pid")); got != "" {
		t.Errorf("pid %q, want empty", got)
	}
	if st := readString(t, filepath.Join(a, "supervise", "status")); st[17] != 'd' {
		t.Errorf("want byte %q", st[17])
	}

	out, code = sv(t, "-v", "up", a)
	matches(t, `^ok: run: \S+: \(pid [0-9]+\) [0-9]+s\n$`, out)
	if code != 0 {
		t.Errorf("sv up exit %d", code)
	}
	waitRunning(t, a)
	if _, code := sv(t, "once", a); code != 0 {
		t.Errorf("sv once exit %d", code)
	}
	waitStat(t, a, "run, want down\n")
	// status is renamed into place just after stat.
	testenv.Eventually(t, 5*time.Second, func() string {
		if out, _ = sv(t, "status", a); !strings.HasSuffix(out, ", want down\n") {
			return "sv status = " + out
		}
		return ""
	})
}

// Spec §10.16 and §10.60: finish gets CODE STATUS; a ./run that cannot be
// executed is an exit 111 with runit's message.
func TestFinishArgs(t *testing.T) {
	runsv := testenv.Tool(t, "runsv")
	f := filepath.Join(t.TempDir(), "f")
	mkrun(t, f, "exit 7")
	testenv.WriteScript(t, filepath.Join(f, "finish"), `echo "$1 $2" >> args`)
	os.WriteFile(filepath.Join(f, "down"), nil, 0o644)
	startRunsv(t, runsv, f)
	sv(t, "once", f)
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(f, "args"))
		if string(b) != "7 0\n" {
			return "args = " + strconv.Quote(string(b))
		}
		return ""
	})

	g := filepath.Join(t.TempDir(), "g")
	mkrun(t, g, "exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(g, "finish"), `echo "$1 $2" >> args`)
	startRunsv(t, runsv, g)
	waitRunning(t, g)
	sv(t, "-v", "down", g)
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(g, "args"))
		if string(b) != "-1 15\n" {
			return "args = " + strconv.Quote(string(b))
		}
		return ""
	})

	h := filepath.Join(t.TempDir(), "h")
	os.MkdirAll(h, 0o755)
	os.WriteFile(filepath.Join(h, "run"), []byte("#!/bin/sh\nexec sleep 1000\n"), 0o644)
	testenv.WriteScript(t, filepath.Join(h, "finish"), `echo "$1 $2" >> args`)
	p := startRunsv(t, runsv, h)
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(h, "args"))
		if !strings.HasPrefix(string(b), "111 0\n111 0\n") {
			return "args = " + strconv.Quote(string(b))
		}
		return ""
	})
	want := "runsv " + h + ": fatal: unable to start ./run: access denied\n"
	if got := p.Stderr.String(); !strings.HasPrefix(got, want+want) {
		t.Errorf("stderr %q, want repeated %q", got, want)
	}
}

// Spec §10.17: a successful control/t replaces SIGTERM.
func TestControlHook(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, `trap 'echo got-term >> log; exit 0' TERM; while :; do sleep 0.1; done`)
	testenv.WriteScript(t, filepath.Join(s, "control", "t"), `echo "ctl-t $0" >> log; exit 0`)
	startRunsv(t, testenv.Tool(t, "runsv"), s)
	waitRunning(t, s)
	sv(t, "term", s)
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(s, "log"))
		if string(b) != "ctl-t control/t\n" {
			return "log = " + strconv.Quote(string(b))
		}
		return ""
	})
	time.Sleep(300 * time.Millisecond)
	if got := readString(t, filepath.Join(s, "log")); got != "ctl-t control/t\n" {
		t.Errorf("log = %q", got)
	}
	out, _ := sv(t, "status", s)
	matches(t, `^run: `, out)
}

// Spec §10.18 and §10.20: the log service, its pipe, and sv exit.
func TestLogService(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "echo hello-log; exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(s, "log", "run"), "exec cat > out")
	p := startRunsv(t, testenv.Tool(t, "runsv"), s)
	waitRunning(t, s)
	waitStat(t, filepath.Join(s, "log"), "run\n")
	out, _ := sv(t, "status", s)
	matches(t, `^run: \S+: \(pid [0-9]+\) [0-9]+s; run: log: \(pid [0-9]+\) [0-9]+s\n$`, out)
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(s, "log", "out"))
		if string(b) != "hello-log\n" {
			return "log/out = " + strconv.Quote(string(b))
		}
		return ""
	})
	// The logger restarts without losing the pipe.
	logPID := servicePID(t, filepath.Join(s, "log"))
	syscall.Kill(logPID, syscall.SIGKILL)
	testenv.Eventually(t, 10*time.Second, func() string {
		if n := servicePID(t, filepath.Join(s, "log")); n == 0 || n == logPID {
			return "logger not restarted"
		}
		return ""
	})
	sv(t, "exit", s)
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Errorf("runsv exit %d", code)
	}
	if got := readString(t, filepath.Join(s, "log", "supervise", "stat")); got != "down\n" {
		t.Errorf("log stat %q", got)
	}
}

// Spec §10.19 and §10.21.
func TestLogDownAndSIGTERM(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(s, "log", "run"), "exec cat > out")
	os.WriteFile(filepath.Join(s, "log", "down"), nil, 0o644)
	p := startRunsv(t, testenv.Tool(t, "runsv"), s)
	waitRunning(t, s)
	if _, err := os.Stat(filepath.Join(s, "log", "supervise", "pid")); !os.IsNotExist(err) {
		t.Errorf("log/supervise/pid: %v, want not existing", err)
	}
	out, _ := sv(t, "status", s)
	matches(t, `; down: log: `, out)
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Errorf("runsv exit %d", code)
	}
	out, _ = sv(t, "status", s)
	if want := "fail: " + s + ": runsv not running\n"; out != want {
		t.Errorf("sv status %q, want %q", out, want)
	}
}

// Spec §10.22: supervise as a dangling symlink, relative and absolute.
func TestSymlinkSupervise(t *testing.T) {
	tmp := t.TempDir()
	s := filepath.Join(tmp, "s")
	mkrun(t, s, "exec sleep 1000")
	testenv.WriteScript(t, filepath.Join(s, "log", "run"), "exec cat > out")
	os.MkdirAll(filepath.Join(tmp, "runsup"), 0o755)
	state, logState := supervise.StateDirName("s"), supervise.LogStateDirName("s")
	os.Symlink(filepath.Join(tmp, "runsup", state), filepath.Join(s, "supervise"))
	os.Symlink("../../runsup/"+logState, filepath.Join(s, "log", "supervise"))
	startRunsv(t, testenv.Tool(t, "runsv"), s)
	waitRunning(t, s)
	fi, err := os.Stat(filepath.Join(tmp, "runsup", state))
	if err != nil || fi.Mode() != os.ModeDir|0o700 {
		t.Fatalf("%s: %v %v", state, fi, err)
	}
	if fi, err := os.Stat(filepath.Join(tmp, "runsup", state, "control")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("control: %v %v", fi, err)
	}
	if fi, err := os.Lstat(filepath.Join(s, "supervise")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("supervise is no longer a symlink: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(tmp, "runsup", logState, "lock")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("relative log/supervise target: %v %v", fi, err)
	}
}

// Spec §10.59: S/log appears after runsv started, so it is not supervised.
func TestLogNeverSupervised(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "exec sleep 1000")
	startRunsv(t, testenv.Tool(t, "runsv"), s)
	pid := waitRunning(t, s)
	os.Mkdir(filepath.Join(s, "log"), 0o755)
	out, code := sv(t, "status", s)
	p := strconv.Itoa(pid)
	want := "run: " + s + ": (pid " + p + ") "
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "; warning: "+s+"/log: unable to open supervise/ok: file does not exist\nrun: log: (pid "+p+") ") || code != 1 {
		t.Errorf("sv status = %q exit %d", out, code)
	}
}
