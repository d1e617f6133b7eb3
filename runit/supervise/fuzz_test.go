package supervise

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzStatus decodes any bytes as supervise/status. Anything but 20 bytes
// is ErrBadFormat; a record decodes without loss except what runit itself
// folds (a non-zero flag byte is 1, want x is written d), and encoding the
// decoded record gives it back in that folded form. Record.Status reads
// what UnmarshalBinary reads.
func FuzzStatus(f *testing.F) {
	f.Add(mustHex(captured))
	f.Add(make([]byte, StatusSize))
	f.Add([]byte("short"))
	f.Add(bytes.Repeat([]byte{0xff}, StatusSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var st Status
		err := st.UnmarshalBinary(b)
		if len(b) != StatusSize {
			if err != ErrBadFormat {
				t.Fatalf("UnmarshalBinary(%d bytes) = %v, want ErrBadFormat", len(b), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("UnmarshalBinary(%x) = %v", b, err)
		}
		var rec Record
		copy(rec[:], b)
		if rec.Status() != st {
			t.Fatalf("Record.Status = %+v, UnmarshalBinary = %+v", rec.Status(), st)
		}
		if rec.TermByte() != b[18] {
			t.Fatalf("TermByte = %d, byte 18 is %d", rec.TermByte(), b[18])
		}
		got, err := st.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		want := append([]byte(nil), b...)
		for _, i := range []int{16, 18} {
			if want[i] != 0 {
				want[i] = 1
			}
		}
		if want[17] == byte(WantExit) {
			want[17] = byte(WantDown)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("MarshalBinary(UnmarshalBinary(%x)) = %x, want %x", b, got, want)
		}
		// The stat line of any decoded state is one line.
		if l := StatLine(st.State, st.Paused, st.TermSent, st.Want); bytes.Count([]byte(l), []byte("\n")) != 1 {
			t.Fatalf("StatLine = %q", l)
		}
	})
}

// FuzzParseTimeoutKill: an accepted value is a whole number of
// milliseconds that prints back to the digits it was read from.
func FuzzParseTimeoutKill(f *testing.F) {
	for _, s := range []string{"300", "0\n", " 5000 ", "", "-1", "1e3", "99999999999999999999", "12ms"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseTimeoutKill(b)
		if err != nil {
			if err != ErrBadValue || d != 0 {
				t.Fatalf("ParseTimeoutKill(%q) = %v, %v", b, d, err)
			}
			return
		}
		if d < 0 || d%1e6 != 0 {
			t.Fatalf("ParseTimeoutKill(%q) = %v", b, d)
		}
		again, err := ParseTimeoutKill([]byte(strconv.FormatInt(d.Milliseconds(), 10)))
		if err != nil || again != d {
			t.Fatalf("ParseTimeoutKill(%q) = %v, its digits give %v, %v", b, d, again, err)
		}
	})
}

// FuzzParseDownSignal: an accepted value is one of the stop signals.
func FuzzParseDownSignal(f *testing.F) {
	for _, s := range []string{"TERM", "SIGINT\n", "hup", "STOP", "SIG", "", "9"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sig, err := ParseDownSignal(b)
		if err != nil {
			if err != ErrBadValue || sig != 0 {
				t.Fatalf("ParseDownSignal(%q) = %v, %v", b, sig, err)
			}
			return
		}
		found := false
		for _, s := range downSignals {
			found = found || s == sig
		}
		if !found {
			t.Fatalf("ParseDownSignal(%q) = %v, not a stop signal", b, sig)
		}
	})
}
