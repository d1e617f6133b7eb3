package main

import (
	"testing"

	"sysconf/internal/runitcmd"
	"sysconf/internal/testenv"
)

// TestNames: the binary answers to its names in internal/runitnames, and
// to no other.
func TestNames(t *testing.T) {
	testenv.CheckNames(t, "svlogd", runitcmd.Names(names))
}

func TestUnknownName(t *testing.T) {
	testenv.CheckUnknownName(t, "svlogd", runitcmd.Names(names))
}
