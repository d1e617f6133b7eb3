// Command runsvchdir is runit's runsvchdir (runit/runsvchdir), one static binary of its own as
// runit ships it (internal/runitnames lists the runit programs), importing
// only runsvchdir, so that it pays for no other tool's code.
package main

import (
	"os"

	"sysconf/internal/runitcmd"
	"sysconf/runit/runsvchdir"
)

// names maps the name the binary answers to to its Main (TestNames holds
// it equal to internal/runitnames).
var names = map[string]runitcmd.Main{
	"runsvchdir": runsvchdir.Main,
}

func main() {
	os.Exit(runitcmd.Run(os.Args, names, os.Stdin, os.Stdout, os.Stderr))
}
