// Command sv is runit's sv (runit/sv), one static binary of its own as
// runit ships it (internal/runitnames lists the runit programs), importing
// only sv, so that sv's start-up pays for no other tool's code.
//
// Called through a link named after a service (an LSB init script,
// /etc/init.d/foo -> /usr/bin/sv), it is sv with argv[0] kept: that name is
// how sv knows the service.
package main

import (
	"io"
	"os"

	"sysconf/internal/runitcmd"
	"sysconf/runit/sv"
)

// names maps the name the binary answers to to its Main (TestNames holds
// it equal to internal/runitnames).
var names = map[string]runitcmd.Main{
	"sv": svMain,
}

// svMain is sv with the process's environment (SVDIR, SVWAIT).
func svMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return sv.Main(args, os.Environ(), stdin, stdout, stderr)
}

func main() {
	os.Exit(runitcmd.Run(os.Args, names, os.Stdin, os.Stdout, os.Stderr))
}
