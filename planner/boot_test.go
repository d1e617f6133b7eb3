package planner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"sysconf/config"
	"sysconf/generations"
)

// renderBoot shows stage scripts as text, for the golden files.
func renderBoot(es []generations.Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString("=== " + e.Path + " " + e.Mode.String() + "\n")
		b.Write(e.Content)
	}
	return b.String()
}

func TestBootGolden(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"boot-default", `service "a" { command = ["/bin/true"] }`},
		{"boot-block", `
boot {
  hostname   = "vm1"
  stage1     = ["mkdir -p /run/app", "echo 'it''s up' > /run/app/flag"]
  stage3     = "echo bye\n"
  ctrlaltdel = "poweroff"
}
`},
		{"boot-ignore", "boot {\n  ctrlaltdel = \"ignore\"\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := plan(t, fstest.MapFS{"system.hcl": &fstest.MapFile{Data: []byte(tc.src)}}, nil)
			got := renderBoot(m.Boot)
			golden := filepath.Join("testdata", tc.name+".golden")
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
				t.Errorf("stage scripts differ from %s (run with -update):\n%s", golden, got)
			}
			again := plan(t, fstest.MapFS{"system.hcl": &fstest.MapFile{Data: []byte(tc.src)}}, nil)
			if renderBoot(again.Boot) != got || again.Hash() != m.Hash() {
				t.Errorf("two plans of the same description differ")
			}
		})
	}
}

func TestBootPaths(t *testing.T) {
	es := Boot(nil)
	var paths []string
	for _, e := range es {
		paths = append(paths, e.Path)
		if !e.Mode.IsRegular() || e.Mode.Perm() != 0o755 {
			t.Errorf("%s: mode %v, want -rwxr-xr-x", e.Path, e.Mode)
		}
		if !strings.HasPrefix(string(e.Content), "#!/bin/sh\n# sysconf: ") {
			t.Errorf("%s: no #!/bin/sh and sysconf header:\n%s", e.Path, e.Content)
		}
	}
	if got, want := strings.Join(paths, " "), "etc/runit/1 etc/runit/2 etc/runit/3 etc/runit/ctrlaltdel"; got != want {
		t.Errorf("paths %s, want %s", got, want)
	}
}

// TestBootChanges checks that the boot block reaches the generation hash.
func TestBootChanges(t *testing.T) {
	a := plan(t, fstest.MapFS{"system.hcl": &fstest.MapFile{Data: []byte("boot {\n  hostname = \"a\"\n}\n")}}, nil)
	b := plan(t, fstest.MapFS{"system.hcl": &fstest.MapFile{Data: []byte("boot {\n  hostname = \"b\"\n}\n")}}, nil)
	if a.Hash() == b.Hash() {
		t.Errorf("a different hostname gives the same generation hash")
	}
}

// TestBootSyntax has every shell at hand check the scripts' syntax: they
// must be POSIX sh (dash, busybox sh, bash --posix).
func TestBootSyntax(t *testing.T) {
	shells := [][]string{{"dash", "-n"}, {"busybox", "sh", "-n"}, {"bash", "--posix", "-n"}}
	dir := t.TempDir()
	checked := 0
	b := &config.Boot{Hostname: "vm1", Stage1: "if true; then echo a; fi\n", Stage3: "sync\n", CtrlAltDel: config.CtrlAltDelReboot}
	for _, es := range [][]generations.Entry{Boot(nil), Boot(b)} {
		for _, e := range es {
			p := filepath.Join(dir, filepath.Base(e.Path))
			if err := os.WriteFile(p, e.Content, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, sh := range shells {
				if _, err := exec.LookPath(sh[0]); err != nil {
					continue
				}
				checked++
				if out, err := exec.Command(sh[0], append(sh[1:], p)...).CombinedOutput(); err != nil {
					t.Errorf("%s %s: %v\n%s\n%s", strings.Join(sh, " "), e.Path, err, out, e.Content)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no shell (dash, busybox, bash) to check the scripts with")
	}
}

// TestBootCompare checks that plan shows a boot block change as changed
// stage scripts, and nothing when the scripts are the same.
func TestBootCompare(t *testing.T) {
	p := func(src string) generations.Manifest {
		return plan(t, fstest.MapFS{"system.hcl": &fstest.MapFile{Data: []byte(src)}}, nil)
	}
	a := p("boot {\n  hostname = \"a\"\n}\n")
	b := p("boot {\n  hostname = \"b\"\n}\n")
	d := generations.Compare(&a, b)
	if d.Empty() || len(d.Files) != 1 || d.Files[0].Op != "~" || d.Files[0].Name != "/etc/runit/1" {
		t.Errorf("hostname a → b: files %+v, want one change of /etc/runit/1", d.Files)
	}
	if d := generations.Compare(&b, b); !d.Empty() {
		t.Errorf("the same boot block: %+v", d)
	}
	fresh := generations.Compare(nil, a)
	var added []string
	for _, c := range fresh.Files {
		if c.Op == "+" {
			added = append(added, c.Name)
		}
	}
	if got := strings.Join(added, " "); got != "/etc/runit/1 /etc/runit/2 /etc/runit/3 /etc/runit/ctrlaltdel" {
		t.Errorf("fresh plan adds %s", got)
	}
}
