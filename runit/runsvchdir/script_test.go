package runsvchdir_test

import (
	"testing"

	"sysconf/internal/testenv"
	"sysconf/runit/runsvchdir"
)

// TestMain makes the test binary runsvchdir for the scripts.
func TestMain(m *testing.M) {
	testenv.ScriptMain(m, map[string]testenv.Program{"runsvchdir": runsvchdir.Main})
}

// TestScripts runs testdata/script/*.txtar. runsvchdir works in the fixed
// /etc/runit/runsvdir: the scripts that switch run it in a private mount
// namespace with a scratch directory bound over /etc/runit.
func TestScripts(t *testing.T) {
	testenv.RunScripts(t, "testdata/script")
}
