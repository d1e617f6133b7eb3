package chpst

import "syscall"

// notSet marks a limit not asked for; -1 means "soft := hard" (softlimit's
// "="). runit keeps limits in C longs with the same two markers, and a
// number that wraps below -1 is, as there, not applied at all.
const (
	notSet = -2
	toHard = -1
)

// limits holds the requested soft limits, in runit's order of application.
type limits struct {
	data, stack, memlock, as, nofile, nproc, fsize, core, rss, cpu int64
}

func newLimits() limits {
	return limits{notSet, notSet, notSet, notSet, notSet, notSet, notSet, notSet, notSet, notSet}
}

// parseLimit parses an option's number: decimal digits only (an empty
// string is 0, as with runit's scan_ulong), stored as runit's long.
func parseLimit(s string) (int64, bool) {
	v, n := scanUlong(s)
	if n != len(s) {
		return 0, false
	}
	return int64(v), true
}

// parseSoftlimit is parseLimit plus softlimit's "=", the hard limit.
func parseSoftlimit(s string) (int64, bool) {
	if s == "=" {
		return toHard, true
	}
	return parseLimit(s)
}

// setAll sets the four limits of -m.
func (l *limits) setAll(v int64) {
	l.data, l.stack, l.memlock, l.as = v, v, v, v
}

// plan returns the changes that set the soft limits asked for, in runit's
// order, never changing a hard limit. Each is runit's limit(): soft := v,
// or the hard limit when v is -1 or above it. Nothing is set yet: the
// changes are made by execPlan.run, just before the execve (see exec.go).
func (l *limits) plan() ([]rlimitChange, *failure) {
	var changes []rlimitChange
	for _, r := range [...]struct {
		res int
		v   int64
	}{
		{syscall.RLIMIT_DATA, l.data},
		{syscall.RLIMIT_STACK, l.stack},
		{rlimitMemlock, l.memlock},
		{syscall.RLIMIT_AS, l.as},
		{syscall.RLIMIT_NOFILE, l.nofile},
		{rlimitNproc, l.nproc},
		{syscall.RLIMIT_FSIZE, l.fsize},
		{syscall.RLIMIT_CORE, l.core},
		{rlimitRSS, l.rss},
		{syscall.RLIMIT_CPU, l.cpu},
	} {
		if r.v < toHard {
			continue
		}
		c := rlimitChange{res: uintptr(r.res)}
		if err := syscall.Getrlimit(r.res, &c.old); err != nil {
			return nil, fatalErr("unable to getrlimit()", err)
		}
		c.new = c.old
		if r.v < 0 || uint64(r.v) > c.old.Max {
			c.new.Cur = c.old.Max
		} else {
			c.new.Cur = uint64(r.v)
		}
		changes = append(changes, c)
	}
	return changes, nil
}

// rlimitChange is one resource's limits before and after chpst sets them.
type rlimitChange struct {
	res      uintptr
	old, new syscall.Rlimit
}

// Linux resource numbers the syscall package does not name.
const (
	rlimitRSS     = 5
	rlimitNproc   = 6
	rlimitMemlock = 8
)
