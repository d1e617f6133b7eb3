// Command runsvdir is runit's runsvdir (runit/runsvdir), one static binary
// of its own as runit ships it (internal/runitnames lists the runit
// programs), importing only runsvdir and the supervisor it hosts.
//
// It also answers to runsvdir's supervisor host (runsvdir.HostName, not
// linked in bin/; docs/runsvdir.md): runsvdir starts the host by running
// /proc/self/exe, this binary, under that name.
package main

import (
	"os"

	"sysconf/internal/runitcmd"
	"sysconf/runit/runsvdir"
)

// names maps each name the binary answers to to its Main: runsvdir
// (internal/runitnames; TestNames holds them equal) and its host.
var names = map[string]runitcmd.Main{
	"runsvdir":        runsvdir.Main,
	runsvdir.HostName: runsvdir.HostMain,
}

func main() {
	os.Exit(runitcmd.Run(os.Args, names, os.Stdin, os.Stdout, os.Stderr))
}
