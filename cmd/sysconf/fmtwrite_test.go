package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileAtomic: the new content replaces the old with the given
// mode and no temporary file left; a rename that fails leaves the target
// as it was and removes the temporary file.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "system.hcl")
	if err := os.WriteFile(name, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(name, []byte("new\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(name)
	fi, _ := os.Stat(name)
	if err != nil || string(b) != "new\n" || fi.Mode().Perm() != 0o640 {
		t.Errorf("after write: %q %v (%v)", b, fi.Mode(), err)
	}
	// A non-empty folder in the way: rename(2) fails.
	blocked := filepath.Join(dir, "blocked")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(blocked, []byte("x\n"), 0o644); err == nil {
		t.Error("write over a folder succeeded")
	}
	if fi, err := os.Stat(blocked); err != nil || !fi.IsDir() {
		t.Errorf("the folder in the way changed: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.sysconf-fmt"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
