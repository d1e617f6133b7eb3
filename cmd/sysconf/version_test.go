package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionFlag: --version prints what the build info holds and exits 0.
func TestVersionFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &out, &errb); code != 0 {
		t.Fatalf("sysconf --version exited %d: %s", code, errb.String())
	}
	if out.String() != versionText() {
		t.Errorf("sysconf --version printed %q, want %q", out.String(), versionText())
	}
	if !strings.HasPrefix(out.String(), "sysconf "+version+"\n") {
		t.Errorf("sysconf --version printed %q, want it to start with the version %q", out.String(), version)
	}
}

// TestVersionBinary builds sysconf as make build does and checks that
// --version shows the module version and VCS revision the toolchain
// stamped (go version -m reads them back). In a git clone (CI's), the
// revision must be there and be HEAD; a git worktree has a .git file,
// which the toolchain does not recognise, so there it is absent from both.
func TestVersionBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sysconf")
	}
	bin := filepath.Join(t.TempDir(), "sysconf")
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("sysconf --version: %v", err)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	var modVersion, rev string
	for _, line := range strings.Split(string(meta), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod" && f[1] == "sysconf":
			modVersion = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			rev = strings.TrimPrefix(f[1], "vcs.revision=")
		}
	}
	lines := strings.Split(string(out), "\n")
	if lines[0] != "sysconf "+modVersion {
		t.Errorf("first line %q, want %q", lines[0], "sysconf "+modVersion)
	}
	if rev != "" && !strings.Contains(string(out), "revision "+rev) {
		t.Errorf("--version printed %q, which lacks the revision %s", out, rev)
	}
	if fi, err := os.Stat("../../.git"); err == nil && fi.IsDir() {
		head, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatalf("git rev-parse HEAD: %v", err)
		}
		if want := strings.TrimSpace(string(head)); rev != want {
			t.Errorf("the binary records revision %q, want HEAD %s", rev, want)
		}
	}
}
