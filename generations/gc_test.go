package generations

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// TestGCKeepsCurrentBootPrevious: gc removes old generations and their
// store entries, never the current one, the boot default or the previous
// one, nor a store entry they use.
func TestGCKeepsCurrentBootPrevious(t *testing.T) {
	root := t.TempDir()
	var recs []*Record
	for i, v := range []string{"1", "2", "3", "4", "5"} {
		o := Options{Now: time.Unix(int64(1e9+i*3600), 0)}
		if v == "5" {
			o.Test = true // 4 stays the boot default
		}
		res := applyT(t, root, testManifest(svc("web", v), svc("db", "same")), o)
		rec, _ := openT(t, root).Load(res.Generation)
		recs = append(recs, rec)
	}
	// current 5, previous 4, boot 4: with --keep 1 only 1..3 may go.
	res, err := openT(t, root).GC(GCOptions{Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Generations, []int{1, 2, 3}) || len(res.Store) != 3 {
		t.Errorf("gc removed %+v, want generations 1-3 and their 3 web entries", res)
	}
	for _, rec := range recs[3:] {
		for _, p := range rec.StorePaths {
			if _, err := os.Stat(filepath.Join(root, p, "run")); err != nil {
				t.Errorf("gc removed %s of generation %d: %v", p, rec.Number, err)
			}
		}
	}
	if _, err := openT(t, root).Load(2); !errors.Is(err, ErrNotFound) {
		t.Errorf("generation 2 still there: %v", err)
	}
	// --older-than keeps what is young enough.
	res, err = openT(t, root).GC(GCOptions{OlderThan: time.Hour, Now: time.Unix(1e9+5*3600, 0)})
	if err != nil || len(res.Generations) != 0 {
		t.Errorf("second gc %+v %v", res, err)
	}
	list, _ := openT(t, root).List()
	if len(list) != 2 || !list[1].Current || !list[0].Boot || !list[0].Previous {
		t.Errorf("list after gc %+v", list)
	}
}

// TestManagedFilePlantedLink: a folder of a managed path replaced by a link
// leading out of the root makes apply fail, writing nothing outside.
func TestManagedFilePlantedLink(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if err := os.Symlink(outside, filepath.Join(root, "etc/conf.d")); err != nil {
		t.Fatal(err)
	}
	m := testManifest(svc("web", "a"))
	m.Files = []ManagedFile{{Path: "/etc/conf.d/web", Mode: 0o644, Content: []byte("x\n")}}
	if _, err := openT(t, root).Apply(context.Background(), m, Options{Force: true}); err == nil {
		t.Fatal("apply wrote through a planted link")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("wrote outside the root: %v", ents)
	}
	// A link inside the root is refused too: the file must be where it says.
	os.Remove(filepath.Join(root, "etc/conf.d"))
	os.MkdirAll(filepath.Join(root, "elsewhere"), 0o755)
	os.Symlink("../elsewhere", filepath.Join(root, "etc/conf.d"))
	if _, err := openT(t, root).Apply(context.Background(), m, Options{Force: true}); !errors.Is(err, ErrUnmanaged) {
		t.Fatalf("apply through an inner link: %v, want ErrUnmanaged", err)
	}
}

// TestServicesCannotWrite: a service running as another user (chpst -u
// nobody, as the planner's run scripts do) can write neither into its store
// entry nor into the generation record.
func TestServicesCannotWrite(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to change user")
	}
	chpst := testenv.DebianRunit(t, "chpst")
	root := t.TempDir()
	// t.TempDir's parent is private: open the path to others.
	os.Chmod(filepath.Dir(root), 0o755)
	os.Chmod(root, 0o755)
	res := applyT(t, root, testManifest(svc("web", "a")), Options{})
	rec, _ := openT(t, root).Load(res.Generation)
	// Control: nobody can read both, so a refused write is the modes' doing.
	for _, p := range []string{filepath.Join(root, rec.StorePaths["web"], "run"), filepath.Join(root, SandboxLayout.Generation(rec.Number), "manifest.json")} {
		if out, err := exec.Command(chpst, "-u", "nobody", "/bin/cat", p).CombinedOutput(); err != nil {
			t.Fatalf("nobody cannot read %s: %v %s", p, err, out)
		}
	}
	for _, target := range []string{
		filepath.Join(root, rec.StorePaths["web"], "run"),
		filepath.Join(root, rec.StorePaths["web"], "new"),
		filepath.Join(root, SandboxLayout.Generation(rec.Number), "manifest.json"),
		filepath.Join(root, SandboxLayout.Generation(rec.Number), "sv", "evil"),
	} {
		cmd := exec.Command(chpst, "-u", "nobody", "/bin/sh", "-c", "echo evil > "+target)
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("nobody wrote %s (%s)", target, out)
		}
	}
}

// TestRestartDebt: a process working in another store entry than the
// current one is reported as running an older definition.
func TestRestartDebt(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, SandboxLayout.Store(), "aaaa-web")
	os.MkdirAll(old, 0o755)
	cmd := exec.Command("sleep", "100")
	cmd.Dir = old
	p := testenv.Start(t, cmd)
	if got := openT(t, root).restartDebt(filepath.Join(root, SandboxLayout.Store(), "bbbb-web"), p.PID()); got != SandboxLayout.Store()+"/aaaa-web" {
		t.Errorf("restartDebt = %q, want the old entry", got)
	}
	if got := openT(t, root).restartDebt(old, p.PID()); got != "" {
		t.Errorf("restartDebt of the same entry = %q", got)
	}
}
