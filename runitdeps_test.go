package sysconf_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sysconf/internal/runitnames"
)

// The runit tools start like a C program only if they carry no more than
// they use (issue 16). fmt, with reflect behind it, is the largest part of
// a small Go binary that they have no use for; encoding/hex imports fmt and
// encoding/binary imports reflect. The two tests below keep all four out:
// one by the imports of our code, one by what the linker keeps.

// noFmt lists the packages the runit tools do without.
var noFmt = []string{"fmt", "reflect", "encoding/hex", "encoding/binary"}

// noFmtOpaque are the imports whose own imports TestRunitImportsNoFmt does
// not follow: each imports one of noFmt for a corner that the tools do not
// call, so the linker drops it, which TestRunitLinksNoFmt checks.
// golang.org/x/sys/unix imports encoding/binary for PPPoE socket addresses
// (what is left is reflect's small initialiser); runtime/debug imports fmt
// for BuildInfo.String, while the tools need it for chpst's
// SetGCPercent/SetMemoryLimit, runsvdir's FreeOSMemory and the stack of a
// bug report.
var noFmtOpaque = []string{"golang.org/x/sys/unix", "runtime/debug"}

// TestRunitImportsNoFmt fails when a runit program's command reaches one
// of noFmt by its imports, other than through noFmtOpaque, and names the
// chain.
func TestRunitImportsNoFmt(t *testing.T) {
	roots := runitnames.Packages()
	imports := map[string][]string{}
	for _, line := range goList(t, append([]string{"-deps", "-f", `{{.ImportPath}}={{join .Imports ","}}`}, roots...)...) {
		pkg, imps, _ := strings.Cut(line, "=")
		if imps != "" {
			imports[pkg] = strings.Split(imps, ",")
		} else {
			imports[pkg] = nil
		}
	}
	for _, root := range roots {
		if _, ok := imports[root]; !ok {
			t.Fatalf("go list -deps did not list %s: fix the list of runit packages", root)
		}
		// Breadth first, so the chain reported is a shortest one.
		via := map[string]string{root: ""}
		queue := []string{root}
		for len(queue) > 0 {
			pkg := queue[0]
			queue = queue[1:]
			if slices.Contains(noFmt, pkg) {
				chain := []string{pkg}
				for p := via[pkg]; p != ""; p = via[p] {
					chain = append([]string{p}, chain...)
				}
				t.Errorf("%s imports %s: %s", root, pkg, strings.Join(chain, " → "))
				continue
			}
			if slices.Contains(noFmtOpaque, pkg) {
				continue
			}
			for _, imp := range imports[pkg] {
				if _, seen := via[imp]; !seen {
					via[imp] = pkg
					queue = append(queue, imp)
				}
			}
		}
	}
}

// TestRunitLinksNoFmt builds each runit program, as make build does, and
// fails when its binary holds code of one of noFmt. reflect's initialiser
// is the one exception: golang.org/x/sys/unix imports encoding/binary,
// which imports reflect, and a package's initialiser is linked with its
// import.
func TestRunitLinksNoFmt(t *testing.T) {
	bin := t.TempDir() + "/"
	pkgs := runitnames.Packages()
	build := exec.Command("go", append([]string{"build", "-o", bin}, pkgs...)...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	for _, p := range runitnames.Programs {
		name := p.Name
		out, err := exec.Command("go", "tool", "nm", filepath.Join(bin, name)).CombinedOutput()
		if err != nil {
			t.Fatalf("go tool nm %s: %v\n%s", name, err, out)
		}
		var own bool
		var found []string
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[len(f)-2] != "T" {
				continue // not code
			}
			sym := f[len(f)-1]
			if strings.HasPrefix(sym, "sysconf/runit/") {
				own = true
			}
			for _, pkg := range noFmt {
				if strings.HasPrefix(sym, pkg+".") && sym != "reflect.init" {
					found = append(found, sym)
				}
			}
		}
		if !own {
			t.Errorf("%s: no code of sysconf/runit in go tool nm's output: the check reads nothing\n%s", name, out)
		}
		if len(found) > 0 {
			t.Errorf("%s links %d functions of %s, among them %s: a line formatted with fmt? (go build -ldflags=-dumpdep shows who calls them)",
				name, len(found), strings.Join(noFmt, ", "), strings.Join(found[:min(len(found), 5)], ", "))
		}
	}
}
