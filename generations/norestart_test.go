package generations

import (
	"context"
	"encoding/json"
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

// loggedSvc is e2eSvc with a log service: ./run prints "tick <version>"
// lines, log/run appends them to ROOT/tmp/<name>.log.
func loggedSvc(root, name, version string) Service {
	s := e2eSvc(root, name, version)
	s.Tree[0].Content = []byte("#!/bin/sh\necho start " + version + " >>" + filepath.Join(root, "tmp", name+".events") +
		"\nexec sh -c 'while :; do echo tick " + version + "; sleep 0.1; done'\n")
	s.Tree = append(s.Tree,
		Entry{Path: "log", Mode: fs0555},
		Entry{Path: "log/run", Mode: 0o755, Content: []byte("#!/bin/sh\nexec cat >>" + filepath.Join(root, "tmp", name+".log") + "\n")})
	return s
}

const fs0555 = os.ModeDir | 0o555

// noRestartRoot is a fresh root with ROOT/tmp for the services' event
// files, and the options its applies use.
func noRestartRoot(t *testing.T) (string, Options) {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, Options{Timeout: 20 * time.Second}
}

func debts(t *testing.T, root string) map[string]string {
	t.Helper()
	st, err := openT(t, root).Status()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range st.Services {
		if s.Debt != "" {
			out[s.Name] = s.Debt
		}
	}
	return out
}

// TestNoRestart: apply with NoRestart leaves the processes of changed
// services running (handed to the new definition's supervisor), still
// starts new and stops removed ones; status shows the restart debt; a
// plain apply that does not change those services again leaves the debt;
// sv restart, or the process's exit, runs the new definition once.
func TestNoRestart(t *testing.T) {
	root, opts := noRestartRoot(t)
	ctx := context.Background()
	m1 := testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "1"), e2eSvc(root, "c", "1"), loggedSvc(root, "l", "1"))
	if _, err := openT(t, root).Apply(ctx, m1, opts); err != nil {
		t.Fatal(err)
	}
	startSupervisor(t, root)
	g1, _ := openT(t, root).Load(1)
	pids1 := waitRunning(t, root, g1, "a", "b", "c", "l")
	logPID1 := pidOf(filepath.Join(root, g1.StorePaths["l"], "log"))

	// Generation 2: a unchanged, b and l changed, c removed, d new.
	m2 := testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "2"), e2eSvc(root, "d", "1"), loggedSvc(root, "l", "2"))
	o := opts
	o.NoRestart = true
	res, err := openT(t, root).Apply(ctx, m2, o)
	if err != nil {
		t.Fatalf("apply --no-restart: %v", err)
	}
	if strings.Join(res.Deferred, ",") != "b,l" || len(res.Restarted) != 0 || strings.Join(res.Started, ",") != "d" || strings.Join(res.Stopped, ",") != "c" {
		t.Fatalf("apply --no-restart: %+v", res)
	}
	g2, _ := openT(t, root).Load(2)
	pids2 := waitRunning(t, root, g2, "a", "b", "d", "l")
	for _, n := range []string{"a", "b", "l"} {
		if pids2[n] != pids1[n] {
			t.Errorf("%s restarted: pid %d -> %d", n, pids1[n], pids2[n])
		}
	}
	if p := pidOf(filepath.Join(root, g2.StorePaths["l"], "log")); p != logPID1 {
		t.Errorf("l's logger restarted: pid %d -> %d", logPID1, p)
	}
	testenv.Eventually(t, 20*time.Second, func() string {
		if !gone(pids1["c"]) {
			return "removed c still runs"
		}
		return ""
	})
	// The marks are gone once the switch is done.
	for _, n := range []string{"b", "l"} {
		if _, err := os.Lstat(filepath.Join(root, SandboxLayout.SuperviseDir(n), "handover")); err == nil {
			t.Errorf("supervise.%s/handover left behind", n)
		}
	}
	// A supervisor took them over: sv answers, and a second copy never ran.
	time.Sleep(1500 * time.Millisecond)
	if got := events(t, root, "b"); got != "start 1" {
		t.Errorf("b's instances: %s, want start 1 only", got)
	}
	if got := events(t, root, "l"); got != "start 1" {
		t.Errorf("l's instances: %s, want start 1 only", got)
	}
	svBin := testenv.Tool(t, "sv")
	out, _, code := testenv.Run(t, 10*time.Second, exec.Command(svBin, "status", filepath.Join(root, g2.StorePaths["b"])))
	if code != 0 || !strings.Contains(out, "run: ") {
		t.Errorf("sv status b: %d %q", code, out)
	}
	want := map[string]string{"b": g1.StorePaths["b"], "l": g1.StorePaths["l"]}
	if got := debts(t, root); len(got) != 2 || got["b"] != want["b"] || got["l"] != want["l"] {
		t.Errorf("debts %v, want %v", got, want)
	}
	st, _ := openT(t, root).Status()
	if b, _ := json.Marshal(st); !strings.Contains(string(b), `"debt":"`+want["b"]+`"`) {
		t.Errorf("status JSON without b's debt: %s", b)
	}

	// The same description again: nothing to do, the debt stays.
	if res, err := openT(t, root).Apply(ctx, m2, opts); err != nil || res.Created {
		t.Fatalf("apply of the same description: %+v %v", res, err)
	}
	// A change to a alone restarts a; b and l are unchanged since g2.
	m3 := testManifest(e2eSvc(root, "a", "3"), e2eSvc(root, "b", "2"), e2eSvc(root, "d", "1"), loggedSvc(root, "l", "2"))
	if res, err = openT(t, root).Apply(ctx, m3, opts); err != nil || strings.Join(res.Restarted, ",") != "a" {
		t.Fatalf("apply 3: %+v %v", res, err)
	}
	g3, _ := openT(t, root).Load(3)
	pids3 := waitRunning(t, root, g3, "a", "b", "l")
	if pids3["b"] != pids1["b"] || pids3["l"] != pids1["l"] || pids3["a"] == pids1["a"] {
		t.Errorf("apply 3: pids %v -> %v", pids1, pids3)
	}
	if got := debts(t, root); len(got) != 2 {
		t.Errorf("debts after apply 3: %v, want b and l", got)
	}

	// sv restart runs b's new definition, once, after the old one stopped
	// (the finish that runs is the current definition's).
	if _, _, code := testenv.Run(t, 20*time.Second, exec.Command(svBin, "restart", filepath.Join(root, g3.StorePaths["b"]))); code != 0 {
		t.Fatalf("sv restart b: exit %d", code)
	}
	testenv.Eventually(t, 20*time.Second, func() string {
		if got := events(t, root, "b"); got != "start 1,stop 2,start 2" {
			return "b's instances: " + got
		}
		return ""
	})
	if !gone(pids1["b"]) {
		t.Errorf("b's old process %d still runs", pids1["b"])
	}
	// A crash of l's old process: the new definition runs, and writes to
	// the logger that went on running.
	syscall.Kill(pids1["l"], syscall.SIGKILL)
	testenv.Eventually(t, 20*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(root, "tmp", "l.log"))
		if !strings.Contains(string(b), "tick 2") {
			return "l's logger got no line from the new definition"
		}
		if len(debts(t, root)) != 0 {
			return "debt left"
		}
		return ""
	})
	if got := events(t, root, "l"); got != "start 1,stop 2,start 2" {
		t.Errorf("l's instances: %s", got)
	}
	if p := pidOf(filepath.Join(root, g3.StorePaths["l"], "log")); p != logPID1 {
		t.Errorf("l's logger restarted: pid %d -> %d", logPID1, p)
	}
}

// TestNoRestartUnderDebianRunsv: Debian's runsv knows no handover mark and
// stops a changed service when runsvdir drops its old directory. apply
// --no-restart then reports the service as restarted, not deferred, and
// waits for its new definition like any restart; no debt is left.
func TestNoRestartUnderDebianRunsv(t *testing.T) {
	root, opts := noRestartRoot(t)
	ctx := context.Background()
	if _, err := openT(t, root).Apply(ctx, testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "1")), opts); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testenv.DebianRunit(t, "runsvdir"), "-P", filepath.Join(root, "service"))
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := testenv.Start(t, cmd)
	t.Cleanup(func() { stopSupervision(p, root) })
	g1, _ := openT(t, root).Load(1)
	pids1 := waitRunning(t, root, g1, "a", "b")

	o := opts
	o.NoRestart = true
	res, err := openT(t, root).Apply(ctx, testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "2")), o)
	if err != nil {
		t.Fatalf("apply --no-restart: %v", err)
	}
	if len(res.Deferred) != 0 || strings.Join(res.Restarted, ",") != "b" || res.Kept != 1 {
		t.Fatalf("apply --no-restart under Debian's runsv: %+v", res)
	}
	g2, _ := openT(t, root).Load(2)
	// apply waited for b's new definition: it runs already.
	st, err := statusOf(root, g2, "b")
	if err != nil || st.State != supervise.StateRun || st.PID == pids1["b"] || st.PID == 0 {
		t.Errorf("b after apply: %+v %v (old pid %d)", st, err, pids1["b"])
	}
	if got := events(t, root, "b"); got != "start 1,stop 1,start 2" {
		t.Errorf("b's instances: %s", got)
	}
	if d := debts(t, root); len(d) != 0 {
		t.Errorf("debts %v, want none", d)
	}
}
