package svlogd

import (
	"testing"

	"sysconf/internal/testenv"
)

// TestMain makes the test binary svlogd for the scripts.
func TestMain(m *testing.M) {
	testenv.ScriptMain(m, map[string]testenv.Program{"svlogd": Main})
}

// TestScripts runs testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testenv.RunScripts(t, "testdata/script")
}
