package sv

import (
	"time"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// waitFor is phase 2 (spec §4.5): it resolves each pending service again,
// reads its status and evaluates the command's checks, printing "ok: " and
// the status line once they pass, or "timeout: " / "kill: " once the wait
// time has passed. runit does so every 420 ms; we do so also as soon as a
// pending service's supervise directory changes (notify.go), so that sv
// returns within milliseconds of the change, and keep the 420 ms rounds
// for what no event announces (a ./check that starts passing).
func (s *run) waitFor(services []string, pending []bool) {
	w := newWatcher()
	defer w.close()
	next := s.start.Add(pollInterval)
	tick := true // a round of runit's; false: a round woken by an event
	for {
		s.openServices()
		elapsed := s.now.Sub(s.start).Seconds()
		done := true
		for i, name := range services {
			if !pending[i] {
				continue
			}
			s.name = name
			d, err := s.resolve(name, false)
			if err != nil {
				s.fail("unable to change to service directory", err)
				pending[i] = false
				continue
			}
			// Watched before the check: a change right after it still
			// wakes the wait.
			w.add(d.path)
			// An event round only looks for success, and only where no
			// ./check runs: runit's rounds alone run ./check and time
			// out, so that both happen as often and when runit's do.
			if !tick && s.hasCheck(d) {
				done = false
				d.close()
				continue
			}
			if s.check(d, s.cmd.bytes) != 0 {
				pending[i] = false
				d.close()
				continue
			}
			done = false
			if tick && elapsed > float64(s.wait) {
				if s.cmd.kill {
					s.out = append(s.out, "kill: "...)
				} else {
					s.out = append(s.out, "timeout: "...)
				}
				// A failing read prints its own line after the prefix,
				// as runit does.
				if s.readStatus(d) > 0 {
					s.printStatus(d, s.name)
					s.rc++
				}
				s.out = append(s.out, '\n')
				s.flush()
				if s.cmd.kill {
					s.control(d, string(supervise.CmdKill))
				}
				pending[i] = false
			}
			d.close()
		}
		s.closeServices()
		// A service that timed out in this round leaves done false: runit
		// sleeps once more before it returns.
		if done {
			return
		}
		s.sync()
		if tick {
			next = time.Now().Add(pollInterval)
		}
		tick = !w.wait(time.Until(next))
		s.now = time.Now()
	}
}

// hasCheck tells whether the service in d has a ./check (sv runs it while
// waiting for up).
func (s *run) hasCheck(d dir) bool {
	var st unix.Stat_t
	return unix.Fstatat(d.fd, "check", &st, 0) == nil
}

// check evaluates the check characters in checks against the service in dir
// (spec §4.5): 1 when all pass (after printing "ok: " and the status line),
// 0 while some fail, -1 when the service is to be dropped.
func (s *run) check(d dir, checks string) int {
	r := s.readStatus(d)
	if r < 0 {
		return -1
	}
	for i := 0; i < len(checks); i++ {
		c := checks[i]
		if r == 0 {
			// No supervisor: what an exit command waits for.
			if c == byte(supervise.CmdExit) {
				return 1
			}
			return -1
		}
		st := s.rec.Status()
		running := st.PID != 0
		startSec := supervise.TAI64NOf(s.start).Sec
		switch c {
		case 'x':
			return 0
		case 'u':
			if !running || st.State != supervise.StateRun || !s.ready(d, st.PID) || !s.checkScript(d) {
				return 0
			}
		case 'd':
			if running || st.State != supervise.StateDown {
				return 0
			}
		case 'C':
			// Debian's 2.1.2: a service without a process passes;
			// state and want are not looked at.
			if running && (!s.ready(d, st.PID) || !s.checkScript(d)) {
				return 0
			}
		case 't', 'k':
			if !running && st.Want == supervise.WantDown {
				break
			}
			// Whole seconds: a restart within sv's first second may be
			// judged on the old process. runit does so; keep it.
			if startSec > st.Since.Sec || !running || st.TermSent || !s.checkScript(d) {
				return 0
			}
		case 'o':
			if (!running && startSec > st.Since.Sec) || (running && st.Want != supervise.WantDown) {
				return 0
			}
		case 'p':
			if running && !st.Paused {
				return 0
			}
		case 'c':
			if running && st.Paused {
				return 0
			}
		}
	}
	s.out = append(s.out, "ok: "...)
	s.printStatus(d, s.name)
	s.out = append(s.out, '\n')
	s.flush()
	return 1
}

// ready tells whether process pid of the service in d has signalled
// readiness, or need not (runit/supervise: readiness.go): a process counts
// as ready when it runs unless our supervisor wrote that it is starting.
func (s *run) ready(d dir, pid int) bool {
	return !supervise.ReadReadinessAt(d.fd, "").Pending(pid)
}
