package main

import (
	"io"
	"os"
	"testing"

	"sysconf/internal/testenv"
	"sysconf/runit/runsv"
	"sysconf/runit/sv"
)

// TestMain makes the test binary runsv and sv for the scripts.
func TestMain(m *testing.M) {
	testenv.ScriptMain(m, map[string]testenv.Program{
		"runsv": runsv.Main,
		"sv": func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
			return sv.Main(args, os.Environ(), stdin, stdout, stderr)
		},
	})
}

// TestRunsvScripts runs runsv's scripts, which need sv beside runsv. They
// run here, with the runsv command, rather than in runit/runsv, whose
// tests do not import sv.
func TestRunsvScripts(t *testing.T) {
	testenv.RunScripts(t, "../../runit/runsv/testdata/script")
}
