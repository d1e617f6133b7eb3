package runsvdir_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/runsvdir"
	"sysconf/runit/supervise"
)

// startRunsvdir starts our runsvdir in a process group of its own; the
// cleanup kills that group (the host and the services are in it unless -P),
// and any host found for it, by their ids.
//
// Its stdout and stderr are a file, not a pipe: the host and the services
// inherit them and outlive runsvdir, and os/exec's Wait would wait for them.
func startRunsvdir(t testing.TB, args ...string) *rsd {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(testenv.Tool(t, "runsvdir"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = f, f
	p := testenv.Start(t, cmd)
	pgid := p.PID()
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	return &rsd{Proc: p, errPath: f.Name()}
}

// rsd is a running runsvdir and the file holding its output.
type rsd struct {
	*testenv.Proc
	errPath string
}

// Output returns what runsvdir, the host and the services wrote so far.
func (r *rsd) Output() string {
	b, _ := os.ReadFile(r.errPath)
	return string(b)
}

// killHostAtCleanup registers the host (and its group) for SIGKILL at the end.
func killHostAtCleanup(t testing.TB, pid int) {
	t.Cleanup(func() {
		if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
			syscall.Kill(-pid, syscall.SIGKILL)
		}
		syscall.Kill(pid, syscall.SIGKILL)
	})
}

// hosts lists the pids of runsvdir-host processes supervising dir.
func hosts(dir string) []int {
	abs, _ := filepath.Abs(dir)
	want := "runsvdir-host\x00" + abs + "\x00"
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && string(b) == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitHosting waits until runsvdir serves the supervisor socket of dir: it
// watches dir before, so from then on a new entry is noticed at once.
func waitHosting(t testing.TB, dir string) {
	t.Helper()
	abs, _ := filepath.Abs(dir)
	name := runsvdir.SocketName(abs)
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile("/proc/net/unix")
		if !bytes.Contains(b, []byte(" "+name+"\n")) {
			return "no socket " + name
		}
		return ""
	})
}

// waitHost waits for exactly one host of dir and returns its pid.
func waitHost(t testing.TB, dir string) int {
	t.Helper()
	var pid int
	testenv.Eventually(t, 10*time.Second, func() string {
		h := hosts(dir)
		if len(h) != 1 {
			return "hosts: " + strconv.Itoa(len(h))
		}
		pid = h[0]
		return ""
	})
	killHostAtCleanup(t, pid)
	return pid
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !bytes.Contains(b, []byte(") Z "))
}

// service makes DIR/name with a run script that records each start.
func service(t testing.TB, dir, name string) string {
	t.Helper()
	sd := filepath.Join(dir, name)
	testenv.WriteScript(t, filepath.Join(sd, "run"), "echo $$ >>starts\nexec sleep 3600\n")
	return sd
}

// runPID waits until sd's supervisor reports run and returns the pid.
func runPID(t testing.TB, sd string, d time.Duration) int {
	t.Helper()
	var pid int
	testenv.Eventually(t, d, func() string {
		st, err := supervise.ReadStatus(sd)
		if err != nil {
			return sd + ": " + err.Error()
		}
		if st.PID == 0 || st.State != supervise.StateRun {
			return sd + ": not running"
		}
		pid = int(st.PID)
		return ""
	})
	return pid
}

func starts(t testing.TB, sd string) int {
	b, _ := os.ReadFile(filepath.Join(sd, "starts"))
	return strings.Count(string(b), "\n")
}

func svCmd(t testing.TB, sv string, args ...string) string {
	t.Helper()
	out, errout, _ := testenv.Run(t, 30*time.Second, exec.Command(sv, args...))
	return out + errout
}
