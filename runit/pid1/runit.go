package pid1

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"sysconf/internal/errtext"
	"sysconf/runit/reaper"
)

// The paths of the Debian build of runit 2.1.2 (spec §7, §0.3).
const (
	stage1File     = "/etc/runit/1"
	stage2File     = "/etc/runit/2"
	stage3File     = "/etc/runit/3"
	ctrlaltdelFile = "/etc/runit/ctrlaltdel"
	nosyncFile     = "/etc/runit/nosync"
	emergencyFile  = "/etc/runit/emergency"
	consoleFile    = "/dev/console"
)

// The flag files through which runit-init and the ctrlaltdel script ask
// runit to stop (stopit) and to reboot rather than power off (reboot):
// owner-executable means set. sysconf's generated stage scripts write them.
const (
	StopitFile = "/run/runit.stopit"
	RebootFile = "/run/runit.reboot"
)

const runitVersion = "$Id: 25da3b86f7bed4038b8a039d2f8e8c9bbcf0822b $"

var stages = [3]string{stage1File, stage2File, stage3File}

// pause is how long runit waits before retrying a failed fork and before
// restarting a stage 2 that exited 111 (runit's sleep(5)).
const pause = 5 * time.Second

// RunitMain is the runit program: process no. 1. It returns only when it is
// not process no. 1 (111, after the fatal line).
func RunitMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if os.Getpid() != 1 {
		io.WriteString(stderr, "- runit: fatal: must be run as process no 1.\n")
		return 111
	}
	r := newRunit(stderr)
	r.boot()
	r.runStages()
	r.shutdown()
	r.sleepForever()
	return 111 // not reached
}

// runit is the state of process no. 1; one per process, owned by the main
// goroutine.
type runit struct {
	out    io.Writer // fd 2, the console once boot has dup'ed it there
	reaper *reaper.Reaper
	sigs   chan os.Signal
	env    []string
	// pause is runit's sleep(5) before a retry (tests shorten it).
	pause time.Duration
	// pwrSeen is Debian's stale SIGPWR flag: after a SIGPWR shutdown its
	// runit warns "signals only work in stage 2." in stage 3 as often as
	// other children wake it; this one warns once, as stage 3 begins.
	pwrSeen bool
}

func newRunit(out io.Writer) *runit {
	r := &runit{out: out, sigs: make(chan os.Signal, 16), env: os.Environ(), pause: pause}
	// Signals whose default would kill or stop a Go process (the runtime
	// exits on SIGTERM, SIGHUP, SIGQUIT even as pid 1) are caught and
	// dropped, as runit blocks them. Caught rather than ignored, so that
	// the children start with the default dispositions (spec §0.7).
	drop := make(chan os.Signal, 16)
	signal.Notify(drop, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGALRM, syscall.SIGPIPE,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTSTP, syscall.SIGTTIN,
		syscall.SIGTTOU, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGVTALRM, syscall.SIGPROF,
		syscall.SIGWINCH, syscall.SIGURG, syscall.SIGIO)
	go func() {
		for range drop {
		}
	}()
	signal.Notify(r.sigs, syscall.SIGCONT, syscall.SIGINT, syscall.SIGPWR)
	r.reaper = reaper.New(nil)
	return r
}

func (r *runit) info(msg string) { io.WriteString(r.out, "- runit: "+msg+"\n") }
func (r *runit) warn(msg string) { io.WriteString(r.out, "- runit: warning: "+msg+"\n") }
func (r *runit) fatal(msg string) {
	io.WriteString(r.out, "- runit: fatal: "+msg+"\n")
}

// safely runs step, recovering a panic: process no. 1 must not die of a
// bug. It reports whether step returned normally.
func (r *runit) safely(step func()) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			r.fatal("BUG: " + errtext.Recovered(v) + ", retrying in 5 seconds\n" + string(debug.Stack()))
			time.Sleep(r.pause)
			ok = false
		}
	}()
	step()
	return true
}

// retry runs step until it returns normally.
func (r *runit) retry(step func()) {
	for !r.safely(step) {
	}
}

// boot is runit's startup (spec §7.1) after the pid check.
func (r *runit) boot() {
	r.retry(func() {
		syscall.Setsid()
		if fd, err := syscall.Open(consoleFile, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0); err == nil {
			// Blocking from here on: a busy serial console should delay a
			// message, not drop it with EAGAIN.
			if fl, err := fcntl(fd, syscall.F_GETFL, 0); err == nil {
				fcntl(fd, syscall.F_SETFL, fl&^syscall.O_NONBLOCK)
			}
			for i := 0; i < 3; i++ {
				syscall.Dup3(fd, i, 0)
			}
			if fd > 2 {
				syscall.Close(fd)
			}
		}
		// Ctrl-Alt-Del as SIGINT to pid 1. A PID namespace refuses it
		// (EINVAL), which is fine: its Ctrl-Alt-Del belongs to the host.
		syscall.Reboot(syscall.LINUX_REBOOT_CMD_CAD_OFF)
		r.info(runitVersion + ": booting.")
	})
}

func fcntl(fd, cmd, arg int) (int, error) {
	v, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if errno != 0 {
		return 0, errno
	}
	return int(v), nil
}

// runStages runs stage 1, 2 and 3 (spec §7.2, §7.3).
func (r *runit) runStages() {
	for st := 0; st < 3; st++ {
		var next int
		r.retry(func() { next = r.runStage(st) })
		st = next
	}
}

// runStage runs stage st (0-based) to its end and returns the index of the
// stage before the one to run next.
func (r *runit) runStage(st int) int {
	path := stages[st]
	if r.pwrSeen {
		r.pwrSeen = false
		r.warn("signals only work in stage 2.")
	}
	pid, done := r.startStage(st)
	for {
		var ws syscall.WaitStatus
		if done == nil {
			// Could not exec: the stage counts as having exited 0.
			ws = 0
		} else {
			select {
			case ws = <-done:
			case sig := <-r.sigs:
				if r.handleSignal(st, pid, done, sig) {
					r.info("leave stage: " + path)
					return st
				}
				continue
			}
		}
		code := 0
		if ws.Exited() {
			code = ws.ExitStatus()
		}
		if code != 0 {
			r.warn("child failed: " + path)
			if st == 0 && code == 100 {
				r.info("leave stage: " + path)
				r.warn("skipping stage 2...")
				return st + 1
			}
			if st == 1 && code == 111 {
				r.warn("killing all processes in stage 2...")
				syscall.Kill(-pid, syscall.SIGKILL)
				time.Sleep(r.pause)
				r.warn("restarting.")
				return st - 1
			}
		}
		r.info("leave stage: " + path)
		return st
	}
}

// startStage forks and execs stage st, printing "enter stage" first. It
// returns a nil channel if the stage could not be exec'd and no emergency
// shell took its place.
func (r *runit) startStage(st int) (int, <-chan syscall.WaitStatus) {
	path := stages[st]
	for {
		files := []uintptr{0, 1, 2}
		var tty *os.File
		if st == 0 {
			f, err := os.OpenFile(consoleFile, os.O_RDWR, 0)
			if err != nil {
				r.warn("unable to open /dev/console: " + errtext.Text(err))
			} else {
				tty = f
				files[0] = f.Fd()
			}
		}
		r.info("enter stage: " + path)
		pid, done, err := r.start(path, []string{path}, files, st != 0)
		if tty != nil {
			tty.Close()
		}
		if err == nil {
			return pid, done
		}
		if isForkError(err) {
			r.fatal(`unable to fork for "` + path + `" pausing: ` + errtext.Text(err))
			time.Sleep(r.pause)
			continue
		}
		r.fatal("unable to start child: " + path + ": " + errtext.Text(err))
		if !r.emergency(path) {
			return 0, nil
		}
	}
}

// start forks and execs argv through the reaper. The child starts with the
// default disposition of every signal runit catches; runit 2.1.2 sets
// SIGCONT to ignored in its stages, which Go cannot do for a child alone,
// and ignoring SIGCONT in runit itself around the fork would lose a
// shutdown request (runit-init 0) sent meanwhile. For SIGCONT the two
// dispositions behave the same: both let a stopped process continue and
// neither ends it.
func (r *runit) start(path string, argv []string, files []uintptr, setsid bool) (int, <-chan syscall.WaitStatus, error) {
	attr := &syscall.ProcAttr{Env: r.env, Files: files, Sys: &syscall.SysProcAttr{Setsid: setsid}}
	return r.reaper.Start(path, argv, attr)
}

// isForkError tells a failed fork (worth retrying) from a failed exec.
func isForkError(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM)
}

// emergency runs the emergency shell, if configured, for the stage at path
// and waits for it; it reports whether it ran.
func (r *runit) emergency(path string) bool {
	if !ownerExecutable(emergencyFile) {
		return false
	}
	files := []uintptr{0, 1, 2}
	if f, err := os.OpenFile(consoleFile, os.O_RDWR, 0); err == nil {
		defer f.Close()
		files = []uintptr{f.Fd(), f.Fd(), f.Fd()}
	}
	r.warn("starting emergency shell: " + emergencyFile)
	_, done, err := r.start(emergencyFile, []string{emergencyFile, path}, files, true)
	if err != nil {
		r.warn("unable to start emergency shell: " + errtext.Text(err))
		time.Sleep(r.pause)
		return true
	}
	<-done
	return true
}

// handleSignal handles sig while stage st (pid, done) runs, and reports
// whether stage 2 has been stopped for a shutdown.
func (r *runit) handleSignal(st, pid int, done <-chan syscall.WaitStatus, sig os.Signal) bool {
	if st != 1 {
		r.warn("signals only work in stage 2.")
		return false
	}
	cont, pwr := sig == syscall.SIGCONT, sig == syscall.SIGPWR
	if sig == syscall.SIGINT && ownerExecutable(ctrlaltdelFile) {
		r.info("ctrl-alt-del request...")
		r.runCtrlaltdel()
		cont = true
	}
	if !pwr && !(cont && ownerExecutable(StopitFile)) {
		return false
	}
	r.pwrSeen = pwr
	os.Chmod(StopitFile, 0)
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.warn("stage 2 not terminated, sending sigkill...")
		syscall.Kill(pid, syscall.SIGKILL)
		<-done
	}
	return true
}

// runCtrlaltdel runs /etc/runit/ctrlaltdel and waits for it.
func (r *runit) runCtrlaltdel() {
	for {
		r.info("enter stage: " + ctrlaltdelFile)
		_, done, err := r.start(ctrlaltdelFile, []string{ctrlaltdelFile}, []uintptr{0, 1, 2}, false)
		if err == nil {
			if ws := <-done; ws.Signaled() {
				r.warn("child crashed: " + ctrlaltdelFile)
			}
			break
		}
		if isForkError(err) {
			r.fatal(`unable to fork for "` + ctrlaltdelFile + `" pausing: ` + errtext.Text(err))
			time.Sleep(r.pause)
			continue
		}
		r.fatal("unable to start child: " + ctrlaltdelFile + ": " + errtext.Text(err))
		break
	}
	r.info("leave stage: " + ctrlaltdelFile)
}

// shutdown is what follows stage 3 (spec §7.4).
func (r *runit) shutdown() {
	r.retry(func() {
		r.info("sending KILL signal to all processes...")
		syscall.Kill(-1, syscall.SIGKILL)
		if ownerExecutable(RebootFile) {
			r.info("system reboot.")
			r.sync()
			syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART)
			return
		}
		r.info("power off...")
		r.sync()
		syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
		time.Sleep(2 * time.Second)
		r.info("system halt.")
		r.sync()
		syscall.Reboot(syscall.LINUX_REBOOT_CMD_HALT)
	})
}

func (r *runit) sync() {
	if _, err := os.Lstat(nosyncFile); err == nil {
		return
	}
	syscall.Sync()
}

// sleepForever keeps process no. 1 alive after a reboot(2) that returned;
// the reaper goes on collecting children.
func (r *runit) sleepForever() {
	for {
		select {
		case <-r.sigs:
		case <-time.After(time.Hour):
		}
	}
}

// ownerExecutable reports whether path exists with the owner-x bit, the
// test runit applies to ctrlaltdel, stopit and reboot.
func ownerExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().Perm()&0o100 != 0
}
