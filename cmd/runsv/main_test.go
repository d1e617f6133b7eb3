package main

import (
	"testing"

	"sysconf/internal/runitcmd"
	"sysconf/internal/testenv"
)

// TestNames: the binary answers to its names in internal/runitnames, and
// to no other.
func TestNames(t *testing.T) {
	testenv.CheckNames(t, "runsv", runitcmd.Names(names))
}

func TestUnknownName(t *testing.T) {
	testenv.CheckUnknownName(t, "runsv", runitcmd.Names(names))
}
