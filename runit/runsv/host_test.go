package runsv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/reaper"
)

// The in-process tests run in a child test process: a Reaper's wait4(-1)
// loop would steal the exit statuses os/exec waits for in this one.
const hostEnv = "SYSCONF_RUNSV_HOST_TEST"

func runInChild(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), hostEnv+"="+t.TempDir())
	out, errOut, code := testenv.Run(t, 3*time.Minute, cmd)
	if code != 0 {
		t.Fatalf("%s in a child process: exit %d\n%s%s", name, code, out, errOut)
	}
	return out
}

// TestManySupervisors runs 200 Supervisors with one reaper in one process,
// as runsvdir's host does, among them broken and vanishing services, and
// checks that they coexist and all exit cleanly.
func TestManySupervisors(t *testing.T) {
	out := runInChild(t, "TestHostMany")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "host:") {
			t.Log(line)
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestHostMany(t *testing.T) {
	root := os.Getenv(hostEnv)
	if root == "" {
		t.Skip("runs in a child process of TestManySupervisors")
	}
	const n = 200
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("s%03d", i)
		mkrun(t, filepath.Join(root, names[i]), "exec sleep 1000")
	}
	// Broken neighbours: no run, a run that is not executable, a log
	// service, a directory that vanishes while running.
	os.Remove(filepath.Join(root, "s000", "run"))
	os.Chmod(filepath.Join(root, "s001", "run"), 0o644)
	testenv.WriteScript(t, filepath.Join(root, "s002", "log", "run"), "exec cat > out")
	mkrun(t, filepath.Join(root, "s002"), "echo hi; exec sleep 1000")
	vanish := filepath.Join(root, "s003")

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goBefore := runtime.NumGoroutine()
	fdsBefore := countFDs(t)

	r := reaper.New(nil)
	stderr := &lockedBuffer{}
	sups := make([]*Supervisor, n)
	results := make(chan int, n)
	for i, name := range names {
		s, err := Open(Config{Dir: filepath.Join(root, name), Name: name, Stderr: stderr, StderrFD: 2, Reaper: r, Env: []string{"PATH=/usr/bin:/bin"}})
		if err != nil {
			t.Fatalf("Open %s: %v", name, err)
		}
		sups[i] = s
		go func() { results <- s.Run() }()
	}
	for _, name := range names[2:] {
		waitRunning(t, filepath.Join(root, name)) // its pid is killed at cleanup
	}
	waitStat(t, filepath.Join(root, "s002", "log"), "run\n")

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)
	fmt.Printf("host: %d supervisors: %.1f kB heap+stack each, %.2f goroutines each, %.2f fds each\n",
		n, float64(heap)/n/1024, float64(runtime.NumGoroutine()-goBefore)/n, float64(countFDs(t)-fdsBefore)/n)
	if per := heap / n; per > 100<<10 {
		t.Errorf("%d bytes per supervisor, want well under 100 kB", per)
	}

	// Broken neighbours reported themselves and keep retrying.
	testenv.Eventually(t, 10*time.Second, func() string {
		e := stderr.String()
		for _, want := range []string{
			"runsv s000: fatal: unable to start ./run: file does not exist\n",
			"runsv s001: fatal: unable to start ./run: access denied\n",
		} {
			if strings.Count(e, want) < 2 {
				return "stderr lacks two of " + want + " in:\n" + e
			}
		}
		return ""
	})
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(root, "s002", "log", "out"))
		if string(b) != "hi\n" {
			return fmt.Sprintf("s002/log/out = %q", b)
		}
		return ""
	})

	// The vanishing directory only gives warnings; its supervisor still
	// obeys and exits.
	vpid := servicePID(t, vanish)
	if err := os.RemoveAll(vanish); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(vpid, syscall.SIGKILL)
	testenv.Eventually(t, 10*time.Second, func() string {
		if !strings.Contains(stderr.String(), "runsv s003: warning: unable to open supervise/pid.new: file does not exist\n") {
			return "no warning for the vanished directory:\n" + stderr.String()
		}
		return ""
	})

	for _, s := range sups {
		s.Exit()
		s.Exit() // idempotent
	}
	deadline := time.After(60 * time.Second)
	for range n {
		select {
		case code := <-results:
			if code != 0 {
				t.Errorf("Run returned %d", code)
			}
		case <-deadline:
			t.Fatalf("supervisors still running after Exit")
		}
	}
	for _, name := range names[4:] {
		if got := readString(t, filepath.Join(root, name, "supervise", "stat")); got != "down\n" {
			t.Errorf("%s: stat %q after exit", name, got)
		}
	}
	if fds := countFDs(t); fds > fdsBefore+2 {
		t.Errorf("%d fds open after every Run returned, %d before", fds, fdsBefore)
	}
	sups[0].Exit() // after Run: harmless
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
