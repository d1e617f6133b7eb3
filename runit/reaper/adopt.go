package reaper

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Unknown is the wait status an adopted process reports on exit. Only a
// process's parent can learn how it ended; an adopter can only see that it
// did. Unknown is a "stopped" status (low seven bits 0x7f), which a reaper
// that never asks for WUNTRACED never delivers for a real child, so it
// cannot be mistaken for one.
const Unknown syscall.WaitStatus = 0xffffffff

// Adopt watches pid, a live process that is not our child (for example the
// ./run a killed supervisor left behind), through a non-blocking pidfd read
// by Go's poller: no thread is parked per process. The channel receives
// Unknown once the process has exited. Until then Signal reaches it through
// the pidfd, so a recycled pid is never signalled. pidfd_open's error is
// returned as is (ESRCH: already gone; ENOSYS: kernel before 5.3).
func (r *Reaper) Adopt(pid int) (<-chan syscall.WaitStatus, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	done := make(chan syscall.WaitStatus, 1)
	r.mu.Lock()
	if r.adopted == nil {
		r.adopted = make(map[int]*os.File)
	}
	r.adopted[pid] = f
	r.mu.Unlock()
	go func() {
		// The poller calls the function again each time the pidfd turns
		// readable, which it does when the process exits.
		err := rc.Read(func(fd uintptr) bool { return pidfdExited(int(fd)) })
		if err != nil {
			// Not pollable (an old kernel): poll it once a second.
			for {
				var exited bool
				if rc.Control(func(fd uintptr) { exited = pidfdExited(int(fd)) }) != nil || exited {
					break
				}
				time.Sleep(time.Second)
			}
		}
		r.mu.Lock()
		delete(r.adopted, pid)
		r.mu.Unlock()
		f.Close()
		done <- Unknown
	}()
	return done, nil
}

// pidfdExited reports whether the process behind a pidfd has exited.
func pidfdExited(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}

// Signal sends sig to pid: through its pidfd when the process was adopted,
// with kill(2) otherwise.
func (r *Reaper) Signal(pid int, sig syscall.Signal) error {
	r.mu.Lock()
	f, ok := r.adopted[pid]
	r.mu.Unlock()
	if !ok {
		return syscall.Kill(pid, sig)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		// The pidfd was closed: the process has exited.
		return syscall.ESRCH
	}
	return serr
}

// IsChild reports whether pid was started through Start and not yet reaped.
func (r *Reaper) IsChild(pid int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.waiting[pid]
	return ok
}

// KillGroup sends SIGKILL to the process group that pid leads and then to
// pid itself, which may have left that group (Signal's way: through its
// pidfd when adopted). The group id is safe to use while pid is a child
// not yet reaped, or an adopted process whose pidfd says it is alive:
// its pid, and so a group of that id, cannot belong to anybody else. A pid
// that never led a group has none to kill (ESRCH, ignored).
func (r *Reaper) KillGroup(pid int) error {
	if pid <= 1 {
		return syscall.EINVAL
	}
	r.mu.Lock()
	_, child := r.waiting[pid]
	f, adopted := r.adopted[pid]
	r.mu.Unlock()
	alive := child
	if adopted {
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { alive = !pidfdExited(int(fd)) })
		}
	}
	groupKilled := alive && syscall.Kill(-pid, syscall.SIGKILL) == nil
	err := r.Signal(pid, syscall.SIGKILL)
	if groupKilled && errors.Is(err, syscall.ESRCH) {
		// pid was in the group it led: dead of that SIGKILL, and reaped
		// before this second one.
		return nil
	}
	return err
}
