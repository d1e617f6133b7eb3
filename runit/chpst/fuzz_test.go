package chpst

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzEnvdir writes one file, named name with content data, into an
// envdir and checks what readEnvdir makes of it against envdir's rules
// (doc.go, "Envdir"), then what applyEnv makes of the change. An envdir
// is read from files anyone able to write the directory controls. Seeds
// are in testdata/fuzz/FuzzEnvdir.
func FuzzEnvdir(f *testing.F) {
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255 {
			t.Skip("not a file name")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Skip(err) // a name the file system refuses
		}
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		changes, fail := readEnvdir(dir, true, false, func(string) {})
		if now, _ := os.Getwd(); now != wd {
			t.Fatalf("working directory %s after readEnvdir, want %s", now, wd)
		}
		switch {
		case name[0] == '.':
			if fail != nil || len(changes) != 0 {
				t.Fatalf("dot file %q: changes %q, %v; want none", name, changes, fail)
			}
			return
		case strings.Contains(name, "="):
			if fail == nil || fail.msg != "invalid variable name: "+dir+"/"+name {
				t.Fatalf("name %q with '=': %q, %v; want refused", name, changes, fail)
			}
			return
		}
		if fail != nil || len(changes) != 1 {
			t.Fatalf("%q: changes %q, %v; want one change", name, changes, fail)
		}

		// The value: the first line, trailing blanks cut, NUL as newline;
		// an empty file removes the variable.
		first, _, _ := bytes.Cut(data, []byte("\n"))
		first = bytes.TrimRight(first, " \t")
		want := name + "=" + strings.ReplaceAll(string(first), "\x00", "\n")
		if len(data) == 0 {
			want = name
		}
		if changes[0] != want {
			t.Fatalf("%q with %q: change %q, want %q", name, data, changes[0], want)
		}

		// Applied, the change leaves exactly one entry for the name (none
		// for a removal), and the other variables alone.
		env := applyEnv([]string{name + "=old", name + "y=1", name + "x=2"}, changes)
		n := 0
		for _, e := range env {
			if strings.HasPrefix(e, name+"=") {
				n++
				if e != want {
					t.Errorf("applied %q: %q, want %q", want, e, want)
				}
			}
		}
		if len(data) == 0 && n != 0 || len(data) > 0 && n != 1 {
			t.Errorf("applied %q: %d entries for %s in %q", want, n, name, env)
		}
		if !contains(env, name+"y=1") || !contains(env, name+"x=2") {
			t.Errorf("applied %q: other variables changed: %q", want, env)
		}
	})
}

func contains(env []string, e string) bool {
	for _, x := range env {
		if x == e {
			return true
		}
	}
	return false
}
