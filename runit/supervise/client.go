package supervise

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Names of the files inside a supervise directory.
const (
	DirName     = "supervise"
	LockFile    = "lock"
	ControlFIFO = "control"
	OkFIFO      = "ok"
	StatusFile  = "status"
	StatFile    = "stat"
	PIDFile     = "pid"

	// HandoverFile is sysconf's own: present while a supervisor is told
	// to exit (SIGTERM, what runsvdir does to a removed entry; not sv's
	// x), it makes sysconf's runsv leave the service and its logger
	// running for the next supervisor of the same supervise directory.
	// `sysconf apply --no-restart` writes it while it swaps a service's
	// directory for a new one linking the same supervise directory, and
	// removes it after. runit's runsv ignores it.
	HandoverFile = "handover"
)

// Errors a client branches on. ErrNotRunning is what sv prints as
// "runsv not running"; ErrNoService means the FIFO does not exist.
var (
	ErrNotRunning = errors.New("runsv not running")
	ErrNoService  = errors.New("not supervised")
)

// openFIFOWrite opens a supervise FIFO for writing without blocking, mapping
// ENXIO (no reader) to ErrNotRunning. Other errors keep their errno.
func openFIFOWrite(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if err == syscall.ENXIO {
			return nil, ErrNotRunning
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Probe tells whether a supervisor holds svdir/supervise/ok open, the way sv
// does: ErrNotRunning if none, the open error (ENOENT: never supervised)
// otherwise, nil if one is alive.
func Probe(svdir string) error {
	f, err := openFIFOWrite(filepath.Join(svdir, DirName, OkFIFO))
	if err != nil {
		return err
	}
	return f.Close()
}

// StatusError reports a supervise/status that could not be read; Op is
// "open" or "read", as in sv's warnings.
type StatusError struct {
	Op  string
	Err error
}

func (e *StatusError) Error() string { return e.Op + " supervise/status: " + e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

// ReadStatusFile reads and decodes svdir/supervise/status without probing
// the supervisor. A record that is not 20 bytes long is ErrBadFormat.
func ReadStatusFile(svdir string) (Status, error) {
	var st Status
	f, err := os.OpenFile(filepath.Join(svdir, DirName, StatusFile), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return st, &StatusError{Op: "open", Err: err}
	}
	defer f.Close()
	// Read one byte more than a record so that a longer file is refused.
	buf := make([]byte, StatusSize+1)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return st, &StatusError{Op: "read", Err: err}
	}
	if err := st.UnmarshalBinary(buf[:n]); err != nil {
		return st, &StatusError{Op: "read", Err: err}
	}
	return st, nil
}

// ReadStatus probes the supervisor of svdir and reads its status, as sv
// does before every command: ErrNotRunning when no supervisor is alive.
func ReadStatus(svdir string) (Status, error) {
	if err := Probe(svdir); err != nil {
		return Status{}, err
	}
	return ReadStatusFile(svdir)
}

// Send writes cmds to svdir/supervise/control in one write. It never blocks:
// with no supervisor it returns ErrNotRunning.
func Send(svdir string, cmds string) error {
	f, err := openFIFOWrite(filepath.Join(svdir, DirName, ControlFIFO))
	if err != nil {
		return err
	}
	n, werr := f.Write([]byte(cmds))
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("write to supervise/control: %w", werr)
	}
	if n != len(cmds) {
		return fmt.Errorf("write to supervise/control: %w", io.ErrShortWrite)
	}
	return cerr
}
