//go:build benchfloor

package main

import (
	"os"
	"path"
	"syscall"
)

// Built only with -tags benchfloor, by runit/chpst's BenchmarkExecOverhead:
// the chpst binary called as exec-floor execs its arguments as soon as
// every package is initialised. Its cost over a minimal Go program that
// execs (chpst's testdata/floor) is what the chpst binary's size and
// package initialisation cost; chpst's own work is what is left above it.
func init() {
	if len(os.Args) > 1 && path.Base(os.Args[0]) == "exec-floor" {
		err := syscall.Exec(os.Args[1], os.Args[1:], os.Environ())
		os.Stderr.WriteString("exec-floor: " + err.Error() + "\n")
		os.Exit(111)
	}
}
