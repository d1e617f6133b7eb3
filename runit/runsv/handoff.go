package runsv

import (
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// Handoffs carries the processes of a supervisor that handed them over to
// the next supervisor that opens the same supervise directory in this
// process (runsvdir's host): they are its reaper's children, which
// adoption through /proc cannot take. One per process, shared by every
// Supervisor through Config.Handoffs.
type Handoffs struct {
	mu sync.Mutex
	m  map[[2]uint64]*handoff
}

// NewHandoffs returns an empty set of handoffs.
func NewHandoffs() *Handoffs { return &Handoffs{m: make(map[[2]uint64]*handoff)} }

// handoff is what a supervisor leaves: its running processes (nil when
// none) and the log pipe between them.
type handoff struct {
	main, log *svc
	pipe      [2]int
}

func (h *Handoffs) put(k [2]uint64, o *handoff) {
	h.mu.Lock()
	h.m[k] = o
	h.mu.Unlock()
}

func (h *Handoffs) take(k [2]uint64) *handoff {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.m[k]
	delete(h.m, k)
	return o
}

// superviseKey identifies the supervise directory v uses (the target of
// its symlink, shared by the directories of a service's definitions).
func (s *Supervisor) superviseKey() ([2]uint64, bool) {
	var st unix.Stat_t
	if unix.Fstatat(s.dirfd, supervise.DirName, &st, 0) != nil {
		return [2]uint64{}, false
	}
	return [2]uint64{st.Dev, st.Ino}, true
}

// handOver is the exit asked for by Exit when supervise/handover exists
// and a process runs: instead of stopping them, leave the service and its
// logger running, parked in cfg.Handoffs (when there is one) for the next
// supervisor of this supervise directory, which must not find the lock
// free before they are parked. A standalone runsv just exits; its children
// then belong to init, and the next runsv adopts them (adopt.go). It
// reports whether it handed over; Run then returns at once.
func (s *Supervisor) handOver() bool {
	if !s.exists(supervise.Path("", supervise.HandoverFile)) {
		return false
	}
	o := &handoff{pipe: [2]int{-1, -1}}
	if s.main.done != nil {
		o.main = s.main
	}
	if s.log != nil && s.log.done != nil {
		o.log = s.log
	}
	if o.main == nil && o.log == nil {
		return false // nothing runs: an ordinary exit stops nothing
	}
	if s.cfg.Handoffs != nil {
		k, ok := s.superviseKey()
		if !ok {
			return false
		}
		o.pipe, s.pipe = s.pipe, [2]int{-1, -1}
		s.cfg.Handoffs.put(k, o)
	}
	return true
}

// claim takes over what the previous supervisor of this supervise
// directory handed over, once Open holds the locks. It reports whether
// there was a handoff; unclaim gives it back if Open fails after all.
func (s *Supervisor) claim() bool {
	if s.cfg.Handoffs == nil {
		return false
	}
	k, ok := s.superviseKey()
	if !ok {
		return false
	}
	o := s.cfg.Handoffs.take(k)
	if o == nil {
		return false
	}
	s.claimed = o
	inherit := func(v, old *svc) {
		v.state, v.want, v.paused, v.term = old.state, old.want, old.paused, old.term
		v.pid, v.done, v.start, v.wstat = old.pid, old.done, old.start, old.wstat
		v.adopt = 0
		s.inheritReadiness(v)
	}
	if o.main != nil {
		inherit(s.main, o.main)
	}
	if s.log != nil && o.log != nil {
		inherit(s.log, o.log)
	} else if o.log != nil {
		// The new definition has no logger: stop the old one, as the
		// supervisor that started it would have.
		s.cfg.Reaper.Signal(o.log.pid, syscall.SIGTERM)
		s.cfg.Reaper.Signal(o.log.pid, syscall.SIGCONT)
	}
	if s.log != nil && o.pipe[0] >= 0 {
		// The processes keep the pipe they share; so does the new logger.
		closeFD(&s.pipe[0])
		closeFD(&s.pipe[1])
		s.pipe = o.pipe
	} else {
		closeFD(&o.pipe[0])
		closeFD(&o.pipe[1])
	}
	return true
}

// unclaim returns a claimed handoff when Open fails after claim, so that
// the supervisor runsvdir starts next takes the processes, not a second
// copy of them.
func (s *Supervisor) unclaim() {
	o := s.claimed
	if o == nil {
		return
	}
	s.claimed = nil
	k, ok := s.superviseKey()
	if !ok {
		return
	}
	back := &handoff{pipe: [2]int{-1, -1}}
	if o.main != nil {
		m := *s.main
		back.main = &m
	}
	if o.log != nil && s.log != nil {
		l := *s.log
		back.log = &l
		back.pipe, s.pipe = s.pipe, [2]int{-1, -1}
	}
	s.cfg.Handoffs.put(k, back)
}
