package chpst

import (
	"syscall"

	"sysconf/internal/sgetopt"
)

// The daemontools personalities. The first four take no options: their
// operands are read as they come, as in runit.

func (t *tool) setuidgid(args []string) int {
	if len(args) < 3 {
		return t.usage(usageAccount)
	}
	u, f := t.lookupAccount(args[1])
	if f == nil {
		f = dropPrivileges(u)
	}
	if f == nil {
		f = execFile(args[2], args[2:], nil, nil)
	}
	return t.fatal(f)
}

func (t *tool) envuidgid(args []string) int {
	if len(args) < 3 {
		return t.usage(usageAccount)
	}
	u, f := t.lookupAccount(args[1])
	if f == nil {
		f = execFile(args[2], args[2:], idEnv(u), nil)
	}
	return t.fatal(f)
}

func (t *tool) envdir(args []string) int {
	if len(args) < 3 {
		return t.usage(usageEnvdir)
	}
	changes, f := readEnvdir(args[1], false, false, t.warn)
	if f == nil {
		f = execFile(args[2], args[2:], changes, nil)
	}
	return t.fatal(f)
}

func (t *tool) pgrphack(args []string) int {
	if len(args) < 2 {
		return t.usage(usagePgrphack)
	}
	syscall.Setsid() // failure ignored, as in runit
	return t.fatal(execFile(args[1], args[1:], nil, nil))
}

// setlock: -n waits for the lock, -N (the default) does not — the opposite
// of daemontools; -x exits 0 silently when the lock or the exec fails.
func (t *tool) setlock(args []string) int {
	wait, quiet := false, false
	p := sgetopt.New(t.base, args[1:], "nNxX", t.stderr)
	for {
		c, _, done := p.Next()
		if done {
			break
		}
		switch c {
		case 'n':
			wait = true
		case 'N':
			wait = false
		case 'x':
			quiet = true
		case 'X':
			quiet = false
		default:
			return t.usage(usageSetlock)
		}
	}
	rest := p.Rest()
	if len(rest) < 2 {
		return t.usage(usageSetlock)
	}
	f := takeLock(rest[0], wait)
	if f == nil {
		f = execFile(rest[1], rest[1:], nil, nil)
	}
	if quiet {
		return 0
	}
	return t.fatal(f)
}

// softlimit: a bad number prints chpst's own usage under the name
// softlimit, an unknown option softlimit's usage (runit does both).
func (t *tool) softlimit(args []string) int {
	l := newLimits()
	p := sgetopt.New(t.base, args[1:], "a:c:d:f:l:m:o:p:r:s:t:", t.stderr)
	for {
		c, arg, done := p.Next()
		if done {
			break
		}
		var dst *int64
		switch c {
		case 'a':
			dst = &l.as
		case 'c':
			dst = &l.core
		case 'd', 'm':
			dst = &l.data
		case 'f':
			dst = &l.fsize
		case 'l':
			dst = &l.memlock
		case 'o':
			dst = &l.nofile
		case 'p':
			dst = &l.nproc
		case 'r':
			dst = &l.rss
		case 's':
			dst = &l.stack
		case 't':
			dst = &l.cpu
		default:
			return t.usage(usageSoftlimit)
		}
		v, ok := parseSoftlimit(arg)
		if !ok {
			return t.usage(usageMain)
		}
		*dst = v
		if c == 'm' {
			l.setAll(v)
		}
	}
	rest := p.Rest()
	if len(rest) == 0 {
		return t.usage(usageSoftlimit)
	}
	return t.fatal(execFile(rest[0], rest, nil, &l))
}

// IsPersonality reports whether name (without runit's optional leading 'd')
// is one of chpst's daemontools personalities.
func IsPersonality(name string) bool {
	switch name {
	case "setuidgid", "envuidgid", "envdir", "pgrphack", "setlock", "softlimit":
		return true
	}
	return false
}
