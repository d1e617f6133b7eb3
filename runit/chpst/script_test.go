package chpst

import (
	"testing"

	"sysconf/internal/testenv"
)

// TestMain makes the test binary chpst and its personalities for the
// scripts.
func TestMain(m *testing.M) {
	progs := map[string]testenv.Program{"chpst": Main}
	for _, p := range personalities {
		progs[p] = Main
	}
	testenv.ScriptMain(m, progs)
}

// TestScripts runs testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testenv.RunScripts(t, "testdata/script")
}
