package runsv

import (
	"io"
	"time"

	"sysconf/runit/supervise"
)

// update is runit's update_status (spec §1.5): pid (only when the shared
// pid-changed flag is set), stat and status, each written by
// supervise.WriteState, with runit's warnings and its early returns.
func (s *Supervisor) update(v *svc) {
	if s.pidChanged {
		if err := supervise.WriteState(s.dirfd, v.dir(), supervise.PIDFile, []byte(supervise.PIDLine(v.pid))); err != nil {
			s.warnState(err)
			return
		}
		s.pidChanged = false
	}
	stat := supervise.StatLine(v.state, v.paused, v.term, v.want)
	if err := supervise.WriteState(s.dirfd, v.dir(), supervise.StatFile, []byte(stat)); err != nil {
		s.warnState(err)
		// runit goes on to status after a failed rename of stat only.
		if e, ok := err.(*supervise.StateError); !ok || e.Op != "rename" {
			return
		}
	}
	rec, _ := s.status(v).MarshalBinary()
	if err := supervise.WriteState(s.dirfd, v.dir(), supervise.StatusFile, rec); err != nil {
		s.warnState(err)
	}
}

// warnState prints runit's warning for a state file update could not
// write: "unable to open supervise/pid.new: ERR", "unable to write
// supervise/status.new: partial write.", "unable to rename stat.new to
// supervise/stat: ERR".
func (s *Supervisor) warnState(err error) {
	e, ok := err.(*supervise.StateError)
	switch {
	case !ok:
		s.warn("unable to update status", err)
	case e.Err == io.ErrShortWrite:
		s.warnx("unable to write " + e.Object + ": partial write.")
	default:
		s.warn("unable to "+e.Op+" "+e.Object, e.Err)
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
//
// A restart-backoff file replaces the second by a wait that does not
// block (backoff.go), recorded before the status says down.
func (s *Supervisor) stopped(v *svc) {
	v.state = supervise.StateDown
	ran := time.Since(v.start)
	deadline := v.start.Add(time.Second)
	v.start = time.Now()
	if v.want == supervise.WantUp {
		if b, ok := s.restartBackoff(v); ok {
			s.pause(v, b, ran)
			s.update(v)
			return
		}
	}
	v.backoff = 0
	s.update(v)
	if v.start.Before(deadline) && v.want != supervise.WantExit {
		time.Sleep(time.Second)
	}
}
