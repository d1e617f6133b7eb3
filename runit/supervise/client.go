package supervise

import (
	"errors"
	"io"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The client side of the protocol: what sv, runsvdir's tests and sysconf's
// health checks do to a supervisor. Every call takes the service directory
// as dirfd plus dir, a path relative to it that is used exactly as given
// (see Path); the functions without "At" take a path from the working
// directory. sv reaches a service directory by a path it must not clean
// and may read hundreds of services in one short run, so these calls use
// raw system calls and no *os.File (no poller registration), and read
// supervise/status with one read(2) of 20 bytes, as runit's sv does: a
// longer file is accepted, a shorter one is ErrBadFormat.

// Errors a client branches on, as s6's clients do (s6:
// src/include/s6/supervise.h). ErrNotRunning is what sv prints as "runsv
// not running": the FIFO exists but no supervisor reads it (ENXIO).
// ErrNoService matches an *Error whose FIFO does not exist (ENOENT): the
// directory was never supervised.
var (
	ErrNotRunning = errors.New("runsv not running")
	ErrNoService  = errors.New("not supervised")
)

// Error reports a supervise file a client could not use.
type Error struct {
	Op   string // "open", "read" or "write", as in sv's warnings
	Path string // the file, as Path built it: "supervise/status" for At calls on dir ""
	Err  error  // the errno; ErrBadFormat or io.ErrShortWrite

	fifo bool // Path is ok or control
}

func (e *Error) Error() string { return e.Op + " " + e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Is makes a missing ok or control FIFO match ErrNoService, while the
// errno stays what Unwrap returns (sv prints its text).
func (e *Error) Is(target error) bool {
	return target == ErrNoService && e.fifo && e.Err == syscall.ENOENT
}

// Record is a supervise/status record as a client reads it: the raw bytes,
// kept from one read to the next as runit's sv keeps its buffer, so that a
// short read leaves the new bytes over the old ones (sv goes on printing
// that mixture; keep it). Decode it with Status.
type Record [StatusSize]byte

// Status decodes r. Every byte value is accepted: a foreign state or want
// byte comes out as it is.
func (r *Record) Status() Status {
	var st Status
	st.UnmarshalBinary(r[:])
	return st
}

// TermByte is byte 18 as written: 1 after runsv sent its stop signal. A
// foreign writer may put any value there, and runit's sv tells 1 from
// other non-zero values in one place (its skip rule for d), where
// Status.TermSent would not.
func (r *Record) TermByte() byte { return r[18] }

// Probe tells whether a supervisor holds svdir/supervise/ok open, as sv
// does before every command: nil if one does, ErrNotRunning if none does,
// and an *Error otherwise (matching ErrNoService when ok does not exist).
func Probe(svdir string) error { return ProbeAt(unix.AT_FDCWD, svdir) }

// ProbeAt is Probe for the service directory dir relative to dirfd (an
// O_PATH descriptor is enough).
func ProbeAt(dirfd int, dir string) error {
	path := Path(dir, OkFIFO)
	fd, err := openWriteNB(dirfd, path)
	if err != nil {
		return err
	}
	rawClose(fd)
	return nil
}

// ProbeState is Probe for a supervise directory reached by its own path
// rather than through a service directory, such as the shared state folder
// that StateDirName names.
func ProbeState(superviseDir string) error {
	fd, err := openWriteNB(unix.AT_FDCWD, superviseDir+"/"+OkFIFO)
	if err != nil {
		return err
	}
	rawClose(fd)
	return nil
}

// ReadStatus probes the supervisor of svdir and reads its status, as sv
// does before every command: ErrNotRunning when no supervisor is alive.
func ReadStatus(svdir string) (Status, error) {
	if err := Probe(svdir); err != nil {
		return Status{}, err
	}
	return ReadStatusFile(svdir)
}

// ReadStatusFile reads and decodes svdir/supervise/status without probing
// the supervisor; errors are ReadRecordAt's.
func ReadStatusFile(svdir string) (Status, error) {
	var rec Record
	if err := ReadRecordAt(unix.AT_FDCWD, svdir, &rec); err != nil {
		return Status{}, err
	}
	return rec.Status(), nil
}

// ReadRecordAt reads the supervise/status of the service directory dir
// (relative to dirfd) into rec with one read(2) of StatusSize bytes. A
// failing open or read is an *Error with the errno; a read shorter than a
// record is an *Error wrapping ErrBadFormat, and rec then holds the bytes
// read over its previous content.
func ReadRecordAt(dirfd int, dir string, rec *Record) error {
	path := Path(dir, StatusFile)
	var fd int
	var err error
	for {
		fd, err = rawOpenat(dirfd, path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &Error{Op: "open", Path: path, Err: err}
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
		return &Error{Op: "read", Path: path, Err: err}
	}
	if n != StatusSize {
		return &Error{Op: "read", Path: path, Err: ErrBadFormat}
	}
	return nil
}

// SendAt writes cmds to the supervise/control of the service directory dir
// (relative to dirfd) in one write(2), never blocking: ErrNotRunning when
// no supervisor reads the FIFO, otherwise an *Error for a failing open or
// write (io.ErrShortWrite for a partial one).
func SendAt(dirfd int, dir, cmds string) error {
	path := Path(dir, ControlFIFO)
	fd, err := openWriteNB(dirfd, path)
	if err != nil {
		return err
	}
	var n int
	for {
		n, err = syscall.Write(fd, []byte(cmds))
		if err != syscall.EINTR {
			break
		}
	}
	rawClose(fd)
	if err != nil {
		return &Error{Op: "write", Path: path, Err: err}
	}
	if n != len(cmds) {
		return &Error{Op: "write", Path: path, Err: io.ErrShortWrite}
	}
	return nil
}

// openWriteNB opens a FIFO with O_WRONLY|O_NONBLOCK, mapping ENXIO (no
// reader) to ErrNotRunning and other errnos to an *Error.
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
		return -1, &Error{Op: "open", Path: path, Err: err, fifo: true}
	}
}

// The calls below never block (FIFOs are opened O_NONBLOCK, the status file
// is a regular file), so they are made raw: the Go scheduler then does not
// hand the thread's P to another thread around each of the thousands of
// calls sv makes over many services.

func rawOpenat(dirfd int, path string, flags int) (int, error) {
	p, err := cPath(path)
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

// cPath returns path as a C string for a system call, without converting
// the paths Path spells out (spelled).
func cPath(path string) (*byte, error) {
	for i := range spelled {
		if spelled[i].path == path {
			return &spelled[i].c[0], nil
		}
	}
	return unix.BytePtrFromString(path)
}
