// Command chpst is runit's chpst (runit/chpst) and its daemontools
// personalities envdir, envuidgid, pgrphack, setuidgid, softlimit and
// setlock, links to it. It is one static binary of its own as runit ships
// it (internal/runitnames lists the runit programs), importing only chpst:
// chpst runs before every service, and its cost above a Go program that
// only execs is what its binary's size and initialisation add
// (runit/chpst's BenchmarkExecOverhead).
//
// chpst runs from an init function (chpstinit.go); main is reached only
// under a name that is not chpst's, such as a link to one of its names.
package main

import (
	"os"

	"sysconf/internal/runitcmd"
	"sysconf/runit/chpst"
)

// names maps each name the binary answers to to its Main: chpst and its
// personalities, with runit's leading 'd' (chpst.IsMainName) handled by
// the init function (TestNames holds them equal to internal/runitnames).
var names = map[string]runitcmd.Main{
	"chpst":     chpst.Main,
	"envdir":    chpst.Main,
	"envuidgid": chpst.Main,
	"pgrphack":  chpst.Main,
	"setlock":   chpst.Main,
	"setuidgid": chpst.Main,
	"softlimit": chpst.Main,
}

func main() {
	os.Exit(runitcmd.Run(os.Args, names, os.Stdin, os.Stdout, os.Stderr))
}
