package runsvdir

import (
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/errtext"
	"sysconf/runit/supervise"
)

// entry is a service runsvdir knows: a directory of DIR by (dev, ino).
type entry struct {
	name    string
	running bool      // the host has a supervisor for it
	started time.Time // last start request
}

type scanner struct {
	dir    string // DIR as given, for messages
	absDir string // DIR made absolute, lexically; symlinks stay
	setsid bool
	warnw  io.Writer

	table  map[key]*entry
	check  bool // rescan at the next wake-up, one second away
	forced bool // Debian's SIGALRM

	host   *conn
	local  *host    // the supervisors, when this process hosts them
	lfd    int      // local's listening socket
	held   []handed // what a yielding successor held, for retake
	events chan hostEvent
	watch  *watcher
	last   struct {
		key   key
		mtime syscall.Timespec
	}
}

type hostEvent struct {
	c   *conn
	msg []string // nil: the connection ended
}

// Main runs runsvdir with args (args[0] is the program name).
func Main(args []string, _ io.Reader, _, stderr io.Writer) int {
	prog := "runsvdir"
	if len(args) > 0 {
		prog = args[0]
	}
	// runit's own argument handling, not getopt (spec §3.1).
	rest := args[1:]
	setsid := false
	if len(rest) > 0 && len(rest[0]) > 1 && rest[0][0] == '-' {
		switch rest[0][1] {
		case 'P':
			setsid = true
			rest = rest[1:]
		case '-':
			rest = rest[1:]
		}
	}
	if len(rest) == 0 {
		io.WriteString(stderr, "usage: "+prog+" [-P] dir\n\n")
		return 1
	}
	s := &scanner{dir: rest[0], setsid: setsid, warnw: stderr, table: make(map[key]*entry), events: make(chan hostEvent, 1024)}
	abs, err := filepath.Abs(s.dir)
	if err != nil {
		io.WriteString(stderr, "runsvdir "+s.dir+": fatal: unable to open current directory: "+errtext.Text(err)+"\n")
		return 100
	}
	s.absDir = abs

	var t *title
	var logr *os.File
	if len(rest) > 1 {
		logArg := rest[1]
		if len(logArg) < 7 {
			s.warnx("log must have at least seven characters.")
			s.warnx("log service disabled.")
		} else if r, err := s.setupLog(); err != nil {
			s.warnx("log service disabled.")
		} else {
			logr = r
			// The argument's index in the original argv, which is what
			// openTitle overwrites: args may be a suffix of os.Args
			// (cmd/runsvdir passes all of it; a test may pass less).
			idx := len(os.Args) - len(args) + (len(args) - len(rest)) + 1
			if t, err = openTitle(idx, logArg); err != nil {
				s.warn("unable to set up the process title", err)
			}
		}
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGALRM)

	logBytes := make(chan []byte, 16)
	dot := make(<-chan time.Time)
	if logr != nil {
		go func() {
			for {
				buf := make([]byte, 1024)
				n, err := logr.Read(buf)
				if n > 0 {
					logBytes <- buf[:n]
				}
				if err != nil && err != syscall.EAGAIN {
					return
				}
			}
		}()
		syscall.Write(2, []byte("."))
		tick := time.NewTicker(900 * time.Second)
		defer tick.Stop()
		dot = tick.C
	}

	if w, err := newWatcher(s.absDir); err != nil {
		s.warn("unable to watch "+s.dir+", rescanning every 5 seconds", err)
		s.watch = w
	} else {
		s.watch = w
	}

	if err := s.attach(); err != nil {
		s.warn("unable to start the supervisor host", err)
		s.check = true
	}
	s.tick()
	next := time.Now().Add(s.interval())
	for {
		rescan := false
		timer := time.NewTimer(time.Until(next))
		select {
		case sig := <-sigs:
			timer.Stop()
			switch sig {
			case syscall.SIGTERM:
				// Every supervisor lives on (spec §3.5): in a successor
				// when they are ours, in the host we attached to if not.
				if s.local != nil {
					s.succeed(false)
				}
				return 0
			case syscall.SIGHUP:
				if s.local != nil {
					s.succeed(true)
				} else if s.host != nil {
					s.host.send(msgHup)
					s.host.flush()
				}
				return 111
			case syscall.SIGALRM:
				s.forced = true
				rescan = true
			}
		case <-s.watch.events:
			timer.Stop()
			rescan = true
		case ev := <-s.events:
			timer.Stop()
			s.hostEvent(ev)
		case b := <-logBytes:
			timer.Stop()
			if t != nil {
				t.feed(b)
			}
		case <-dot:
			timer.Stop()
			syscall.Write(2, []byte("."))
		case <-timer.C:
			s.tick()
			next = time.Now().Add(s.interval())
		}
		if rescan {
			s.rescan()
		}
		if s.check && time.Until(next) > time.Second {
			next = time.Now().Add(time.Second)
		}
	}
}

func (s *scanner) interval() time.Duration {
	if s.check {
		return time.Second
	}
	return 5 * time.Second
}

func (s *scanner) warn(text string, err error) {
	io.WriteString(s.warnw, "runsvdir "+s.dir+": warning: "+text+": "+errtext.Text(err)+"\n")
}

func (s *scanner) warnx(text string) {
	io.WriteString(s.warnw, "runsvdir "+s.dir+": warning: "+text+"\n")
}

// setupLog makes a non-blocking pipe runsvdir's fd 2 (and so the host's and
// every service's stderr) and returns its read end.
func (s *scanner) setupLog() (*os.File, error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		s.warnx("unable to create pipe for log.")
		return nil, err
	}
	if err := syscall.Dup3(p[1], 2, 0); err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		s.warnx("unable to set filedescriptor for log.")
		return nil, err
	}
	syscall.Close(p[1])
	s.warnw = &fdWriter{fd: 2}
	return os.NewFile(uintptr(p[0]), "log"), nil
}

// tick is the periodic fallback of runit's loop (spec §3.4): rescan when
// asked to, or when DIR's mtime, inode or device changed.
func (s *scanner) tick() {
	var st syscall.Stat_t
	if err := syscall.Stat(s.absDir, &st); err != nil {
		s.warn("unable to stat "+s.dir, err)
		return
	}
	k := key{st.Dev, st.Ino}
	if s.check || s.forced || k != s.last.key || st.Mtim != s.last.mtime || s.watch.changed(s.absDir) {
		s.rescan()
	}
}

// rescan reads DIR and acts on what changed.
func (s *scanner) rescan() {
	var st syscall.Stat_t
	if err := syscall.Stat(s.absDir, &st); err == nil {
		k := key{st.Dev, st.Ino}
		if k != s.last.key || s.watch.changed(s.absDir) {
			// DIR now resolves elsewhere (runsvchdir): watch the new one.
			s.watch.set(s.absDir)
		}
		s.last.key, s.last.mtime = k, st.Mtim
	}
	s.check = false
	s.scan()
	if s.forced {
		s.forced = false
		s.writeForced()
	}
}

// scan is runit's runsvdir() (spec §3.3) with the host doing the starting.
func (s *scanner) scan() {
	defer trimLater()
	fd, err := syscall.Open(s.absDir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		s.warn("unable to change directory to "+s.dir, err)
		s.check = true
		return
	}
	f := os.NewFile(uintptr(fd), s.dir)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		s.warn("unable to read directory "+s.dir, err)
		s.check = true
		return
	}
	now := time.Now()
	seen := make(map[key]bool, len(names))
	for _, name := range names {
		if name == "" || name[0] == '.' {
			continue
		}
		var st unix.Stat_t
		if err := fstatat(fd, name, &st); err != nil {
			s.warn("unable to stat "+name, err)
			continue
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		k := key{st.Dev, st.Ino}
		if seen[k] {
			continue // a second link to one directory is the same service
		}
		seen[k] = true
		e := s.table[k]
		if e == nil {
			e = &entry{name: name}
			s.table[k] = e
		}
		if e.running {
			continue
		}
		// A supervisor that exited comes back at a wake-up, no faster
		// than once a second (runit's loop runs no faster either).
		if now.Sub(e.started) < time.Second {
			s.check = true
			continue
		}
		if s.start(k, e, name) {
			s.check = true
		}
	}
	for k, e := range s.table {
		if !seen[k] {
			if e.running && s.host != nil {
				s.host.send(append([]string{msgExit}, k.fields()...)...)
			}
			delete(s.table, k)
			s.check = true
		}
	}
}

// start asks the host for a supervisor of DIR/name; false if there is no
// host to ask (the next wake-up tries again).
func (s *scanner) start(k key, e *entry, name string) bool {
	if s.host == nil {
		if err := s.attach(); err != nil {
			s.warn("unable to start runsv "+name, err)
			s.check = true
			return false
		}
		if e.running {
			return true // the new host had it already
		}
	}
	e.name = name
	e.running = true
	e.started = time.Now()
	s.host.send(append(append([]string{msgStart}, k.fields()...), name, filepath.Join(s.absDir, name))...)
	return true
}

func (s *scanner) hostEvent(ev hostEvent) {
	if ev.c != s.host {
		return
	}
	if ev.msg == nil {
		// The host died (SIGKILL, say): a new one adopts what still runs.
		s.warnx("supervisor host exited, starting a new one.")
		s.host = nil
		for _, e := range s.table {
			e.running = false
		}
		s.check = true
		return
	}
	if ev.msg[0] == msgGone {
		if k, err := parseKey(ev.msg[1:]); err == nil {
			if e := s.table[k]; e != nil {
				e.running = false
				s.check = true
			}
		}
	}
}

// writeForced records a forced rescan in DIR/.forced-rescan (Debian).
func (s *scanner) writeForced() {
	p := filepath.Join(s.absDir, ".forced-rescan")
	fd, err := syscall.Open(p, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_TRUNC|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		s.warn("failed to open ./.forced-rescan", err)
		return
	}
	defer syscall.Close(fd)
	if _, err := syscall.Write(fd, []byte(supervise.Now().Label())); err != nil {
		s.warn("failed to write ./.forced-rescan", err)
	}
}
