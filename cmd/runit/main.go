// Command runit is runit's process no. 1 (runit/pid1). sysconf builds one
// static binary per runit program, as runit ships them (the list is
// internal/runitnames), each importing only its own tool, so that none
// pays for another's code and each starts about as fast as a C program.
//
// This one answers to runit, to runit-init (a link to it) and to init: the
// kernel runs /sbin/init with argv[0] = "/sbin/init".
package main

import (
	"os"

	"sysconf/internal/runitcmd"
	"sysconf/runit/pid1"
)

// names maps each name the binary answers to to its Main: runit's program
// and links (internal/runitnames; TestNames holds them equal) and init.
var names = map[string]runitcmd.Main{
	"runit":      pid1.RunitMain,
	"runit-init": pid1.InitMain,
	"init":       pid1.InitMain,
}

func main() {
	os.Exit(runitcmd.Run(os.Args, names, os.Stdin, os.Stdout, os.Stderr))
}
