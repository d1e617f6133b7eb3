package sysconf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sysconf/internal/runitnames"
)

// TestMakeInstall runs make install into a temporary DESTDIR and checks
// that every program, every man page and the three shells' completions are
// where PREFIX says, and that man(1) renders each installed page without
// a warning.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make install")
	}
	dest := t.TempDir()
	cmd := exec.Command("make", "install", "DESTDIR="+dest, "PREFIX=/usr")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	usr := filepath.Join(dest, "usr")
	for _, n := range append([]string{"sysconf"}, runitnames.Names()...) {
		fi, err := os.Stat(filepath.Join(usr, "bin", n))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("bin/%s is not an installed program: %v", n, err)
		}
	}
	// One binary per runit program, each link beside the program it names.
	for _, p := range runitnames.Programs {
		if fi, err := os.Lstat(filepath.Join(usr, "bin", p.Name)); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("bin/%s is not a file of its own: %v", p.Name, err)
		}
		for _, n := range p.Links {
			if target, err := os.Readlink(filepath.Join(usr, "bin", n)); err != nil || target != p.Name {
				t.Errorf("bin/%s leads to %q (%v), want %s", n, target, err, p.Name)
			}
		}
	}
	completions := map[string]string{
		"share/bash-completion/completions/sysconf":    "__start_sysconf",
		"share/zsh/vendor-completions/_sysconf":        "#compdef sysconf",
		"share/fish/vendor_completions.d/sysconf.fish": "complete -c sysconf",
	}
	for p, marker := range completions {
		b, err := os.ReadFile(filepath.Join(usr, p))
		if err != nil {
			t.Errorf("no %s: %v", p, err)
			continue
		}
		if !bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s does not look like the completion (no %q)", p, marker)
		}
	}
	if out, err := exec.Command("bash", "-n", filepath.Join(usr, "share/bash-completion/completions/sysconf")).CombinedOutput(); err != nil {
		t.Errorf("bash -n on the bash completion: %v\n%s", err, out)
	}
	built, err := filepath.Glob("bin/man/*.8")
	if err != nil || len(built) == 0 {
		t.Fatalf("make install built no man pages in bin/man: %v", err)
	}
	want := []string{"sysconf", "sysconf-apply", "runsv", "runsvdir", "sv", "chpst", "svlogd", "runsvchdir", "runit", "runit-init"}
	for _, b := range built {
		want = append(want, strings.TrimSuffix(filepath.Base(b), ".8"))
	}
	man, err := exec.LookPath("man")
	if err != nil {
		t.Fatal("man (Debian: man-db) is needed to check that the pages render")
	}
	for _, n := range want {
		page := filepath.Join(usr, "share/man/man8", n+".8")
		if _, err := os.Stat(page); err != nil {
			t.Errorf("man page %s.8 not installed: %v", n, err)
			continue
		}
		var stdout, stderr bytes.Buffer
		c := exec.Command(man, "--warnings", "-l", "-E", "UTF-8", page)
		c.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("man -l %s.8: %v\n%s", n, err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "DESCRIPTION") {
			t.Errorf("man -l %s.8 shows no DESCRIPTION", n)
		}
	}
}
