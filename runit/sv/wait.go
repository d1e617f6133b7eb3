package sv

import (
	"time"

	"sysconf/runit/supervise"
)

// waitFor is phase 2 (spec §4.5): every 420 ms it resolves each pending
// service again, reads its status and evaluates the command's checks,
// printing "ok: " and the status line once they pass, or "timeout: " /
// "kill: " once the wait time has passed.
func (s *run) waitFor(services []string, pending []bool) {
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
			if s.check(d, s.cmd.bytes) != 0 {
				pending[i] = false
				d.close()
				continue
			}
			done = false
			if elapsed > float64(s.wait) {
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
		time.Sleep(pollInterval)
		s.now = time.Now()
	}
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
			if !running || st.State != supervise.StateRun || !s.checkScript(d) {
				return 0
			}
		case 'd':
			if running || st.State != supervise.StateDown {
				return 0
			}
		case 'C':
			// Debian's 2.1.2: a service without a process passes;
			// state and want are not looked at.
			if running && !s.checkScript(d) {
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
