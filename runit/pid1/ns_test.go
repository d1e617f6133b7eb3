package pid1_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// ns is one init (ours or Debian's) running as process no. 1 of a private
// PID and mount namespace, in which temp directories are bind-mounted over
// /etc/runit and /run and a FIFO over /dev/console (spec §10 point 64). The
// host's /etc and /run are never written: the mounts live and die with the
// namespace, whose mount tree unshare makes private before anything else.
type ns struct {
	root    string // holds etc/ (→ /etc/runit), run/ (→ /run), console
	console *testenv.SyncBuffer
	con     *os.File // the test's end of the console FIFO
	proc    *testenv.Proc
}

// consoleEnd is what end writes into the console FIFO once the namespace is
// gone: when the reader has copied it, it has copied every line before it.
const consoleEnd = "\x00end of console\x00"

// newNS prepares the directories; write stage scripts into n.etc() before
// n.boot.
func newNS(t *testing.T) *ns {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"etc", "run"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "console"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &ns{root: root, console: &testenv.SyncBuffer{}}
}

func (n *ns) etc(name string) string { return filepath.Join(n.root, "etc", name) }
func (n *ns) run(name string) string { return filepath.Join(n.root, "run", name) }

// script writes an executable stage script into the namespace's /etc/runit.
func (n *ns) script(t *testing.T, name, body string) {
	t.Helper()
	testenv.WriteScript(t, n.etc(name), body)
}

// boot starts init as pid 1 of a new namespace.
func (n *ns) boot(t *testing.T, init string) {
	t.Helper()
	if _, err := os.Stat("/etc/runit"); err != nil {
		t.Fatalf("/etc/runit must exist on the host as a mount point (apt-get install -y runit): %v", err)
	}
	// Read the console FIFO; O_RDWR so that opening never blocks and the
	// FIFO never reads EOF between two writers.
	con, err := os.OpenFile(filepath.Join(n.root, "console"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := con.Read(buf)
			n.console.Write(buf[:k])
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { con.Close() })
	n.con = con
	wrapper := `set -e
mount --make-rprivate /
mount --bind "$1/etc" /etc/runit
mount --bind "$1/run" /run
mount --bind "$1/console" /dev/console
exec "$2"`
	cmd := exec.Command("unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--mount", "--propagation", "private",
		"sh", "-c", wrapper, "sh", n.root, init)
	// --kill-child: killing unshare at cleanup kills the namespace's pid 1,
	// and with it the whole namespace, though runit has left unshare's
	// process group with setsid.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	n.proc = testenv.Start(t, cmd)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console:\n%s\nunshare stderr:\n%s", n.console, n.proc.Stderr)
		}
	})
}

// lines returns the console lines so far.
func (n *ns) lines() []string {
	s, _, _ := strings.Cut(n.console.String(), consoleEnd)
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// waitLine waits until line appears on the console.
func (n *ns) waitLine(t *testing.T, d time.Duration, line string) {
	t.Helper()
	testenv.Eventually(t, d, func() string {
		for _, l := range n.lines() {
			if l == line {
				return ""
			}
		}
		if n.proc.Exited() {
			return "namespace ended before " + strconv.Quote(line)
		}
		return "no console line " + strconv.Quote(line)
	})
}

// pid1 returns the host pid of the namespace's process no. 1 (the child of
// unshare).
func (n *ns) pid1(t *testing.T) int {
	t.Helper()
	up := n.proc.PID()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(up) + "/task/" + strconv.Itoa(up) + "/children")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		t.Fatalf("unshare has children %q, want one", f)
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}

// signal sends sig to the namespace's process no. 1.
func (n *ns) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(n.pid1(t), sig); err != nil {
		t.Fatal(err)
	}
}

// end waits for the namespace to end and returns the signal that ended its
// process no. 1: SIGINT for a power-off or halt, SIGHUP for a reboot (the
// kernel's reboot(2) in a PID namespace; unshare passes it on by killing
// itself with it).
func (n *ns) end(t *testing.T, d time.Duration) syscall.Signal {
	t.Helper()
	n.proc.Wait(t, d)
	ws, ok := n.proc.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		t.Fatalf("namespace ended with %v, want a reboot(2) signal\nconsole:\n%s\nstderr:\n%s",
			n.proc.Cmd.ProcessState, n.console, n.proc.Stderr)
	}
	// The console FIFO may still hold the last lines: they are read once
	// the mark written after them is.
	if _, err := n.con.Write([]byte(consoleEnd)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() string {
		if !strings.Contains(n.console.String(), consoleEnd) {
			return "console FIFO not read to its end"
		}
		return ""
	})
	return ws.Signal()
}

// inits returns the inits every scenario runs under: ours (runit-init,
// which becomes runit as pid 1) and Debian's /sbin/runit.
func inits(t *testing.T) map[string]string {
	return map[string]string{
		"ours":   testenv.Tool(t, "runit-init"),
		"debian": testenv.DebianRunit(t, "runit"),
	}
}

func checkLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("console:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// zombies returns the zombie processes of the namespace of host pid pid1,
// scanning the host's /proc and keeping the processes whose PID namespace
// is that one.
func zombies(pid1 int) ([]int, error) {
	want, err := os.Readlink("/proc/" + strconv.Itoa(pid1) + "/ns/pid")
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var z []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || l != want {
			continue
		}
		f, err := os.Open("/proc/" + e.Name() + "/status")
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			if state, ok := strings.CutPrefix(s.Text(), "State:"); ok {
				if strings.HasPrefix(strings.TrimSpace(state), "Z") {
					z = append(z, pid)
				}
				break
			}
		}
		f.Close()
	}
	return z, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func itoaAll(is []int) string {
	s := make([]string, len(is))
	for k, i := range is {
		s[k] = strconv.Itoa(i)
	}
	return strings.Join(s, " ")
}
