package supervise

import (
	"errors"
	"math"
	"strings"
	"syscall"
	"time"
)

// ErrBadValue is returned for a timeout-kill or down-signal file that
// cannot be understood.
var ErrBadValue = errors.New("bad value")

// ParseTimeoutKill decodes the content of a TimeoutKillFile: a decimal
// number of milliseconds, optionally surrounded by white space (a trailing
// newline). 0 means wait forever. Anything else is ErrBadValue.
func ParseTimeoutKill(b []byte) (time.Duration, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, ErrBadValue
	}
	const max = math.MaxInt64 / int64(time.Millisecond)
	var ms int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, ErrBadValue
		}
		ms = ms*10 + int64(c-'0')
		if ms > max {
			return 0, ErrBadValue
		}
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// downSignals are the signals a DownSignalFile may name: those that ask a
// process to end, and KILL. STOP, TSTP and CONT would not stop anything.
var downSignals = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"ABRT": syscall.SIGABRT, "KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2, "PIPE": syscall.SIGPIPE, "ALRM": syscall.SIGALRM,
	"TERM": syscall.SIGTERM, "WINCH": syscall.SIGWINCH, "PWR": syscall.SIGPWR,
}

// ParseDownSignal decodes the content of a DownSignalFile: a signal name
// with or without its SIG prefix, in any case, optionally surrounded by
// white space ("TERM", "SIGINT\n"), as s6-supervise accepts. Anything
// else, a name of STOP, TSTP or CONT included, is ErrBadValue.
func ParseDownSignal(b []byte) (syscall.Signal, error) {
	s := strings.ToUpper(strings.TrimSpace(string(b)))
	s = strings.TrimPrefix(s, "SIG")
	if sig, ok := downSignals[s]; ok {
		return sig, nil
	}
	return 0, ErrBadValue
}
