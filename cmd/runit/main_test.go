package main

import (
	"testing"

	"sysconf/internal/runitcmd"
	"sysconf/internal/testenv"
)

// TestNames: the binary answers to runit's names in internal/runitnames
// (runit, runit-init) and to init, the kernel's /sbin/init.
func TestNames(t *testing.T) {
	testenv.CheckNames(t, "runit", runitcmd.Names(names), "init")
}

func TestUnknownName(t *testing.T) {
	testenv.CheckUnknownName(t, "runit", runitcmd.Names(names))
}
