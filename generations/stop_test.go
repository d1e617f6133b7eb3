package generations

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// stubbornSvc is a service that ignores its stop signal, as does the child
// it leaves in the background, with a stop timeout of timeoutMs: only the
// supervisor's SIGKILL of its process group ends them. Its run script
// records each instance's pid in ROOT/tmp/<name>.pids once the trap is set.
func stubbornSvc(root, name, version, timeoutMs string) Service {
	pids := filepath.Join(root, "tmp", name+".pids")
	return Service{Name: name, Tree: []Entry{
		{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\n# " + version + "\ntrap '' TERM\nsleep 1000 &\necho $$ $! >>" + pids + "\nexec sleep 1000\n")},
		{Path: supervise.TimeoutKillFile, Mode: 0o644, Content: []byte(timeoutMs + "\n")},
	}}
}

// TestFailingApplyStopsBounded: a failing apply that has to stop a service
// ignoring SIGTERM (and its TERM-ignoring child) is bounded by its stop
// timeout: the old instance is killed after stop_timeout, the new one
// fails next to a broken service, the rollback kills the new instance the
// same way, and the boot default never moves. Apply says what it waits
// for while it waits.
func TestFailingApplyStopsBounded(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m1 := testManifest(stubbornSvc(root, "stubborn", "1", "1500"), e2eSvc(root, "calm", "1"))
	applyT(t, root, m1, Options{})
	startSupervisor(t, root)
	g1, _ := openT(t, root).Load(1)
	before := waitRunning(t, root, g1, "stubborn", "calm")
	firstPids := readPids(t, root, "stubborn", 2)

	bad := testManifest(stubbornSvc(root, "stubborn", "2", "1500"), e2eSvc(root, "calm", "1"), Service{Name: "broken", Tree: []Entry{
		{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\nexit 1\n")},
	}})
	var waits []string
	w := watchBoot(root)
	start := time.Now()
	res, err := openT(t, root).Apply(ctx, bad, Options{Timeout: 2 * time.Second, Events: func(e Event) {
		if e.Kind == "wait" {
			waits = append(waits, e.Service+" "+e.Message)
		}
	}})
	took := time.Since(start)
	seen := w.end()
	t.Logf("the failing apply took %s", took.Truncate(time.Millisecond))
	var he *HealthError
	if !errors.As(err, &he) || !res.RolledBack {
		t.Fatalf("apply: %+v %v, want a health failure and a rollback", res, err)
	}
	// Each of the two stops takes its stop timeout (1.5 s) and the health
	// check its timeout (2 s); the bound adds stopGrace to each stop.
	if bound := 2*time.Second + 2*(1500*time.Millisecond+stopGrace); took > bound {
		t.Errorf("the failing apply took %s, more than its bound %s", took, bound)
	}
	if want := "boot -> generations/1"; !strings.Contains(strings.Join(seen, "|"), want) || len(seen) != 2 {
		t.Errorf("during the failing apply the boot default went through %q", seen)
	}
	if len(waits) == 0 || !strings.HasPrefix(waits[0], "stubborn old instance to stop: ") {
		t.Errorf("apply did not say what it waited for: %q", waits)
	}
	waitGonePids(t, "of the first instance (or its child)", firstPids)
	// Back on generation 1: calm never stopped, stubborn runs its old
	// definition again (a third instance), and the second is gone too.
	after := waitRunning(t, root, g1, "stubborn", "calm")
	if after["calm"] != before["calm"] {
		t.Errorf("calm restarted: pid %d -> %d", before["calm"], after["calm"])
	}
	all := readPids(t, root, "stubborn", 6)
	waitGonePids(t, "of the instance the rollback stopped", all[2:4])
	if all[4] != after["stubborn"] {
		t.Errorf("stubborn runs pid %d, want the third instance %d", after["stubborn"], all[4])
	}
}

// waitGonePids waits until every pid is gone (reaped, not a zombie): a
// killed orphan is reaped by whoever adopts it, a moment later.
func waitGonePids(t *testing.T, what string, pids []int) {
	t.Helper()
	testenv.Eventually(t, 5*time.Second, func() string {
		for _, pid := range pids {
			if !gone(pid) {
				return fmt.Sprintf("pid %d %s survived the stop timeout", pid, what)
			}
		}
		return ""
	})
}

// readPids waits until ROOT/tmp/<name>.pids lists at least n pids and
// returns them, oldest first.
func readPids(t *testing.T, root, name string, n int) []int {
	t.Helper()
	var out []int
	testenv.Eventually(t, 10*time.Second, func() string {
		b, _ := os.ReadFile(filepath.Join(root, "tmp", name+".pids"))
		out = out[:0]
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return err.Error()
			}
			out = append(out, pid)
		}
		if len(out) < n {
			return fmt.Sprintf("%s.pids lists %v, want %d pids", name, out, n)
		}
		return ""
	})
	return out
}
