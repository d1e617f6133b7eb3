package runsv

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// impl is a runsv under test: ours or Debian's.
type impl struct {
	name  string
	runsv string
}

func impls(t testing.TB) []impl {
	return []impl{
		{"ours", testenv.Tool(t, "runsv")},
		{"debian", testenv.DebianRunit(t, "runsv")},
	}
}

// mkrun writes dir/run (mode 0755) with a /bin/sh body.
func mkrun(t testing.TB, dir, body string) {
	t.Helper()
	testenv.WriteScript(t, filepath.Join(dir, "run"), body)
}

// startRunsv starts prog on dir and waits until sv sees it alive.
func startRunsv(t testing.TB, prog, dir string) *testenv.Proc {
	t.Helper()
	p := testenv.Start(t, exec.Command(prog, dir))
	testenv.Eventually(t, 10*time.Second, func() string {
		if p.Exited() {
			t.Fatalf("%s %s exited: %s", prog, dir, p.Stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "supervise", "stat")); err != nil {
			return "no supervise/stat yet"
		}
		f, err := os.OpenFile(filepath.Join(dir, "supervise", "ok"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return "supervise/ok: " + err.Error()
		}
		f.Close()
		return ""
	})
	return p
}

// sv runs Debian's sv (our runsv must satisfy it) and returns its stdout
// and exit code.
func sv(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(testenv.DebianRunit(t, "sv"), args...)
	cmd.Env = append(os.Environ(), "SVWAIT=7")
	out, _, code := testenv.Run(t, 20*time.Second, cmd)
	return out, code
}

func readString(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitStat waits until dir/supervise/stat reads want and supervise/status
// says the same: a supervisor renames stat into place before status, and sv
// reads status.
func waitStat(t testing.TB, dir, want string) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "supervise", "stat"))
		if string(b) != want {
			return filepath.Join(dir, "supervise/stat") + " = " + strconv.Quote(string(b)) + ", want " + strconv.Quote(want)
		}
		st, err := supervise.ReadStatusFile(dir)
		if err != nil {
			return err.Error()
		}
		// status cannot tell exit from down.
		if got := supervise.StatLine(st.State, st.Paused, st.TermSent, st.Want); got != strings.Replace(want, "want exit", "want down", 1) {
			return filepath.Join(dir, "supervise/status") + " reads as " + strconv.Quote(got) + ", want " + strconv.Quote(want)
		}
		return ""
	})
}

// servicePID returns the pid in dir/supervise/status, 0 if none.
func servicePID(t testing.TB, dir string) int {
	t.Helper()
	st, err := supervise.ReadStatusFile(dir)
	if err != nil {
		return 0
	}
	return st.PID
}

// waitRunning waits for a running service and returns its pid; the pid is
// killed at the end of the test, since a killed runsv leaves it behind.
func waitRunning(t testing.TB, dir string) int {
	t.Helper()
	waitStat(t, dir, "run\n")
	var pid int
	// stat is renamed into place just before status.
	testenv.Eventually(t, 5*time.Second, func() string {
		if pid = servicePID(t, dir); pid == 0 {
			return dir + ": run without pid"
		}
		return ""
	})
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

func matches(t *testing.T, re, s string) {
	t.Helper()
	if !regexp.MustCompile(re).MatchString(s) {
		t.Errorf("%q does not match %s", s, re)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && !strings.HasPrefix(string(b[i+1:]), " Z")
}
