package planner

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"sysconf/config"
	"sysconf/generations"
)

var update = flag.Bool("update", false, "rewrite golden files")

func plan(t testing.TB, fsys fstest.MapFS, env []string) generations.Manifest {
	t.Helper()
	sys, diags := config.Load(config.Options{FS: fsys, Path: ".", Env: env})
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	return Plan(sys)
}

// render shows a manifest as text: every entry with its mode and content.
func render(m generations.Manifest) string {
	var b strings.Builder
	for _, s := range m.Services {
		fmt.Fprintf(&b, "=== service %s (%s) from %s\n", s.Name, s.StoreName(), s.Origin)
		for _, e := range s.Tree {
			fmt.Fprintf(&b, "--- %s %v\n%s", e.Path, e.Mode, e.Content)
		}
	}
	for _, r := range m.Runlevels {
		fmt.Fprintf(&b, "=== runlevel %s: %s\n", r.Name, strings.Join(r.Services, " "))
	}
	for _, f := range m.Files {
		fmt.Fprintf(&b, "=== file %s %v\n%s", f.Path, f.Mode, f.Content)
	}
	for _, g := range m.Groups {
		fmt.Fprintf(&b, "=== group %s system=%v gid=%s\n", g.Name, g.System, id(g.GID))
	}
	for _, u := range m.Users {
		fmt.Fprintf(&b, "=== user %s system=%v uid=%s group=%s groups=%v home=%s create_home=%v shell=%s description=%q\n",
			u.Name, u.System, id(u.UID), u.Group, u.Groups, u.Home, u.CreateHome, u.Shell, u.Description)
	}
	for _, d := range m.Directories {
		fmt.Fprintf(&b, "=== directory %s %v %s:%s\n", d.Path, d.Mode, d.Owner, d.Group)
	}
	for _, mt := range m.Mounts {
		mode := "-"
		if mt.Mode != nil {
			mode = mt.Mode.String()
		}
		fmt.Fprintf(&b, "=== mount %s type=%s source=%s options=%v %s %s:%s\n", mt.Path, mt.Type, mt.Source, mt.Options, mode, mt.Owner, mt.Group)
	}
	fmt.Fprintf(&b, "=== generation %s\n", m.Hash())
	return b.String()
}

func id(n *uint32) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}

func readFS(t testing.TB, files ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		fsys[f] = &fstest.MapFile{Data: b}
	}
	return fsys
}

func TestPlanGolden(t *testing.T) {
	got := render(plan(t, readFS(t, "system.hcl"), nil))
	golden := filepath.Join("testdata", "system.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("plan differs from %s (run with -update):\n%s", golden, got)
	}
}

// TestReproducible plans the same sources in another folder layout, with
// another environment and at another time, and wants the same bytes.
func TestReproducible(t *testing.T) {
	a := plan(t, readFS(t, "system.hcl"), nil)
	src, _ := os.ReadFile("testdata/system.hcl")
	moved := fstest.MapFS{"deep/er/etc/sysconf/system.hcl": {Data: src}}
	sys, diags := config.Load(config.Options{FS: moved, Path: "deep/er/etc/sysconf", Env: []string{"HOME=/elsewhere", "TZ=Asia/Tokyo"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for i := 0; i < 20; i++ {
		b := Plan(sys)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) || a.Hash() != b.Hash() {
			t.Fatalf("plans differ:\n%s\n%s", ja, jb)
		}
	}
}

// TestOneServiceOneHash changes one service and wants only its hash to move.
func TestOneServiceOneHash(t *testing.T) {
	a := plan(t, readFS(t, "system.hcl"), nil)
	b := plan(t, readFS(t, "system.hcl"), []string{"SYSCONF_VAR_pg_port=5433"})
	d := generations.Compare(&a, b)
	if len(d.Changed) != 1 || d.Changed[0].Name != "postgresql" || d.Unchanged != 1 {
		t.Fatalf("diff = %+v, want postgresql changed, pg_shm unchanged", d)
	}
	var paths []string
	for _, e := range d.Changed[0].Entries {
		paths = append(paths, e.Op+e.Name)
	}
	if got := strings.Join(paths, " "); got != "~check ~env/PGPORT" {
		t.Errorf("changed entries = %s", got)
	}
}

func TestCompare(t *testing.T) {
	a := plan(t, fstest.MapFS{"s.hcl": {Data: []byte(`
service "a" { command = ["x"] }
service "b" { command = ["x"] }
file "/etc/x" { content = "1" }
`)}}, nil)
	b := plan(t, fstest.MapFS{"s.hcl": {Data: []byte(`
service "a" { command = ["y"] }
service "c" { command = ["x"] }
file "/etc/x" {
  content = "1"
  mode    = "0600"
}
`)}}, nil)
	d := generations.Compare(&a, b)
	if fmt.Sprint(d.Added, d.Removed, len(d.Changed), d.Unchanged) != "[c] [b] 1 0" {
		t.Errorf("diff = %+v", d)
	}
	if len(d.Runlevels) != 1 || d.Runlevels[0].Op != "~" {
		t.Errorf("runlevels = %+v", d.Runlevels)
	}
	if len(d.Files) != 1 || d.Files[0].Op != "~" {
		t.Errorf("files = %+v", d.Files)
	}
	if !generations.Compare(&b, b).Empty() {
		t.Errorf("a manifest differs from itself")
	}
	if got := generations.Compare(nil, b); len(got.Added) != 2 {
		t.Errorf("against nothing: %+v", got)
	}
}
