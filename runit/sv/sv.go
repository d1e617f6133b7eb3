package sv

import (
	"errors"
	"io"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"sysconf/internal/errtext"
	"sysconf/internal/sgetopt"
	"sysconf/runit/supervise"
)

// Version is the identifier sv -V prints, that of Debian's 2.1.2 build.
const Version = "$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $"

// DefaultDir is Debian's services directory (upstream: /service/).
const DefaultDir = "/etc/service/"

// pollInterval is the pause between two status reads while waiting.
const pollInterval = 420 * time.Millisecond

// Exit codes besides the count of failures.
const (
	exitUsage    = 100
	exitUsageLSB = 2
	exitFatal    = 100
	exitFatalLSB = 151
	maxRC        = 99
)

// Main runs sv with args (args[0] is the program name) and returns its exit
// code. env is sv's environment ("NAME=value" entries, as os.Environ gives
// it), read for SVDIR and SVWAIT only.
func Main(args, env []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &run{stdout: stdout, stderr: stderr, svdir: DefaultDir, wait: 7}
	code := s.main(args, env)
	s.sync()
	return code
}

// run is one invocation of sv.
type run struct {
	stdout, stderr io.Writer
	out            []byte // pending standard output, written at runit's flush points

	prog  string // basename of argv[0]
	lsb   bool
	svdir string
	wait  uint64 // seconds
	euid  int

	cmd   command
	start time.Time        // when sv started
	now   time.Time        // the clock as of the last poll, as runit's tnow
	rec   supervise.Record // the last status record read (kept across reads, as in runit)

	svfd  int   // the services directory, for this round
	svErr error // why it could not be opened

	name  string // the service being handled, as given
	islog bool   // messages name NAME/log
	rc    int
}

// lookupEnv is getenv(3) over env: the value of the first NAME= entry.
func lookupEnv(env []string, name string) (string, bool) {
	for _, e := range env {
		if len(e) > len(name) && e[len(name)] == '=' && e[:len(name)] == name {
			return e[len(name)+1:], true
		}
	}
	return "", false
}

func (s *run) main(args, env []string) int {
	s.prog = basename(args[0])
	s.lsb = s.prog != "sv"
	if v, ok := lookupEnv(env, "SVDIR"); ok {
		s.svdir = v
	}
	if v, ok := lookupEnv(env, "SVWAIT"); ok {
		s.wait = scanUlong(v)
	}
	verbose := false
	p := sgetopt.New(s.prog, args[1:], "w:vV", s.stderr)
	for {
		opt, arg, done := p.Next()
		if done {
			break
		}
		switch opt {
		case 'w':
			s.wait = scanUlong(arg)
			verbose = true
		case 'v':
			verbose = true
		case 'V':
			io.WriteString(s.stderr, Version+"\n")
			return s.usage()
		default:
			return s.usage()
		}
	}
	rest := p.Rest()
	if len(rest) == 0 {
		return s.usage()
	}
	action, services := rest[0], rest[1:]
	if s.lsb {
		services = []string{s.prog}
	}
	if len(services) == 0 {
		return s.usage()
	}

	s.start = time.Now()
	s.now = s.start
	// runit opens "." to come back to it after each chdir; we never chdir,
	// but an unreadable working directory is still fatal, as there.
	fd, err := syscall.Open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return s.fatal("unable to open current directory", err)
	}
	syscall.Close(fd)
	s.euid = syscall.Geteuid()

	cmd, ok := parseCommand(action, s.lsb, verbose)
	if !ok {
		return s.usage()
	}
	s.cmd = cmd

	pending, code, ended := s.send(services)
	if ended {
		return code
	}
	if cmd.wait {
		s.waitFor(services, pending)
	}
	return min(s.rc, maxRC)
}

// send is phase 1: it resolves every service and runs the command's action
// on it. It returns which services are still pending for the wait, or ended
// and the exit code when LSB status ends sv early.
func (s *run) send(services []string) (pending []bool, code int, ended bool) {
	pending = make([]bool, len(services))
	s.openServices()
	defer s.closeServices()
	for i, name := range services {
		s.name = name
		d, err := s.resolve(name, true)
		if err != nil {
			s.fail("unable to change to service directory", err)
			continue
		}
		pending[i] = true
		switch s.cmd.act {
		case actControl:
			if s.control(d, s.cmd.bytes) < 0 {
				pending[i] = false
			}
		case actStatus:
			code, ended = s.status(d)
		}
		d.close()
		if ended {
			return nil, code, true
		}
	}
	return pending, 0, false
}

// dir is a service directory: the path it was reached by and a descriptor
// on it (O_PATH), from which the supervise files are opened as runit opens
// them after its chdir, without walking the whole path again.
type dir struct {
	path string
	fd   int
}

func (d dir) close() { unix.RawSyscall(unix.SYS_CLOSE, uintptr(d.fd), 0, 0) }

// openServices opens the services directory for one round over the
// services (runit chdirs into it for every service; the difference shows
// only if it is replaced while sv runs).
func (s *run) openServices() {
	s.svfd, s.svErr = openDir(unix.AT_FDCWD, s.svdir)
}

func (s *run) closeServices() {
	if s.svErr == nil {
		unix.Close(s.svfd)
	}
}

// openDir opens path (relative to dirfd) as runit's chdir would enter it:
// it must exist and be a directory.
func openDir(dirfd int, path string) (int, error) {
	// An O_PATH open does not block: a raw call spares the scheduler a
	// hand-off per service.
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	r, _, e := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// resolve opens the service directory name and fails as runit's chdir
// would (spec §4.3). Sending (phase 1) uses name as a path when it starts
// with "/" or ".", is empty or ends in "/"; waiting (phase 2) only when it
// starts with "/" or ".". Otherwise it is looked up in the services
// directory.
func (s *run) resolve(name string, sending bool) (dir, error) {
	local := name != "" && (name[0] == '/' || name[0] == '.')
	if sending && (name == "" || name[len(name)-1] == '/') {
		local = true
	}
	d := dir{path: name}
	var err error
	if local {
		d.fd, err = openDir(unix.AT_FDCWD, name)
	} else {
		if s.svErr != nil {
			return dir{}, s.svErr
		}
		d.path = s.svdir + "/" + name
		d.fd, err = openDir(s.svfd, name)
	}
	if err != nil {
		return dir{}, err
	}
	if err := s.searchable(d.path); err != nil {
		d.close()
		return dir{}, err
	}
	return d, nil
}

// searchable adds chdir's search-permission check, which an O_PATH open
// does not make; root passes it anyway.
func (s *run) searchable(path string) error {
	if s.euid == 0 {
		return nil
	}
	return unix.Access(path, unix.X_OK)
}

// readStatus is runit's svstatus_get: it probes the supervisor and reads the
// status record into s.rec. It returns 1 on success, 0 when no supervisor
// runs (an "ok:" line for exit commands, a "fail:" line otherwise) and -1
// after a warning.
func (s *run) readStatus(d dir) int {
	err := supervise.ProbeAt(d.fd, "")
	if err == supervise.ErrNotRunning {
		s.notRunning(s.cmd.bytes)
		return 0
	}
	if err != nil {
		s.warnFile(err)
		return -1
	}
	if err := supervise.ReadRecordAt(d.fd, "", &s.rec); err != nil {
		s.warnFile(err)
		return -1
	}
	return 1
}

// warnFile prints runit's warning for a supervise file sv could not use:
// "unable to open supervise/ok: ERR", "unable to write to
// supervise/control: ERR"…
func (s *run) warnFile(err error) {
	var e *supervise.Error
	if !errors.As(err, &e) {
		s.warn("unable to use supervise", err)
		return
	}
	op := e.Op
	if op == "write" {
		op = "write to"
	}
	s.warn("unable to "+op+" "+e.Path, e.Err)
}

// notRunning reports a supervisor that is gone: fine for a command starting
// with x, a failure otherwise.
func (s *run) notRunning(cmds string) {
	if cmds != "" && cmds[0] == byte(supervise.CmdExit) {
		s.line("ok: ", "runsv not running", nil)
		return
	}
	s.fail("runsv not running", nil)
}

// control sends cmds to the service in dir: 1 when sent, 0 when the skip rule
// held it back, -1 on failure (the service is then dropped).
func (s *run) control(d dir, cmds string) int {
	if s.readStatus(d) <= 0 {
		return -1
	}
	// The skip rule compares the want byte with the first command byte,
	// and for d the TERM byte with exactly 1.
	if byte(s.rec.Status().Want) == cmds[0] && (cmds[0] != byte(supervise.CmdDown) || s.rec.TermByte() == 1) {
		return 0
	}
	err := supervise.SendAt(d.fd, "", cmds)
	switch {
	case err == nil:
		return 1
	case err == supervise.ErrNotRunning:
		s.notRunning(cmds)
	default:
		s.warnFile(err)
	}
	return -1
}

// line writes prefix, the service name, msg and the errno text of err (if
// any) as one stdout line, and flushes.
func (s *run) line(prefix, msg string, err error) {
	s.out = append(s.out, prefix...)
	s.out = append(s.out, s.name...)
	if s.islog {
		s.out = append(s.out, "/log"...)
	}
	s.out = append(s.out, ": "...)
	s.out = append(s.out, msg...)
	if err != nil {
		s.out = append(s.out, ": "...)
		s.out = append(s.out, errtext.Text(err)...)
	}
	s.out = append(s.out, '\n')
	s.flush()
}

func (s *run) fail(msg string, err error) { s.rc++; s.line("fail: ", msg, err) }
func (s *run) warn(msg string, err error) { s.rc++; s.line("warning: ", msg, err) }

// warn2 writes a warning about file (NAME/down, NAME/check) to stderr.
func (s *run) warn2(what, file string, err error) {
	s.sync()
	io.WriteString(s.stderr, "warning: "+what+" "+s.name+"/"+file+": "+errtext.Text(err)+"\n")
}

// flush marks a point where runit flushes standard output. sv writes there
// only once 8 kB are pending: every byte still reaches stdout and stderr in
// runit's order, because sync runs before anything goes to stderr, before a
// ./check runs, before each pause while waiting and at exit; status over
// hundreds of services then costs a few writes (and reader wake-ups), not
// one per service.
func (s *run) flush() {
	if len(s.out) >= 8192 {
		s.sync()
	}
}

// sync writes the pending standard output.
func (s *run) sync() {
	if len(s.out) > 0 {
		s.stdout.Write(s.out)
		s.out = s.out[:0]
	}
}

// usage prints the usage and returns its exit code.
func (s *run) usage() int {
	s.sync()
	if s.lsb {
		io.WriteString(s.stderr, "usage: "+s.prog+" [-w sec] command\n\n")
		return exitUsageLSB
	}
	io.WriteString(s.stderr, "usage: "+s.prog+" [-v] [-w sec] command service ...\n\n")
	return exitUsage
}

// fatal prints a fatal error and returns its exit code.
func (s *run) fatal(msg string, err error) int {
	s.sync()
	io.WriteString(s.stderr, "fatal: "+msg+": "+errtext.Text(err)+"\n")
	if s.lsb {
		return exitFatalLSB
	}
	return exitFatal
}

// basename is what follows the last slash of argv[0] (possibly nothing).
func basename(p string) string {
	for i := len(p); i > 0; i-- {
		if p[i-1] == '/' {
			return p[i:]
		}
	}
	return p
}

// scanUlong parses leading decimal digits as djb's scan_ulong: no digits is 0.
func scanUlong(v string) uint64 {
	var n uint64
	for i := 0; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		n = n*10 + uint64(v[i]-'0')
	}
	return n
}
