package runsvchdir_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// layout builds a scratch /etc/runit: runsvdir/{default,single,afile},
// current -> default, plus whatever extra does.
func layout(t *testing.T, extra func(rs string)) string {
	t.Helper()
	root := t.TempDir()
	rs := filepath.Join(root, "runsvdir")
	for _, d := range []string{"default", "single"} {
		if err := os.MkdirAll(filepath.Join(rs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(rs, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("default", filepath.Join(rs, "current")); err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		extra(rs)
	}
	return root
}

// describe lists runsvdir's entries as "name -> link" or "name/" or "name".
func describe(t *testing.T, rs string) string {
	t.Helper()
	ents, err := os.ReadDir(rs)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		p := filepath.Join(rs, e.Name())
		switch {
		case e.Type()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out = append(out, e.Name()+" -> "+l)
		case e.IsDir():
			out = append(out, e.Name()+"/")
		default:
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// inNamespace runs prog with args in a private mount namespace where root is
// bound over /etc/runit, so the host's /etc is never touched.
func inNamespace(t *testing.T, root, prog string, args ...string) (string, string, int) {
	t.Helper()
	argv := append([]string{"--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" /etc/runit || exit 99; shift; cd /; exec "$@"`, "sh", root, prog}, args...)
	stdout, stderr, code := testenv.Run(t, 10*time.Second, exec.Command("unshare", argv...))
	if code == 99 {
		t.Fatalf("cannot bind a scratch dir over /etc/runit: %s", stderr)
	}
	return stdout, strings.ReplaceAll(stderr, prog, "PROG"), code
}

func TestAgainstDebian(t *testing.T) {
	ours := testenv.Tool(t, "runsvchdir")
	theirs := testenv.DebianRunit(t, "runsvchdir")
	tests := []struct {
		name  string
		args  []string
		extra func(rs string)
		want  string // our stdout+stderr, normalised
		code  int
	}{
		{name: "switch", args: []string{"single"}, want: "runsvchdir: single: now current.\n"},
		{name: "already current", args: []string{"default"}, want: "runsvchdir: default: current.\n"},
		{name: "dot", args: []string{".x"}, want: "PROG: fatal: .x: must not start with a dot.\n", code: 111},
		{name: "missing", args: []string{"nonexist"}, want: "PROG: fatal: nonexist: file does not exist\n", code: 111},
		{name: "not a directory", args: []string{"afile"}, want: "PROG: fatal: afilenot a directory.\n", code: 111},
		{name: "absolute", args: []string{"/etc/runit/runsvdir/single"}, want: "runsvchdir: /etc/runit/runsvdir/single: now current.\n"},
		{name: "stale current.new and previous", args: []string{"single"}, extra: func(rs string) {
			os.Symlink("nowhere", filepath.Join(rs, "current.new"))
			os.Symlink("default", filepath.Join(rs, "previous"))
		}, want: "runsvchdir: single: now current.\n"},
		{name: "current is a directory", args: []string{"single"}, extra: func(rs string) {
			os.Remove(filepath.Join(rs, "current"))
			os.Mkdir(filepath.Join(rs, "current"), 0o755)
		}, want: "runsvchdir: single: now current.\n"},
		{name: "previous is a directory", args: []string{"single"}, extra: func(rs string) {
			os.Mkdir(filepath.Join(rs, "previous"), 0o755)
		}, want: "PROG: fatal: unable to unlink: previous: is a directory\n", code: 111},
		{name: "current dangling", args: []string{"single"}, extra: func(rs string) {
			os.Remove(filepath.Join(rs, "current"))
			os.Symlink("gone", filepath.Join(rs, "current"))
		}, want: "PROG: fatal: unable to stat: current: file does not exist\n", code: 111},
		{name: "symlink loop", args: []string{"loop"}, extra: func(rs string) {
			os.Symlink("loop", filepath.Join(rs, "loop"))
		}, want: "PROG: fatal: unable to stat: loop: symbolic link loop\n", code: 111},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rootOurs, rootTheirs := layout(t, tt.extra), layout(t, tt.extra)
			outO, errO, codeO := inNamespace(t, rootOurs, ours, tt.args...)
			outT, errT, codeT := inNamespace(t, rootTheirs, theirs, tt.args...)
			if got := outO + errO; got != tt.want || codeO != tt.code {
				t.Errorf("ours: %q exit %d, want %q exit %d", got, codeO, tt.want, tt.code)
			}
			if outO != outT || errO != errT || codeO != codeT {
				t.Errorf("ours %q %q exit %d; Debian's %q %q exit %d", outO, errO, codeO, outT, errT, codeT)
			}
			if o, d := describe(t, filepath.Join(rootOurs, "runsvdir")), describe(t, filepath.Join(rootTheirs, "runsvdir")); o != d {
				t.Errorf("layout after ours: %s\nafter Debian's: %s", o, d)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	ours := testenv.Tool(t, "runsvchdir")
	_, stderr, code := testenv.Run(t, 10*time.Second, exec.Command(ours))
	if want := "usage: " + ours + " dir\n\n"; stderr != want || code != 1 {
		t.Errorf("no operand: %q exit %d, want %q exit 1", stderr, code, want)
	}
}

// TestSwitchLayout checks the links runsvchdir leaves: current -> single,
// previous -> default, no current.new.
func TestSwitchLayout(t *testing.T) {
	root := layout(t, nil)
	if _, _, code := inNamespace(t, root, testenv.Tool(t, "runsvchdir"), "single"); code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := "afile, current -> single, default/, previous -> default, single/"
	if got := describe(t, filepath.Join(root, "runsvdir")); got != want {
		t.Errorf("layout %s, want %s", got, want)
	}
}
