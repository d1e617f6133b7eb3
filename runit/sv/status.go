package sv

import (
	"golang.org/x/sys/unix"
	"strconv"

	"sysconf/runit/supervise"
)

// What a printed status part showed, for the LSB exit code of status.
const (
	shownUnknown = 0 // the down file could not be stat'ed: nothing printed
	shownPID     = 1 // a process runs
	shownNoPID   = 2 // none runs
)

// status is the status command for the service in dir: the main part, then
// "; " and the log part when dir/log exists (spec §4.6). In LSB mode it ends
// sv (ended) with the exit code of the last part printed.
func (s *run) status(d dir) (code int, ended bool) {
	r := s.readStatus(d)
	if r < 0 && s.lsb {
		return 4, true
	}
	if r <= 0 {
		return 0, false
	}
	shown := s.printStatus(d, s.name)
	s.islog = true
	logfd, err := openDir(d.fd, "log")
	if err == nil {
		err = s.searchable(d.path + "/log")
		if err != nil {
			unix.Close(logfd)
		}
	}
	if err != nil {
		if err != unix.ENOENT {
			s.out = append(s.out, "; "...)
			s.warn("unable to change directory", err)
		} else {
			s.out = append(s.out, '\n')
		}
	} else {
		s.out = append(s.out, "; "...)
		// A warning (say, a log/ never supervised) still prints a log
		// part, from the record read last: the main service's. runit
		// does so; keep it.
		logdir := dir{path: d.path + "/log", fd: logfd}
		if s.readStatus(logdir) != 0 {
			shown = s.printStatus(logdir, "log")
			s.out = append(s.out, '\n')
		}
		logdir.close()
	}
	s.islog = false
	s.flush()
	if s.lsb {
		switch shown {
		case shownPID:
			return 0, true
		case shownNoPID:
			return 3, true
		default:
			return 4, true
		}
	}
	return 0, false
}

// printStatus appends the status line of the record last read, named label,
// for the service in dir, whose down file it looks at. If that stat fails
// for another reason than a missing file it warns on stderr (naming the
// main service's down file even for the log, as runit does) and prints
// nothing.
func (s *run) printStatus(d dir, label string) int {
	normallyUp := false
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, "down", &st, 0); err != nil {
		if err != unix.ENOENT {
			s.warn2("unable to stat", "down", err)
			return shownUnknown
		}
		normallyUp = true
	}
	now := supervise.TAI64NOf(s.now).Sec
	s.out = appendStatus(s.out, label, &s.rec, now, normallyUp)
	if s.rec.Status().PID != 0 {
		return shownPID
	}
	return shownNoPID
}

// appendStatus appends to b the status line of rec for name at TAI64 second
// now, without a newline:
//
//	STATE: NAME: [(pid PID) ]SECONDSs[suffixes]
//
// An unknown state byte prints no state word; the pid part appears for
// every state but down; a time stamp in the future gives 0s.
func appendStatus(b []byte, name string, rec *supervise.Record, now uint64, normallyUp bool) []byte {
	st := rec.Status()
	if w := st.State.String(); w != "" {
		b = append(b, w...)
		b = append(b, ": "...)
	}
	b = append(b, name...)
	b = append(b, ": "...)
	if st.State != supervise.StateDown {
		b = append(b, "(pid "...)
		// runit keeps the pid in a C int and prints it as unsigned long:
		// a pid field of 2^31 or more comes out sign-extended.
		b = strconv.AppendUint(b, uint64(int64(int32(uint32(st.PID)))), 10)
		b = append(b, ") "...)
	}
	var age uint64
	if now >= st.Since.Sec {
		age = now - st.Since.Sec
	}
	b = strconv.AppendUint(b, age, 10)
	b = append(b, 's')
	running := st.PID != 0
	if running && !normallyUp {
		b = append(b, ", normally down"...)
	}
	if !running && normallyUp {
		b = append(b, ", normally up"...)
	}
	if running && st.Paused {
		b = append(b, ", paused"...)
	}
	if !running && st.Want == supervise.WantUp {
		b = append(b, ", want up"...)
	}
	if running && st.Want == supervise.WantDown {
		b = append(b, ", want down"...)
	}
	if running && st.TermSent {
		b = append(b, ", got TERM"...)
	}
	return b
}
