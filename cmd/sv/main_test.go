package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sysconf/internal/runitcmd"
	"sysconf/internal/testenv"
)

// TestNames: the binary answers to its names in internal/runitnames, and
// to no other.
func TestNames(t *testing.T) {
	testenv.CheckNames(t, "sv", runitcmd.Names(names))
}

func TestUnknownName(t *testing.T) {
	testenv.CheckUnknownName(t, "sv", runitcmd.Names(names))
}

// An LSB init script is a link to sv under the service's name: the binary
// must reach sv through the links and leave argv[0] alone.
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

	// Called by its bare name, found on $PATH as a shell finds it.
	cmd = &exec.Cmd{Path: filepath.Join(initd, "web"), Args: []string{"web", "bogus"}, Env: append(os.Environ(), "PATH="+initd)}
	_, stderr, code = testenv.Run(t, 10*time.Second, cmd)
	if stderr != "usage: web [-w sec] command\n\n" || code != 2 {
		t.Errorf("web bogus from $PATH: stderr %q, exit %d; want sv's LSB usage and exit 2", stderr, code)
	}
}
