package generations

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// bootWatch records every boot link text and stage script 2 content seen
// while it runs, polling as fast as it can: the boot default must not
// move to a failing generation even for a moment.
type bootWatch struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	seen map[string]bool
}

func watchBoot(root string) *bootWatch {
	w := &bootWatch{stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]bool{}}
	go func() {
		defer close(w.done)
		for {
			link, _ := os.Readlink(filepath.Join(root, SandboxLayout.BootLink()))
			script, _ := os.ReadFile(filepath.Join(root, "etc/runit/2"))
			w.mu.Lock()
			w.seen["boot -> "+link] = true
			w.seen["etc/runit/2: "+strings.TrimSpace(string(script))] = true
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	return w
}

// end stops the watcher and returns what it saw, sorted.
func (w *bootWatch) end() []string {
	close(w.stop)
	<-w.done
	var out []string
	for s := range w.seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TestBootFollowsHealth: under a supervisor, the boot default (the boot
// link and the stage scripts) moves to a new generation only once its
// services are up. A failing apply, rolled back or kept with NoRollback,
// leaves it where it was throughout.
func TestBootFollowsHealth(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	withStage := func(m Manifest, tag string) Manifest {
		m.Boot = []Entry{{Path: "etc/runit/2", Mode: 0o755, Content: []byte("#!/bin/sh\n# " + tag + "\n")}}
		return m
	}
	m1 := withStage(testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "1")), "one")
	applyT(t, root, m1, Options{}) // unsupervised: nothing to check, boot moves
	startSupervisor(t, root)
	g1, _ := openT(t, root).Load(1)
	waitRunning(t, root, g1, "a", "b")
	want := []string{"boot -> generations/1", "etc/runit/2: #!/bin/sh\n# one"}

	bad := withStage(testManifest(e2eSvc(root, "a", "1"), Service{Name: "b", Tree: []Entry{
		{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\nexit 1\n")},
	}}), "bad")
	w := watchBoot(root)
	res, err := openT(t, root).Apply(ctx, bad, Options{Timeout: 2 * time.Second})
	seen := w.end()
	var he *HealthError
	if !errors.As(err, &he) || !res.RolledBack {
		t.Fatalf("bad apply: %+v %v, want a rollback", res, err)
	}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("during a failing apply the boot default went through %q, want %q", seen, want)
	}

	w = watchBoot(root)
	res, err = openT(t, root).Apply(ctx, bad, Options{Timeout: 2 * time.Second, NoRollback: true})
	seen = w.end()
	if !errors.As(err, &he) || res.RolledBack {
		t.Fatalf("bad apply with NoRollback: %+v %v", res, err)
	}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("a failing apply kept with NoRollback moved the boot default: %q", seen)
	}

	// A good one: at the moment its services are up the boot default is
	// still the old generation, and it moves once Apply has seen them.
	m2 := withStage(testManifest(e2eSvc(root, "a", "1"), e2eSvc(root, "b", "2")), "two")
	var atUp []string
	res, err = openT(t, root).Apply(ctx, m2, Options{Timeout: 20 * time.Second, Events: func(e Event) {
		if e.Kind == "up" {
			link, _ := os.Readlink(filepath.Join(root, SandboxLayout.BootLink()))
			atUp = append(atUp, link)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(atUp, ",") != "generations/1" {
		t.Errorf("boot link when b was up: %q, want generations/1", atUp)
	}
	if link, _ := os.Readlink(filepath.Join(root, SandboxLayout.BootLink())); link != "generations/"+itoa(res.Generation) {
		t.Errorf("after a good apply boot -> %s, want generation %d", link, res.Generation)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/runit/2")); !strings.Contains(string(b), "# two") {
		t.Errorf("stage 2 after a good apply: %q", b)
	}
}

// TestRefusedApplyRecordsNothing: an activation that would be refused (a
// folder or a stage script sysconf does not manage in the way) is refused
// before a generation or a store entry is written.
func TestRefusedApplyRecordsNothing(t *testing.T) {
	recorded := func(root string) []string {
		var out []string
		for _, d := range []string{SandboxLayout.Generations(), SandboxLayout.Store()} {
			ents, _ := os.ReadDir(filepath.Join(root, d))
			for _, e := range ents {
				out = append(out, d+"/"+e.Name())
			}
		}
		return out
	}
	// runit's own /etc/sv, a plain folder.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/sv/getty"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := testManifest(svc("web", "a"))
	_, err := openT(t, root).Apply(context.Background(), m, Options{})
	if !errors.Is(err, ErrUnmanaged) || !strings.Contains(err.Error(), "/etc/sv") {
		t.Fatalf("err = %v, want ErrUnmanaged naming /etc/sv", err)
	}
	if got := recorded(root); len(got) != 0 {
		t.Errorf("a refused apply recorded %v", got)
	}

	// A stage script in the way refuses an apply that would make the
	// generation the boot default; --test does not touch it.
	root = t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc/runit"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/runit/1"), []byte("mine\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m.Boot = []Entry{{Path: "etc/runit/1", Mode: 0o755, Content: []byte("#!/bin/sh\n")}}
	_, err = openT(t, root).Apply(context.Background(), m, Options{})
	if !errors.Is(err, ErrUnmanaged) || !strings.Contains(err.Error(), "/etc/runit/1") {
		t.Fatalf("err = %v, want ErrUnmanaged naming /etc/runit/1", err)
	}
	if got := recorded(root); len(got) != 0 {
		t.Errorf("a refused apply recorded %v", got)
	}
	if _, err := os.Lstat(filepath.Join(root, "service")); !os.IsNotExist(err) {
		t.Errorf("a refused apply switched the services: %v", err)
	}
	applyT(t, root, m, Options{Test: true})
	if b, _ := os.ReadFile(filepath.Join(root, "etc/runit/1")); string(b) != "mine\n" {
		t.Errorf("apply --test replaced the stage script: %q", b)
	}
}
