package main

import (
	"os"
	"path"

	"sysconf/runit/chpst"
)

// chpst and its personalities run here, before main.main: the runtime
// runs init functions on the startup thread, which is the one thread
// chpst needs for its setuid, nice and exec (runit/chpst's Main), without
// the runtime's template thread that runtime.LockOSThread starts. Every
// package this binary imports is initialised by now. Another way of naming
// chpst, a link to one of its names under a name of its own, goes through
// main, runitcmd.Run and Main.
func init() {
	if len(os.Args) > 0 && chpst.IsMainName(path.Base(os.Args[0])) {
		os.Exit(chpst.MainOnStartupThread(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
}
