package main

import (
	"testing"

	"sysconf/internal/testenv"
)

// TestMain makes the test binary every program of the multi-call binary,
// for the scripts.
func TestMain(m *testing.M) {
	progs := make(map[string]testenv.Program, len(tools))
	for name, main := range tools {
		progs[name] = main
	}
	testenv.ScriptMain(m, progs)
}

// TestRunsvScripts runs runsv's scripts, which need sv beside runsv. They
// run here, where every tool is at hand, rather than in runit/runsv.
func TestRunsvScripts(t *testing.T) {
	testenv.RunScripts(t, "../../runit/runsv/testdata/script")
}
