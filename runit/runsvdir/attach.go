package runsvdir

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// attach connects to the host supervising DIR, starting one if there is
// none, and learns which supervisors it already runs: a runsvdir started
// again after SIGKILL therefore starts no second copy of anything.
func (s *scanner) attach() error {
	name := socketName(s.absDir)
	for try := 0; ; try++ {
		fd, err := dial(name)
		if err == nil {
			// Abstract names are open to every user: a host somebody
			// else bound first would be sent our stderr and trusted
			// with our services.
			if !peerTrusted(fd) {
				syscall.Close(fd)
				return fmt.Errorf("the supervisor host socket %s belongs to another user", name)
			}
			return s.hello(fd)
		}
		if try == 3 || (err != syscall.ECONNREFUSED && err != syscall.ENOENT) {
			return err
		}
		if err := s.spawnHost(name); err != nil && err != syscall.EADDRINUSE {
			return err
		}
	}
}

func dial(name string) (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: name}); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// spawnHost binds the host's socket itself and hands it over as fd 3, so
// the host is reachable the moment it exists and two runsvdirs racing to
// start one get one (the loser's bind fails with EADDRINUSE).
func (s *scanner) spawnHost(name string) error {
	lfd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(lfd)
	if err := syscall.Bind(lfd, &syscall.SockaddrUnix{Name: name}); err != nil {
		return err
	}
	if err := syscall.Listen(lfd, 64); err != nil {
		return err
	}
	pid, err := syscall.ForkExec("/proc/self/exe", []string{HostName, s.absDir}, &syscall.ProcAttr{
		Dir:   "/",
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2, uintptr(lfd)},
		// -P: the host leads a session of its own, and so do not the
		// services but the whole supervision tree (see docs/runsvdir.md).
		Sys: &syscall.SysProcAttr{Setsid: s.setsid},
	})
	if err != nil {
		return err
	}
	// The host is our child until we exit; the loop reaps it if it goes
	// first (a goroutine blocked in wait4 would hold a thread).
	s.hostPIDs = append(s.hostPIDs, pid)
	return nil
}

// hello sends our fd 2 to the host and reads its list of supervisors.
func (s *scanner) hello(fd int) error {
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := sendPacket(fd, encode(msgHello), 2); err != nil {
		syscall.Close(fd)
		return err
	}
	c := &conn{fd: fd}
	have := make(map[key]string)
	for {
		m, pfd, err := c.recv()
		if pfd >= 0 {
			syscall.Close(pfd)
		}
		if err != nil {
			syscall.Close(fd)
			if err == syscall.EAGAIN {
				return errors.New("supervisor host does not answer")
			}
			return err
		}
		if m[0] == msgReady {
			break
		}
		if m[0] == msgHave && len(m) == 4 {
			if k, err := parseKey(m[1:]); err == nil {
				have[k] = m[3]
			}
		}
	}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{})
	now := time.Now()
	for k, name := range have {
		e := s.table[k]
		if e == nil {
			e = &entry{name: name}
			s.table[k] = e
		}
		e.running, e.started = true, now
	}
	c = newConn(fd)
	s.host = c
	go func() {
		for {
			m, pfd, err := c.recv()
			if pfd >= 0 {
				syscall.Close(pfd)
			}
			if err != nil {
				c.close()
				s.events <- hostEvent{c: c}
				return
			}
			s.events <- hostEvent{c: c, msg: m}
		}
	}()
	return nil
}
