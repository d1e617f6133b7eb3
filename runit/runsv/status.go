package runsv

import (
	"time"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// update is runit's update_status (spec §1.5): pid (only when the shared
// pid-changed flag is set), stat and status, each written to NAME.new and
// renamed over NAME, with runit's warnings and its early returns.
func (s *Supervisor) update(v *svc) {
	p := v.prefix
	if s.pidChanged {
		if !s.writeNew(p+"supervise/pid.new", supervise.PIDLine(v.pid), false) {
			return
		}
		if err := unix.Renameat(s.dirfd, p+"supervise/pid.new", s.dirfd, p+"supervise/pid"); err != nil {
			s.warn("unable to rename "+p+"pid.new to "+p+"supervise/pid", err)
			return
		}
		s.pidChanged = false
	}
	if !s.writeNew(p+"supervise/stat.new", supervise.StatLine(v.state, v.paused, v.term, v.want), false) {
		return
	}
	if err := unix.Renameat(s.dirfd, p+"supervise/stat.new", s.dirfd, p+"supervise/stat"); err != nil {
		s.warn("unable to rename "+p+"stat.new to "+p+"supervise/stat", err)
	}
	rec, _ := s.status(v).MarshalBinary()
	if !s.writeNew(p+"supervise/status.new", string(rec), true) {
		return
	}
	if err := unix.Renameat(s.dirfd, p+"supervise/status.new", s.dirfd, p+"supervise/status"); err != nil {
		s.warn("unable to rename "+p+"status.new to "+p+"supervise/status", err)
	}
}

// status is v's 20-byte record.
func (s *Supervisor) status(v *svc) supervise.Status {
	return supervise.Status{
		Since:    supervise.TAI64NOf(v.start),
		PID:      v.pid,
		Paused:   v.paused,
		Want:     v.want,
		TermSent: v.term,
		State:    v.state,
	}
}

// writeNew writes data to name with runit's open-trunc in one write. Only
// for status.new are write errors reported (and the file removed), as in
// runit. It returns false when the update must stop.
func (s *Supervisor) writeNew(name, data string, checked bool) bool {
	fd, err := unix.Openat(s.dirfd, name, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_TRUNC|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		s.warn("unable to open "+name, err)
		return false
	}
	var n int
	if data != "" {
		n, err = unix.Write(fd, []byte(data))
	}
	unix.Close(fd)
	if !checked {
		return true
	}
	if err != nil {
		s.warn("unable to write "+name, err)
		unix.Unlinkat(s.dirfd, name, 0)
		return false
	}
	if n != len(data) {
		s.warnx("unable to write " + name + ": partial write.")
		return false
	}
	return true
}

// stopped applies runit's restart delay (§2.6): called when v's process was
// recognised as stopped, it moves the time stamp and sleeps a blocking
// second when the previous start is less than a second ago. During the
// sleep nothing else happens, also no command is read.
//
// Unlike runit, a service told to exit is not delayed: nothing will
// restart it, and the second would only hold up the supervisor's exit —
// and with it a sysconf switch, whose next definition of the service
// waits for the old supervisor to be gone. (The log service is told to
// exit once the main service is down.)
func (s *Supervisor) stopped(v *svc) {
	v.state = supervise.StateDown
	deadline := v.start.Add(time.Second)
	v.start = time.Now()
	s.update(v)
	if v.start.Before(deadline) && v.want != supervise.WantExit {
		time.Sleep(time.Second)
	}
}
