package runsv

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// Restart backoff, beyond runit (docs/runsv.md). Without a restart-backoff
// file a service that stopped is started again at once, or after a
// blocking second when it ran for less than one (runit's rule, stopped in
// status.go). With one, the supervisor waits instead on a timer, during
// which it goes on reading commands: the first restart waits the file's
// delay, each one after a run shorter than its reset time twice the
// previous wait, up to its maximum. supervise/backoff says when the next
// start is due while the supervisor waits.

// restartBackoff reads v's restart-backoff file; false when there is
// none, or it cannot be understood (after a warning: runit's rule then
// applies).
func (s *Supervisor) restartBackoff(v *svc) (supervise.Backoff, bool) {
	b, ok := s.readStopFile(v, supervise.RestartBackoffFile)
	if !ok {
		return supervise.Backoff{}, false
	}
	bo, err := supervise.ParseRestartBackoff(b)
	if err != nil {
		s.warnx("bad " + v.prefix + supervise.RestartBackoffFile + " " + strconv.Quote(string(b)) + ": not DELAY MAX RESET in milliseconds, using runit's restart delay")
		return supervise.Backoff{}, false
	}
	return bo, true
}

// pause starts v's wait before its next start, of the backoff's next
// delay after a run of ran, and records when the start is due.
func (s *Supervisor) pause(v *svc, b supervise.Backoff, ran time.Duration) {
	v.backoff = b.Next(v.backoff, ran)
	due := time.Now().Add(v.backoff)
	if err := supervise.WriteState(s.dirfd, v.dir(), supervise.BackoffFile, supervise.BackoffLine(due, v.backoff)); err != nil {
		s.warnState(err)
	}
	v.backoffTimer = time.NewTimer(v.backoff)
}

// unpause ends v's wait, if any: it is over, the service is started by
// hand (sv up, once) or wanted down.
func (s *Supervisor) unpause(v *svc) {
	if v.backoffTimer == nil {
		return
	}
	v.backoffTimer.Stop()
	v.backoffTimer = nil
	unix.Unlinkat(s.dirfd, v.file(supervise.BackoffFile), 0)
}

// backoffC is the channel of v's wait, nil when none runs.
func (v *svc) backoffC() <-chan time.Time {
	if v == nil || v.backoffTimer == nil {
		return nil
	}
	return v.backoffTimer.C
}

// waiting tells whether v waits before its next start.
func (v *svc) waiting() bool { return v.backoffTimer != nil }
