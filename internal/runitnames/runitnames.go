// Package runitnames owns the list of program names under which sysconf's
// multi-call runit binary is installed: make build links them in bin/, the
// VM image in /bin, the tests in their temporary bin directories.
//
// cmd/runit's tools map answers to each of them (its TestNames holds the
// two equal) and to three more that are not links of their own: runit (the
// binary itself), init (the kernel's /sbin/init) and runsvdir's supervisor
// host. The Makefile's RUNIT_LINKS spells the list for make; the root
// package's TestMakefileNames holds it equal to Links.
package runitnames

// Links are the names linked to the runit binary, in the Makefile's order.
var Links = []string{
	"runit-init", "runsv", "runsvdir", "runsvchdir", "sv", "chpst", "svlogd",
	"envdir", "envuidgid", "pgrphack", "setuidgid", "softlimit", "setlock",
}
