package runsv

import (
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/runit/reaper"
	"sysconf/runit/supervise"
)

// exitStatus111 is the wait status of a child that exited 111, which is
// what runit's child does when its execve fails.
const exitStatus111 syscall.WaitStatus = 111 << 8

// forkFailed tells a failure to create the child (runit: "unable to fork,
// sleeping") from a failure of the child's own set-up or execve, which Go's
// ForkExec reports through the same error. Only resource shortage can hit
// the parent's clone or pipe.
func forkFailed(err error) bool {
	return err == syscall.EAGAIN || err == syscall.ENOMEM || err == syscall.EMFILE || err == syscall.ENFILE
}

// startProc is runit's startservice (§2.5): ./finish CODE STATUS when v is
// in state finish, else control/u then ./run (or log/run).
func (s *Supervisor) startProc(v *svc) {
	s.unpause(v)
	var argv []string
	nfd := 0
	if v.state == supervise.StateFinish {
		argv = finishArgv(v.wstat)
	} else {
		argv = []string{"./run"}
		s.custom(v, 'u')
		// Only read to warn early of a bad file: stop reads it again,
		// as the directory may change in between.
		s.readStopConfig(v)
		nfd = s.notificationFD(v)
	}
	if v.done != nil {
		s.stop(v) // runit: "should never happen" (u after k before the reap)
	}

	dir := s.procDir
	files := []uintptr{0, 1, s.cfg.StderrFD}
	var setupErr string
	if s.log != nil {
		if v.islog {
			dir += "/log"
			files[0] = uintptr(s.pipe[0])
			if s.pipe[0] < 0 {
				setupErr = "unable to setup filedescriptor for ./log/run"
			}
		} else {
			files[1] = uintptr(s.pipe[1])
			if s.pipe[1] < 0 {
				setupErr = "unable to setup filedescriptor for ./run"
			}
		}
	}

	// A session of its own makes the process lead a process group, which
	// escalate kills whole (stop.go); runit's runsv leaves its children
	// in its own.
	sys := &syscall.SysProcAttr{Setsid: s.ownSession(v)}
	if cg := s.enterCgroup(v, v.state != supervise.StateFinish && !v.islog); cg >= 0 {
		defer unix.Close(cg)
		sys.UseCgroupFD, sys.CgroupFD = true, cg
	}
	var notify *os.File
	notifyW := -1
	if nfd > 0 && setupErr == "" {
		notify, notifyW = s.notifyPipe(v, nfd, &files)
	}
	if notify == nil && v.state != supervise.StateFinish {
		// Whatever process the ready file names, it is not the one
		// about to start, which is ready when it runs.
		unix.Unlinkat(s.dirfd, v.file(supervise.ReadyFile), 0)
	}
	var pid int
	var done <-chan syscall.WaitStatus
	for setupErr == "" {
		var err error
		pid, done, err = s.cfg.Reaper.Start(argv[0], argv, &syscall.ProcAttr{Dir: dir, Env: s.cfg.Env, Files: files, Sys: sys})
		if err == nil {
			break
		}
		if sys.UseCgroupFD {
			s.warn("unable to start "+v.prefix+argv[0]+" in cgroup "+v.cgroup+", starting without", err)
			sys.UseCgroupFD, v.cgroup = false, ""
			unix.Unlinkat(s.dirfd, v.file(supervise.CgroupFile), 0)
			continue
		}
		if forkFailed(err) {
			s.warn("unable to fork, sleeping", err)
			time.Sleep(5 * time.Second)
			continue
		}
		// runit's child prints this and exits 111; Go's ForkExec hands the
		// errno of the failed execve (or chdir) to the parent instead.
		s.fatalChild("unable to start "+v.prefix+argv[0], err)
		break
	}
	if setupErr != "" {
		s.fatalChild(setupErr, syscall.EBADF)
	}
	if notifyW >= 0 {
		unix.Close(notifyW)
	}
	if done == nil {
		// The child "exited 111" at once: the next iteration reaps it.
		c := make(chan syscall.WaitStatus, 1)
		c <- exitStatus111
		done = c
	}
	if v.state != supervise.StateFinish {
		v.start = time.Now()
		v.state = supervise.StateRun
		s.closeNotify(v)
		if notify != nil && pid != 0 {
			s.markStarting(v, pid)
			v.notify = notify
			go s.watchReady(v, pid, notify)
		} else if notify != nil {
			notify.Close()
		}
	}
	v.pid = pid
	v.done = done
	s.pidChanged = true
	v.paused, v.term = false, false
	if pid != 0 {
		s.update(v)
	}
}

// finishArgv is ./finish CODE STATUS for the last wait status of ./run:
// CODE is the exit code, or -1 when a signal ended it; STATUS is the low
// byte of the wait status (the signal, +128 for a core dump). An adopted
// process ended in an unknown way: "-1 0".
func finishArgv(ws syscall.WaitStatus) []string {
	argv := []string{"./finish", "-1", "0"}
	if ws != reaper.Unknown {
		if ws&0x7f == 0 {
			argv[1] = strconv.Itoa(int(uint32(ws) >> 8))
		}
		argv[2] = strconv.Itoa(int(ws & 0xff))
	}
	return argv
}

// custom runs the hook control/<c> if it exists with its owner-execute bit
// set, waits for it, and reports whether it "succeeded" (§2.8). Like runit
// it takes "exit code" as the wait status shifted right by 8, so a hook
// killed by a signal counts as a success.
func (s *Supervisor) custom(v *svc, c byte) bool {
	if v.islog {
		return false
	}
	name := "control/" + string(c)
	var st unix.Stat_t
	if err := unix.Fstatat(s.dirfd, name, &st, 0); err != nil {
		if err != unix.ENOENT {
			s.warn("unable to stat "+name, err)
		}
		return false
	}
	if st.Mode&unix.S_IXUSR == 0 {
		return false
	}
	files := []uintptr{0, 1, s.cfg.StderrFD}
	if s.log != nil {
		if s.pipe[1] >= 0 {
			files[1] = uintptr(s.pipe[1])
		} else {
			s.warn("unable to setup stdout for "+name, syscall.EBADF)
		}
	}
	_, done, err := s.cfg.Reaper.Start(name, []string{name}, &syscall.ProcAttr{Dir: s.procDir, Env: s.cfg.Env, Files: files})
	if err != nil {
		if forkFailed(err) {
			s.warn("unable to fork for "+name, err)
			return false
		}
		s.fatalChild("unable to run control/?", err)
		return false // it "exited 111"
	}
	ws := <-done
	return uint32(ws)>>8 == 0
}

// kill signals v's process, never its group (sv's t, k, p, c, a, h, i,
// q, 1 and 2 reach the one process, as with runit); runit ignores the
// result, so do we.
func (s *Supervisor) kill(v *svc, sig syscall.Signal) {
	if v.pid > 0 {
		s.cfg.Reaper.Signal(v.pid, sig)
	}
}
