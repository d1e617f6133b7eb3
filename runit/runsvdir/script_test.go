package runsvdir_test

import (
	"io"
	"os"
	"testing"

	"sysconf/internal/testenv"
	"sysconf/runit/runsv"
	"sysconf/runit/runsvdir"
	"sysconf/runit/sv"
)

// TestMain makes the test binary runsvdir, its supervisor host, runsv and
// sv for the scripts.
func TestMain(m *testing.M) {
	testenv.ScriptMain(m, map[string]testenv.Program{
		"runsvdir":        runsvdir.Main,
		runsvdir.HostName: runsvdir.HostMain,
		"runsv":           runsv.Main,
		"sv": func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
			return sv.Main(args, os.Environ(), stdin, stdout, stderr)
		},
	})
}

// TestScripts runs testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testenv.RunScripts(t, "testdata/script")
}
