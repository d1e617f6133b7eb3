package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sysconf/internal/runitnames"
	"sysconf/internal/testenv"
	"sysconf/runit/runsvdir"
)

// An LSB init script is a link to sv under the service's name: the
// multi-call binary must reach sv through the links and leave argv[0] alone.
func TestLSBLinkReachesSv(t *testing.T) {
	dir := t.TempDir()
	initd := filepath.Join(dir, "init.d")
	if err := os.Mkdir(initd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(testenv.Tool(t, "sv"), filepath.Join(initd, "web")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(initd, "web"), "bogus")
	_, stderr, code := testenv.Run(t, 10*time.Second, cmd)
	if stderr != "usage: web [-w sec] command\n\n" || code != 2 {
		t.Errorf("web bogus: stderr %q, exit %d; want sv's LSB usage and exit 2", stderr, code)
	}

	cmd = exec.Command(filepath.Join(initd, "web"), "status")
	cmd.Env = append(os.Environ(), "SVDIR="+dir)
	stdout, _, code := testenv.Run(t, 10*time.Second, cmd)
	if want := "fail: web: unable to change to service directory: file does not exist\n"; stdout != want || code != 1 {
		t.Errorf("web status: stdout %q, exit %d; want %q, exit 1", stdout, code, want)
	}
}

func TestUnknownName(t *testing.T) {
	other := copyBinary(t, "other")
	_, stderr, code := testenv.Run(t, 10*time.Second, exec.Command(other))
	if code != 100 || !strings.Contains(stderr, "call it as one of:") {
		t.Errorf("other: exit %d, stderr %q; want 100 and the list of names", code, stderr)
	}
}

// copyBinary copies the runit binary under a name of its own, so that no
// link leads to a tool's name.
func copyBinary(t *testing.T, name string) string {
	t.Helper()
	cp := filepath.Join(t.TempDir(), name)
	data, err := os.ReadFile(testenv.Tool(t, "runit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cp, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return cp
}

func TestArgv1Fallback(t *testing.T) {
	cp := copyBinary(t, "runit-tools")
	_, stderr, code := testenv.Run(t, 10*time.Second, exec.Command(cp, "runsv"))
	if stderr != "usage: runsv dir\n\n" || code != 1 {
		t.Errorf("runit-tools runsv: stderr %q, exit %d; want runsv's usage, exit 1", stderr, code)
	}
}

// chpst, like runit's, answers to its personalities with one leading 'd'
// ("dsetlock"), a daemontools habit.
func TestChpstLeadingD(t *testing.T) {
	link := filepath.Join(t.TempDir(), "dsetuidgid")
	if err := os.Symlink(testenv.Tool(t, "runit"), link); err != nil {
		t.Fatal(err)
	}
	// Under a name sv does not know, "runit" would be found by the links:
	// the leading-d rule must win before that.
	_, stderr, code := testenv.Run(t, 10*time.Second, exec.Command(link))
	if code != 100 || !strings.HasPrefix(stderr, "usage: setuidgid ") {
		t.Errorf("dsetuidgid: exit %d, stderr %q; want setuidgid's usage, exit 100", code, stderr)
	}
}

// TestNames: the binary answers to every name make build links
// (runitnames.Links, the one list), and besides them only to itself, to
// init and to runsvdir's host.
func TestNames(t *testing.T) {
	want := append([]string{"runit", "init", runsvdir.HostName}, runitnames.Links...)
	slices.Sort(want)
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("tools answers to %v, want %v", got, want)
	}
}
