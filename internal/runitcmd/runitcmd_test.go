package runitcmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	sv := filepath.Join(dir, "sv")
	if err := os.WriteFile(sv, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// init.d/web -> ../sv, and a link to that link: the first name on the
	// chain that is the binary's wins.
	if err := os.Mkdir(filepath.Join(dir, "init.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sv", filepath.Join(dir, "init.d", "web")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "init.d", "web"), filepath.Join(dir, "www")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "/nonexistent::"+filepath.Join(dir, "init.d"))

	var ran string
	names := map[string]Main{
		"sv": func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
			ran = args[0]
			return 7
		},
		"chpst": func([]string, io.Reader, io.Writer, io.Writer) int { return 8 },
	}
	for _, tc := range []struct {
		argv0 string
		code  int
	}{
		{"sv", 7},
		{"/usr/bin/sv", 7},
		{filepath.Join(dir, "init.d", "web"), 7},
		{filepath.Join(dir, "www"), 7},
		{"web", 7}, // found on $PATH, as the shell found it
		{"chpst", 8},
	} {
		ran = ""
		var stderr bytes.Buffer
		code := Run([]string{tc.argv0, "status"}, names, nil, io.Discard, &stderr)
		if code != tc.code || stderr.Len() != 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d", tc.argv0, code, stderr.String(), tc.code)
		}
		if tc.code == 7 && ran != tc.argv0 {
			t.Errorf("%s: sv ran with argv[0] %q, want it kept", tc.argv0, ran)
		}
	}

	for _, args := range [][]string{{"other"}, {filepath.Join(dir, "other")}, {}} {
		var stderr bytes.Buffer
		argv0 := ""
		if len(args) > 0 {
			argv0 = args[0]
		}
		want := argv0 + ": unknown program name; call it as one of: chpst sv\n"
		if code := Run(args, names, nil, io.Discard, &stderr); code != 100 || stderr.String() != want {
			t.Errorf("%q: exit %d, stderr %q; want 100 and %q", args, code, stderr.String(), want)
		}
	}
}
