package runsvdir

import (
	"errors"
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
				return errors.New("the supervisor host socket " + name + " belongs to another user")
			}
			if s.local == nil {
				took, err := s.reclaim(fd)
				if err != nil {
					syscall.Close(fd)
					return err
				}
				if took {
					continue // our own host now: attach to it
				}
			}
			if err := s.hello(fd); err != nil {
				return err
			}
			s.retake()
			return nil
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

// spawnHost binds the host's socket and serves it from this process: the
// supervisors run here, beside the scanner (docs/runsvdir.md). Binding
// first means two runsvdirs racing to host DIR get one host (the loser's
// bind fails with EADDRINUSE, and it attaches to the winner's).
func (s *scanner) spawnHost(name string) error {
	lfd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := syscall.Bind(lfd, &syscall.SockaddrUnix{Name: name}); err != nil {
		syscall.Close(lfd)
		return err
	}
	if err := syscall.Listen(lfd, 64); err != nil {
		syscall.Close(lfd)
		return err
	}
	s.local, s.lfd = newHost(s.absDir), lfd
	s.local.listen(lfd)
	return nil
}

// reclaim asks the host on fd to yield: a successor (left by a runsvdir's
// SIGTERM) detaches its supervisors, lists them and sends its listening
// socket, which this process serves from then on; retake, once attached,
// has the services taken over. Any other host answers stay, and fd is then
// attached as usual.
func (s *scanner) reclaim(fd int) (bool, error) {
	// A host of an earlier sysconf ignores yield: no answer is a stay
	// (hello then waits for its answers as usual). The wait is long, as a
	// loaded machine can be slow to answer: a successor whose yieldok came
	// after a stay had been assumed would detach its supervisors for a
	// runsvdir that no longer takes them, leaving the services without one.
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 10})
	if err := sendPacket(fd, encode(msgYield), -1); err != nil {
		return false, err
	}
	c := &conn{fd: fd}
	var held []handed
	for {
		m, pfd, err := c.recv()
		if err == syscall.EAGAIN && held == nil {
			return false, nil
		}
		if err != nil {
			if err == syscall.EAGAIN {
				err = errors.New("supervisor host does not answer")
			}
			return false, err
		}
		switch m[0] {
		case msgStay:
			return false, nil
		case msgYieldOK:
			// Detaching 500 supervisors takes a while.
			held = []handed{}
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 10})
		case msgHeld:
			if len(m) == 6 {
				if k, err := parseKey(m[1:]); err == nil {
					held = append(held, handed{k: k, name: m[3], path: m[4], exiting: m[5] == "1"})
				}
			}
		case msgYielded:
			if pfd < 0 {
				return false, errors.New("supervisor host yielded no socket")
			}
			syscall.Close(fd)
			s.local, s.lfd = newHost(s.absDir), pfd
			s.local.listen(pfd)
			s.held = held
			return true, nil
		}
		if pfd >= 0 {
			syscall.Close(pfd)
		}
	}
}

// retake has the host take over what a yielding successor held.
func (s *scanner) retake() {
	now := time.Now()
	for _, x := range s.held {
		e := s.table[x.k]
		if e == nil {
			e = &entry{name: x.name}
			s.table[x.k] = e
		}
		e.running, e.started = true, now
		s.host.send(append(append([]string{msgTake}, x.k.fields()...), x.name, x.path)...)
		if x.exiting {
			s.host.send(append([]string{msgExit}, x.k.fields()...)...)
		}
	}
	s.held = nil
}

// dialFD connects to the address the listening socket lfd is bound to.
func dialFD(lfd int) (int, error) {
	sa, err := syscall.Getsockname(lfd)
	if err != nil {
		return -1, err
	}
	u, ok := sa.(*syscall.SockaddrUnix)
	if !ok {
		return -1, syscall.EAFNOSUPPORT
	}
	return dial(u.Name)
}

// succeed hands the supervisors of this process to a successor host
// process, for runit's contract on SIGTERM (runsvdir exits at once, every
// supervisor lives on) and SIGHUP (runsvdir exits at once, every
// supervisor stops its service and exits). The supervisors detach, leaving
// their services running and their supervise/status as it is; the
// successor (argv[0] runsvdir-host, the listening socket as fd 3) opens
// each service again, adopting what runs by pidfd and keeping the wanted
// state, and is the host a later runsvdir attaches to. On SIGTERM succeed
// returns once the successor answers sv for every service (its Opens have
// returned), so that runit-init's stage 3 finds them; at most after 10 s.
func (s *scanner) succeed(hup bool) {
	hs := s.local.detachAll(s.lfd, time.Now().Add(5*time.Second))
	if len(hs) == 0 {
		return // nothing to hand over
	}
	// Our child until we exit, then init's, as runit's runsvs are.
	_, err := syscall.ForkExec("/proc/self/exe", []string{HostName, s.absDir}, &syscall.ProcAttr{
		Dir:   "/",
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2, uintptr(s.lfd)},
		// -P: the successor leads a session of its own (docs/runsvdir.md).
		Sys: &syscall.SysProcAttr{Setsid: s.setsid},
	})
	if err != nil {
		s.warn("unable to start the successor supervisor host", err)
		return
	}
	fd, err := dialFD(s.lfd)
	if err != nil {
		s.warn("unable to reach the successor supervisor host", err)
		return
	}
	defer syscall.Close(fd)
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	for _, x := range hs {
		if err := sendPacket(fd, encode(append(append([]string{msgTake}, x.k.fields()...), x.name, x.path)...), -1); err != nil {
			s.warn("unable to hand over to the successor supervisor host", err)
			return
		}
		if x.exiting && !hup {
			sendPacket(fd, encode(append([]string{msgExit}, x.k.fields()...)...), -1)
		}
	}
	if hup {
		sendPacket(fd, encode(msgHup), -1)
		return
	}
	if err := sendPacket(fd, encode(msgSync), -1); err != nil {
		return
	}
	c := &conn{fd: fd}
	for {
		m, pfd, err := c.recv()
		if pfd >= 0 {
			syscall.Close(pfd)
		}
		if err != nil || m[0] == msgSynced {
			return
		}
	}
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
