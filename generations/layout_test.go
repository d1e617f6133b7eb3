package generations

import (
	"os"
	"path/filepath"
	"testing"
)

// TestShippedLayouts: every shipped layout holds together, and the links
// in a store entry lead to its supervise folders whatever the layout.
func TestShippedLayouts(t *testing.T) {
	for _, name := range LayoutNames() {
		l := Layouts[name]
		if err := l.Check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		entry := l.StorePath(Service{Name: "web"})
		if got := filepath.Join(entry, l.superviseLink("web")); got != l.SuperviseDir("web") {
			t.Errorf("%s: supervise leads to %s, want %s", name, got, l.SuperviseDir("web"))
		}
		if got := filepath.Join(entry, "log", l.logSuperviseLink("web")); got != l.LogSuperviseDir("web") {
			t.Errorf("%s: log/supervise leads to %s, want %s", name, got, l.LogSuperviseDir("web"))
		}
	}
	bad := SandboxLayout
	bad.Definitions = "/etc/sv"
	if err := bad.Check(); err == nil {
		t.Errorf("a layout with an absolute path passes Check")
	}
	bad = SandboxLayout
	bad.Service = bad.State + "/service"
	if err := bad.Check(); err == nil {
		t.Errorf("a layout with its service folder in the state folder passes Check")
	}
}

// TestDetectLayout: each distribution's marks give its layout; none, the
// sandbox's.
func TestDetectLayout(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{"void", []string{"etc/sv/", "var/service"}, "void"},
		{"debian", []string{"etc/sv/", "etc/service"}, "debian"},
		{"artix", []string{"etc/runit/sv/", "run/runit/service"}, "artix"},
		{"sandbox managed by sysconf", []string{"etc/sv", "service"}, "sandbox"},
		{"empty", nil, "sandbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, p := range tt.paths {
				full := filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if p[len(p)-1] == '/' {
					err := os.MkdirAll(full, 0o755)
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.Symlink("elsewhere", full); err != nil {
					t.Fatal(err)
				}
			}
			if l, why := DetectLayout(root); l.Name != tt.want {
				t.Errorf("DetectLayout = %s (%s), want %s", l.Name, why, tt.want)
			}
		})
	}
}

// TestOpenMachineRecordedLayout: after an apply, the recorded layout wins
// over detection, so that rollback and status find the same paths.
func TestOpenMachineRecordedLayout(t *testing.T) {
	root := t.TempDir()
	l := SandboxLayout
	l.Name, l.Service, l.Watch = "custom", "srv/service", "srv/service"
	g, err := OpenLayout(root, l)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.saveLayout(); err != nil {
		t.Fatal(err)
	}
	got, why, err := OpenMachine(root)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Layout() != l {
		t.Errorf("OpenMachine layout %+v (%s), want %+v", got.Layout(), why, l)
	}
}
