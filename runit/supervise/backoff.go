package supervise

import (
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/hexbytes"
)

// Restart backoff, beyond runit (docs/runsv.md). runit's runsv starts a
// service again at once, or after one second when it ran for less than a
// second. A RestartBackoffFile replaces that rule for its service: the
// first restart waits Delay, each quick one (the process ran less than
// ResetAfter) twice the previous wait, at most MaxDelay; a process that
// ran ResetAfter or longer brings the wait back to Delay.

// Backoff is the content of a RestartBackoffFile.
type Backoff struct {
	Delay, MaxDelay, ResetAfter time.Duration
}

// ParseRestartBackoff decodes "DELAY MAX RESET" in milliseconds, white
// space separated, with MAX ≥ DELAY. Anything else is ErrBadValue.
func ParseRestartBackoff(b []byte) (Backoff, error) {
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return Backoff{}, ErrBadValue
	}
	var d [3]time.Duration
	for i, s := range f {
		v, err := ParseTimeoutKill([]byte(s))
		if err != nil {
			return Backoff{}, err
		}
		d[i] = v
	}
	if d[1] < d[0] {
		return Backoff{}, ErrBadValue
	}
	return Backoff{Delay: d[0], MaxDelay: d[1], ResetAfter: d[2]}, nil
}

// Line is the RestartBackoffFile content for b.
func (b Backoff) Line() string {
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	return ms(b.Delay) + " " + ms(b.MaxDelay) + " " + ms(b.ResetAfter) + "\n"
}

// Next is the wait before the next start of a process that ran for ran,
// when the previous wait was prev (0: none yet).
func (b Backoff) Next(prev, ran time.Duration) time.Duration {
	if prev == 0 || ran >= b.ResetAfter {
		return b.Delay
	}
	return min(2*prev, b.MaxDelay)
}

// BackoffLine is the content of the BackoffFile of a service whose next
// start is due at due after a wait of delay: the TAI64N label of due and
// the delay in milliseconds, "@4000000065… 1600\n".
func BackoffLine(due time.Time, delay time.Duration) []byte {
	return []byte(TAI64NOf(due).Label() + " " + strconv.FormatInt(delay.Milliseconds(), 10) + "\n")
}

// Pause is a service waiting in backoff: when its next start is due and
// the wait that leads there.
type Pause struct {
	Due   time.Time
	Delay time.Duration
}

// ParseBackoff decodes a BackoffFile; ok is false for anything else.
func ParseBackoff(b []byte) (p Pause, ok bool) {
	label, ms, found := strings.Cut(strings.TrimSuffix(string(b), "\n"), " ")
	if !found || len(label) != 25 || label[0] != '@' {
		return Pause{}, false
	}
	raw, ok := hexbytes.Decode(label[1:])
	if !ok {
		return Pause{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < 0 {
		return Pause{}, false
	}
	return Pause{Due: tai64nFrom(raw).Time(), Delay: time.Duration(n) * time.Millisecond}, true
}

// ReadBackoff reads the BackoffFile of the service directory svdir; ok is
// false when there is none (the service is not waiting) or it cannot be
// read.
func ReadBackoff(svdir string) (Pause, bool) {
	fd, err := rawOpenat(unix.AT_FDCWD, Path(svdir, BackoffFile), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
	if err != nil {
		return Pause{}, false
	}
	var buf [64]byte
	n, err := rawRead(fd, buf[:])
	rawClose(fd)
	if err != nil {
		return Pause{}, false
	}
	return ParseBackoff(buf[:n])
}
