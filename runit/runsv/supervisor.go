package runsv

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/errtext"
	"sysconf/runit/reaper"
	"sysconf/runit/supervise"
)

// Config says what a Supervisor supervises and where it reports.
type Config struct {
	Dir      string         // service directory; absolute for a host that never chdirs
	Name     string         // name in messages: "runsv NAME: warning: ..."
	Stderr   io.Writer      // where the supervisor's own messages go
	StderrFD uintptr        // fd given to children as their stderr (usually 2)
	Reaper   *reaper.Reaper // the process's single reaper; every child is started through it
	Env      []string       // environment for ./run, ./finish, control hooks, log/run
	Handoffs *Handoffs      // the process's handoffs (runsvdir's host); nil for a standalone runsv
	// InheritWant takes the wanted state (up or down) from the existing
	// supervise/status, as written by a supervisor that detached (Detach):
	// its successor keeps a service that sv took down, down.
	InheritWant bool
}

// svc is the state of one supervised directory: the service or its log.
type svc struct {
	islog  bool
	prefix string // "" or "log/": prefix of every path and message
	state  supervise.State
	want   supervise.Want
	paused bool
	term   bool
	pid    int
	done   <-chan syscall.WaitStatus // nil when no process: runit's "pid == 0"
	wstat  syscall.WaitStatus        // last reaped status
	start  time.Time
	lock   int      // supervise/lock, flocked
	ctl    *os.File // supervise/control, read through Go's poller
	ok     int      // supervise/ok, held open for reading, never read
	adopt  int      // pid to adopt at the end of Open, 0 if none
	notify *os.File // read end of the notification pipe until ready (ready.go)

	// The countdown to the SIGKILL of a process told to stop (stop.go).
	killTimer *time.Timer
	killPID   int           // the process it is for
	killAfter time.Duration // how long it runs

	// The wait before the next start under a restart-backoff file
	// (backoff.go): the timer, nil when none runs, and the last wait.
	backoffTimer *time.Timer
	backoff      time.Duration

	cgroup string // the cgroup of the current process, "" when none (cgroup.go)
}

// dir is v's directory relative to the service directory: "" or "log".
func (v *svc) dir() string { return strings.TrimSuffix(v.prefix, "/") }

// file is the path of file name of v's supervise directory, relative to
// the service directory.
func (v *svc) file(name string) string { return supervise.Path(v.dir(), name) }

// Supervisor is one runsv: a service, its optional log service, and their
// supervise/ directories. Only Run's goroutine touches its state; Exit is
// the one method safe from anywhere.
type Supervisor struct {
	cfg        Config
	dirfd      int    // O_PATH descriptor of the service directory
	procDir    string // children's working directory: /proc/self/fd/N, or cfg.Dir
	main       *svc
	log        *svc // nil: no log service
	pipe       [2]int
	pidChanged bool     // shared by both services, as in runit (§1.4)
	claimed    *handoff // what Open took over from a supervisor that handed over
	cgroupBase string   // the sysconf cgroup subtree, "" when services run without cgroups

	exitc     chan struct{} // SIGTERM: Exit sends without blocking
	detach    atomic.Bool   // the exit Exit asks for is a Detach
	readyc    chan readyMsg // newlines from notification pipes (ready.go)
	quit      chan struct{} // closed when Run returns, stops the readers
	releaseMu sync.Once
}

// fatalError is a startup failure; its text is what follows "fatal: ".
type fatalError struct{ text string }

func (e *fatalError) Error() string { return e.text }

func fatal(what string, err error) error {
	if err == nil {
		return &fatalError{what}
	}
	return &fatalError{what + ": " + errtext.Text(err)}
}

// Open performs runsv's startup sequence (spec §2.2) on cfg.Dir: it sets up
// supervise/ (and log/supervise/), takes the locks, opens the FIFOs and
// writes the first status. The error text is the fatal message, such as
// "unable to lock supervise/lock: temporary failure"; on error everything
// taken so far is released.
func Open(cfg Config) (_ *Supervisor, err error) {
	if cfg.Reaper == nil {
		return nil, errors.New("no reaper")
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	s := &Supervisor{
		cfg:        cfg,
		dirfd:      -1,
		pipe:       [2]int{-1, -1},
		pidChanged: true,
		exitc:      make(chan struct{}, 1),
		readyc:     make(chan readyMsg),
		quit:       make(chan struct{}),
	}
	s.main = &svc{want: supervise.WantUp, start: time.Now(), lock: -1, ok: -1}
	defer func() {
		if err != nil {
			s.unclaim()
			s.release()
		}
	}()

	fd, err := unix.Open(cfg.Dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fatal("unable to change to directory", err)
	}
	s.dirfd = fd
	s.procDir = "/proc/self/fd/" + strconv.Itoa(fd)
	s.cgroupBase = cgroupBase()
	var st unix.Stat_t
	if unix.Stat(s.procDir, &st) != nil {
		s.procDir = cfg.Dir // no /proc: children get the path
	}

	if s.exists("down") {
		s.main.want = supervise.WantDown
	}
	if err := unix.Fstatat(s.dirfd, "log", &st, 0); err != nil {
		if err != unix.ENOENT {
			s.warn("unable to stat() ./log: ", err)
		}
	} else if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		s.warnx("./log: not a directory.")
	} else {
		s.log = &svc{islog: true, prefix: "log/", want: supervise.WantUp, start: time.Now(), lock: -1, ok: -1}
		if s.exists("log/down") {
			s.log.want = supervise.WantDown
		}
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return nil, fatal("unable to create log pipe", err)
		}
		s.pipe = p
	}

	if err := s.setupDir(s.main); err != nil {
		return nil, err
	}
	if err := s.lockDir(s.main, false); err != nil {
		return nil, err
	}
	s.checkAdopt(s.main)
	if s.log != nil {
		if err := s.setupDir(s.log); err != nil {
			return nil, err
		}
		if err := s.lockDir(s.log, true); err != nil {
			return nil, err
		}
		s.checkAdopt(s.log)
	}
	// Both locks are ours: the previous supervisor is gone, and what it
	// handed over (handoff.go) is ours too.
	s.claim()
	if err := s.openControl(s.main, supervise.Path("", supervise.ControlFIFO)); err != nil {
		return nil, err
	}
	s.update(s.main)
	if s.log != nil {
		// runit's quirk: the type check of the log's FIFO looks at the
		// main service's supervise/control (§2.2 step 9).
		if err := s.openControl(s.log, supervise.Path("", supervise.ControlFIFO)); err != nil {
			return nil, err
		}
		s.update(s.log)
	}
	if err := s.openOK(s.main); err != nil {
		return nil, err
	}
	if s.log != nil {
		if err := s.openOK(s.log); err != nil {
			return nil, err
		}
	}
	if s.log != nil {
		s.adoptPipe()
	}
	s.finishAdopt(s.main)
	if s.log != nil {
		s.finishAdopt(s.log)
	}
	return s, nil
}

// setupDir creates v's supervise directory, or the target of the symlink it
// is (a relative target is resolved against the directory holding it).
func (s *Supervisor) setupDir(v *svc) error {
	name := v.prefix + supervise.DirName
	if unix.Mkdirat(s.dirfd, name, 0o700) == nil {
		return nil
	}
	buf := make([]byte, 256)
	n, err := unix.Readlinkat(s.dirfd, name, buf)
	if err != nil {
		if err == unix.ENOENT || err == unix.EINVAL {
			return nil
		}
		return fatal("unable to readlink ./supervise", err)
	}
	if n >= len(buf) {
		return fatal("unable to readlink ./supervise: name too long", nil)
	}
	target := string(buf[:n])
	if target != "" && target[0] != '/' {
		target = v.prefix + target
	}
	unix.Mkdirat(s.dirfd, target, 0o700) // runit ignores the result (§1.1)
	return nil
}

// lockDir opens and flocks supervise/lock. The service's lock is tried
// once; the log's waits, by polling so that no thread blocks in flock.
func (s *Supervisor) lockDir(v *svc, wait bool) error {
	name := v.file(supervise.LockFile)
	fd, err := unix.Openat(s.dirfd, name, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fatal("unable to open "+name, err)
	}
	v.lock = fd
	delay := 10 * time.Millisecond
	for {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == unix.EINTR {
			continue
		}
		if err != unix.EWOULDBLOCK || !wait {
			break
		}
		time.Sleep(delay)
		delay = min(2*delay, time.Second)
	}
	if err != nil {
		return fatal("unable to lock "+name, err)
	}
	return nil
}

// openControl makes and opens v's control FIFO; check is the FIFO whose
// type is checked (see the quirk in Open).
func (s *Supervisor) openControl(v *svc, check string) error {
	name := v.file(supervise.ControlFIFO)
	unix.Mkfifoat(s.dirfd, name, 0o600)
	// An ok left linked to this FIFO by an earlier run would tell sv that
	// runsv runs as soon as control opens, before the first status update
	// (runit's order, §2.2); openOK links it again.
	if ok := v.file(supervise.OkFIFO); s.sameFile(name, ok) {
		unix.Unlinkat(s.dirfd, ok, 0)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(s.dirfd, check, &st, 0); err != nil {
		return fatal("unable to stat "+name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fatal(name+" exists but is not a fifo", nil)
	}
	// One O_RDWR descriptor is runit's read end plus its spare write end:
	// the reader never sees EOF, and it costs one fd instead of two.
	fd, err := unix.Openat(s.dirfd, name, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fatal("unable to open "+name, err)
	}
	v.ctl = os.NewFile(uintptr(fd), name)
	return nil
}

// openOK makes v's ok FIFO, whose reader tells sv that runsv runs. It is
// a hard link of the control FIFO, which v.ctl already holds open for
// reading: the same answer to sv's open of ok, one descriptor less per
// service (what lets one supervisor host reach 5,000 services under a
// 20,000 descriptor limit). Nobody writes to ok: sv only opens it, and
// runit's runsv opens a linked ok as it opens its own. Where no link can
// be made, ok is a FIFO of its own, held open as runit does.
func (s *Supervisor) openOK(v *svc) error {
	name := v.file(supervise.OkFIFO)
	if s.isFIFO(v.file(supervise.ControlFIFO)) && supervise.LinkOK(s.dirfd, v.dir()) == nil {
		return nil
	}
	unix.Mkfifoat(s.dirfd, name, 0o600)
	fd, err := unix.Openat(s.dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fatal("unable to read "+name, err)
	}
	v.ok = fd
	return nil
}

// isFIFO tells whether name (relative to the service dir) is a FIFO; a
// log's control need not be (the quirk in Open), and an ok linked to a
// regular file would answer sv's open with no runsv behind it.
func (s *Supervisor) isFIFO(name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(s.dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
}

// sameFile tells whether a and b (relative to the service dir) are the
// same inode.
func (s *Supervisor) sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	if unix.Fstatat(s.dirfd, a, &sa, unix.AT_SYMLINK_NOFOLLOW) != nil || unix.Fstatat(s.dirfd, b, &sb, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// exists tells whether name (relative to the service dir) can be stat'ed.
func (s *Supervisor) exists(name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(s.dirfd, name, &st, 0) == nil
}

// Exit is what SIGTERM does to runsv: the command x, applied after the
// control byte of the current iteration. Safe from any goroutine at any
// time, also before Run or after it returned; calls coalesce like signals.
func (s *Supervisor) Exit() {
	select {
	case s.exitc <- struct{}{}:
	default:
	}
}

// Detach makes Run return at once, leaving the service and its logger
// running and supervise/status as it is, and closing every descriptor: for
// a process that hands its supervisors to a successor process (runsvdir's
// SIGTERM, docs/runsvdir.md), whose Open adopts what runs. Safe from any
// goroutine at any time.
func (s *Supervisor) Detach() {
	s.detach.Store(true)
	s.Exit()
}

// release closes every descriptor the supervisor holds; the locks go last,
// so that sv sees "not running" before another runsv may start.
func (s *Supervisor) release() {
	s.releaseMu.Do(func() {
		close(s.quit)
		for _, v := range []*svc{s.main, s.log} {
			if v == nil {
				continue
			}
			if v.ctl != nil {
				v.ctl.Close()
			}
			s.closeNotify(v)
			closeFD(&v.ok)
		}
		closeFD(&s.pipe[0])
		closeFD(&s.pipe[1])
		for _, v := range []*svc{s.main, s.log} {
			if v != nil {
				closeFD(&v.lock)
			}
		}
		closeFD(&s.dirfd)
	})
}

func closeFD(fd *int) error {
	if *fd < 0 {
		return nil
	}
	err := unix.Close(*fd)
	*fd = -1
	return err
}

// warn prints "runsv NAME: warning: TEXT: ERR" in one write.
func (s *Supervisor) warn(text string, err error) {
	if err != nil {
		text += ": " + errtext.Text(err)
	}
	s.warnx(text)
}

func (s *Supervisor) warnx(text string) {
	io.WriteString(s.cfg.Stderr, "runsv "+s.cfg.Name+": warning: "+text+"\n")
}

// fatalChild prints what a child of runit's runsv prints before it exits
// 111 ("runsv NAME: fatal: unable to start ./run: ERR").
func (s *Supervisor) fatalChild(text string, err error) {
	if err != nil {
		text += ": " + errtext.Text(err)
	}
	io.WriteString(s.cfg.Stderr, "runsv "+s.cfg.Name+": fatal: "+text+"\n")
}
