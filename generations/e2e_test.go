package generations

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// supervisor returns the runsvdir to test with and the PATH where its runsv
// is found: ours (testenv.Tool) unless SYSCONF_TEST_RUNSVDIR=debian.
func supervisor(t testing.TB) (string, string) {
	if os.Getenv("SYSCONF_TEST_RUNSVDIR") != "debian" {
		ours := testenv.Tool(t, "runsvdir")
		t.Logf("supervising with our runsvdir")
		return ours, filepath.Dir(ours) + ":/bin:/usr/bin"
	}
	return testenv.DebianRunit(t, "runsvdir"), "/usr/bin:/bin"
}

// startSupervisor runs runsvdir -P ROOT/service; its process group (every
// runsv and service) is killed when the test ends.
func startSupervisor(t *testing.T, root string) *testenv.Proc {
	bin, path := supervisor(t)
	cmd := exec.Command(bin, "-P", filepath.Join(root, "service"))
	cmd.Env = []string{"PATH=" + path}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := testenv.Start(t, cmd)
	t.Cleanup(func() { stopSupervision(p, root) })
	return p
}

// e2eSvc is a service whose run script records "start <version>" and whose
// finish script records "stop <version>" in ROOT/tmp/<name>.events, so that
// the order of instances is visible.
func e2eSvc(root, name, version string) Service {
	ev := filepath.Join(root, "tmp", name+".events")
	return Service{Name: name, Tree: []Entry{
		{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\necho start " + version + " >>" + ev + "\nexec sleep 1000\n")},
		{Path: "finish", Mode: 0o755, Content: []byte("#!/bin/sh\necho stop " + version + " >>" + ev + "\n")},
	}}
}

func events(t *testing.T, root, name string) string {
	b, _ := os.ReadFile(filepath.Join(root, "tmp", name+".events"))
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", ",")
}

func statusOf(root string, rec *Record, name string) (supervise.Status, error) {
	return supervise.ReadStatus(filepath.Join(root, rec.StorePaths[name]))
}

// waitRunning waits until each service of rec is running and returns pids.
func waitRunning(t *testing.T, root string, rec *Record, names ...string) map[string]int {
	t.Helper()
	pids := map[string]int{}
	testenv.Eventually(t, 20*time.Second, func() string {
		for _, n := range names {
			st, err := statusOf(root, rec, n)
			if err != nil || st.State != supervise.StateRun || st.PID == 0 {
				return fmt.Sprintf("%s not running: %v %+v", n, err, st)
			}
			pids[n] = st.PID
		}
		return ""
	})
	return pids
}

// stopSupervision ends what startSupervisor started: SIGHUP makes runsvdir
// tell every supervisor to exit (services stop); then, by pid, runsvdir,
// our supervisor host for root (it lives in a session of its own and would
// restart what is killed under it), and every process working in the root.
func stopSupervision(p *testenv.Proc, root string) {
	_ = p.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for !p.Exited() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	p.Kill()
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		argv := strings.Split(string(b), "\x00")
		if len(argv) > 1 && filepath.Base(argv[0]) == "runsvdir-host" && strings.HasPrefix(argv[1], root+"/") {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	killUnder(root)
}

// killUnder SIGKILLs, by pid, every process whose working directory lies
// under root: the runsv supervisors and their services.
func killUnder(root string) {
	for round := 0; round < 3; round++ {
		procs, _ := os.ReadDir("/proc")
		for _, e := range procs {
			var pid int
			if _, err := fmt.Sscan(e.Name(), &pid); err != nil || pid == os.Getpid() {
				continue
			}
			if cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd"); err == nil && strings.HasPrefix(cwd, root+"/") {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func gone(pid int) bool { return syscall.Kill(pid, 0) != nil }

// TestEndToEnd runs real services under runsvdir in a temporary root and
// proves the invariants: an unchanged service keeps its pid, a changed one
// restarts exactly once with the old instance down first, a removed one
// stops, a new one starts, rollback restores the previous generation, the
// health check rolls back a service that never comes up, and a runlevel
// switch follows the levels.
func TestEndToEnd(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m1 := testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "1"), e2eSvc(root, "c", "1"))
	m1.Runlevels = append(m1.Runlevels, Runlevel{Name: "single", Services: []string{"a"}})
	res, err := openT(t, root).Apply(ctx, m1, Options{Timeout: 20 * time.Second})
	if err != nil || !res.Unsupervised {
		t.Fatalf("first apply without a supervisor: %+v %v", res, err)
	}
	startSupervisor(t, root)
	g1, _ := openT(t, root).Load(1)
	pids1 := waitRunning(t, root, g1, "a", "b", "c")

	// Generation 2: a unchanged, b changed, c removed, d new.
	m2 := testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "2"), e2eSvc(root, "d", "1"))
	res, err = openT(t, root).Apply(ctx, m2, Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("apply 2: %v", err)
	}
	if res.Unsupervised || strings.Join(res.Restarted, ",") != "b" || strings.Join(res.Started, ",") != "d" || strings.Join(res.Stopped, ",") != "c" {
		t.Fatalf("apply 2: %+v", res)
	}
	g2, _ := openT(t, root).Load(2)
	pids2 := waitRunning(t, root, g2, "a", "b", "d")
	if pids2["a"] != pids1["a"] {
		t.Errorf("unchanged a restarted: pid %d -> %d", pids1["a"], pids2["a"])
	}
	if pids2["b"] == pids1["b"] || !gone(pids1["b"]) {
		t.Errorf("changed b not restarted: pid %d -> %d", pids1["b"], pids2["b"])
	}
	// The old instance stopped (its finish ran) before the new one started.
	if got := events(t, root, "b"); got != "start 1,stop 1,start 2" {
		t.Errorf("b's instances: %s, want start 1,stop 1,start 2", got)
	}
	testenv.Eventually(t, 20*time.Second, func() string {
		if !gone(pids1["c"]) {
			return "removed c still runs"
		}
		return ""
	})
	if got := events(t, root, "a"); got != "start 1" {
		t.Errorf("a's instances: %s", got)
	}

	// Rollback: generation 1's services, same store paths, exactly.
	res, err = openT(t, root).Rollback(ctx, 0, Options{Timeout: 20 * time.Second})
	if err != nil || res.Generation != 1 {
		t.Fatalf("rollback: %+v %v", res, err)
	}
	checkWhole(t, root, g1, g2)
	pids3 := waitRunning(t, root, g1, "a", "b", "c")
	if pids3["a"] != pids1["a"] {
		t.Errorf("rollback restarted unchanged a")
	}
	testenv.Eventually(t, 20*time.Second, func() string {
		if !gone(pids2["d"]) {
			return "d still runs after rollback"
		}
		return ""
	})
	if got := events(t, root, "b"); got != "start 1,stop 1,start 2,stop 2,start 1" {
		t.Errorf("b's instances after rollback: %s", got)
	}

	// A generation whose b never comes up is rolled back by the health
	// check; a and c are untouched.
	bad := testManifest(e2eSvc(root, "a", "1"), Service{Name: "b", Tree: []Entry{
		{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\necho broken >&2\nexit 1\n")},
	}}, e2eSvc(root, "c", "1"))
	bad.Runlevels = m1.Runlevels
	res, err = openT(t, root).Apply(ctx, bad, Options{Timeout: 3 * time.Second})
	var he *HealthError
	if !errors.As(err, &he) || he.Service != "b" || !res.RolledBack {
		t.Fatalf("bad apply: %+v %v, want a HealthError for b and a rollback", res, err)
	}
	cur, _, _ := openT(t, root).Current()
	if cur.Number != 1 {
		t.Fatalf("after the failed health check generation %d is current", cur.Number)
	}
	pids4 := waitRunning(t, root, g1, "a", "b", "c")
	if pids4["a"] != pids1["a"] || pids4["c"] != pids3["c"] {
		t.Errorf("health-check rollback touched a or c: %v -> %v", pids3, pids4)
	}

	// Runlevel single holds only a: b and c stop, a keeps its pid.
	if _, err := openT(t, root).SwitchRunlevel(ctx, "single", Options{Timeout: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, func() string {
		if !gone(pids4["b"]) || !gone(pids4["c"]) {
			return "b or c still run in runlevel single"
		}
		return ""
	})
	if st, _ := statusOf(root, g1, "a"); st.PID != pids1["a"] {
		t.Errorf("runlevel switch restarted a")
	}
	st, err := openT(t, root).Status()
	if err != nil || st.Level != "single" || len(st.Services) != 1 || st.Services[0].PID != pids1["a"] || !st.Supervised {
		t.Errorf("status %+v %v", st, err)
	}
}
