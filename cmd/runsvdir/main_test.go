package main

import (
	"testing"

	"sysconf/internal/runitcmd"
	"sysconf/internal/testenv"
	"sysconf/runit/runsvdir"
)

// TestNames: the binary answers to runsvdir and to its supervisor host,
// which runsvdir starts from /proc/self/exe, this binary.
func TestNames(t *testing.T) {
	testenv.CheckNames(t, "runsvdir", runitcmd.Names(names), runsvdir.HostName)
}

func TestUnknownName(t *testing.T) {
	testenv.CheckUnknownName(t, "runsvdir", runitcmd.Names(names))
}
