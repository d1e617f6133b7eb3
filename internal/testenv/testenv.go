// Package testenv gives sysconf's integration tests what they share: the
// runit programs built once per test process with their links, Debian's
// runit located (its absence fails the test: CI must install it),
// processes that are always stopped by PID, bounded waits, and the
// runner of the runit tools' testscript scripts (script.go).
//
// Nothing here touches the host's /etc, /service, /var or /run: every path a
// test uses comes from t.TempDir.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/runitnames"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// moduleRoot finds the directory holding go.mod, from this source file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// RunitBin builds every runit program (internal/runitnames; CGO_ENABLED=0,
// as make build does) once per test process and returns a directory
// holding each under its name with its links, as make build lays out bin/:
// a SharedBuildDir, readable by every account (loggers drop to an
// unprivileged one, planner.LogUser, when a test runs as root).
func RunitBin(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = SharedBuildDir("sysconf-runit-bin", func(dir string) error {
			// One go build of several main packages writes each as
			// dir/<its directory's name>.
			args := append([]string{"build", "-o", dir + "/"}, runitnames.Packages()...)
			cmd := exec.Command("go", args...)
			cmd.Dir = moduleRoot()
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			for _, p := range runitnames.Programs {
				for _, n := range p.Links {
					if err := os.Symlink(p.Name, filepath.Join(dir, n)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// Tool returns the path of one of our runit programs, by any of the names
// internal/runitnames installs it under.
func Tool(t testing.TB, name string) string {
	return filepath.Join(RunitBin(t), name)
}

// DebianRunit returns the path of Debian's program name (runsv, sv, chpst,
// svlogd, runsvdir from /usr/bin; runsvchdir from /usr/sbin). A missing
// program fails the test rather than skipping it: CI installs the runit
// package, and interop tests that silently skip prove nothing.
func DebianRunit(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"/usr/bin", "/usr/sbin", "/sbin", "/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	t.Fatalf("Debian's runit program %s is not installed: apt-get install -y runit", name)
	return ""
}

// Proc is a process started by a test. It is stopped by its PID (SIGKILL to
// it, and to its process group when it leads one) when the test ends, even
// when the test fails.
type Proc struct {
	Cmd    *exec.Cmd
	Stdout *SyncBuffer
	Stderr *SyncBuffer

	tag     string // NAME=value in the environment of the process and its descendants
	waitErr error
	done    chan struct{}
}

// SyncBuffer is a bytes.Buffer safe for a writer process and a reading test.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start starts cmd with stdout and stderr captured (unless already set) and
// registers its cleanup. Set cmd.SysProcAttr.Setpgid to have the whole group
// killed at the end.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, Stdout: &SyncBuffer{}, Stderr: &SyncBuffer{}, done: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.Stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.Stderr
	}
	// Every descendant inherits the tag, also those that leave the process
	// group or are orphaned (a service whose runsv was killed), so the
	// cleanup finds and stops each of them by its PID.
	// One tag per test, not per process: tests compare the environment our
	// tools and Debian's pass on, which must not differ by the tag.
	p.tag = fmt.Sprintf("%s=%d-%s", tagVar, os.Getpid(), t.Name())
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, p.tag)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		killTagged(p.tag)
	})
	return p
}

// tagVar is the environment variable that marks a test's processes.
const tagVar = "SYSCONF_TESTTAG"

// killTagged sends SIGKILL, by PID, to every process that carries tag
// (NAME=value) in its environment, until none is left or 10 seconds have
// passed. "None left" takes two sweeps in a row: a process in the middle of
// an execve shows an empty environ for a moment.
func killTagged(tag string) {
	needle := []byte(tag + "\x00")
	deadline := time.Now().Add(10 * time.Second)
	clean := 0
	for time.Now().Before(deadline) {
		found := 0
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil || !bytes.Contains(env, needle) {
				continue
			}
			found++
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if found > 0 {
			clean = 0
		} else if clean++; clean == 2 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PID returns the process's pid.
func (p *Proc) PID() int { return p.Cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) error { return syscall.Kill(p.PID(), sig) }

// Kill stops the process (and its group, if it leads one) and waits for it,
// at most 10 seconds.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	pid := p.PID()
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// Wait waits at most d for the process to exit and returns its exit code;
// it fails the test if the process is still running then.
func (p *Proc) Wait(t testing.TB, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("%v still running after %v\nstderr:\n%s", p.Cmd.Args, d, p.Stderr)
	}
	if p.Cmd.ProcessState == nil {
		t.Fatalf("%v: %v", p.Cmd.Args, p.waitErr)
	}
	return p.Cmd.ProcessState.ExitCode()
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Eventually polls cond every 10 ms until it returns "" (success) or d has
// passed, then fails the test with the last message cond returned.
func Eventually(t testing.TB, d time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WriteScript writes an executable #!/bin/sh script at path with body.
func WriteScript(t testing.TB, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body, "#!") {
		body = "#!/bin/sh\n" + body
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// Run runs a command to completion within d and returns stdout, stderr and
// the exit code. A command still running after d is killed and fails the test.
func Run(t testing.TB, d time.Duration, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	p := Start(t, cmd)
	code = p.Wait(t, d)
	return p.Stdout.String(), p.Stderr.String(), code
}
