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
// The algorithm itself is Switch, which sysconf's generations run inside
// --root (an *os.Root) with the same steps.
//
// # Exit codes
//
// 0 switched, or already current; 1 usage; 111 any error.
package runsvchdir

import (
	"errors"
	"io"
	"io/fs"
	"os"
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
		io.WriteString(stderr, "usage: "+prog+" dir\n\n")
		return 1
	}
	dir := args[1]
	fatal := func(msg string) int {
		io.WriteString(stderr, prog+": fatal: "+msg+"\n")
		return 111
	}
	if strings.HasPrefix(dir, ".") {
		return fatal(dir + ": must not start with a dot.")
	}
	if err := syscall.Chdir(Dir); err != nil {
		return fatal("unable to chdir: " + Dir + ": " + errtext.Text(err))
	}
	switched, err := Switch(cwdFS{}, ".", dir, Options{})
	var e *Error
	if errors.As(err, &e) {
		msg := e.Msg
		if e.Err != nil {
			msg += ": " + errtext.Text(e.Err)
		}
		if e.Restore != nil {
			// runit prints the failed rename as fatal, but carries on to
			// restore current.
			io.WriteString(stderr, prog+": fatal: "+msg+"\n")
			return fatal("unable to move previous back to current: " + errtext.Text(e.Restore))
		}
		return fatal(msg)
	}
	if err != nil {
		return fatal(err.Error())
	}
	if !switched {
		io.WriteString(stdout, "runsvchdir: "+dir+": current.\n")
		return 0
	}
	io.WriteString(stdout, "runsvchdir: "+dir+": now current.\n")
	return 0
}

// cwdFS is the process's own file system, names relative to the working
// directory: an absolute dir or link is followed as runit follows it, and
// unlink(2) never removes a folder (runit fails on a previous that is one).
type cwdFS struct{}

func (cwdFS) Stat(name string) (fs.FileInfo, error)  { return os.Stat(name) }
func (cwdFS) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
func (cwdFS) Symlink(oldname, newname string) error  { return syscall.Symlink(oldname, newname) }
func (cwdFS) Rename(oldname, newname string) error   { return syscall.Rename(oldname, newname) }
func (cwdFS) Remove(name string) error {
	if err := syscall.Unlink(name); err != nil {
		return &fs.PathError{Op: "unlink", Path: name, Err: err}
	}
	return nil
}
