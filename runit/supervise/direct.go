package supervise

import (
	"io"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The functions in this file serve sv, which reaches a service directory by
// a path it must not clean (runit's sv chdirs into it, so "a/../b" walks
// through a, symlinks included) and which may read hundreds of services in
// one short run. They use the path exactly as given, raw system calls and no
// *os.File (no poller registration), and read supervise/status with one
// read(2) of 20 bytes, as sv does: a longer file is accepted, a shorter one
// is ErrBadFormat.

// ControlError reports a supervise/control that could not be opened or
// written; Op is "open" or "write", as in sv's warnings.
type ControlError struct {
	Op  string
	Err error
}

func (e *ControlError) Error() string { return e.Op + " supervise/control: " + e.Err.Error() }
func (e *ControlError) Unwrap() error { return e.Err }

// Path returns the path of file name inside svdir/supervise without
// cleaning svdir, so the kernel resolves it as chdir(svdir) followed by
// open("supervise/name") would.
func Path(svdir, name string) string {
	return svdir + "/" + DirName + "/" + name
}

// openWriteNB opens a FIFO with O_WRONLY|O_NONBLOCK, relative to dirfd
// (unix.AT_FDCWD: the working directory), mapping ENXIO (no reader) to
// ErrNotRunning and returning other errnos as they are.
func openWriteNB(dirfd int, path string) (int, error) {
	for {
		fd, err := rawOpenat(dirfd, path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC)
		switch err {
		case nil:
			return fd, nil
		case syscall.EINTR:
			continue
		case syscall.ENXIO:
			return -1, ErrNotRunning
		}
		return -1, err
	}
}

// ProbePath is Probe for a path used as given: nil when a supervisor holds
// svdir/supervise/ok open, ErrNotRunning when none does, and the bare errno
// of the open otherwise (ENOENT: never supervised).
func ProbePath(svdir string) error { return probe(unix.AT_FDCWD, Path(svdir, OkFIFO)) }

// ProbeAt is ProbePath for the service directory open as dirfd (O_PATH is
// enough): paths inside it are resolved from there, as after a chdir.
func ProbeAt(dirfd int) error { return probe(dirfd, DirName+"/"+OkFIFO) }

func probe(dirfd int, path string) error {
	fd, err := openWriteNB(dirfd, path)
	if err != nil {
		return err
	}
	rawClose(fd)
	return nil
}

// ReadRecord reads svdir/supervise/status into rec with one read(2) of
// StatusSize bytes on a descriptor opened O_RDONLY|O_NONBLOCK. A failing
// open or read is a *StatusError with the errno; a read shorter than a record
// is a *StatusError wrapping ErrBadFormat, and rec then holds the bytes read
// over its previous content (sv goes on printing that mixture; keep it).
func ReadRecord(svdir string, rec *[StatusSize]byte) error {
	return readRecord(unix.AT_FDCWD, Path(svdir, StatusFile), rec)
}

// ReadRecordAt is ReadRecord for the service directory open as dirfd.
func ReadRecordAt(dirfd int, rec *[StatusSize]byte) error {
	return readRecord(dirfd, DirName+"/"+StatusFile, rec)
}

func readRecord(dirfd int, path string, rec *[StatusSize]byte) error {
	var fd int
	var err error
	for {
		fd, err = rawOpenat(dirfd, path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &StatusError{Op: "open", Err: err}
	}
	var n int
	for {
		n, err = rawRead(fd, rec[:])
		if err != syscall.EINTR {
			break
		}
	}
	rawClose(fd)
	if err != nil {
		return &StatusError{Op: "read", Err: err}
	}
	if n != StatusSize {
		return &StatusError{Op: "read", Err: ErrBadFormat}
	}
	return nil
}

// SendPath writes cmds to svdir/supervise/control in one write(2), never
// blocking: ErrNotRunning when no supervisor reads the FIFO, otherwise a
// *ControlError for a failing open or write (io.ErrShortWrite for a partial
// one).
func SendPath(svdir, cmds string) error {
	return send(unix.AT_FDCWD, Path(svdir, ControlFIFO), cmds)
}

// SendAt is SendPath for the service directory open as dirfd.
func SendAt(dirfd int, cmds string) error {
	return send(dirfd, DirName+"/"+ControlFIFO, cmds)
}

func send(dirfd int, path, cmds string) error {
	fd, err := openWriteNB(dirfd, path)
	if err != nil {
		if err == ErrNotRunning {
			return err
		}
		return &ControlError{Op: "open", Err: err}
	}
	var n int
	for {
		n, err = syscall.Write(fd, []byte(cmds))
		if err != syscall.EINTR {
			break
		}
	}
	syscall.Close(fd)
	if err != nil {
		return &ControlError{Op: "write", Err: err}
	}
	if n != len(cmds) {
		return &ControlError{Op: "write", Err: io.ErrShortWrite}
	}
	return nil
}

// The calls below never block (FIFOs are opened O_NONBLOCK, the status file
// is a regular file), so they are made raw: the Go scheduler then does not
// hand the thread's P to another thread around each of the thousands of
// calls sv makes over many services.

func rawOpenat(dirfd int, path string, flags int) (int, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	r, _, e := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(flags), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func rawClose(fd int) { unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0) }
