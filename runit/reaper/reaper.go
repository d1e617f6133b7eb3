// Package reaper collects the exit statuses of a process's children and hands
// each one to whoever started that child.
//
// A supervisor host runs thousands of supervisors in one process, and PID 1
// inherits every orphan of the system. Either way one loop must call
// wait4(-1): a per-child os/exec Wait would cost a blocked thread per child,
// and a second wait4(-1) loop beside os/exec steals the statuses that Wait is
// waiting for — the classic bug of Go inits. So a process that uses a Reaper
// starts every child through Reaper.Start and never through os/exec.
package reaper

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Exit is one reaped child.
type Exit struct {
	PID    int
	Status syscall.WaitStatus
}

// Reaper owns the wait4(-1) loop of the process. Make one per process.
type Reaper struct {
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus
	orphan  func(Exit)
	sigs    chan os.Signal
	adopted map[int]*os.File // pidfds of adopted processes, see Adopt

	// A child can exit before Start has registered its pid. While Starts
	// are between fork and registration, unknown children are kept in
	// early, stamped with seq, for their Start to claim.
	starting int
	seq      uint64
	early    map[int]earlyExit
}

type earlyExit struct {
	status syscall.WaitStatus
	seq    uint64
}

// New starts the reaper's loop. orphan, if not nil, is called for every
// reaped child that was not started through Start, such as the orphans PID 1
// inherits; it runs on the reaper's goroutine or on a goroutine inside Start.
func New(orphan func(Exit)) *Reaper {
	r := &Reaper{
		waiting: make(map[int]chan syscall.WaitStatus),
		orphan:  orphan,
		sigs:    make(chan os.Signal, 1),
		early:   make(map[int]earlyExit),
	}
	signal.Notify(r.sigs, syscall.SIGCHLD)
	go r.loop()
	return r
}

// Start forks and execs argv0 like syscall.ForkExec and returns the child's
// pid and a channel that receives its wait status once it has exited.
//
// No lock is held across the fork: syscall.ForkExec waits until the child
// has exec'd, and a supervisor host starting hundreds of services at once
// must not start them one at a time. A child that exits before it is
// registered is kept by the loop (see Reaper.early) and claimed here.
func (r *Reaper) Start(argv0 string, argv []string, attr *syscall.ProcAttr) (int, <-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	r.starting++
	r.seq++
	since := r.seq
	r.mu.Unlock()

	pid, err := syscall.ForkExec(argv0, argv, attr)

	var done chan syscall.WaitStatus
	r.mu.Lock()
	r.starting--
	if err == nil {
		done = make(chan syscall.WaitStatus, 1)
		// Only an exit reaped after this fork began can be this child's:
		// an older entry with the same pid is a process that had the pid
		// before it was reused.
		if e, ok := r.early[pid]; ok && e.seq >= since {
			delete(r.early, pid)
			done <- e.status
		} else {
			r.waiting[pid] = done
		}
	}
	var strays []Exit
	if r.starting == 0 {
		for p, e := range r.early {
			strays = append(strays, Exit{PID: p, Status: e.status})
			delete(r.early, p)
		}
	}
	r.mu.Unlock()
	if r.orphan != nil {
		for _, e := range strays {
			r.orphan(e)
		}
	}
	if err != nil {
		return 0, nil, err
	}
	return pid, done, nil
}

// Reap collects every child that has exited so far. The loop calls it on
// each SIGCHLD; callers may call it too, for example after a signal was
// coalesced.
func (r *Reaper) Reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		r.mu.Lock()
		done, ok := r.waiting[pid]
		delete(r.waiting, pid)
		if !ok && r.starting > 0 {
			r.seq++
			r.early[pid] = earlyExit{status: ws, seq: r.seq}
			r.mu.Unlock()
			continue
		}
		r.mu.Unlock()
		if ok {
			done <- ws
		} else if r.orphan != nil {
			r.orphan(Exit{PID: pid, Status: ws})
		}
	}
}

func (r *Reaper) loop() {
	for range r.sigs {
		r.Reap()
	}
}
