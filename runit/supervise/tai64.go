package supervise

import (
	"time"

	"sysconf/internal/hexbytes"
)

// tai64Base is 2^62 plus runit's fixed TAI−UTC offset of 10 seconds.
const tai64Base = 1<<62 + 10

// TAI64N is a TAI64N time stamp: TAI64 seconds and nanoseconds.
type TAI64N struct {
	Sec  uint64
	Nano uint32
}

// TAI64NOf converts t the way runit does: runit reads a microsecond clock and
// writes microseconds*1000+500 as the nanoseconds, so every stamp it makes is
// ≡ 500 (mod 1000); tools that compare stamps expect the same.
func TAI64NOf(t time.Time) TAI64N {
	return TAI64N{
		Sec:  uint64(t.Unix()) + tai64Base,
		Nano: uint32(t.Nanosecond()/1000*1000 + 500),
	}
}

// Now returns TAI64NOf(time.Now()).
func Now() TAI64N { return TAI64NOf(time.Now()) }

// Time returns the stamp as a time.Time.
func (t TAI64N) Time() time.Time {
	return time.Unix(int64(t.Sec-tai64Base), int64(t.Nano))
}

// Bytes returns the 12-byte big-endian encoding.
func (t TAI64N) Bytes() [12]byte {
	var b [12]byte
	for i := range 8 {
		b[i] = byte(t.Sec >> (56 - 8*i))
	}
	for i := range 4 {
		b[8+i] = byte(t.Nano >> (24 - 8*i))
	}
	return b
}

// tai64nFrom decodes the 12-byte big-endian encoding at the start of b,
// which holds at least 12 bytes. encoding/binary would do it, but it
// imports reflect (see internal/hexbytes for why the tools avoid that).
func tai64nFrom(b []byte) TAI64N {
	var t TAI64N
	for _, c := range b[0:8] {
		t.Sec = t.Sec<<8 | uint64(c)
	}
	for _, c := range b[8:12] {
		t.Nano = t.Nano<<8 | uint32(c)
	}
	return t
}

// Label returns the 25-byte "@" + 24 hex digits form that svlogd uses in
// file names and -t stamps, and Debian's runsvdir in .forced-rescan.
func (t TAI64N) Label() string {
	b := t.Bytes()
	return "@" + hexbytes.Encode(b[:])
}

// UnixSeconds returns the TAI64 seconds of t as Unix seconds, for clients that
// compare whole seconds as sv does.
func (t TAI64N) UnixSeconds() int64 { return int64(t.Sec) - tai64Base }
