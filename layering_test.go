package sysconf_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"sysconf/internal/runitnames"
)

// TestLayering keeps STYLE.md §1 true: data flows config → planner →
// generations → runit, and the runit tools (PID 1 among them) link nothing
// but the standard library, x/sys and our own runit and internal packages.
//
// A banned entry ending in "/" bans every package below it; any other bans
// that package and the packages below it ("sysconf/runit/runsv" is not
// "sysconf/runit/runsvchdir"). A pattern that matches no package fails:
// a rule about nothing is a rule that silently stopped working.
func TestLayering(t *testing.T) {
	bans := []struct {
		pattern string
		banned  []string
		why     string
	}{
		{"./runit/...", []string{"github.com/hashicorp/", "github.com/zclconf/", "github.com/spf13/", "sysconf/config", "sysconf/planner", "sysconf/generations", "sysconf/cmd"},
			"the runit tools run as PID 1 and must start like a C program"},
		{"./cmd/runit", []string{"github.com/hashicorp/", "github.com/zclconf/", "github.com/spf13/", "sysconf/config", "sysconf/planner", "sysconf/generations"},
			"the runit programs must not pay for HCL or cobra"},
		{"./config/...", []string{"sysconf/planner", "sysconf/generations", "sysconf/runit", "sysconf/cmd", "github.com/spf13/"},
			"config knows only the language, not the command line"},
		{"./generations/...", []string{"github.com/hashicorp/", "github.com/zclconf/", "github.com/spf13/", "sysconf/config", "sysconf/planner", "sysconf/cmd"},
			"generations works on manifests, never on HCL"},
		{"./planner/...", []string{"sysconf/runit/runsv", "sysconf/runit/runsvdir", "sysconf/cmd"},
			"the planner is pure: it plans, it does not supervise"},
	}
	for _, b := range bans {
		patterns := []string{b.pattern}
		if b.pattern == "./cmd/runit" {
			patterns = runitnames.Packages() // the rule holds for every runit program
		}
		for _, dep := range goList(t, append([]string{"-deps"}, patterns...)...) {
			for _, ban := range b.banned {
				if under(dep, ban) {
					t.Errorf("%s depends on %s: %s", b.pattern, dep, b.why)
				}
			}
		}
	}
	// From runit, generations uses the supervise protocol and runsvchdir's
	// switch, and nothing else: it never runs a supervisor itself.
	allowed := map[string]bool{"sysconf/runit/supervise": true, "sysconf/runit/runsvchdir": true}
	for _, imp := range goList(t, "-f", "{{join .Imports \"\\n\"}}", "./generations/...") {
		if under(imp, "sysconf/runit") && !allowed[imp] {
			t.Errorf("generations imports %s: from runit it may import only runit/supervise and runit/runsvchdir", imp)
		}
	}
}

// under reports whether package dep is ban or below it (see TestLayering).
func under(dep, ban string) bool {
	if strings.HasSuffix(ban, "/") {
		return strings.HasPrefix(dep, ban)
	}
	return dep == ban || strings.HasPrefix(dep, ban+"/")
}

// goList runs go list with args and returns its output's lines; a pattern
// that matches no package fails the test.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if strings.Contains(string(out), "matched no packages") || len(strings.Fields(string(out))) == 0 {
		t.Fatalf("go list %s matches no package: fix the pattern\n%s", strings.Join(args, " "), out)
	}
	return strings.Fields(string(out))
}

// TestRunitProgramsAlone: each runit program is its own binary so that it
// pays for no other tool's code (issue 16: the multi-call binary's size was
// what kept chpst and sv above the Go floor). Its command may depend on
// its own runit packages and on the runit packages they share (supervise,
// reaper), never on another program's.
func TestRunitProgramsAlone(t *testing.T) {
	// The package that is each program's tool, the ones it hosts besides
	// (runsvdir runs the supervisors in its host), and the packages that no
	// program owns.
	own := map[string][]string{
		"runit":      {"sysconf/runit/pid1"},
		"runsv":      {"sysconf/runit/runsv"},
		"runsvdir":   {"sysconf/runit/runsvdir", "sysconf/runit/runsv"},
		"runsvchdir": {"sysconf/runit/runsvchdir"},
		"sv":         {"sysconf/runit/sv"},
		"chpst":      {"sysconf/runit/chpst"},
		"svlogd":     {"sysconf/runit/svlogd"},
	}
	shared := map[string]bool{"sysconf/runit/supervise": true, "sysconf/runit/reaper": true}
	tools := goList(t, "./runit/...")
	for _, p := range runitnames.Programs {
		mine, ok := own[p.Name]
		if !ok {
			t.Errorf("runitnames has a program %s this test does not know: say which runit packages are its own", p.Name)
			continue
		}
		deps := goList(t, "-deps", "./cmd/"+p.Name)
		for _, pkg := range mine {
			if !slices.Contains(deps, pkg) {
				t.Errorf("./cmd/%s does not import %s, its own tool", p.Name, pkg)
			}
		}
		for _, dep := range deps {
			if slices.Contains(tools, dep) && !slices.Contains(mine, dep) && !shared[dep] {
				t.Errorf("./cmd/%s depends on %s: each runit program imports only its own tool", p.Name, dep)
			}
		}
	}
}

// TestMakefileNames keeps the Makefile's runit programs and links and
// runitnames.Programs, the one list of them, the same.
func TestMakefileNames(t *testing.T) {
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(mk), "\\\n", " ")
	vars := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		if name, v, ok := strings.Cut(line, " = "); ok && !strings.ContainsAny(name, " \t") {
			vars[name] = strings.Fields(v)
		}
	}
	var got []runitnames.Program
	for _, name := range vars["RUNIT_PROGRAMS"] {
		got = append(got, runitnames.Program{Name: name, Links: vars[name+"_LINKS"]})
	}
	if !slices.EqualFunc(got, runitnames.Programs, func(a, b runitnames.Program) bool {
		return a.Name == b.Name && slices.Equal(a.Links, b.Links)
	}) {
		t.Errorf("Makefile's RUNIT_PROGRAMS and *_LINKS = %v, want runitnames.Programs %v", got, runitnames.Programs)
	}
}
