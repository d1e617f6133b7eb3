package sv

import (
	"errors"
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
	// A nil *os.File is descriptor -1, which the child closes: fd 1.
	attr := &os.ProcAttr{Dir: d.path, Files: []*os.File{os.Stdin, nil, s.childStderr()}}
	p, err := os.StartProcess("check", []string{"./check"}, attr)
	if err != nil {
		var errno syscall.Errno
		errors.As(err, &errno)
		if errno == syscall.EAGAIN || errno == syscall.ENOMEM {
			s.warn2("unable to fork for", "check", err)
			return false
		}
		s.warn2("unable to run", "check", err)
		return true
	}
	ps, err := p.Wait()
	if err != nil {
		s.warn2("unable to wait for child", "check", err)
		return false
	}
	ws := ps.Sys().(syscall.WaitStatus)
	return uint32(ws)>>8&0xff == 0
}

// childStderr is the descriptor the check inherits as its standard error:
// sv's own when Main was given a file, the process's otherwise.
func (s *run) childStderr() *os.File {
	if f, ok := s.stderr.(*os.File); ok {
		return f
	}
	return os.Stderr
}
