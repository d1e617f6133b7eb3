package runsvdir

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watcher reports, as soon as inotify does, every change that could alter
// what a scan of DIR finds: entries created, removed or renamed in DIR, DIR
// itself going away, and the symlinks DIR is reached through being replaced
// (runsvchdir renames current.new over current). Events carry no detail: the
// scanner answers each burst with one full scan.
type watcher struct {
	fd     int
	file   *os.File // fd through Go's poller
	events chan struct{}
	chain  []string // the links, for comparing after a re-resolve

	mu    sync.Mutex
	dirWd int                     // the watch on DIR itself
	links map[int]map[string]bool // watch descriptor of a link's parent → link names in it
}

const dirMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ATTRIB | unix.IN_ONLYDIR
const linkMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_ONLYDIR

// newWatcher sets the watches for absDir; an error leaves the periodic
// rescan as the only way changes are seen.
func newWatcher(absDir string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	w := &watcher{fd: fd, file: os.NewFile(uintptr(fd), "inotify"), events: make(chan struct{}, 1)}
	err = w.set(absDir)
	go w.read()
	return w, err
}

// linkChain lists the symlinks absDir is reached through by its last
// component: /service -> etc/runit/runsvdir/current -> default gives
// /service and /etc/runit/runsvdir/current.
func linkChain(absDir string) []string {
	var chain []string
	p := absDir
	for range 40 {
		target, err := os.Readlink(p)
		if err != nil {
			break
		}
		chain = append(chain, p)
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return chain
}

// set (re)creates every watch.
func (w *watcher) set(absDir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for wd := range w.links {
		unix.InotifyRmWatch(w.fd, uint32(wd))
	}
	if w.dirWd > 0 {
		unix.InotifyRmWatch(w.fd, uint32(w.dirWd))
	}
	w.links = make(map[int]map[string]bool)
	w.dirWd = -1
	w.chain = linkChain(absDir)
	for _, l := range w.chain {
		wd, err := unix.InotifyAddWatch(w.fd, filepath.Dir(l), linkMask)
		if err != nil {
			continue
		}
		if w.links[wd] == nil {
			w.links[wd] = make(map[string]bool)
		}
		w.links[wd][filepath.Base(l)] = true
	}
	wd, err := unix.InotifyAddWatch(w.fd, absDir, dirMask)
	if err != nil {
		return err
	}
	w.dirWd = wd
	return nil
}

// relevant tells whether an event matters: anything in DIR, and in a link's
// parent only what happens to the link's name. An overflow matters always.
func (w *watcher) relevant(wd int, mask uint32, name string) bool {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return wd == w.dirWd || w.links[wd][name]
}

// changed tells whether the link chain differs from the watched one.
func (w *watcher) changed(absDir string) bool {
	c := linkChain(absDir)
	if len(c) != len(w.chain) {
		return true
	}
	for i := range c {
		if c[i] != w.chain[i] {
			return true
		}
	}
	return false
}

func (w *watcher) read() {
	// Room for a dozen events at least (each at most 16 bytes plus
	// NAME_MAX+1); a burst takes several reads. The buffer lives as long
	// as the process: 64 kB of it would be resident for nothing.
	buf := make([]byte, 4096)
	for {
		n, err := w.file.Read(buf)
		if err != nil || n <= 0 {
			return
		}
		hit := false
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			name := string(bytes.TrimRight(nameBytes, "\x00"))
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if w.relevant(int(ev.Wd), ev.Mask, name) {
				hit = true
			}
		}
		if !hit {
			continue
		}
		select {
		case w.events <- struct{}{}:
		default:
		}
	}
}
