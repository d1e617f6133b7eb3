package runsv

import (
	"os"
	"runtime/debug"
	"syscall"

	"golang.org/x/sys/unix"

	"sysconf/internal/errtext"
	"sysconf/runit/supervise"
)

// Run is runsv's main loop (spec §2.4) until the service is told to exit
// and it and its logger are down (§2.10). It returns 0, or 111 after an
// internal error, which it reports instead of crashing the process. It
// closes every descriptor and lock before it returns. Call it once.
func (s *Supervisor) Run() (code int) {
	defer s.release()
	defer func() {
		if r := recover(); r != nil {
			s.warnx("internal error, giving up: " + errtext.Recovered(r) + "\n" + string(debug.Stack()))
			code = 111
		}
	}()
	mainc := make(chan byte)
	go s.readCommands(s.main.ctl, mainc)
	var logc chan byte
	if s.log != nil {
		logc = make(chan byte)
		go s.readCommands(s.log.ctl, logc)
	}
	for {
		if s.log != nil && s.log.done == nil && s.log.want == supervise.WantUp && !s.log.waiting() {
			s.startProc(s.log)
		}
		if s.main.done == nil && (s.main.want == supervise.WantUp && !s.main.waiting() || s.main.state == supervise.StateFinish) {
			s.startProc(s.main)
		}

		// Wait for anything, then handle what is ready in runit's order:
		// reaps, one byte from each control FIFO, SIGTERM.
		var mainWS, logWS *syscall.WaitStatus
		mainCmd, logCmd := -1, -1
		term, mainKill, logKill := false, false, false
		select {
		case ws := <-s.main.done:
			mainWS = &ws
		case ws := <-s.logDone():
			logWS = &ws
		case b := <-mainc:
			mainCmd = int(b)
		case b := <-logc:
			logCmd = int(b)
		case <-s.exitc:
			term = true
		case <-s.main.killC():
			mainKill = true
		case <-s.log.killC():
			logKill = true
		case m := <-s.readyc:
			s.ready(m)
		case <-s.main.backoffC():
			s.unpause(s.main)
		case <-s.log.backoffC():
			s.unpause(s.log)
		}
		if mainWS == nil {
			mainWS = poll(s.main.done)
		}
		if mainWS != nil {
			s.reaped(s.main, *mainWS)
		}
		if logWS == nil {
			logWS = poll(s.logDone())
		}
		if logWS != nil {
			s.reaped(s.log, *logWS)
		}
		// After the reaps: a process reaped in this iteration has
		// stopped in time.
		if mainKill {
			s.escalate(s.main)
		}
		if logKill {
			s.escalate(s.log)
		}
		if mainCmd < 0 {
			mainCmd = pollByte(mainc)
		}
		if mainCmd >= 0 {
			s.ctrl(s.main, byte(mainCmd))
		}
		if s.log != nil {
			if logCmd < 0 {
				logCmd = pollByte(logc)
			}
			if logCmd >= 0 {
				s.ctrl(s.log, byte(logCmd))
			}
		}
		if !term {
			select {
			case <-s.exitc:
				term = true
			default:
			}
		}
		if term && (s.detach.Load() || s.handOver()) {
			return 0
		}
		if term {
			s.ctrl(s.main, byte(supervise.CmdExit))
		}

		if s.main.want == supervise.WantExit && s.main.state == supervise.StateDown {
			if s.log == nil || s.log.done == nil {
				return 0
			}
			if s.log.want != supervise.WantExit {
				s.log.want = supervise.WantExit
				s.update(s.log)
				s.closePipe()
			}
		}
	}
}

func (s *Supervisor) logDone() <-chan syscall.WaitStatus {
	if s.log == nil {
		return nil
	}
	return s.log.done
}

func poll(c <-chan syscall.WaitStatus) *syscall.WaitStatus {
	select {
	case ws := <-c:
		return &ws
	default:
		return nil
	}
}

func pollByte(c chan byte) int {
	select {
	case b := <-c:
		return int(b)
	default:
		return -1
	}
}

// readCommands hands the bytes of a control FIFO to the loop one at a
// time. The FIFO is non-blocking and read through Go's poller, so a waiting
// reader is a parked goroutine, not a thread. A byte not yet taken stays
// with the reader, the rest in the FIFO, as in runit.
func (s *Supervisor) readCommands(f *os.File, c chan<- byte) {
	var b [1]byte
	for {
		n, err := f.Read(b[:])
		if n == 1 {
			select {
			case c <- b[0]:
			case <-s.quit:
				return
			}
			continue
		}
		if err != nil {
			// Closed by release, or EOF of a control "FIFO" that is a
			// regular file (runit's log quirk lets one through).
			return
		}
	}
}

// reaped is §2.6: v's process has exited with ws.
func (s *Supervisor) reaped(v *svc, ws syscall.WaitStatus) {
	s.disarm(v)
	s.closeNotify(v)
	v.done = nil
	v.pid = 0
	s.pidChanged = true
	v.wstat = ws
	v.term = false
	if !v.islog && v.state != supervise.StateFinish && s.canRead("finish") {
		v.state = supervise.StateFinish
		s.update(v)
		return
	}
	s.stopped(v)
}

// canRead is runit's open_read test for ./finish: existence and
// readability, not the execute bit.
func (s *Supervisor) canRead(name string) bool {
	fd, err := unix.Openat(s.dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// closePipe closes both ends of the log pipe when runsv is exiting, so the
// logger sees EOF once the service's other writers are gone.
func (s *Supervisor) closePipe() {
	if err := closeFD(&s.pipe[1]); err != nil {
		s.warn("unable to close logpipe[1]", err)
	}
	if err := closeFD(&s.pipe[0]); err != nil {
		s.warn("unable to close logpipe[0]", err)
	}
}
