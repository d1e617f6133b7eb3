package svlogd

import (
	"time"

	"sysconf/runit/supervise"
)

// Time stamp kinds, as counted by -t.
const (
	stampNone = iota
	stampTAI  // -t: @400000006b074d3439cde3c4
	stampPT   // -tt: 2026-11-25_21:03:38.97226
	stampISO  // -ttt: 2026-11-25T21:03:38.97226
)

const hexDigits = "0123456789abcdef"

// stamper formats the 26-byte line stamps (25 characters and a space). The
// part that depends on the second only is formatted once per second; each
// line then fills in its sub-second digits, so a stamp costs a clock read
// and a few byte stores, never a time.Format.
type stamper struct {
	kind int
	sec  int64 // the Unix second buf's cached part is for; -1 for none
	buf  [26]byte
}

func newStamper(kind int) *stamper {
	return &stamper{kind: kind, sec: -1}
}

// stamp returns the stamp of t in a buffer reused by the next call.
func (s *stamper) stamp(t time.Time) []byte {
	tai := supervise.TAI64NOf(t)
	sec := t.Unix()
	if sec != s.sec {
		s.sec = sec
		s.second(tai)
	}
	b := &s.buf
	if s.kind == stampTAI {
		n := tai.Nano
		for i := 24; i >= 17; i-- {
			b[i] = hexDigits[n&15]
			n >>= 4
		}
	} else {
		// The first 5 of the 9 nanosecond digits: runit truncates.
		n := tai.Nano / 10000
		for i := 24; i >= 20; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	return b[:]
}

// second formats the part of the stamp that changes once a second.
func (s *stamper) second(tai supervise.TAI64N) {
	b := &s.buf
	b[25] = ' '
	if s.kind == stampTAI {
		b[0] = '@'
		x := tai.Sec
		for i := 16; i >= 1; i-- {
			b[i] = hexDigits[x&15]
			x >>= 4
		}
		return
	}
	t := time.Unix(tai.UnixSeconds(), 0).UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	put := func(at, v, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = '_'
	if s.kind == stampISO {
		b[10] = 'T'
	}
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, second, 2)
	b[19] = '.'
}
