package supervise

import (
	"bytes"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Readiness, beyond runit (docs/runsv.md). A service whose directory has
// a NotificationFDFile gets the write end of a pipe as that descriptor and
// writes a newline to it once it serves. Our supervisor writes
// supervise/ready (ReadyFile) before the status that names a new process:
// "starting PID\n", then "ready PID\n" once the newline came. For any
// other service it removes the file. So a client that sees a running pid
// in status, and a ready file naming that pid with "starting", knows that
// the process is not ready yet; in every other case (no file, another
// pid, a supervisor that knows nothing of readiness such as runit's)
// running is ready, as under runit.

// Readiness is the content of a ready file.
type Readiness struct {
	PID   int  // the process it is about; 0: no file, or one not understood
	Ready bool // the process has signalled readiness
}

// ReadyLine is the content of the ready file for process pid.
func ReadyLine(pid int, ready bool) []byte {
	word := "starting "
	if ready {
		word = "ready "
	}
	return []byte(word + strconv.Itoa(pid) + "\n")
}

// ParseReadiness decodes a ready file; anything it does not understand is
// the zero Readiness, which holds nobody back.
func ParseReadiness(b []byte) Readiness {
	word, num, ok := strings.Cut(strings.TrimSuffix(string(b), "\n"), " ")
	pid, err := strconv.Atoi(num)
	if !ok || err != nil || pid <= 0 || (word != "ready" && word != "starting") {
		return Readiness{}
	}
	return Readiness{PID: pid, Ready: word == "ready"}
}

// Pending tells whether process pid is still to signal readiness.
func (r Readiness) Pending(pid int) bool { return pid != 0 && r.PID == pid && !r.Ready }

// ReadReadiness is ReadReadinessAt for the service directory svdir.
func ReadReadiness(svdir string) Readiness { return ReadReadinessAt(unix.AT_FDCWD, svdir) }

// ReadReadinessAt reads the ready file of the service directory dir
// (relative to dirfd). A missing or unreadable file is the zero
// Readiness: readiness never makes a client fail, at worst wait.
func ReadReadinessAt(dirfd int, dir string) Readiness {
	fd, err := rawOpenat(dirfd, Path(dir, ReadyFile), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
	if err != nil {
		return Readiness{}
	}
	var buf [32]byte
	n, err := rawRead(fd, buf[:])
	rawClose(fd)
	if err != nil || n <= 0 {
		return Readiness{}
	}
	return ParseReadiness(buf[:n])
}

// ParseNotificationFD decodes a NotificationFDFile: a decimal descriptor
// number above 2 (0, 1 and 2 are the service's standard descriptors),
// optionally surrounded by white space. Anything else is ErrBadValue.
func ParseNotificationFD(b []byte) (int, error) {
	s := string(bytes.TrimSpace(b))
	n, err := strconv.Atoi(s)
	if err != nil || n < 3 || n > 1023 || s[0] == '+' {
		return 0, ErrBadValue
	}
	return n, nil
}
