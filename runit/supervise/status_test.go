package supervise

import (
	"encoding/hex"
	"errors"
	"syscall"
	"testing"
	"time"
)

// A record captured from Debian's runsv supervising pid 9420 (spec §1.3).
const captured = "400000006b074a142b466844cc24000000750001"

func TestStatusRoundTrip(t *testing.T) {
	raw, _ := hex.DecodeString(captured)
	var st Status
	if err := st.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if st.PID != 9420 || st.State != StateRun || st.Want != WantUp || st.Paused || st.TermSent {
		t.Fatalf("decoded %+v", st)
	}
	if st.Since.Nano%1000 != 500 {
		t.Errorf("nano %d is not ≡ 500 mod 1000", st.Since.Nano)
	}
	got, _ := st.MarshalBinary()
	if hex.EncodeToString(got) != captured {
		t.Errorf("MarshalBinary = %x, want %s", got, captured)
	}
}

func TestStatusWantExitIsWrittenAsDown(t *testing.T) {
	b, _ := Status{Want: WantExit, State: StateRun, PID: 1}.MarshalBinary()
	if b[17] != 'd' {
		t.Errorf("want byte = %q, want 'd'", b[17])
	}
}

func TestStatusBadFormat(t *testing.T) {
	for _, n := range []int{0, 19, 21} {
		var st Status
		if err := st.UnmarshalBinary(make([]byte, n)); !errors.Is(err, ErrBadFormat) {
			t.Errorf("UnmarshalBinary(%d bytes) = %v, want ErrBadFormat", n, err)
		}
	}
}

func TestTAI64N(t *testing.T) {
	tm := time.Unix(1700000000, 123456789)
	s := TAI64NOf(tm)
	if s.Sec != 4611686018427387914+1700000000 {
		t.Errorf("Sec = %d", s.Sec)
	}
	if s.Nano != 123456500 {
		t.Errorf("Nano = %d, want 123456500", s.Nano)
	}
	if l := s.Label(); l != "@400000006553f10a075bcbf4" {
		t.Errorf("Label = %q, want @400000006553f10a075bcbf4", l)
	}
	if s.UnixSeconds() != 1700000000 {
		t.Errorf("UnixSeconds = %d", s.UnixSeconds())
	}
}

func TestStatLine(t *testing.T) {
	tests := []struct {
		state        State
		paused, term bool
		want         Want
		line         string
	}{
		{StateRun, false, false, WantUp, "run\n"},
		{StateDown, false, false, WantDown, "down\n"},
		{StateRun, false, false, WantDown, "run, want down\n"},
		{StateRun, false, true, WantDown, "run, got TERM, want down\n"},
		{StateFinish, false, false, WantDown, "finish, want down\n"},
		{StateRun, true, false, WantUp, "run, paused\n"},
		{StateRun, false, false, WantExit, "run, want exit\n"},
		{StateDown, false, false, WantExit, "down\n"},
	}
	for _, tt := range tests {
		if got := StatLine(tt.state, tt.paused, tt.term, tt.want); got != tt.line {
			t.Errorf("StatLine(%v,%v,%v,%c) = %q, want %q", tt.state, tt.paused, tt.term, tt.want, got, tt.line)
		}
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseTimeoutKill(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  error
	}{
		{"300", 300 * time.Millisecond, nil},
		{"300\n", 300 * time.Millisecond, nil},
		{"0", 0, nil},
		{"", 0, ErrBadValue},
		{"abc", 0, ErrBadValue},
		{"-5", 0, ErrBadValue},
		{"3s", 0, ErrBadValue},
		{"99999999999999999999", 0, ErrBadValue},
	}
	for _, tt := range tests {
		got, err := ParseTimeoutKill([]byte(tt.in))
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ParseTimeoutKill(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseDownSignal(t *testing.T) {
	tests := []struct {
		in   string
		want syscall.Signal
		err  error
	}{
		{"TERM", syscall.SIGTERM, nil},
		{"SIGINT\n", syscall.SIGINT, nil},
		{"hup", syscall.SIGHUP, nil},
		{"USR2", syscall.SIGUSR2, nil},
		{"KILL", syscall.SIGKILL, nil},
		{"STOP", 0, ErrBadValue},
		{"SIG", 0, ErrBadValue},
		{"15", 0, ErrBadValue},
		{"", 0, ErrBadValue},
	}
	for _, tt := range tests {
		got, err := ParseDownSignal([]byte(tt.in))
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ParseDownSignal(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
