// Package runsvchdir is runit's runsvchdir: it switches which directory
// runsvdir watches.
//
// # Synopsis
//
//	runsvchdir dir
//
// # Description
//
// runsvchdir works in /etc/runit/runsvdir, where current is a symlink to the
// directory runsvdir watches (typically /etc/service -> /etc/runit/runsvdir/current).
// It makes current point to dir (the link text is dir exactly as given,
// relative to /etc/runit/runsvdir unless absolute) and previous to what current
// was: symlink current.new -> dir, rename current to previous, rename
// current.new to current. If current already resolves to dir's (device,
// inode) it changes nothing. runsvdir notices the switch because the
// directory it is reached through now has a different inode.
//
// The directory is fixed, as in runit; tests run it in a private mount
// namespace with a scratch directory bound over /etc/runit.
//
// # Exit codes
//
// 0 switched, or already current; 1 usage; 111 any error.
package runsvchdir

import (
	"fmt"
	"io"
	"strings"
	"syscall"

	"sysconf/internal/errtext"
)

// Dir is the directory holding current, previous and the runlevel dirs.
const Dir = "/etc/runit/runsvdir"

// Main runs runsvchdir with args (args[0] is the program name).
func Main(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	prog := "runsvchdir"
	if len(args) > 0 {
		prog = args[0]
	}
	if len(args) < 2 {
		fmt.Fprintf(stderr, "usage: %s dir\n\n", prog)
		return 1
	}
	dir := args[1]
	fatal := func(msg string) int {
		fmt.Fprintf(stderr, "%s: fatal: %s\n", prog, msg)
		return 111
	}
	if strings.HasPrefix(dir, ".") {
		return fatal(dir + ": must not start with a dot.")
	}
	if err := syscall.Chdir(Dir); err != nil {
		return fatal("unable to chdir: " + Dir + ": " + errtext.Text(err))
	}
	var st, cur syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		if err == syscall.ENOENT {
			return fatal(dir + ": file does not exist")
		}
		return fatal("unable to stat: " + dir + ": " + errtext.Text(err))
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		// runit's text has no separator here.
		return fatal(dir + "not a directory.")
	}
	if err := syscall.Stat("current", &cur); err != nil {
		return fatal("unable to stat: current: " + errtext.Text(err))
	}
	if cur.Dev == st.Dev && cur.Ino == st.Ino {
		fmt.Fprintf(stdout, "runsvchdir: %s: current.\n", dir)
		return 0
	}
	if err := syscall.Unlink("current.new"); err != nil && err != syscall.ENOENT {
		return fatal("unable to unlink: current.new: " + errtext.Text(err))
	}
	if err := syscall.Symlink(dir, "current.new"); err != nil {
		return fatal("unable to create: current.new -> " + dir + ": " + errtext.Text(err))
	}
	if err := syscall.Unlink("previous"); err != nil && err != syscall.ENOENT {
		return fatal("unable to unlink: previous: " + errtext.Text(err))
	}
	if err := syscall.Rename("current", "previous"); err != nil {
		return fatal("unable to copy: current to previous: " + errtext.Text(err))
	}
	if err := syscall.Rename("current.new", "current"); err != nil {
		// runit prints this one as fatal but carries on to restore current.
		fmt.Fprintf(stderr, "%s: fatal: unable to move: current.new to current: %s\n", prog, errtext.Text(err))
		if err := syscall.Rename("previous", "current"); err != nil {
			return fatal("unable to move previous back to current: " + errtext.Text(err))
		}
		return 111
	}
	fmt.Fprintf(stdout, "runsvchdir: %s: now current.\n", dir)
	return 0
}
