package chpst

import (
	"math"
	"runtime/debug"
	"strings"
	"syscall"
	"unsafe"

	"sysconf/internal/errtext"
)

// failure is a fatal error: the text after "chpst: fatal: ".
type failure struct {
	msg string
}

func fatalMsg(msg string) *failure { return &failure{msg: msg} }

func fatalErr(what string, err error) *failure {
	return &failure{msg: what + ": " + errText(err)}
}

func errText(err error) string { return errtext.Text(err) }

// getenv is runit's env_get: the value of the first NAME= entry of env.
func getenv(env []string, name string) (string, bool) {
	for _, e := range env {
		if len(e) > len(name) && e[len(name)] == '=' && e[:len(name)] == name {
			return e[len(name)+1:], true
		}
	}
	return "", false
}

// searchPath lists the paths runit's pathexec_run tries for file, in order:
// a name with '/' is exec'd as given; otherwise file in each element of
// path, an empty element meaning ".".
func searchPath(file, path string) []string {
	if strings.IndexByte(file, '/') >= 0 {
		return []string{file}
	}
	var paths []string
	for {
		dir, rest, more := strings.Cut(path, ":")
		if dir == "" {
			dir = "."
		}
		paths = append(paths, dir+"/"+file)
		if !more {
			return paths
		}
		path = rest
	}
}

// execPlan is an execve made ready in advance, with the soft limits to set
// just before it: every byte the kernel reads is already in place, so that
// run allocates nothing between the limits and the exec.
//
// That matters because chpst sets the limits on itself. With -m 8000000 the
// Go runtime has no room left: any allocation that needs a new span or a
// bigger stack (syscall.Exec converts argv and the environment) fails with
// "fatal error: runtime: out of memory", a few times in a thousand runs.
type execPlan struct {
	paths  []*byte // the candidates of the PATH search, in order
	argv   []*byte // NULL-terminated
	envv   []*byte // NULL-terminated
	limits []rlimitChange
}

// newExecPlan prepares the exec of file with argv and env, searched in path,
// setting limits first. Like syscall.Exec, it reports EINVAL for a string
// holding a NUL byte.
func newExecPlan(file, path string, argv, env []string, limits []rlimitChange) (*execPlan, error) {
	p := &execPlan{limits: limits}
	for _, s := range searchPath(file, path) {
		b, err := syscall.BytePtrFromString(s)
		if err != nil {
			return nil, err
		}
		p.paths = append(p.paths, b)
	}
	var err error
	if p.argv, err = syscall.SlicePtrFromStrings(argv); err != nil {
		return nil, err
	}
	if p.envv, err = syscall.SlicePtrFromStrings(env); err != nil {
		return nil, err
	}
	return p, nil
}

// run sets the limits and replaces the process with the program, searching
// as runit's pathexec_run does: ENOENT goes on to the next candidate,
// EACCES, EPERM and EISDIR are remembered while the search goes on, and
// any other error ends it. It returns only on failure: set is how many
// limits it set (a failing setrlimit ends it with set < len(p.limits)),
// and errno is the error runit would report.
//
// It is nosplit and makes only raw system calls (themselves nosplit), so
// nothing between the first setrlimit and the last execve can allocate,
// grow the stack, or reach a scheduling point: the runtime cannot be
// preempted into creating a thread here, and has no reason to (see
// execFile for the garbage collector and the locked thread).
//
//go:nosplit
func (p *execPlan) run() (set int, errno syscall.Errno) {
	for set < len(p.limits) {
		c := &p.limits[set]
		if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, c.res, uintptr(unsafe.Pointer(&c.new)), 0, 0, 0); e != 0 {
			return set, e
		}
		set++
	}
	var saved syscall.Errno
	for _, path := range p.paths {
		_, _, errno = syscall.RawSyscall(syscall.SYS_EXECVE,
			uintptr(unsafe.Pointer(path)),
			uintptr(unsafe.Pointer(&p.argv[0])),
			uintptr(unsafe.Pointer(&p.envv[0])))
		if errno != syscall.ENOENT {
			saved = errno
			if errno != syscall.EACCES && errno != syscall.EPERM && errno != syscall.EISDIR {
				return set, errno
			}
		}
	}
	if saved != 0 {
		return set, saved
	}
	return set, errno
}

// undo puts back the first n limits run set, last first. Only soft limits
// were lowered, and the hard limits are unchanged, so this cannot fail for
// want of privilege.
func (p *execPlan) undo(n int) {
	for i := n - 1; i >= 0; i-- {
		c := &p.limits[i]
		syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, c.res, uintptr(unsafe.Pointer(&c.old)), 0, 0, 0)
	}
}

// execFile execs file with argv (argv[0] possibly replaced by -b), the
// environment changes applied and the soft limits lim (nil: none) set,
// searching chpst's own PATH. It returns only on failure, with the
// process's limits as they were, so that reporting it cannot run out of
// memory either.
//
// The caller holds the OS thread (Main locks it; MainOnStartupThread runs
// in an init function, on the startup thread), so the limits and the
// exec act on the same thread. While the limits are set, nothing else in
// the process may allocate: chpst has no goroutine of its own, and the
// runtime's are only woken by the garbage collector, which is switched off
// (the memory limit too, which GOMEMLIMIT may have set) until the exec.
func execFile(file string, argv []string, changes []string, lim *limits) *failure {
	restoreNofile()
	orig := syscall.Environ()
	path, ok := getenv(orig, "PATH")
	if !ok {
		path = "/bin:/usr/bin"
	}
	env := orig
	if len(changes) > 0 {
		env = applyEnv(orig, changes)
	}
	var limits []rlimitChange
	if lim != nil {
		var f *failure
		if limits, f = lim.plan(); f != nil {
			return f
		}
	}
	p, err := newExecPlan(file, path, argv, env, limits)
	if err != nil {
		return fatalErr("unable to run: "+argv[0], err)
	}
	gcPercent := debug.SetGCPercent(-1) // also waits for a running cycle to end
	memLimit := debug.SetMemoryLimit(math.MaxInt64)
	set, errno := p.run()
	p.undo(set)
	debug.SetMemoryLimit(memLimit)
	debug.SetGCPercent(gcPercent)
	if set < len(limits) {
		return fatalErr("unable to setrlimit()", errno)
	}
	// runit names the program by its argv[0], -b's replacement included.
	return fatalErr("unable to run: "+argv[0], errno)
}

// restoreNofile puts back the soft RLIMIT_NOFILE chpst was started with, so
// that the program gets it unless -o says otherwise. The Go runtime raises
// it at start-up (go.dev/issue/46279) and keeps the original where only
// syscall.Exec, ForkExec and StartProcess can reach it; they put it back
// just before their execve. chpst execs with a raw execve (execPlan.run),
// so it has syscall.Exec do the restoring: an exec of "" sets the limit,
// then fails at once with ENOENT, changing nothing else.
func restoreNofile() {
	_ = syscall.Exec("", nil, nil)
}
