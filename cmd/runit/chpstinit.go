package main

import (
	"os"
	"path/filepath"

	"sysconf/runit/chpst"
)

// chpst and its personalities run here, before main.main: the runtime
// runs init functions on the startup thread, which is the one thread
// chpst needs for its setuid, nice and exec (runit/chpst's Main), without
// the runtime's template thread that runtime.LockOSThread starts. Every
// package this binary imports is initialised by now. Other ways of naming
// chpst (a link chain, "runit chpst ...") go through dispatch and Main.
func init() {
	if chpst.IsMainName(filepath.Base(os.Args[0])) {
		os.Exit(chpst.MainOnStartupThread(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
}
