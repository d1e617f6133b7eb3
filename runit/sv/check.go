package sv

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// checkScript runs dir/check, if there is one, and tells whether it passes
// (spec §4.5): a missing check passes; one that cannot be executed prints a
// warning and passes too (runit's child warns and exits 0); otherwise it
// passes when the exit-code field of its wait status is 0, so a check killed
// by a signal passes as well. It runs in dir with argv[0] "./check", sv's
// environment, standard input and error inherited and standard output
// closed.
func (s *run) checkScript(d dir) bool {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, "check", &st, 0); err != nil {
		if err == unix.ENOENT {
			return true
		}
		s.warn2("unable to stat", "check", err)
		return false
	}
	s.sync()
	// syscall.ForkExec rather than os.StartProcess: the latter stats the
	// directory first, and an os.FileInfo's time.Time brings time's
	// formatting and zone loading into sv's binary (about 100 kB more to
	// map at every start of sv). Descriptor -1 is closed in the child:
	// fd 1. The child chdirs to dir before its exec of "check".
	attr := &syscall.ProcAttr{
		Dir:   d.path,
		Env:   syscall.Environ(),
		Files: []uintptr{0, ^uintptr(0), s.childStderr()},
	}
	pid, err := syscall.ForkExec("check", []string{"./check"}, attr)
	if err != nil {
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			s.warn2("unable to fork for", "check", err)
			return false
		}
		s.warn2("unable to run", "check", err)
		return true
	}
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		s.warn2("unable to wait for child", "check", err)
		return false
	}
	return uint32(ws)>>8&0xff == 0
}

// childStderr is the descriptor the check inherits as its standard error:
// sv's own when Main was given a file, the process's otherwise.
func (s *run) childStderr() uintptr {
	if f, ok := s.stderr.(*os.File); ok {
		return f.Fd()
	}
	return 2
}
