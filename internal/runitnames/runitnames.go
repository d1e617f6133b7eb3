// Package runitnames owns which runit programs sysconf builds and under
// which names each is installed. Each program is its own static binary,
// built from cmd/<Name> as runit ships them, so that a tool pays only for
// its own code: make build puts each in bin/ with its links beside it, the
// VM image in /bin, the tests in their temporary bin directories.
//
// Each command's names map answers to its program's name and links (its
// TestNames holds the two equal); cmd/runit also answers to init (the
// kernel's /sbin/init) and cmd/runsvdir to its supervisor host, names that
// are not links of their own. The Makefile's RUNIT_PROGRAMS and *_LINKS
// spell the list for make; the root package's TestMakefileNames holds them
// equal to Programs.
package runitnames

// Program is one runit binary and the names linked to it.
type Program struct {
	Name  string   // the binary's name in bin/, and its command's directory under cmd/
	Links []string // the names that are symbolic links to it in bin/
}

// Programs are the runit programs, in the Makefile's order.
var Programs = []Program{
	{Name: "runit", Links: []string{"runit-init"}},
	{Name: "runsv"},
	{Name: "runsvdir"},
	{Name: "runsvchdir"},
	{Name: "sv"},
	// chpst's daemontools personalities (runit/chpst's IsPersonality).
	{Name: "chpst", Links: []string{"envdir", "envuidgid", "pgrphack", "setuidgid", "softlimit", "setlock"}},
	{Name: "svlogd"},
}

// Names returns every name the runit programs are installed under: each
// program followed by its links, in Programs' order.
func Names() []string {
	var names []string
	for _, p := range Programs {
		names = append(names, p.Name)
		names = append(names, p.Links...)
	}
	return names
}

// Packages returns the import paths of the runit programs' commands
// (sysconf/cmd/runit, ...), for go build and go list.
func Packages() []string {
	pkgs := make([]string, len(Programs))
	for i, p := range Programs {
		pkgs[i] = "sysconf/cmd/" + p.Name
	}
	return pkgs
}

// Of returns the program called name, and false when there is none.
func Of(name string) (Program, bool) {
	for _, p := range Programs {
		if p.Name == name {
			return p, true
		}
	}
	return Program{}, false
}
