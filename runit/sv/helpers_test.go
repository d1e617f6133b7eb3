package sv

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	runsvprog "sysconf/runit/runsv"
	"sysconf/runit/supervise"
)

// mainEnv makes the test binary run sv.Main: the LSB tests call it through
// links named after services, to this test binary itself (cmd/sv tests the
// same links to the sv binary).
const mainEnv = "SYSCONF_SV_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		os.Exit(Main(os.Args, os.Environ(), os.Stdin, os.Stdout, os.Stderr))
	}
	// The scripts' programs: sv, and runsv to supervise what sv talks to.
	testenv.ScriptMain(m, map[string]testenv.Program{
		"sv": func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
			return Main(args, os.Environ(), stdin, stdout, stderr)
		},
		"runsv": runsvprog.Main,
	})
}

// TestScripts runs testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testenv.RunScripts(t, "testdata/script")
}

// impl is one sv implementation under comparison.
type impl struct {
	name string
	bin  string // the sv program
	lsb  string // what an init.d link points at
	env  []string
}

// impls returns Debian's sv and ours.
func impls(t *testing.T) []impl {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	deb := testenv.DebianRunit(t, "sv")
	return []impl{
		{name: "debian", bin: deb, lsb: deb},
		{name: "ours", bin: testenv.Tool(t, "sv"), lsb: self, env: []string{mainEnv + "=1"}},
	}
}

// result is one sv run.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("stdout %q stderr %q exit %d", r.stdout, r.stderr, r.code)
}

// runSV runs prog with argv0 as argv[0], in dir, with env added.
func runSV(t *testing.T, prog, argv0, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := &exec.Cmd{Path: prog, Args: append([]string{argv0}, args...), Dir: dir}
	cmd.Env = append(append(os.Environ(), "SVDIR=/nonexistent-svdir", "SVWAIT=7"), env...)
	out, errOut, code := testenv.Run(t, 30*time.Second, cmd)
	return result{out, errOut, code}
}

var (
	pidRE  = regexp.MustCompile(`\(pid [0-9]+\)`)
	secsRE = regexp.MustCompile(`(\) |: )[0-9]+s`)
)

// mask hides what differs between two runs: pids and ages.
func mask(s string) string {
	s = pidRE.ReplaceAllString(s, "(pid P)")
	return secsRE.ReplaceAllString(s, "${1}Ns")
}

// record builds a 20-byte status record. age is how many seconds ago the
// state began (negative: in the future).
func record(pid int, state supervise.State, want supervise.Want, age int64, paused, term bool) []byte {
	st := supervise.Status{
		Since:    supervise.TAI64NOf(time.Now().Add(-time.Duration(age) * time.Second)),
		PID:      pid,
		Paused:   paused,
		Want:     want,
		TermSent: term,
		State:    state,
	}
	b, _ := st.MarshalBinary()
	return b
}

// fake is a fake supervisor: the ok and control FIFOs of dir/supervise held
// open by the test and a status record written by it.
type fake struct {
	dir     string
	control int
}

func newFake(t testing.TB, dir string, rec []byte) *fake {
	t.Helper()
	sup := filepath.Join(dir, "supervise")
	if err := os.MkdirAll(sup, 0o700); err != nil {
		t.Fatal(err)
	}
	f := &fake{dir: dir}
	for _, name := range []string{"ok", "control"} {
		p := filepath.Join(sup, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		// O_RDWR on a FIFO does not block and keeps a reader.
		fd, err := syscall.Open(p, syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Close(fd) })
		if name == "control" {
			f.control = fd
		}
	}
	f.setStatus(t, rec)
	return f
}

func (f *fake) setStatus(t testing.TB, rec []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, "supervise", "status"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
}

// drain returns and removes the bytes written to the control FIFO so far.
func (f *fake) drain(t *testing.T) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 512)
	for {
		n, err := syscall.Read(f.control, buf)
		if err == syscall.EAGAIN || n == 0 {
			return string(got)
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
}

// service makes a service directory with a run script (and more files).
func service(t *testing.T, dir, run string, files map[string]string) {
	t.Helper()
	testenv.WriteScript(t, filepath.Join(dir, "run"), run)
	for name, body := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(body, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// runsv starts Debian's runsv on dir and waits until its service (and its
// log service, if any) runs or is down as asked.
func runsv(t *testing.T, dir string) *testenv.Proc {
	t.Helper()
	p := testenv.Start(t, exec.Command(testenv.DebianRunit(t, "runsv"), dir))
	testenv.Eventually(t, 5*time.Second, func() string {
		if err := supervise.Probe(dir); err != nil {
			return "runsv not ready: " + err.Error()
		}
		st, err := supervise.ReadStatusFile(dir)
		if err != nil {
			return err.Error()
		}
		_, down := os.Stat(filepath.Join(dir, "down"))
		if down != nil && (st.State != supervise.StateRun || st.PID == 0) {
			return "service not running yet"
		}
		return ""
	})
	return p
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
