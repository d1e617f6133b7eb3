package planner

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"sysconf/config"
	"sysconf/generations"
)

// TestVerbatimService: a service given by file blocks is its files, byte
// for byte and mode for mode, with no header and nothing added (no stop
// timeout); a stage block replaces the generated stage script as it is.
func TestVerbatimService(t *testing.T) {
	sys, diags := config.Load(config.Options{FS: fstest.MapFS{
		"system.hcl": &fstest.MapFile{Data: []byte(`
system {
  stage "2" {
    mode    = "0700"
    content = "#!/bin/sh\nexec runsvdir -P /etc/service\n"
  }
}
service "web" {
  file "run" {
    mode    = "0750"
    content = "#!/bin/sh\nexec httpd"
  }
  file "conf" { source = "web.conf" }
  file "log/run" { link = "/etc/sv/logger/run" }
  file "control" { directory = true }
}
`)},
		"web.conf": &fstest.MapFile{Data: []byte{0xff, 0, 'x'}},
	}, Path: "."})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := PlanIn(sys, generations.VoidLayout)
	want := []generations.Entry{
		{Path: "conf", Mode: 0o644, Content: []byte{0xff, 0, 'x'}},
		{Path: "control", Mode: fs.ModeDir | 0o755},
		{Path: "log/run", Mode: fs.ModeSymlink, Content: []byte("/etc/sv/logger/run")},
		{Path: "run", Mode: 0o750, Content: []byte("#!/bin/sh\nexec httpd")},
	}
	if d := cmp.Diff(want, m.Services[0].Tree); d != "" {
		t.Errorf("tree (-want +got)\n%s", d)
	}
	for _, e := range m.Boot {
		if e.Path == "etc/runit/2" && (e.Mode != 0o700 || string(e.Content) != "#!/bin/sh\nexec runsvdir -P /etc/service\n") {
			t.Errorf("stage 2 = %v %q, want the stage block's", e.Mode, e.Content)
		}
		if e.Path == "etc/runit/1" && !strings.Contains(string(e.Content), "Generated") {
			t.Errorf("stage 1 is not the generated one")
		}
	}
}

// TestStageScriptsFollowLayout: the stage scripts reach the supervise
// folder, the watched folder and the runlevels where the layout puts them.
func TestStageScriptsFollowLayout(t *testing.T) {
	for _, tt := range []struct {
		l    generations.Layout
		want []string // in stage 1, 2 and 3 together
	}{
		{generations.SandboxLayout, []string{"mkdir -p /run/runit\n", "runsvdir -P /service ", "set -- /service/*"}},
		{generations.VoidLayout, []string{"mkdir -p /run/runit\n", "ln -s /etc/runit/runsvdir/current /run/runit/runsvdir/current", "runsvdir -P /run/runit/runsvdir/current ", "set -- /run/runit/runsvdir/current/*"}},
		{generations.DebianLayout, []string{"mkdir -p /run/runit/supervise\n", "runsvdir -P /etc/service ", "set -- /etc/service/*"}},
		{generations.ArtixLayout, []string{"ln -s /etc/runit/runsvdir/current /run/runit/service", "runsvdir -P /run/runit/service "}},
	} {
		var all strings.Builder
		for _, e := range BootIn(nil, tt.l) {
			all.Write(e.Content)
		}
		for _, w := range tt.want {
			if !strings.Contains(all.String(), w) {
				t.Errorf("%s: the stage scripts have no %q", tt.l.Name, w)
			}
		}
	}
}
