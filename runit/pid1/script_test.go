package pid1_test

import (
	"testing"

	"sysconf/internal/testenv"
	"sysconf/runit/pid1"
)

// TestMain makes the test binary runit and runit-init for the scripts.
func TestMain(m *testing.M) {
	testenv.ScriptMain(m, map[string]testenv.Program{
		"runit":      pid1.RunitMain,
		"runit-init": pid1.InitMain,
	})
}

// TestScripts runs testdata/script/*.txtar. Outside a PID namespace only
// what is safe on the host is run: runit refusing to start, runit-init's
// usage. The stages run with runit as process no. 1 of a private PID and
// mount namespace (unshare), never on the host.
func TestScripts(t *testing.T) {
	testenv.RunScripts(t, "testdata/script")
}
