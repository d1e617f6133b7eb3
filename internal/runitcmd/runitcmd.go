// Package runitcmd is the main function the runit programs' commands
// (cmd/runit, cmd/sv, cmd/chpst, ...) share: each is its own binary,
// answering to its program's name and links (internal/runitnames), and
// Run finds which of its Mains argv[0] asks for.
//
// It imports only what the runit tools already do, so that it adds nothing
// to a binary's start-up: no fmt, no os/exec, and path rather than
// path/filepath (the same on Linux).
package runitcmd

import (
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

// Main is a runit tool's Main (STYLE.md §3).
type Main func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Run runs the Main that names gives for argv[0]'s basename. Otherwise it
// follows the chain of symbolic links argv[0] names and runs the Main of
// the first name on it that names has, with argv[0] left as it was: an LSB
// init script is a link named after the service that leads to sv
// (/etc/init.d/foo -> /usr/bin/sv), and the name it was called by is how
// sv knows the service. Called under a name that leads to none of its
// own, the binary says which names it answers to and returns 100.
func Run(args []string, names map[string]Main, stdin io.Reader, stdout, stderr io.Writer) int {
	argv0 := ""
	if len(args) > 0 {
		argv0 = args[0]
	}
	if main, ok := names[path.Base(argv0)]; ok {
		return main(args, stdin, stdout, stderr)
	}
	if main, ok := names[linkedName(argv0, names)]; ok {
		return main(args, stdin, stdout, stderr)
	}
	io.WriteString(stderr, argv0+": unknown program name; call it as one of: "+strings.Join(Names(names), " ")+"\n")
	return 100
}

// Names returns the names of names, sorted.
func Names(names map[string]Main) []string {
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	slices.Sort(list)
	return list
}

// linkedName follows the chain of symbolic links that argv0 names, one hop
// at a time, and returns the first basename on it that names has, or ""
// when there is none.
func linkedName(argv0 string, names map[string]Main) string {
	file := argv0
	if !strings.Contains(file, "/") {
		if file = lookPath(file); file == "" {
			return ""
		}
	}
	for hop := 0; hop < 40; hop++ {
		target, err := os.Readlink(file)
		if err != nil {
			return ""
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(file), target)
		}
		if _, ok := names[path.Base(target)]; ok {
			return path.Base(target)
		}
		file = target
	}
	return ""
}

// lookPath finds the executable file name in $PATH, as the shell that ran
// it did, or returns "". It is os/exec's LookPath without os/exec, which
// no runit tool imports otherwise.
func lookPath(name string) string {
	if name == "" {
		return ""
	}
	for _, dir := range strings.Split(os.Getenv("PATH"), ":") {
		if dir == "" {
			dir = "." // an empty entry is the working directory, as in sh
		}
		// syscall.Stat, not os.Stat: an os.FileInfo holds a time.Time, and
		// with it the linker keeps time's formatting and time zone
		// loading, about 100 kB that every start of chpst and sv would
		// map for this rare path.
		p := path.Join(dir, name)
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && st.Mode&syscall.S_IFMT != syscall.S_IFDIR && st.Mode&0o111 != 0 {
			return p
		}
	}
	return ""
}
