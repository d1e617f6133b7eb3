package runsv

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/runit/reaper"
	"sysconf/runit/supervise"
)

// adoptSlack is how far a process's start time may be from the time stamp
// of the status that names it (/proc's boot time has one-second steps).
const adoptSlack = 2 * time.Second

// checkAdopt decides, before the first status update overwrites it, whether
// v's old supervise/status names a live process that a previous supervisor
// left behind. If so v takes over its state, pid, wanted state and time
// stamp; finishAdopt then watches it.
func (s *Supervisor) checkAdopt(v *svc) {
	var rec supervise.Record
	if supervise.ReadRecordAt(s.dirfd, v.dir(), &rec) != nil {
		return
	}
	st := rec.Status()
	if s.cfg.InheritWant && (st.Want == supervise.WantUp || st.Want == supervise.WantDown) {
		v.want = st.Want
	}
	if st.State != supervise.StateRun && st.State != supervise.StateFinish || st.PID <= 1 || st.PID == os.Getpid() {
		return
	}
	if s.cfg.Reaper.IsChild(st.PID) {
		return
	}
	started, zombie, err := procStart(st.PID)
	if err != nil || zombie {
		return
	}
	since := st.Since.Time()
	switch st.State {
	case supervise.StateRun:
		// ./run's stamp is taken right after the fork.
		if d := started.Sub(since); d < -adoptSlack || d > adoptSlack {
			return
		}
	case supervise.StateFinish:
		// finish keeps ./run's stamp: it started later, and must run in
		// this very directory.
		if started.Before(since.Add(-adoptSlack)) || !s.sameDir(st.PID, v) {
			return
		}
	}
	v.state = st.State
	v.pid = st.PID
	v.start = since
	v.paused = st.Paused
	v.term = st.TermSent
	if st.Want == supervise.WantDown {
		v.want = supervise.WantDown
	} else {
		v.want = supervise.WantUp
	}
	v.adopt = st.PID
}

// finishAdopt starts watching the process checkAdopt chose, once nothing in
// Open can fail any more. A process that died in between is reaped at once
// as having ended in an unknown way.
func (s *Supervisor) finishAdopt(v *svc) {
	if v.adopt == 0 {
		return
	}
	done, err := s.cfg.Reaper.Adopt(v.adopt)
	if err != nil {
		s.warn("unable to adopt pid "+strconv.Itoa(v.adopt), err)
		c := make(chan syscall.WaitStatus, 1)
		c <- reaper.Unknown
		done = c
	}
	v.done = done
	v.adopt = 0
	s.inheritReadiness(v)
}

// adoptPipe makes the log pipe the one the adopted processes share, when
// the logger or the service was adopted: a logger still reading the old
// pipe would otherwise never see what a restarted service writes, and an
// adopted service would write into a pipe nobody reads. Either end found
// under /proc/PID/fd is reopened for reading and for writing (opening a
// pipe there gives a new open file of that same pipe). Without access the
// fresh pipe from Open is kept, with a warning.
func (s *Supervisor) adoptPipe() {
	var path string
	switch {
	case s.log.adopt != 0:
		path = "/proc/" + strconv.Itoa(s.log.adopt) + "/fd/0"
	case s.main.adopt != 0:
		path = "/proc/" + strconv.Itoa(s.main.adopt) + "/fd/1"
	default:
		return
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return // not a pipe (or gone): nothing to share
	}
	// A non-blocking open of the read end never waits for a writer; the
	// write end then finds that reader. Children get blocking ends.
	rd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		s.warn("unable to take over the log pipe of the adopted processes", err)
		return
	}
	wr, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(rd)
		s.warn("unable to take over the log pipe of the adopted processes", err)
		return
	}
	unix.SetNonblock(rd, false)
	unix.SetNonblock(wr, false)
	closeFD(&s.pipe[0])
	closeFD(&s.pipe[1])
	s.pipe = [2]int{rd, wr}
}

// sameDir tells whether pid's working directory is v's directory.
func (s *Supervisor) sameDir(pid int, v *svc) bool {
	var want, got unix.Stat_t
	name := "."
	if v.islog {
		name = "log"
	}
	if unix.Fstatat(s.dirfd, name, &want, 0) != nil {
		return false
	}
	if unix.Stat("/proc/"+strconv.Itoa(pid)+"/cwd", &got) != nil {
		return false
	}
	return want.Dev == got.Dev && want.Ino == got.Ino
}

// procStart returns when pid started (from /proc/PID/stat's starttime and
// /proc/stat's btime) and whether it is a zombie.
func procStart(pid int) (time.Time, bool, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, false, err
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return time.Time{}, false, syscall.EINVAL
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 {
		return time.Time{}, false, syscall.EINVAL
	}
	ticks, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return time.Time{}, false, err
	}
	boot, err := bootTime()
	if err != nil {
		return time.Time{}, false, err
	}
	const clkTck = 100 // USER_HZ on every Linux architecture Go supports
	started := boot.Add(time.Duration(ticks) * time.Second / clkTck)
	return started, string(f[0]) == "Z", nil
}

func bootTime() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			sec, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, syscall.EINVAL
}
