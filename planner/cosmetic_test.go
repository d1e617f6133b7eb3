package planner

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"sysconf/config"
	"sysconf/generations"
)

// cosmeticDir is shared with cmd/sysconf's TestCosmeticEditsKeepServices,
// which applies the same folders under runsvdir.
const cosmeticDir = "../cmd/sysconf/testdata/cosmetic"

func planDir(t *testing.T, dir string, vars ...string) generations.Manifest {
	t.Helper()
	sys, diags := config.Load(config.Options{FS: os.DirFS(filepath.Join(cosmeticDir, dir)), Path: ".", Vars: vars})
	if diags.HasErrors() {
		t.Fatalf("%s: %v", dir, diags)
	}
	return Plan(sys)
}

// TestCosmeticEditsSameHashes plans every way of writing base/ and wants
// the same store path for every service and the same generation hash:
// only meaning goes into them. The origins differ, and are recorded.
func TestCosmeticEditsSameHashes(t *testing.T) {
	base := planDir(t, "base")
	for _, tt := range []struct {
		dir  string
		vars []string
	}{
		{dir: "comment_top"}, {dir: "file_renamed"}, {dir: "blocks_reordered"}, {dir: "block_moved"},
		{dir: "split"}, {dir: "formatting"}, {dir: "module"}, {dir: "module_moved"},
		{dir: "base", vars: []string{"port=8080", "greeting=hello"}},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			m := planDir(t, tt.dir, tt.vars...)
			if len(m.Services) != len(base.Services) {
				t.Fatalf("%d services, want %d", len(m.Services), len(base.Services))
			}
			for i, s := range m.Services {
				if got, want := s.StoreName(), base.Services[i].StoreName(); got != want {
					t.Errorf("store entry %s, want %s", got, want)
				}
			}
			if m.Hash() != base.Hash() {
				t.Errorf("generation hash %s, want %s", m.Hash(), base.Hash())
			}
			if d := generations.Compare(&base, m); !d.Empty() {
				t.Errorf("Compare: %+v", d)
			}
		})
	}
	// Origins are kept: the moved block says where it now is.
	moved := planDir(t, "block_moved")
	for i, s := range moved.Services {
		if s.Name == "worker" && (s.Origin != "worker.hcl:1" || base.Services[i].Origin != "main.hcl:21") {
			t.Errorf("worker's origin %q, was %q; want worker.hcl:1, main.hcl:21", s.Origin, base.Services[i].Origin)
		}
	}
	if changed := planDir(t, "changed"); changed.Hash() == base.Hash() {
		t.Error("a real change keeps the generation hash")
	}
}

// TestStopSettingsAreMeaning wants a different store entry for each
// different stop_timeout or stop_signal, and the same one for the same
// meaning written differently (the defaults spelt out, SIG added).
func TestStopSettingsAreMeaning(t *testing.T) {
	hash := func(attrs string) string {
		t.Helper()
		sys, diags := config.Load(config.Options{FS: fstest.MapFS{"s.hcl": {Data: []byte("service \"db\" {\n  command = [\"postgres\"]\n" + attrs + "}\n")}}, Path: "."})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", attrs, diags)
		}
		return Plan(sys).Services[0].StoreName()
	}
	def := hash("")
	for _, same := range []string{
		"stop_timeout = \"10s\"\n",
		"stop_timeout = \"10000ms\"\n",
		"stop_signal = \"TERM\"\n",
		"stop_signal = \"SIGTERM\"\n",
	} {
		if got := hash(same); got != def {
			t.Errorf("%q gives %s, the default gives %s", same, got, def)
		}
	}
	seen := map[string]string{def: "defaults"}
	for _, other := range []string{
		"stop_timeout = \"3s\"\n",
		"stop_timeout = \"0\"\n",
		"stop_signal = \"INT\"\n",
		"stop_signal = \"QUIT\"\n",
		"stop_signal = \"INT\"\nstop_timeout = \"3s\"\n",
	} {
		h := hash(other)
		if prev, ok := seen[h]; ok {
			t.Errorf("%q gives the same store entry as %q", other, prev)
		}
		seen[h] = other
	}
}
