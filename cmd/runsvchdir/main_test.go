package main

import (
	"testing"

	"sysconf/internal/runitcmd"
	"sysconf/internal/testenv"
)

// TestNames: the binary answers to its names in internal/runitnames, and
// to no other.
func TestNames(t *testing.T) {
	testenv.CheckNames(t, "runsvchdir", runitcmd.Names(names))
}

func TestUnknownName(t *testing.T) {
	testenv.CheckUnknownName(t, "runsvchdir", runitcmd.Names(names))
}
