package runsvdir

import (
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// The supervision process is idle between bursts (a scan, the start of many
// services). Half a second after the last one it runs on one P, which
// returns the second P's caches of memory spans and stacks, and gives the
// garbage of the burst back to the kernel rather than keep it as resident
// heap. A burst gets every P back at once: starts of services run in
// parallel (docs/runsvdir.md has the figures).
var trimmer struct {
	sync.Mutex
	timer *time.Timer
	procs int // GOMAXPROCS for bursts; 0 until the first one
	idle  bool
}

// trimLater marks a burst: every P is back, and the trim is 500 ms after
// the last call.
func trimLater() {
	t := &trimmer
	t.Lock()
	defer t.Unlock()
	if t.procs == 0 {
		t.procs = runtime.GOMAXPROCS(0)
	}
	if t.idle {
		runtime.GOMAXPROCS(t.procs)
		t.idle = false
	}
	if t.timer == nil {
		t.timer = time.AfterFunc(500*time.Millisecond, trim)
	} else {
		t.timer.Reset(500 * time.Millisecond)
	}
}

func trim() {
	t := &trimmer
	t.Lock()
	if !t.idle {
		runtime.GOMAXPROCS(1)
		t.idle = true
	}
	t.Unlock()
	debug.FreeOSMemory()
}
