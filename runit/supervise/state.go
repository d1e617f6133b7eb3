package supervise

import (
	"io"

	"golang.org/x/sys/unix"
)

// StateError reports a step of WriteState that failed.
type StateError struct {
	Op string // "open", "write" or "rename"
	// Object is what runit's runsv names after "unable to OP ":
	// "log/supervise/stat.new", or for a rename, where runit leaves out
	// the directory of the renamed file, "log/stat.new to
	// log/supervise/stat".
	Object string
	Err    error // the errno, or io.ErrShortWrite
}

func (e *StateError) Error() string { return e.Op + " " + e.Object + ": " + e.Err.Error() }
func (e *StateError) Unwrap() error { return e.Err }

// WriteState writes data to the state file name (PIDFile, StatFile or
// StatusFile) of the service directory dir, relative to dirfd, as runit's
// update_status does (spec/runit.md §1.5): open-trunc name.new with mode
// 0644, one write, close, rename over name, so that a reader sees the old
// content or the new one, never a part. As in runit only the write of
// StatusFile, the record clients decode, is checked: a failed one removes
// the .new file, a short one leaves it, and neither is renamed; pid and
// stat are renamed even after a failed write. Errors are *StateError.
func WriteState(dirfd int, dir, name string, data []byte) error {
	path := Path(dir, name)
	tmp := path + newSuffix
	fd, err := unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_TRUNC|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return &StateError{Op: "open", Object: tmp, Err: err}
	}
	var n int
	if len(data) > 0 {
		n, err = unix.Write(fd, data)
	}
	unix.Close(fd)
	if name == StatusFile {
		if err != nil {
			unix.Unlinkat(dirfd, tmp, 0)
			return &StateError{Op: "write", Object: tmp, Err: err}
		}
		if n != len(data) {
			return &StateError{Op: "write", Object: tmp, Err: io.ErrShortWrite}
		}
	}
	if err := unix.Renameat(dirfd, tmp, dirfd, path); err != nil {
		short := name + newSuffix
		if dir != "" {
			short = dir + "/" + short
		}
		return &StateError{Op: "rename", Object: short + " to " + path, Err: err}
	}
	return nil
}

// LinkOK makes the ok FIFO of the service directory dir (relative to
// dirfd) a hard link of its control FIFO, replacing an ok that is there
// atomically: a link to ok.new, renamed over ok.
func LinkOK(dirfd int, dir string) error {
	control, ok := Path(dir, ControlFIFO), Path(dir, OkFIFO)
	if err := unix.Linkat(dirfd, control, dirfd, ok, 0); err == nil {
		return nil
	}
	tmp := ok + newSuffix
	unix.Unlinkat(dirfd, tmp, 0)
	if err := unix.Linkat(dirfd, control, dirfd, tmp, 0); err != nil {
		return err
	}
	if err := unix.Renameat(dirfd, tmp, dirfd, ok); err != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return err
	}
	return nil
}
