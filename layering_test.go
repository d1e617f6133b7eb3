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
func TestLayering(t *testing.T) {
	bans := []struct {
		pattern string
		banned  []string
		why     string
	}{
		{"./runit/...", []string{"github.com/hashicorp/", "github.com/zclconf/", "github.com/spf13/", "sysconf/config", "sysconf/planner", "sysconf/generations", "sysconf/cmd"},
			"the runit tools run as PID 1 and must start like a C program"},
		{"./cmd/runit", []string{"github.com/hashicorp/", "github.com/zclconf/", "github.com/spf13/", "sysconf/config", "sysconf/planner", "sysconf/generations"},
			"the multi-call runit binary must not pay for HCL or cobra"},
		{"./config/...", []string{"sysconf/planner", "sysconf/generations", "sysconf/runit", "sysconf/cmd"},
			"config knows only the language"},
		{"./generations/...", []string{"github.com/hashicorp/", "github.com/zclconf/", "sysconf/config", "sysconf/planner", "sysconf/cmd"},
			"generations works on manifests, never on HCL"},
		{"./planner/...", []string{"sysconf/runit/runsv", "sysconf/runit/runsvdir", "sysconf/cmd"},
			"the planner is pure: it plans, it does not supervise"},
	}
	for _, b := range bans {
		out, err := exec.Command("go", "list", "-deps", b.pattern).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "matched no packages") || strings.Contains(string(out), "no such file or directory") {
				// The package does not exist yet: nothing to keep apart.
				continue
			}
			t.Fatalf("go list -deps %s: %v\n%s", b.pattern, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, ban := range b.banned {
				if strings.HasPrefix(dep, ban) {
					t.Errorf("%s depends on %s: %s", b.pattern, dep, b.why)
				}
			}
		}
	}
}

// TestMakefileNames keeps the Makefile's links and runitnames.Links, the one
// list of them, the same.
func TestMakefileNames(t *testing.T) {
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(mk), "\\\n", " ")
	var links []string
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "RUNIT_LINKS = "); ok {
			links = strings.Fields(v)
		}
	}
	if !slices.Equal(links, runitnames.Links) {
		t.Errorf("Makefile's RUNIT_LINKS = %v, want runitnames.Links %v", links, runitnames.Links)
	}
}
