package generations

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// svc returns a service whose run script prints msg and sleeps.
func svc(name, msg string) Service {
	return Service{Name: name, Tree: []Entry{
		{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\necho " + msg + "\nexec sleep 1000\n")},
		{Path: "log/run", Mode: 0o755, Content: []byte("#!/bin/sh\nexec cat >/dev/null\n")},
		{Path: "env", Mode: fs.ModeDir | 0o755},
		{Path: "env/MSG", Mode: 0o644, Content: []byte(msg)},
	}}
}

func openTestRoot(t *testing.T) (string, *Root) {
	t.Helper()
	dir := t.TempDir()
	return dir, openT(t, dir)
}

func TestStoreWriteVerify(t *testing.T) {
	dir, g := openTestRoot(t)
	s := svc("web", "hello")
	p, err := g.ensureStore(s)
	if err != nil {
		t.Fatal(err)
	}
	if p != "var/lib/sysconf/store/"+s.Hash()+"-web" {
		t.Fatalf("store path %s", p)
	}
	full := filepath.Join(dir, p)
	for rel, want := range map[string]fs.FileMode{"": fs.ModeDir | 0o555, "run": 0o555, "env/MSG": 0o444, "log": fs.ModeDir | 0o555} {
		fi, err := os.Lstat(filepath.Join(full, rel))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() & (fs.ModeType | fs.ModePerm); got != want {
			t.Errorf("%s mode %v, want %v", rel, got, want)
		}
	}
	link, err := os.Readlink(filepath.Join(full, "supervise"))
	if err != nil || link != "../../../../../run/runit/supervise.web" {
		t.Errorf("supervise link %q %v", link, err)
	}
	// The relative link resolves to ROOT/run/runit/supervise.web.
	if err := os.MkdirAll(filepath.Join(dir, "run/runit/supervise.web"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(full, "supervise")); err != nil {
		t.Errorf("supervise link does not resolve: %v", err)
	}
	if link, _ := os.Readlink(filepath.Join(full, "log/supervise")); link != "../../../../../../run/runit/supervise.web-log" {
		t.Errorf("log/supervise link %q", link)
	}
	// A second ensure verifies and keeps the same inode.
	before, _ := os.Stat(full)
	if _, err := g.ensureStore(s); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(full)
	if !os.SameFile(before, after) {
		t.Error("existing store entry was rewritten")
	}
	// A tampered entry is refused.
	os.Chmod(full, 0o755)
	os.Chmod(filepath.Join(full, "run"), 0o755)
	if err := os.WriteFile(filepath.Join(full, "run"), []byte("#!/bin/sh\nevil\n"), 0o555); err != nil {
		t.Fatal(err)
	}
	os.Chmod(full, 0o555)
	if _, err := g.ensureStore(s); !errors.Is(err, ErrCorrupt) {
		t.Errorf("tampered entry: err = %v, want ErrCorrupt", err)
	}
}

func TestStoreRejects(t *testing.T) {
	_, g := openTestRoot(t)
	for _, s := range []Service{
		{Name: "../x"},
		{Name: ".hidden"},
		{Name: "a", Tree: []Entry{{Path: "../run", Mode: 0o755}}},
		{Name: "a", Tree: []Entry{{Path: "supervise", Mode: fs.ModeDir | 0o755}}},
		{Name: "a", Tree: []Entry{{Path: "/run", Mode: 0o755}}},
	} {
		if _, err := g.ensureStore(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ensureStore(%+v) = %v, want ErrInvalid", s, err)
		}
	}
}

// TestStorePlantedSymlink: a link planted under the root that leads out of
// it makes the store write fail instead of writing outside.
func TestStorePlantedSymlink(t *testing.T) {
	dir, g := openTestRoot(t)
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "var/lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "var/lib/sysconf")); err != nil {
		t.Fatal(err)
	}
	if _, err := g.ensureStore(svc("web", "x")); err == nil {
		t.Fatal("store written through a planted link")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("wrote outside the root: %v", ents)
	}
}

func testManifest(services ...Service) Manifest {
	m := Manifest{Services: services}
	var names []string
	for _, s := range services {
		names = append(names, s.Name)
	}
	m.Runlevels = []Runlevel{{Name: "default", Services: names}}
	return m
}

func TestBuildRecord(t *testing.T) {
	dir, g := openTestRoot(t)
	m := testManifest(svc("web", "a"), svc("db", "b"))
	m.Files = []ManagedFile{{Path: "/etc/conf.d/web", Mode: 0o644, Content: []byte("PORT=80\n")}}
	rec, err := g.build(m, map[string][]byte{"system.hcl": []byte("# hcl\n")}, "test", time.Unix(1e9, 0))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Number != 1 {
		t.Fatalf("number %d", rec.Number)
	}
	gen := filepath.Join(dir, SandboxLayout.Generation(1))
	for _, p := range []string{"sv/web", "runsvdir/default/db"} {
		if _, err := os.Stat(filepath.Join(gen, p, "run")); err != nil {
			t.Errorf("%s does not lead to a service: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(gen, "etc/conf.d/web")); string(b) != "PORT=80\n" {
		t.Errorf("managed file %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(gen, "sources/system.hcl")); string(b) != "# hcl\n" {
		t.Errorf("source %q", b)
	}
	got, err := g.readRecord(1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash != m.Hash() || got.StorePaths["db"] != SandboxLayout.StorePath(svc("db", "b")) {
		t.Errorf("record %+v", got)
	}
	if fi, _ := os.Stat(gen); fi.Mode().Perm() != 0o555 {
		t.Errorf("generation folder mode %v", fi.Mode())
	}
	rec2, err := g.build(m, nil, "test", time.Now())
	if err != nil || rec2.Number != 2 {
		t.Fatalf("second build %v %v", rec2, err)
	}
}

func TestHashOrderIndependent(t *testing.T) {
	a := testManifest(svc("web", "a"), svc("db", "b"))
	b := testManifest(svc("db", "b"), svc("web", "a"))
	if a.Hash() != b.Hash() {
		t.Error("hash depends on service order")
	}
	c := testManifest(svc("db", "b"), svc("web", "c"))
	if a.Hash() == c.Hash() {
		t.Error("hash ignores a changed service")
	}
}
