package runsv

import (
	"syscall"

	"sysconf/runit/supervise"
)

// ctrlState is the part of a service's state that command bytes change.
type ctrlState struct {
	state  supervise.State
	want   supervise.Want
	paused bool
}

// effect is what a command byte makes the supervisor do, in this order:
// send signal (when the hook control/<byte> does not succeed), take the
// new state, update the status files, stop the service (runit's
// stopservice), start ./run.
type effect struct {
	signal syscall.Signal // 0: none
	update bool
	stop   bool
	start  bool
}

// command is the table of spec §2.7 as a pure function: the state and the
// effects that command byte c has on a service in state st; islog is the
// log service, which ignores x. Any other byte changes nothing. Every
// effect that needs a process (signal, stop) comes only with state run,
// and start only with state down.
func command(c byte, st ctrlState, islog bool) (ctrlState, effect) {
	var eff effect
	running := st.state == supervise.StateRun
	switch cmd := supervise.Command(c); cmd {
	case supervise.CmdDown:
		st.want = supervise.WantDown
		eff.update, eff.stop = true, running
	case supervise.CmdUp:
		st.want = supervise.WantUp
		eff.update, eff.start = true, st.state == supervise.StateDown
	case supervise.CmdExit:
		if islog {
			break
		}
		st.want = supervise.WantExit
		eff.update, eff.stop = true, running
	case supervise.CmdTerm:
		eff.stop = running
	case supervise.CmdKill:
		// The state is down at once, without an update: the next one
		// comes with the reap (§1.5).
		eff.signal = signalIf(running, syscall.SIGKILL)
		st.state = supervise.StateDown
	case supervise.CmdPause:
		eff.signal = signalIf(running, syscall.SIGSTOP)
		st.paused, eff.update = true, true
	case supervise.CmdCont:
		eff.signal = signalIf(running, syscall.SIGCONT)
		st.paused, eff.update = false, true
	case supervise.CmdOnce:
		st.want = supervise.WantDown
		eff.update, eff.start = true, st.state == supervise.StateDown
	case supervise.CmdAlarm, supervise.CmdHangup, supervise.CmdInterrupt, supervise.CmdQuit, supervise.CmdUSR1, supervise.CmdUSR2:
		eff.signal = signalIf(running, signalOf(cmd))
	}
	return st, eff
}

func signalIf(running bool, sig syscall.Signal) syscall.Signal {
	if running {
		return sig
	}
	return 0
}

// signalOf is the signal of the commands a h i q 1 2.
func signalOf(c supervise.Command) syscall.Signal {
	switch c {
	case supervise.CmdAlarm:
		return syscall.SIGALRM
	case supervise.CmdHangup:
		return syscall.SIGHUP
	case supervise.CmdInterrupt:
		return syscall.SIGINT
	case supervise.CmdQuit:
		return syscall.SIGQUIT
	case supervise.CmdUSR1:
		return syscall.SIGUSR1
	}
	return syscall.SIGUSR2
}

// ctrl applies one command byte to v (§2.7).
func (s *Supervisor) ctrl(v *svc, c byte) {
	next, eff := command(c, ctrlState{state: v.state, want: v.want, paused: v.paused}, v.islog)
	if eff.signal != 0 && !s.custom(v, c) {
		s.kill(v, eff.signal)
	}
	v.state, v.want, v.paused = next.state, next.want, next.paused
	if v.want == supervise.WantUp {
		// Wanted up again before it stopped: the process keeps running,
		// as with runit, and is not killed.
		s.disarm(v)
	} else {
		// Not to be started again: no wait for a start either.
		s.unpause(v)
	}
	if eff.update {
		s.update(v)
	}
	if eff.stop {
		s.stop(v)
	}
	if eff.start {
		s.startProc(v)
	}
}
