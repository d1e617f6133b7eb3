package runsv

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// Readiness, beyond runit (docs/runsv.md): a service directory (or its
// log/) may hold s6's notification-fd file. Its ./run then gets the write
// end of a pipe as that descriptor, and the first newline written to it
// marks the process ready: supervise/ready goes from "starting PID" to
// "ready PID" (runit/supervise: readiness.go). A directory without the
// file gets no pipe, and its ready file is removed, so that a process
// counts as ready when it runs.

// readyMsg is a newline read from the notification pipe of v's process pid.
type readyMsg struct {
	v   *svc
	pid int
}

// notificationFD reads v's notification-fd file: the descriptor number,
// or 0 when the file is missing or not understood (with a warning).
func (s *Supervisor) notificationFD(v *svc) int {
	b, ok := s.readStopFile(v, supervise.NotificationFDFile)
	if !ok {
		return 0
	}
	n, err := supervise.ParseNotificationFD(b)
	if err != nil {
		s.warnx("bad " + v.prefix + supervise.NotificationFDFile + " " + strconv.Quote(string(b)) + ": not a descriptor above 2, ignoring it")
		return 0
	}
	return n
}

// notifyPipe makes the pipe of a process that is to get notification
// descriptor fd and adds its write end to files at index fd, closing the
// descriptors in between in the child. It returns the read end, nil when
// the pipe cannot be made (the service then counts as ready when it
// runs), and the write end for the caller to close after the start.
func (s *Supervisor) notifyPipe(v *svc, fd int, files *[]uintptr) (*os.File, int) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		s.warn("unable to create notification pipe for "+v.prefix+"run", err)
		return nil, -1
	}
	for len(*files) <= fd {
		*files = append(*files, ^uintptr(0)) // -1: closed in the child
	}
	(*files)[fd] = uintptr(p[1])
	return os.NewFile(uintptr(p[0]), "notification pipe"), p[1]
}

// watchReady waits, on its own goroutine, for the newline of process pid
// on r, and hands it to the loop. It ends at the newline, at end of file
// (the process and everything that inherited the descriptor closed it),
// or when the loop closes r (the process was reaped).
func (s *Supervisor) watchReady(v *svc, pid int, r *os.File) {
	var buf [256]byte
	for {
		n, err := r.Read(buf[:])
		if bytes.IndexByte(buf[:n], '\n') >= 0 {
			select {
			case s.readyc <- readyMsg{v, pid}:
			case <-s.quit:
			}
			return
		}
		if err != nil {
			return
		}
	}
}

// markStarting records, before the status naming the new process pid,
// that it is to signal readiness. (For a process that is not, startProc
// removes the ready file before the fork.)
func (s *Supervisor) markStarting(v *svc, pid int) {
	if err := supervise.WriteState(s.dirfd, v.dir(), supervise.ReadyFile, supervise.ReadyLine(pid, false)); err != nil {
		s.warnState(err)
	}
}

// ready is the loop's side of a readyMsg: the process, if still v's,
// is ready.
func (s *Supervisor) ready(m readyMsg) {
	v := m.v
	if v.pid != m.pid || v.state != supervise.StateRun || v.notify == nil {
		return
	}
	s.closeNotify(v)
	if err := supervise.WriteState(s.dirfd, v.dir(), supervise.ReadyFile, supervise.ReadyLine(m.pid, true)); err != nil {
		s.warnState(err)
	}
}

// closeNotify closes v's notification pipe, which ends its watchReady.
func (s *Supervisor) closeNotify(v *svc) {
	if v.notify != nil {
		v.notify.Close()
		v.notify = nil
	}
}

// inheritReadiness settles the readiness of a process taken over from an
// earlier supervisor (and its cgroup, cgroup.go), whose notification pipe
// is gone with it: a process
// still "starting" is taken as ready, since nothing could tell it is
// later, and clients must not wait for it for ever.
func (s *Supervisor) inheritReadiness(v *svc) {
	s.inheritCgroup(v)
	if v.pid == 0 || !supervise.ReadReadinessAt(s.dirfd, v.dir()).Pending(v.pid) {
		return
	}
	if err := supervise.WriteState(s.dirfd, v.dir(), supervise.ReadyFile, supervise.ReadyLine(v.pid, true)); err != nil {
		s.warnState(err)
	}
}
