package runsvdir

import (
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/errtext"
	"sysconf/runit/reaper"
	"sysconf/runit/runsv"
)

// hostSup is one supervisor goroutine of the host.
type hostSup struct {
	name    string
	path    string            // DIR/NAME as the scanner gave it
	sup     *runsv.Supervisor // nil while Open runs
	exiting bool              // Exit was asked for (before or after Open)
}

// host is the supervisor-host process: one runsv.Supervisor per service.
type host struct {
	dir    string   // DIR, absolute, for messages
	env    []string // every service's environment, one copy for all (read only)
	stderr *fdWriter
	reaper *reaper.Reaper
	// handoffs passes a service from the supervisor of a replaced
	// directory to the next one of its supervise directory (runsv's
	// supervise/handover).
	handoffs *runsv.Handoffs

	mu        sync.Mutex
	sups      map[key]*hostSup
	conns     map[*conn]bool
	everConn  bool
	stopping  bool // SIGTERM: no new supervisors
	nofileMax uint64
	opening   chan struct{} // bounds concurrent runsv.Open calls
	opens     int           // supervisors whose Open has not returned yet
	syncs     []*conn       // asked for sync, answered when opens is 0
	detaching bool          // handing over to a successor: Detach every supervisor
	successor bool          // a runsvdir-host process (HostMain): it may yield
	lfd       int           // the listening socket
	yielding  bool          // handing everything to a runsvdir: do not exit on the way
	yielded   bool          // the listening socket is the runsvdir's now
	changed   chan struct{} // a supervisor ended (detachAll waits on it)

	done     chan struct{} // closed when the host is to end; HostMain then returns
	doneOnce sync.Once
}

// HostMain is the supervisor host (program name runsvdir-host). runsvdir
// starts it with the listening socket as fd 3 and DIR as args[1]; users do
// not call it. It returns 0 once no runsvdir is attached and its last
// supervisor has exited (or when no runsvdir attached within 10 seconds),
// 100 on bad invocation.
func HostMain(args []string, _ io.Reader, _, stderr io.Writer) int {
	if len(args) < 2 {
		io.WriteString(stderr, "usage: "+args[0]+" dir\n\n")
		return 100
	}
	lfd := 3
	if _, err := unix.FcntlInt(uintptr(lfd), unix.F_GETFD, 0); err != nil {
		io.WriteString(stderr, args[0]+" "+args[1]+": fatal: no listening socket on fd 3: "+err.Error()+"\n")
		return 100
	}
	syscall.CloseOnExec(lfd)
	// A runsvdir that went away leaves fd 2 a pipe without reader.
	signal.Ignore(syscall.SIGPIPE)
	h := newHost(args[1])
	h.successor, h.lfd = true, lfd
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	go func() {
		for {
			select {
			case <-term:
				h.terminate()
			case <-h.done:
				return
			}
		}
	}()
	// A runsvdir that died before it attached would leave an idle host.
	idle := time.AfterFunc(10*time.Second, func() {
		h.mu.Lock()
		idle := !h.everConn
		h.mu.Unlock()
		if idle {
			h.finish()
		}
	})
	defer idle.Stop()
	accepted := h.listen(lfd)
	<-h.done
	// Shutting the listening socket down ends the accept loop's Accept4
	// (EINVAL); its descriptor is closed only once the loop has returned,
	// so that it cannot accept on a number reused meanwhile. The
	// connections are shut down too: their readers return.
	h.mu.Lock()
	yielded := h.yielded
	h.mu.Unlock()
	if !yielded {
		// (After a yield the accept loop has returned already, and the
		// socket, shared with the runsvdir, must keep listening.)
		unix.Shutdown(lfd, unix.SHUT_RDWR)
	}
	<-accepted
	syscall.Close(lfd)
	h.mu.Lock()
	for c := range h.conns {
		c.close()
	}
	h.mu.Unlock()
	return 0
}

// newHost returns a host of the supervisors of DIR (absolute).
func newHost(dir string) *host {
	return &host{
		dir:      dir,
		env:      slices.Clip(os.Environ()),
		stderr:   &fdWriter{fd: 2},
		reaper:   reaper.New(nil),
		handoffs: runsv.NewHandoffs(),
		sups:     make(map[key]*hostSup),
		conns:    make(map[*conn]bool),
		// Every goroutine blocked in a syscall holds an OS thread, and Go
		// never gives threads back: a burst of 5,000 Opens must not leave
		// thousands of idle threads behind. Eight at once, not two: Open's
		// file operations wait on the disk, and a pickup of 100 services
		// took 0.86 s with two, 0.41 s with eight (no faster with 32).
		opening: make(chan struct{}, 8),
		done:    make(chan struct{}),
		changed: make(chan struct{}, 1),
	}
}

// listen serves runsvdir connections on lfd; the channel is closed when
// the accept loop has returned.
func (h *host) listen(lfd int) <-chan struct{} {
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		h.accept(lfd)
	}()
	return accepted
}

// accept takes runsvdir connections on lfd until the host is done.
func (h *host) accept(lfd int) {
	for {
		fd, _, err := syscall.Accept4(lfd, syscall.SOCK_CLOEXEC)
		h.mu.Lock()
		detaching := h.detaching
		h.mu.Unlock()
		select {
		case <-h.done:
			detaching = true
		default:
		}
		if detaching {
			// The successor accepts from now on (stopAccept's wake-up
			// connection ends up here).
			if err == nil {
				syscall.Close(fd)
			}
			return
		}
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			h.warn("unable to accept runsvdir connection", err)
			select { // a pause, not a spin, on a persistent error
			case <-h.done:
				return
			case <-time.After(time.Second):
			}
			continue
		}
		if !peerTrusted(fd) {
			syscall.Close(fd)
			continue
		}
		c := newConn(fd)
		h.mu.Lock()
		h.conns[c] = true
		h.everConn = true
		h.mu.Unlock()
		go h.serve(c)
	}
}

// finish ends the host: HostMain returns.
func (h *host) finish() { h.doneOnce.Do(func() { close(h.done) }) }

// peerTrusted accepts only processes of our own uid, or root.
func peerTrusted(fd int) bool {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return false
	}
	return cred.Uid == 0 || int(cred.Uid) == os.Getuid()
}

func (h *host) warn(text string, err error) {
	if err != nil {
		text += ": " + err.Error()
	}
	io.WriteString(h.stderr, HostName+" "+h.dir+": warning: "+text+"\n")
}

func (h *host) serve(c *conn) {
	defer func() {
		c.close()
		c.closeFD()
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		h.maybeExit()
	}()
	for {
		m, fd, err := c.recv()
		if err != nil {
			return
		}
		switch m[0] {
		case msgHello:
			if fd >= 0 {
				// The new runsvdir's fd 2 (its log pipe, say) becomes ours,
				// and so every new service's stderr.
				unix.Dup3(fd, 2, 0)
				syscall.Close(fd)
			}
			h.mu.Lock()
			for k, s := range h.sups {
				if !s.exiting {
					c.send(append(append([]string{msgHave}, k.fields()...), s.name)...)
				}
			}
			h.mu.Unlock()
			c.send(msgReady)
		case msgStart, msgTake:
			if len(m) != 5 {
				continue
			}
			k, err := parseKey(m[1:])
			if err != nil {
				continue
			}
			h.start(k, m[3], m[4], m[0] == msgTake)
		case msgSync:
			h.mu.Lock()
			if h.opens == 0 {
				c.send(msgSynced)
			} else {
				h.syncs = append(h.syncs, c)
			}
			h.mu.Unlock()
		case msgExit:
			if k, err := parseKey(m[1:]); err == nil {
				h.exit(k)
			}
		case msgHup:
			h.mu.Lock()
			for k := range h.sups {
				h.exitLocked(k)
			}
			h.mu.Unlock()
		case msgYield:
			if !h.successor {
				c.send(msgStay)
				continue
			}
			h.yield(c)
			return
		}
		if fd >= 0 && m[0] != msgHello {
			syscall.Close(fd)
		}
	}
}

func (h *host) start(k key, name, path string, inherit bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.sups[k]; ok || h.stopping {
		return
	}
	s := &hostSup{name: name, path: path}
	h.sups[k] = s
	h.opens++
	h.raiseNofileLocked()
	// Supervision is idle once started: give the start-up garbage back
	// rather than keep it as resident heap (PSS is what this design saves).
	trimLater()
	go h.run(k, s, inherit)
}

func (h *host) exit(k key) {
	h.mu.Lock()
	h.exitLocked(k)
	h.mu.Unlock()
}

func (h *host) exitLocked(k key) {
	s, ok := h.sups[k]
	if !ok {
		return
	}
	s.exiting = true
	if s.sup != nil {
		s.sup.Exit()
	}
}

func (h *host) terminate() {
	h.mu.Lock()
	h.stopping = true
	for k := range h.sups {
		h.exitLocked(k)
	}
	h.mu.Unlock()
	h.maybeExit()
}

// run is one supervisor's goroutine: runsv's life, from Open to exit.
func (h *host) run(k key, s *hostSup, inherit bool) {
	defer func() {
		if p := recover(); p != nil {
			// A bug in one supervisor must not take the others down: report
			// it and carry on as if that runsv had exited 111.
			io.WriteString(h.stderr, "runsv "+s.name+": fatal: panic: "+errtext.Recovered(p)+"\n"+string(debug.Stack()))
		}
		h.mu.Lock()
		delete(h.sups, k)
		for c := range h.conns {
			c.send(append([]string{msgGone}, k.fields()...)...)
		}
		h.mu.Unlock()
		select {
		case h.changed <- struct{}{}:
		default:
		}
		h.maybeExit()
	}()
	// Resolve the entry now: runsv would chdir into it, so a later swap of
	// the symlink DIR is reached through must not move the supervisor.
	sup, ok := h.openCounted(k, s, inherit)
	h.mu.Lock()
	if !ok {
		h.mu.Unlock()
		return
	}
	s.sup = sup
	if h.detaching {
		sup.Detach()
	} else if s.exiting {
		sup.Exit()
	}
	h.mu.Unlock()
	sup.Run()
}

// openCounted is open at most len(h.opening) at a time, counted in
// h.opens for sync; the count and the slot are given back even if Open
// panics.
func (h *host) openCounted(k key, s *hostSup, inherit bool) (*runsv.Supervisor, bool) {
	h.opening <- struct{}{}
	defer func() {
		<-h.opening
		h.mu.Lock()
		h.opens--
		if h.opens == 0 {
			for _, c := range h.syncs {
				c.send(msgSynced)
			}
			h.syncs = nil
		}
		h.mu.Unlock()
	}()
	return h.open(k, s, inherit)
}

// open resolves the entry and performs runsv's startup for it.
func (h *host) open(k key, s *hostSup, inherit bool) (*runsv.Supervisor, bool) {
	real, st, err := resolve(s.path)
	if err != nil {
		io.WriteString(h.stderr, "runsv "+s.name+": fatal: unable to change to directory: "+errtext.Text(err)+"\n")
		return nil, false
	}
	if st.Dev != k.dev || st.Ino != k.ino {
		// Replaced between scan and start: runsvdir's next scan sees it.
		return nil, false
	}
	sup, err := runsv.Open(runsv.Config{
		Dir:         real,
		Name:        s.name,
		Stderr:      h.stderr,
		StderrFD:    2,
		Reaper:      h.reaper,
		Env:         h.env,
		Handoffs:    h.handoffs,
		InheritWant: inherit,
	})
	if err != nil {
		io.WriteString(h.stderr, "runsv "+s.name+": fatal: "+err.Error()+"\n")
		return nil, false
	}
	return sup, true
}

// resolve returns the directory path leads to, symlinks resolved, and its
// stat: three system calls (open, fstat, readlink of /proc/self/fd/N)
// where filepath.EvalSymlinks and a stat take one per path component.
func resolve(path string) (string, *unix.Stat_t, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", nil, err
	}
	real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil || !filepath.IsAbs(real) {
		// No /proc: the slow way.
		if real, err = filepath.EvalSymlinks(path); err != nil {
			return "", nil, err
		}
	}
	return real, &st, nil
}

// handed is a supervisor detachAll let go: the successor takes it over.
type handed struct {
	k          key
	name, path string
	exiting    bool
}

// detachAll lets every supervisor go without stopping its service
// (runsv.Supervisor.Detach) and waits, at most until deadline, until all
// have closed their descriptors and released their locks, so that a
// successor can open them. It returns what they supervised. No supervisor
// starts afterwards, and the accept loop on lfd returns.
func (h *host) detachAll(lfd int, deadline time.Time) []handed {
	h.mu.Lock()
	h.stopping, h.detaching = true, true
	var hs []handed
	for k, s := range h.sups {
		hs = append(hs, handed{k: k, name: s.name, path: s.path, exiting: s.exiting})
		if s.sup != nil {
			s.sup.Detach()
		}
	}
	h.mu.Unlock()
	// The accept loop sees detaching at its next connection: make one.
	if fd, err := dialFD(lfd); err == nil {
		syscall.Close(fd)
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		h.mu.Lock()
		n := len(h.sups)
		h.mu.Unlock()
		if n == 0 {
			return hs
		}
		select {
		case <-h.changed:
		case <-timer.C:
			return hs
		}
	}
}

// yield hands every supervisor and the listening socket to the runsvdir on
// c, which hosts them from then on (one process again), and ends the host:
// the same detach as a runsvdir's on SIGTERM, the other way round.
func (h *host) yield(c *conn) {
	c.sendPacketFD(encode(msgYieldOK), -1)
	h.mu.Lock()
	h.yielding = true
	h.mu.Unlock()
	hs := h.detachAll(h.lfd, time.Now().Add(5*time.Second))
	for _, x := range hs {
		exiting := "0"
		if x.exiting {
			exiting = "1"
		}
		if c.sendPacketFD(encode(append(append([]string{msgHeld}, x.k.fields()...), x.name, x.path, exiting)...), -1) != nil {
			break
		}
	}
	if c.sendPacketFD(encode(msgYielded), h.lfd) == nil {
		h.mu.Lock()
		h.yielded = true
		h.mu.Unlock()
	}
	// Yielded or not (the runsvdir went away: the next one adopts the
	// services), this host is done.
	h.finish()
}

// maybeExit ends the host once no runsvdir is attached and no supervisor is
// left; a host that was never attached waits for its runsvdir.
func (h *host) maybeExit() {
	h.mu.Lock()
	if h.yielding {
		h.mu.Unlock()
		return // yield ends the host itself
	}
	done := len(h.sups) == 0 && (h.stopping || (h.everConn && len(h.conns) == 0))
	h.mu.Unlock()
	if done {
		h.finish()
	}
}

// raiseNofileLocked makes room for the descriptors of every supervisor (up
// to ten each, with a log service) when that outgrows RLIMIT_NOFILE: as far
// as the hard limit, and beyond it up to fs.nr_open when we are allowed to.
// Services started afterwards inherit the raised limit.
func (h *host) raiseNofileLocked() {
	need := uint64(len(h.sups))*10 + 256
	if need <= h.nofileMax {
		return
	}
	var lim unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &lim); err != nil {
		return
	}
	if need <= lim.Cur {
		h.nofileMax = lim.Cur
		return
	}
	want := lim
	want.Cur = lim.Max
	if need > lim.Max {
		want.Max = max(need*2, lim.Max)
		if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
			if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && want.Max > n {
				want.Max = n
			}
		}
		want.Cur = want.Max
	}
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &want, nil); err != nil {
		want = lim
		want.Cur = lim.Max
		if unix.Prlimit(0, unix.RLIMIT_NOFILE, &want, nil) != nil {
			want.Cur = lim.Cur
		}
	}
	h.nofileMax = want.Cur
}

// fdWriter writes to a raw descriptor with one write per message, dropping
// what a full non-blocking pipe will not take (as runit's diagnostics do),
// and never through Go's poller: fd 2 is replaced under us by dup3.
type fdWriter struct {
	mu sync.Mutex
	fd int
}

func (w *fdWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for tries := 0; len(p) > 0 && tries < 100; {
		m, err := syscall.Write(w.fd, p)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			tries++
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			return n - len(p), err
		}
		p = p[m:]
	}
	return n, nil
}
