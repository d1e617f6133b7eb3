package supervise

import (
	"errors"
	"strconv"
	"strings"
)

// StatusSize is the length of supervise/status.
const StatusSize = 20

// ErrBadFormat is returned for a supervise/status that is not 20 bytes long.
var ErrBadFormat = errors.New("bad format")

// State is byte 19 of supervise/status.
type State byte

// The states runsv writes. Other values can be read from a foreign file.
const (
	StateDown   State = 0
	StateRun    State = 1
	StateFinish State = 2
)

// String returns the word sv and supervise/stat use, or "" for an unknown
// state (sv then prints no state word).
func (s State) String() string {
	switch s {
	case StateDown:
		return "down"
	case StateRun:
		return "run"
	case StateFinish:
		return "finish"
	}
	return ""
}

// Want is what the supervisor is asked to keep the service at.
type Want byte

// Wanted states. WantExit is written to supervise/status as 'd', like down:
// only supervise/stat tells the two apart.
const (
	WantUp   Want = 'u'
	WantDown Want = 'd'
	WantExit Want = 'x'
)

// Status is the decoded supervise/status record (spec/runit.md §1.3).
type Status struct {
	Since    TAI64N // when the current state began
	PID      int    // pid of ./run or ./finish, 0 if none
	Paused   bool
	Want     Want // as read from a file: only WantUp or WantDown (or a foreign byte)
	TermSent bool
	State    State
}

// MarshalBinary encodes s into the 20 bytes runit writes. The pid is stored
// little-endian where TAI64NA's attoseconds would be, as runit does.
func (s Status) MarshalBinary() ([]byte, error) {
	b := make([]byte, StatusSize)
	stamp := s.Since.Bytes()
	copy(b[0:12], stamp[:])
	pid := uint32(s.PID)
	b[12], b[13], b[14], b[15] = byte(pid), byte(pid>>8), byte(pid>>16), byte(pid>>24)
	if s.Paused {
		b[16] = 1
	}
	b[17] = byte(s.Want)
	if s.Want == WantExit {
		b[17] = byte(WantDown)
	}
	if s.TermSent {
		b[18] = 1
	}
	b[19] = byte(s.State)
	return b, nil
}

// UnmarshalBinary decodes a record; anything but 20 bytes is ErrBadFormat.
func (s *Status) UnmarshalBinary(b []byte) error {
	if len(b) != StatusSize {
		return ErrBadFormat
	}
	s.Since = tai64nFrom(b)
	s.PID = int(uint32(b[12]) | uint32(b[13])<<8 | uint32(b[14])<<16 | uint32(b[15])<<24)
	s.Paused = b[16] != 0
	s.Want = Want(b[17])
	s.TermSent = b[18] != 0
	s.State = State(b[19])
	return nil
}

// StatLine returns the content of supervise/stat for a supervisor whose
// wanted state is want (which, unlike the status byte, tells exit from down):
// "run, paused, got TERM, want down\n" and its shorter forms (§1.4).
func StatLine(state State, paused, termSent bool, want Want) string {
	var b strings.Builder
	b.WriteString(state.String())
	if paused {
		b.WriteString(", paused")
	}
	if termSent {
		b.WriteString(", got TERM")
	}
	if state != StateDown {
		switch want {
		case WantDown:
			b.WriteString(", want down")
		case WantExit:
			b.WriteString(", want exit")
		}
	}
	b.WriteByte('\n')
	return b.String()
}

// PIDLine returns the content of supervise/pid: the pid and a newline, or
// nothing at all when no process runs.
func PIDLine(pid int) string {
	if pid == 0 {
		return ""
	}
	return strconv.Itoa(pid) + "\n"
}
