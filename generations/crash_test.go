package generations

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// childEnv makes TestHelperApply run Apply in a child process; crashEnv
// names the step after which that child kills itself.
const (
	childEnv = "SYSCONF_TEST_CHILD_APPLY"
	crashEnv = "SYSCONF_TEST_CRASH_AFTER"
)

// TestHelperApply is not a test: crash tests run the test binary again with
// childEnv set to a JSON {root, manifest} and crashEnv to a step k, and it
// applies that manifest with an AfterStep hook that SIGKILLs the process
// after step k, with no chance to clean up.
func TestHelperApply(t *testing.T) {
	arg := os.Getenv(childEnv)
	if arg == "" {
		t.Skip("helper process for TestCrashEveryStep")
	}
	var in struct {
		Root     string
		Manifest Manifest
		Layout   Layout // SandboxLayout when empty
		Rollback bool   // roll back to the machine as found instead
	}
	if err := json.Unmarshal([]byte(arg), &in); err != nil {
		t.Fatal(err)
	}
	crashAt, _ := strconv.Atoi(os.Getenv(crashEnv))
	kill := func(step int) {
		if step == crashAt {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never returns: the signal is on its way
		}
	}
	g := openT(t, in.Root)
	if in.Layout.Name != "" {
		var err error
		if g, err = OpenLayout(in.Root, in.Layout); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if in.Rollback {
		_, err = g.Rollback(context.Background(), FoundGeneration, Options{AfterStep: kill})
	} else {
		_, err = g.Apply(context.Background(), in.Manifest, Options{AfterStep: kill})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func crashManifests() (Manifest, Manifest) {
	m1 := testManifest(svc("web", "a"), svc("db", "b"))
	m1.Files = []ManagedFile{
		{Path: "/etc/conf.d/web", Mode: 0o644, Content: []byte("one\n")},
		{Path: "/etc/motd", Mode: 0o644, Content: []byte("hi\n")},
	}
	m1.Boot = []Entry{{Path: "etc/runit/2", Mode: 0o755, Content: []byte("#!/bin/sh\n# one\n")}}
	m2 := testManifest(svc("web", "a2"), svc("cache", "c"))
	m2.Runlevels = append(m2.Runlevels, Runlevel{Name: "single", Services: []string{"web"}})
	m2.Files = []ManagedFile{
		{Path: "/etc/conf.d/web", Mode: 0o644, Content: []byte("two\n")},
		{Path: "/etc/issue", Mode: 0o644, Content: []byte("new\n")},
	}
	m2.Boot = []Entry{{Path: "etc/runit/2", Mode: 0o755, Content: []byte("#!/bin/sh\n# two\n")}}
	return m1, m2
}

// checkWhole asserts that root runs generation rec completely: its services
// in service/ and etc/sv, its runlevel links, its managed files, nothing of
// another generation's; and that the stage scripts are wholly the boot
// default's (rec's, once it has become the boot default).
func checkWhole(t *testing.T, root string, rec *Record, others ...*Record) {
	t.Helper()
	bootRec := rec
	if text, err := os.Readlink(filepath.Join(root, SandboxLayout.BootLink())); err == nil {
		n, _ := strconv.Atoi(filepath.Base(text))
		if bootRec, err = openT(t, root).Load(n); err != nil {
			t.Fatalf("boot -> %s: %v", text, err)
		}
	}
	bootFiles, _ := bootRec.Manifest.fileSet(SandboxLayout)
	for level, names := range rec.Runlevels {
		for _, n := range names {
			got, err := filepath.EvalSymlinks(filepath.Join(root, SandboxLayout.Runlevels, level, n))
			want := filepath.Join(root, rec.StorePaths[n])
			if err != nil || got != want {
				t.Errorf("generation %d: runlevel %s service %s -> %s (%v), want %s", rec.Number, level, n, got, err, want)
			}
		}
	}
	for n, p := range rec.StorePaths {
		got, err := filepath.EvalSymlinks(filepath.Join(root, "etc/sv", n))
		if err != nil || got != filepath.Join(root, p) {
			t.Errorf("generation %d: etc/sv/%s -> %s (%v)", rec.Number, n, got, err)
		}
	}
	files, _ := rec.Manifest.fileSet(SandboxLayout)
	for rel, f := range bootFiles {
		if f.boot {
			files[rel] = f
		}
	}
	for rel, f := range files {
		if f.boot && bootFiles[rel].content == nil {
			delete(files, rel)
		}
	}
	for rel, f := range files {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil || string(b) != string(f.content) {
			t.Errorf("generation %d (boot %d): /%s = %q (%v), want %q", rec.Number, bootRec.Number, rel, b, err, f.content)
		}
	}
	for _, o := range others {
		ofiles, _ := o.Manifest.fileSet(SandboxLayout)
		for rel := range ofiles {
			if _, ok := files[rel]; !ok {
				if _, err := os.Lstat(filepath.Join(root, rel)); err == nil {
					t.Errorf("generation %d: /%s of generation %d is still there", rec.Number, rel, o.Number)
				}
			}
		}
	}
	names, _ := os.ReadDir(filepath.Join(root, "service"))
	if len(names) != len(rec.Runlevels["default"]) {
		t.Errorf("generation %d: service/ holds %d entries, want %d", rec.Number, len(names), len(rec.Runlevels["default"]))
	}
}

// TestCrashEveryStep kills apply with SIGKILL after each of its steps in
// turn; afterwards the root holds the old or the new generation whole (once
// the next command has finished the interrupted activation), and the next
// apply succeeds.
func TestCrashEveryStep(t *testing.T) {
	m1, m2 := crashManifests()
	for k := 1; ; k++ {
		root := t.TempDir()
		applyT(t, root, m1, Options{})
		arg, _ := json.Marshal(map[string]any{"Root": root, "Manifest": m2})
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperApply$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(arg), crashEnv+"="+itoa(k))
		_, stderr, code := testenv.Run(t, 60*time.Second, cmd)
		ps := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ps.Signaled() {
			if code != 0 {
				t.Fatalf("k=%d: child failed: %s", k, stderr)
			}
			if k < 5 {
				t.Fatalf("apply finished after only %d steps: the hook is not reached", k)
			}
			t.Logf("apply has %d steps; killed after each of the first %d", k-1, k-1)
			return
		}
		cur, _, err := openT(t, root).Current()
		if err != nil || cur == nil {
			t.Fatalf("k=%d: no current generation after the crash: %v", k, err)
		}
		if cur.Hash != m1.Hash() && cur.Hash != m2.Hash() {
			t.Fatalf("k=%d: current generation %d is neither old nor new", k, cur.Number)
		}
		for _, p := range cur.StorePaths {
			if _, err := os.Stat(filepath.Join(root, p, "run")); err != nil {
				t.Fatalf("k=%d: store entry %s incomplete: %v", k, p, err)
			}
		}
		// The next command that switches finishes (or undoes) the
		// activation: the generation current names is then whole.
		if err := openT(t, root).locked(finishFirst, func(state) error { return nil }); err != nil {
			t.Fatalf("k=%d: recovery after crash: %v", k, err)
		}
		cur, _, _ = openT(t, root).Current()
		// The boot default moves only once the switch has succeeded: a
		// generation that never ran whole is never the boot default.
		if b, _ := os.Readlink(filepath.Join(root, SandboxLayout.BootLink())); b != "generations/1" && (b != "generations/2" || cur.Number != 2) {
			t.Errorf("k=%d: boot -> %s while generation %d is current", k, b, cur.Number)
		}
		old, _ := openT(t, root).Load(1)
		var others []*Record
		if cur.Number != 1 {
			others = append(others, old)
		}
		checkWhole(t, root, cur, others...)
		// And the next apply succeeds with the new generation whole.
		res := applyT(t, root, m2, Options{})
		rec, _ := openT(t, root).Load(res.Generation)
		if rec.Hash != m2.Hash() {
			t.Fatalf("k=%d: apply after crash gave hash %s", k, rec.Hash)
		}
		checkWhole(t, root, rec, old)
		if b, _ := os.Readlink(filepath.Join(root, SandboxLayout.BootLink())); b != "generations/"+itoa(rec.Number) {
			t.Errorf("k=%d: boot -> %s", k, b)
		}
		if t.Failed() {
			t.Fatalf("k=%d failed", k)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestReproducibleStorePaths: the same description in two roots gives the
// same store paths and generation hash.
func TestReproducibleStorePaths(t *testing.T) {
	_, m := crashManifests()
	var recs []*Record
	for i := 0; i < 2; i++ {
		root := t.TempDir()
		res := applyT(t, root, m, Options{Now: time.Unix(int64(1e9+i*1000), 0)})
		rec, err := openT(t, root).Load(res.Generation)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if !reflect.DeepEqual(recs[0].StorePaths, recs[1].StorePaths) || recs[0].Hash != recs[1].Hash {
		t.Errorf("roots differ: %v %s vs %v %s", recs[0].StorePaths, recs[0].Hash, recs[1].StorePaths, recs[1].Hash)
	}
}

// TestGCLeavesInterruptedActivation: gc after a crash in the middle of a
// switch neither finishes nor undoes it (cleaning up must not switch the
// machine), and removes nothing the journal names; the next apply then
// finishes it.
func TestGCLeavesInterruptedActivation(t *testing.T) {
	m1, m2 := crashManifests()
	for _, k := range []int{3, 5, 6} {
		root := t.TempDir()
		applyT(t, root, m1, Options{})
		arg, _ := json.Marshal(map[string]any{"Root": root, "Manifest": m2})
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperApply$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(arg), crashEnv+"="+itoa(k))
		testenv.Run(t, 60*time.Second, cmd)
		if ps := cmd.ProcessState.Sys().(syscall.WaitStatus); !ps.Signaled() {
			t.Fatalf("k=%d: apply was not killed", k)
		}
		journal := filepath.Join(root, SandboxLayout.Journal())
		if _, err := os.Stat(journal); err != nil {
			t.Fatalf("k=%d: no journal after the crash: %v", k, err)
		}
		links := func() string {
			var out []string
			ents, _ := os.ReadDir(filepath.Join(root, SandboxLayout.Runlevels))
			for _, e := range ents {
				l, _ := os.Readlink(filepath.Join(root, SandboxLayout.Runlevels, e.Name()))
				out = append(out, e.Name()+" -> "+l)
			}
			sv, _ := os.Readlink(filepath.Join(root, SandboxLayout.Definitions))
			return strings.Join(append(out, "sv -> "+sv), "\n")
		}
		before := links()
		res, err := openT(t, root).GC(GCOptions{Keep: 1})
		if err != nil {
			t.Fatalf("k=%d: gc: %v", k, err)
		}
		if len(res.Generations) != 0 {
			t.Errorf("k=%d: gc removed generations %v that the interrupted switch names", k, res.Generations)
		}
		if after := links(); after != before {
			t.Errorf("k=%d: gc switched the machine:\n%s\nbecame\n%s", k, before, after)
		}
		if _, err := os.Stat(journal); err != nil {
			t.Errorf("k=%d: gc dropped the journal: %v", k, err)
		}
		res2 := applyT(t, root, m2, Options{})
		rec, _ := openT(t, root).Load(res2.Generation)
		old, _ := openT(t, root).Load(1)
		checkWhole(t, root, rec, old)
		if _, err := os.Stat(journal); err == nil {
			t.Errorf("k=%d: the journal is still there after apply", k)
		}
	}
}
