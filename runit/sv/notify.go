package sv

import (
	"bytes"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// watchEvents are the changes of a supervise directory that may change a
// check's answer: a state file renamed into place (how runit's runsv and
// ours write status, stat, pid and ready), one written in place, one
// removed, and the directory itself going away. The closes of files opened
// only for reading (sv's own reads of status and ok) are not among them,
// so sv's checks do not wake sv.
const watchEvents = unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// watcher wakes sv as soon as a pending service's supervise directory
// changes, instead of runit's blind 420 ms sleep. It is an inotify
// descriptor; where inotify is unavailable (a kernel without it, the
// instance limit reached) sv polls as runit does.
type watcher struct {
	fd  int // -1: none, poll
	buf []byte
}

func newWatcher() *watcher {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return &watcher{fd: -1}
	}
	return &watcher{fd: fd, buf: make([]byte, 4096)}
}

// add watches the supervise directory of the service directory path (and
// what a symlink named supervise points to). Adding a directory again is
// free, and a supervise directory replaced since is watched anew; one
// that does not exist yet is left to the poll.
func (w *watcher) add(path string) {
	if w.fd < 0 {
		return
	}
	unix.InotifyAddWatch(w.fd, path+"/"+supervise.DirName, watchEvents)
}

// wait returns after d, or as soon as a watched directory changed, and
// tells which: true for a change. It reads every event queued so far.
func (w *watcher) wait(d time.Duration) bool {
	if w.fd < 0 {
		time.Sleep(d)
		return false
	}
	fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(d)
	for {
		ms := int((time.Until(deadline) + time.Millisecond - 1) / time.Millisecond)
		if ms <= 0 {
			return false
		}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			time.Sleep(time.Until(deadline))
			return false
		}
		if n > 0 && w.drain() {
			return true
		}
	}
}

// drain reads every queued event and tells whether one of them may change
// a check's answer. sv's own opens of ok (for writing: the probe) and of
// control (sending k) and a supervisor's status.new before its rename are
// not such a change; a supervisor's exit is, through its lock.
func (w *watcher) drain() bool {
	relevant := false
	for {
		n, err := unix.Read(w.fd, w.buf)
		if n <= 0 || err != nil {
			return relevant
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			name := w.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
			switch string(name) {
			case supervise.OkFIFO, supervise.ControlFIFO:
				continue
			}
			if !bytes.HasSuffix(name, []byte(".new")) {
				relevant = true
			}
		}
	}
}

func (w *watcher) close() {
	if w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
}
