package chpst

import (
	"io"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"

	"sysconf/internal/sgetopt"
)

const (
	version   = "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $"
	usageMain = " [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog"

	usageAccount   = " account child"
	usageEnvdir    = " dir child"
	usagePgrphack  = " child"
	usageSetlock   = " [ -nNxX ] file program [ arg ... ]"
	usageSoftlimit = " [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"

	exitUsage  = 100
	exitSystem = 111
)

// tool is one invocation: its names and where its messages go.
type tool struct {
	base   string // basename of argv[0], for sgetopt's lines
	prog   string // base with one leading 'd' removed, for usage lines
	stderr io.Writer
	accts  accountFiles
}

// Main runs chpst or the personality named by args[0]. On success it does
// not return: the process has become the program. It returns 100 on a usage
// error and 111 when a state change or the exec fails.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// nice(2) and chpst's setuid act on the calling thread only, and
	// execve keeps the calling thread's state: everything from here to
	// the exec happens on this one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return run(args, stderr)
}

// MainOnStartupThread is Main for a caller in an init function of package
// main. The Go runtime runs every init function on the startup thread
// (runtime.LockOSThread's documentation), which is the one thread Main's
// LockOSThread gives. That call would also start the runtime's template
// thread, a clone and a thread that a process about to exec has no use
// for: about 27,000 of the 47,000 instructions chpst ran beyond a Go
// binary's start-up, and 4 % of its wall time (docs/benchmarks.md).
func MainOnStartupThread(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, stderr)
}

// IsMainName reports whether name (a basename) is one that chpst answers
// to: chpst or a personality, with the leading 'd' runit's chpst drops.
func IsMainName(name string) bool {
	return name == "chpst" || IsPersonality(name) || len(name) > 1 && name[0] == 'd' && IsPersonality(name[1:])
}

// run is Main on a thread the caller holds.
func run(args []string, stderr io.Writer) int {
	name := "chpst"
	if len(args) > 0 {
		name = args[0]
	}
	base := name
	for i := len(name); i > 0; i-- {
		if name[i-1] == '/' {
			base = name[i:]
			break
		}
	}
	prog := base
	if prog != "" && prog[0] == 'd' {
		prog = prog[1:]
	}
	t := &tool{base: base, prog: prog, stderr: stderr, accts: defaultAccountFiles}

	switch prog {
	case "setuidgid":
		return t.setuidgid(args)
	case "envuidgid":
		return t.envuidgid(args)
	case "envdir":
		return t.envdir(args)
	case "pgrphack":
		return t.pgrphack(args)
	case "setlock":
		return t.setlock(args)
	case "softlimit":
		return t.softlimit(args)
	}
	return t.chpst(args)
}

func (t *tool) usage(synopsis string) int {
	io.WriteString(t.stderr, "usage: "+t.prog+synopsis+"\n\n")
	return exitUsage
}

func (t *tool) fatal(f *failure) int {
	io.WriteString(t.stderr, "chpst: fatal: "+f.msg+"\n")
	return exitSystem
}

func (t *tool) warn(msg string) {
	io.WriteString(t.stderr, "chpst: warning: "+msg+"\n")
}

// options are chpst's parsed command line.
type options struct {
	setUser, envUser, argv0, envDir, root, lock string
	hasSetUser, hasEnvUser, hasArgv0, hasEnvDir bool
	hasRoot, hasLock, lockWait                  bool
	verbose, pgrp, noStdin, noStdout, noStderr  bool
	nice                                        int64
	limits                                      limits

	changes []string // environment changes for the program (envdir, -U)
}

func (t *tool) chpst(args []string) int {
	o := options{limits: newLimits()}
	p := sgetopt.New(t.base, args[1:], "u:U:b:e:m:d:o:p:f:c:r:t:/:n:l:L:vP012V", t.stderr)
	for {
		c, arg, done := p.Next()
		if done {
			break
		}
		var lim *int64
		switch c {
		case 'u':
			o.setUser, o.hasSetUser = arg, true
		case 'U':
			o.envUser, o.hasEnvUser = arg, true
		case 'b':
			o.argv0, o.hasArgv0 = arg, true
		case 'e':
			o.envDir, o.hasEnvDir = arg, true
		case '/':
			o.root, o.hasRoot = arg, true
		case 'm':
			v, ok := parseLimit(arg)
			if !ok {
				return t.usage(usageMain)
			}
			o.limits.setAll(v)
		case 'd':
			lim = &o.limits.data
		case 'o':
			lim = &o.limits.nofile
		case 'p':
			lim = &o.limits.nproc
		case 'f':
			lim = &o.limits.fsize
		case 'c':
			lim = &o.limits.core
		case 'r':
			lim = &o.limits.rss
		case 't':
			lim = &o.limits.cpu
		case 'n':
			v, ok := parseNice(arg)
			if !ok {
				return t.usage(usageMain)
			}
			o.nice = v
		case 'l', 'L':
			if o.hasLock {
				return t.usage(usageMain)
			}
			o.lock, o.hasLock, o.lockWait = arg, true, c == 'l'
		case 'v':
			o.verbose = true
		case 'P':
			o.pgrp = true
		case '0':
			o.noStdin = true
		case '1':
			o.noStdout = true
		case '2':
			o.noStderr = true
		case 'V':
			io.WriteString(t.stderr, version+"\n")
			return t.usage(usageMain)
		default:
			return t.usage(usageMain)
		}
		if lim != nil {
			v, ok := parseLimit(arg)
			if !ok {
				return t.usage(usageMain)
			}
			*lim = v
		}
	}
	argv := p.Rest()
	if len(argv) == 0 {
		return t.usage(usageMain)
	}
	if f := t.apply(&o); f != nil {
		return t.fatal(f)
	}
	file := argv[0]
	if o.hasArgv0 {
		argv = append([]string{o.argv0}, argv[1:]...)
	}
	return t.fatal(execFile(file, argv, o.changes, &o.limits))
}

// parseNice parses -n's [+|-]digits as runit does (into a C long).
func parseNice(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	v, n := scanUlong(s)
	if n != len(s) {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// apply changes the process state in runit's fixed order. The envdir and
// -U results go to o.changes, applied at the exec; the limits, runit's last
// step, are set by execFile right before the exec.
func (t *tool) apply(o *options) *failure {
	if o.pgrp {
		syscall.Setsid() // runit ignores its failure (already a group leader)
	}
	if o.hasEnvDir {
		changes, f := readEnvdir(o.envDir, true, o.verbose, t.warn)
		if f != nil {
			return f
		}
		o.changes = changes
	}
	if o.hasRoot {
		if err := syscall.Chdir(o.root); err != nil {
			return fatalErr("unable to change directory: "+o.root, err)
		}
		if err := syscall.Chroot("."); err != nil {
			return fatalErr("unable to change root directory", err)
		}
	}
	if o.nice != 0 {
		if f := setNice(o.nice); f != nil {
			return f
		}
	}
	if o.hasEnvUser {
		u, f := t.lookupSpec(o.envUser)
		if f != nil {
			return f
		}
		o.changes = append(o.changes, idEnv(u)...)
	}
	if o.hasSetUser {
		u, f := t.lookupSpec(o.setUser)
		if f != nil {
			return f
		}
		if f := dropPrivileges(u); f != nil {
			return f
		}
	}
	if o.hasLock {
		if f := takeLock(o.lock, o.lockWait); f != nil {
			return f
		}
	}
	for _, c := range [...]struct {
		on   bool
		fd   int
		name string
	}{{o.noStdin, 0, "stdin"}, {o.noStdout, 1, "stdout"}, {o.noStderr, 2, "stderr"}} {
		if c.on {
			if err := syscall.Close(c.fd); err != nil {
				return fatalErr("unable to close "+c.name, err)
			}
		}
	}
	return nil // the limits come last, set by execFile
}

// lookupSpec resolves a -u/-U spec, with chpst's messages.
func (t *tool) lookupSpec(spec string) (ids, *failure) {
	u, kind, err := t.accts.lookupSpec(spec)
	switch kind {
	case lookupInvalid:
		return u, fatalMsg("invalid uid/gids: " + spec[1:])
	case lookupError:
		return u, fatalErr("unable to get password/group file entry", err)
	case lookupUnknown:
		return u, fatalMsg("unknown user/group: " + spec)
	}
	return u, nil
}

// lookupAccount resolves a personality's account, with its messages.
func (t *tool) lookupAccount(name string) (ids, *failure) {
	u, kind, err := t.accts.lookupAccount(name)
	switch kind {
	case lookupError:
		return u, fatalErr("unable to get password file entry", err)
	case lookupUnknown:
		return u, fatalMsg("unknown account: " + name)
	}
	return u, nil
}

// idEnv is envuidgid's environment: GID (the first gid), then UID.
func idEnv(u ids) []string {
	return []string{
		"GID=" + strconv.FormatUint(uint64(u.gids[0]), 10),
		"UID=" + strconv.FormatUint(uint64(u.uid), 10),
	}
}

// dropPrivileges sets the supplementary groups to exactly u.gids, the gid
// to the first of them, then the uid; any failure is fatal, and the caller
// then exits without running anything.
//
// The calls are made on this (locked) thread only, not through Go's
// syscall.Setuid & co., which repeat each call on every thread of the
// process (AllThreadsSyscall: it stops the world and signals every thread,
// three times — most of chpst's cost on a busy machine). That is complete
// here because nothing but this thread acts for chpst from now on: every
// later step (the lock, which must be opened with the new ids, the closes,
// the limits, the exec) runs on it, the other threads run only the Go
// runtime, and execve gives the program the calling thread's credentials
// and kills the other threads. If the exec fails, chpst exits.
func dropPrivileges(u ids) *failure {
	if _, _, e := syscall.RawSyscall(sysSetgroups, uintptr(len(u.gids)), uintptr(unsafe.Pointer(&u.gids[0])), 0); e != 0 {
		return fatalErr("unable to setgroups", e)
	}
	if _, _, e := syscall.RawSyscall(sysSetgid, uintptr(u.gids[0]), 0, 0); e != 0 {
		return fatalErr("unable to setgid", e)
	}
	if _, _, e := syscall.RawSyscall(sysSetuid, uintptr(u.uid), 0, 0); e != 0 {
		return fatalErr("unable to setuid", e)
	}
	return nil
}

// setNice is glibc's nice(inc) on this thread: the kernel clamps the
// result to -20..19.
func setNice(inc int64) *failure {
	const prioProcess = 0
	raw, err := syscall.Getpriority(prioProcess, 0) // the raw call gives 20-nice
	if err != nil {
		return fatalErr("unable to set nice level", err)
	}
	prio := int32(20-raw) + int32(inc) // C int arithmetic
	if err := syscall.Setpriority(prioProcess, 0, int(prio)); err != nil {
		if err == syscall.EACCES {
			err = syscall.EPERM // as glibc's nice reports it
		}
		return fatalErr("unable to set nice level", err)
	}
	return nil
}

// takeLock opens lock for appending (created 0600) and flocks it
// exclusively, waiting or not. The descriptor is deliberately kept and is
// not close-on-exec: the program inherits it, and with it the lock.
func takeLock(lock string, wait bool) *failure {
	fd, err := open(lock, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_APPEND|syscall.O_CREAT, 0o600)
	if err != nil {
		return fatalErr("unable to open lock: "+lock, err)
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(fd, how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return fatalErr("unable to lock: "+lock, err)
	}
	return nil
}
