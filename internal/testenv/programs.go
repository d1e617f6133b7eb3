package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sysconf/internal/runitnames"
)

// CheckNames fails the test unless answers, the names a runit program's
// command answers to, are the program's name and links (internal/
// runitnames) and, besides them, extra.
func CheckNames(t *testing.T, program string, answers []string, extra ...string) {
	t.Helper()
	p, ok := runitnames.Of(program)
	if !ok {
		t.Fatalf("runitnames has no program %s", program)
	}
	want := append(append([]string{p.Name}, p.Links...), extra...)
	slices.Sort(want)
	got := slices.Clone(answers)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("%s answers to %v, want %v", program, got, want)
	}
}

// CheckUnknownName runs a copy of program's binary under a name of its own,
// which no link leads from, and fails the test unless it exits 100 saying
// which names it answers to (answers, sorted).
func CheckUnknownName(t *testing.T, program string, answers []string) {
	t.Helper()
	data, err := os.ReadFile(Tool(t, program))
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	if err := os.WriteFile(other, data, 0o755); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := Run(t, 10*time.Second, exec.Command(other))
	want := other + ": unknown program name; call it as one of: " + strings.Join(answers, " ") + "\n"
	if code != 100 || stderr != want {
		t.Errorf("%s copied as other: exit %d, stderr %q; want 100 and %q", program, code, stderr, want)
	}
}
