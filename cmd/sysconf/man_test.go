package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sysconf/internal/manpage"
	"sysconf/internal/runitnames"
)

// TestManPages writes every page as make man does and has groff, which
// man(1) runs, render each one with all warnings on: a page must render
// without a single warning, be ASCII (non-ASCII is written as \[uXXXX]) and
// exist for every visible command and every runit program the issue names.
func TestManPages(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Fatal("groff is needed to check the man pages (Debian: groff-base, which man-db depends on)")
	}
	out := t.TempDir()
	root := newRootCmd(&app{stdout: os.Stdout, stderr: os.Stderr})
	if err := writeManPages(root, manOptions{src: "../..", out: out}); err != nil {
		t.Fatal(err)
	}
	want := []string{"sysconf.8", "runsv.8", "runsvdir.8", "sv.8", "chpst.8", "svlogd.8", "runsvchdir.8", "runit.8", "runit-init.8"}
	for _, c := range walkVisible(newRootCmd(&app{})) {
		if c.HasParent() && c.Name() != "help" {
			want = append(want, pageName(c)+".8")
		}
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no page %s among %v", w, got)
		}
	}
	for _, r := range runitPages {
		if !slices.Contains(runitnames.Names(), r.name) {
			t.Errorf("page %s is not a runit program's name (runitnames.Names)", r.name)
		}
	}
	for _, name := range got {
		page := filepath.Join(out, name)
		src, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range src {
			if c > 126 {
				t.Errorf("%s: byte %d is not ASCII", name, i)
				break
			}
		}
		var stderr bytes.Buffer
		cmd := exec.Command(groff, "-man", "-ww", "-z", "-Tutf8", page)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("groff -man -ww %s: %v\n%s", name, err, stderr.String())
		}
		if !strings.Contains(string(src), ".SH \"DESCRIPTION\"") {
			t.Errorf("%s has no DESCRIPTION", name)
		}
	}
}

// TestManPageText: a command's page carries its --help text, so the two
// cannot drift.
func TestManPageText(t *testing.T) {
	root := newRootCmd(&app{})
	pages, err := manPages(root, "../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if p.Name != "sysconf-apply" {
			continue
		}
		var b bytes.Buffer
		if err := manpage.Write(&b, p); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"stop after printing the plan", "The activation runs in a session of its own", `\-\-no\-rollback`} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("sysconf-apply(8) lacks %q", s)
			}
		}
		return
	}
	t.Fatal("no sysconf-apply page")
}
