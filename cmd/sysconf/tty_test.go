package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"sysconf/internal/testenv"
)

// openPTY opens a pseudo-terminal of cols columns through /dev/ptmx: the
// master, which the test reads, and the slave, which the command writes.
func openPTY(t *testing.T, cols uint16) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// onTerminal runs sysconf with stdout and stderr on a pseudo-terminal of
// 60 columns and returns what the terminal received and the exit code.
func onTerminal(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	m, s := openPTY(t, 60)
	cmd := exec.Command("sysconf", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = s, s
	var out strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Read until the last writer closes the slave: EIO.
		_, _ = io.Copy(&out, m)
	}()
	p := testenv.Start(t, cmd)
	code := p.Wait(t, time.Minute)
	s.Close()
	wg.Wait()
	return out.String(), code
}

// screenLines is what stays on screen of terminal output: per line, what
// follows its last "erase the line" (\r then ESC [K), the line discipline's
// \r\n back to \n.
func screenLines(raw string) []string {
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	var out []string
	for _, l := range strings.Split(raw, "\n") {
		if i := strings.LastIndex(l, "\r\x1b[K"); i >= 0 {
			l = l[i+len("\r\x1b[K"):]
		}
		out = append(out, l)
	}
	return out
}

// TestApplyOnTerminal applies, through a pseudo-terminal, a generation
// whose new service never comes up: the health check waits (a "wait"
// event a second), fails, and apply rolls back and exits 1. The waits
// rewrite one status line, cut to the terminal's width, instead of adding
// a line each; the status line is erased before every other line, so the
// failure, the log and the final error each start a clean line. Colour
// marks the failure, unless NO_COLOR or --no-color.
func TestApplyOnTerminal(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	good := filepath.Join(dir, "good.hcl")
	bad := filepath.Join(dir, "bad.hcl")
	os.WriteFile(good, []byte("service \"web\" {\n  command = [\"/bin/sleep\", \"1000\"]\n}\n"), 0o644)
	os.WriteFile(bad, []byte("service \"web\" {\n  command = [\"/bin/sleep\", \"1000\"]\n}\n"+
		"service \"a-service-with-a-rather-long-name-that-fails\" {\n  command = [\"/bin/sh\", \"-c\", \"echo cannot start; exit 1\"]\n}\n"), 0o644)
	sysconf(t, 0, "apply", "--root", root, "-c", good)
	startRunsvdir(t, root)

	for _, tc := range []struct {
		name  string
		env   []string
		flags []string
		color bool
	}{
		{name: "colour", env: []string{"TERM=xterm"}, color: true},
		{name: "NO_COLOR", env: []string{"TERM=xterm", "NO_COLOR=1"}},
		{name: "--no-color", env: []string{"TERM=xterm"}, flags: []string{"--no-color"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, code := onTerminal(t, tc.env, append([]string{"apply", "--root", root, "-c", bad, "--timeout", "3s"}, tc.flags...)...)
			if code != 1 {
				t.Fatalf("apply: exit %d, want 1\n%q", code, raw)
			}
			if !strings.Contains(raw, "\r\x1b[Kwaiting for a-service") {
				t.Errorf("no status line rewritten in place:\n%q", raw)
			}
			lines := screenLines(raw)
			for _, l := range lines {
				if strings.Contains(l, "waiting for") {
					t.Errorf("a status line stayed on screen: %q\n%q", l, raw)
				}
			}
			// Each status line, cut at 59 columns of the 60: it never wraps.
			for _, seg := range strings.Split(strings.ReplaceAll(raw, "\r\n", "\n"), "\r\x1b[K") {
				seg, _, _ = strings.Cut(seg, "\n")
				if strings.HasPrefix(seg, "waiting for") && utf8.RuneCountInString(seg) > 59 {
					t.Errorf("status line of %d columns on a terminal of 60: %q", utf8.RuneCountInString(seg), seg)
				}
			}
			var failed, last string
			for _, l := range lines {
				if strings.Contains(l, "failed a-service") {
					failed = l
				}
				if strings.TrimSpace(l) != "" {
					last = l
				}
			}
			if !strings.HasPrefix(last, "sysconf: ") || !strings.Contains(last, "rolled back to generation 1") {
				t.Errorf("the error does not start a line of its own at the end: %q\n%q", last, raw)
			}
			if !strings.HasPrefix(strings.TrimPrefix(failed, "\x1b[31m"), "failed a-service") {
				t.Errorf("the failure does not start a line: %q\n%q", failed, raw)
			}
			if got := strings.Contains(raw, "\x1b[31m"); got != tc.color {
				t.Errorf("colour: %v, want %v\n%q", got, tc.color, raw)
			}
			if !tc.color && strings.Contains(raw, "\x1b[1m") {
				t.Errorf("bold plan summary without colour:\n%q", raw)
			}
			// Three seconds of waiting: a handful of lines, not one a second.
			if n := strings.Count(raw, "\n"); n > 20 {
				t.Errorf("%d lines for one failed apply:\n%q", n, raw)
			}
		})
	}
}
