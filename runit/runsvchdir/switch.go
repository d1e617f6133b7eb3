package runsvchdir

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// FS is what Switch needs of a file system. *os.Root has it (sysconf's
// generations switch inside --root); the runsvchdir program uses the
// process's own view, where absolute links work as runit's do.
type FS interface {
	Stat(name string) (fs.FileInfo, error)
	Lstat(name string) (fs.FileInfo, error)
	Remove(name string) error
	Symlink(oldname, newname string) error
	Rename(oldname, newname string) error
}

var _ FS = (*os.Root)(nil)

// Options tune Switch for its two users.
type Options struct {
	// NoCurrent lets the switch go ahead when current does not resolve
	// (a machine's first activation): previous is then left alone. runit's
	// runsvchdir refuses instead.
	NoCurrent bool
	// Step, when set, is called after current.new is made and after
	// current became previous: the points a crash test kills at.
	Step func()
}

// Error is a failed step of Switch, worded as runit words it: the message
// runit prints before the errno text, and the cause.
type Error struct {
	Msg string // "unable to unlink: current.new", "dir: " … ; the whole message when Err is nil
	Err error
	// Restore is set when the final rename failed and moving previous back
	// to current failed too: current is then missing.
	Restore error
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Restore != nil {
		s += "; unable to move previous back to current: " + e.Restore.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Switch is runsvchdir's algorithm (spec/runit.md §8) in the folder base of
// fsys: current.new -> dir is made, previous goes, current becomes previous,
// and one rename of current.new over current switches what runsvdir sees.
// The link text is dir exactly as given; a relative dir is found from base.
// It reports false, changing nothing, when current already resolves to dir's
// folder (same device and inode). When the last rename fails it moves
// previous back to current.
func Switch(fsys FS, base, dir string, o Options) (bool, error) {
	step := func() {
		if o.Step != nil {
			o.Step()
		}
	}
	at := func(name string) string { return path.Join(base, name) }
	target := dir
	if !path.IsAbs(dir) {
		target = at(dir)
	}
	ti, err := fsys.Stat(target)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, &Error{Msg: dir, Err: syscall.ENOENT}
		}
		return false, &Error{Msg: "unable to stat: " + dir, Err: err}
	}
	if !ti.IsDir() {
		// runit's text has no separator here.
		return false, &Error{Msg: dir + "not a directory."}
	}
	ci, err := fsys.Stat(at("current"))
	if err != nil && !o.NoCurrent {
		return false, &Error{Msg: "unable to stat: current", Err: err}
	}
	if err == nil && os.SameFile(ci, ti) {
		return false, nil
	}
	if err := fsys.Remove(at("current.new")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, &Error{Msg: "unable to unlink: current.new", Err: err}
	}
	if err := fsys.Symlink(dir, at("current.new")); err != nil {
		return false, &Error{Msg: "unable to create: current.new -> " + dir, Err: err}
	}
	step()
	hadCurrent := true
	if o.NoCurrent {
		_, err := fsys.Lstat(at("current"))
		hadCurrent = err == nil
	}
	if hadCurrent {
		if err := fsys.Remove(at("previous")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, &Error{Msg: "unable to unlink: previous", Err: err}
		}
		if err := fsys.Rename(at("current"), at("previous")); err != nil {
			return false, &Error{Msg: "unable to copy: current to previous", Err: err}
		}
		step()
	}
	if err := fsys.Rename(at("current.new"), at("current")); err != nil {
		e := &Error{Msg: "unable to move: current.new to current", Err: err}
		if hadCurrent {
			e.Restore = fsys.Rename(at("previous"), at("current"))
		}
		return false, e
	}
	return true, nil
}
