package runsv

import (
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// Bounded stops, beyond runit (docs/runsv.md). A service directory (or its
// log/) may hold s6-supervise's timeout-kill and down-signal files. When the
// service is told to stop (sv down, sv exit, runsvdir's SIGTERM to its
// supervisor) it gets the down signal instead of SIGTERM, then SIGCONT as
// in runit; when ./run is still running timeout-kill milliseconds later,
// its whole process group gets SIGKILL. Every ./run, ./finish and log/run
// starts in a session and process group of its own (unless a nosetsid file
// says otherwise), so what it left in that group goes with it.

// stopConfig is what a service directory says about stopping its service.
type stopConfig struct {
	signal  syscall.Signal // the down signal
	timeout time.Duration  // 0: wait forever
}

// maxStopFile bounds what is read of timeout-kill and down-signal: more is
// not a number or a signal name.
const maxStopFile = 64

// readStopConfig reads v's timeout-kill and down-signal files. A file that
// is missing gives the default (wait forever; SIGTERM), as does one that
// cannot be read or understood, after a warning: a bad file must not stop
// a service from stopping, nor a supervisor from running.
func (s *Supervisor) readStopConfig(v *svc) stopConfig {
	c := stopConfig{signal: syscall.SIGTERM}
	if b, ok := s.readStopFile(v, supervise.TimeoutKillFile); ok {
		if d, err := supervise.ParseTimeoutKill(b); err == nil {
			c.timeout = d
		} else {
			s.warnx("bad " + v.prefix + supervise.TimeoutKillFile + " " + strconv.Quote(string(b)) + ": not a number of milliseconds, waiting forever")
		}
	}
	if b, ok := s.readStopFile(v, supervise.DownSignalFile); ok {
		if sig, err := supervise.ParseDownSignal(b); err == nil {
			c.signal = sig
		} else {
			s.warnx("bad " + v.prefix + supervise.DownSignalFile + " " + strconv.Quote(string(b)) + ": not a signal name, sending TERM")
		}
	}
	return c
}

// readStopFile reads name in v's directory; false when it is missing or
// unreadable (with a warning).
func (s *Supervisor) readStopFile(v *svc, name string) ([]byte, bool) {
	path := v.prefix + name
	fd, err := unix.Openat(s.dirfd, path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err != unix.ENOENT {
			s.warn("unable to open "+path, err)
		}
		return nil, false
	}
	defer unix.Close(fd)
	buf := make([]byte, maxStopFile+1)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			s.warn("unable to read "+path, err)
			return nil, false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], true
}

// stop is runit's stopservice, used by d, x and t on a running service.
// When the service is to stay down (want down or exit) it gets the down
// signal rather than SIGTERM, and the escalation is armed.
func (s *Supervisor) stop(v *svc) {
	down := v.want == supervise.WantDown || v.want == supervise.WantExit
	c := stopConfig{signal: syscall.SIGTERM}
	if down {
		c = s.readStopConfig(v)
	}
	if v.pid != 0 && !s.custom(v, 't') {
		s.kill(v, c.signal)
		v.term = true
		s.update(v)
	}
	switch v.want {
	case supervise.WantDown:
		s.kill(v, syscall.SIGCONT)
		s.custom(v, 'd')
	case supervise.WantExit:
		s.kill(v, syscall.SIGCONT)
		s.custom(v, 'x')
	}
	if down {
		s.arm(v, c.timeout)
	}
}

// arm starts the countdown to the SIGKILL of v's process group, unless
// timeout is 0 or a countdown already runs for the same process (a second
// sv down does not move the deadline).
func (s *Supervisor) arm(v *svc, timeout time.Duration) {
	if v.pid == 0 || timeout <= 0 || (v.killTimer != nil && v.killPID == v.pid) {
		return
	}
	s.disarm(v)
	v.killPID = v.pid
	v.killAfter = timeout
	v.killTimer = time.NewTimer(timeout)
}

// disarm stops v's countdown: the process was reaped, or v is wanted up
// again (it then keeps running, as with runit).
func (s *Supervisor) disarm(v *svc) {
	if v.killTimer != nil {
		v.killTimer.Stop()
		v.killTimer = nil
	}
	v.killPID = 0
}

// killC is the channel of v's countdown, nil when none runs.
func (v *svc) killC() <-chan time.Time {
	if v == nil || v.killTimer == nil {
		return nil
	}
	return v.killTimer.C
}

// escalate is the end of v's countdown: the process told to stop still
// runs, so it and its process group get SIGKILL.
func (s *Supervisor) escalate(v *svc) {
	pid, after := v.killPID, v.killAfter
	s.disarm(v)
	if pid == 0 || pid != v.pid || v.done == nil {
		return
	}
	s.warnx("./" + v.prefix + "run still running " + after.String() + " after the stop signal: killing process group " + strconv.Itoa(pid))
	s.cfg.Reaper.KillGroup(pid)
	s.killCgroup(v)
}

// ownSession tells whether v's processes start in a session and process
// group of their own: always, unless v's directory has a nosetsid file.
func (s *Supervisor) ownSession(v *svc) bool {
	return !s.exists(v.prefix + supervise.NoSetsidFile)
}
