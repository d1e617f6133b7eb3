package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sysconf/internal/runitcmd"
	"sysconf/internal/testenv"
)

// TestNames: the binary answers to its names in internal/runitnames, and
// to no other.
func TestNames(t *testing.T) {
	testenv.CheckNames(t, "chpst", runitcmd.Names(names))
}

func TestUnknownName(t *testing.T) {
	testenv.CheckUnknownName(t, "chpst", runitcmd.Names(names))
}

// chpst, like runit's, answers to its personalities with one leading 'd'
// ("dsetlock"), a daemontools habit.
func TestChpstLeadingD(t *testing.T) {
	link := filepath.Join(t.TempDir(), "dsetuidgid")
	if err := os.Symlink(testenv.Tool(t, "chpst"), link); err != nil {
		t.Fatal(err)
	}
	// Under a name of its own, the links would lead to chpst: the
	// leading-d rule must win before that.
	_, stderr, code := testenv.Run(t, 10*time.Second, exec.Command(link))
	if code != 100 || !strings.HasPrefix(stderr, "usage: setuidgid ") {
		t.Errorf("dsetuidgid: exit %d, stderr %q; want setuidgid's usage, exit 100", code, stderr)
	}
}

// A link of one's own to a personality's link (mylock -> setlock ->
// chpst) reaches chpst through main rather than the init function, with
// argv[0] kept.
func TestLinkChain(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(testenv.Tool(t, "setlock"), filepath.Join(dir, "mylock")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := testenv.Run(t, 10*time.Second, exec.Command(filepath.Join(dir, "mylock")))
	if code != 100 || !strings.HasPrefix(stderr, "usage: ") {
		t.Errorf("mylock: exit %d, stderr %q; want a chpst usage, exit 100", code, stderr)
	}
}
