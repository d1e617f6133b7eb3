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

// apply sets the soft limits asked for, never changing a hard limit.
func (l *limits) apply() *failure {
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
		if f := setSoft(r.res, r.v); f != nil {
			return f
		}
	}
	return nil
}

// Linux resource numbers the syscall package does not name.
const (
	rlimitRSS     = 5
	rlimitNproc   = 6
	rlimitMemlock = 8
)

// setSoft is runit's limit(): soft := v, or the hard limit when v is -1 or
// above it.
func setSoft(res int, v int64) *failure {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(res, &r); err != nil {
		return fatalErr("unable to getrlimit()", err)
	}
	if v < 0 || uint64(v) > r.Max {
		r.Cur = r.Max
	} else {
		r.Cur = uint64(v)
	}
	// syscall.Setrlimit (not a raw call) so that, for NOFILE, the Go
	// runtime forgets the limit it raised at startup and syscall.Exec
	// does not put the old one back.
	if err := syscall.Setrlimit(res, &r); err != nil {
		return fatalErr("unable to setrlimit()", err)
	}
	return nil
}
