package runsvdir

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The supervision process is idle between bursts (a scan, the start of many
// services). Half a second after the last one, unless too little was
// allocated to be worth it (worthCollecting), it runs on one P, which
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

// worthCollecting tells whether a trim collects, given the collections the
// process has made so far and its heap allocation since it started. The
// first collections are not free: they touch about 0.3–0.45 MB of the
// runtime's own metadata (a span set block for each size class in use,
// for each of the two sweep generations), and so does giving up a P (its
// cached spans go back to those sets); and a process that has never
// collected is spared the runtime's forced collection every two minutes.
// At 10 and 20 services (0.38 and 0.54 MB allocated since start, before
// conn kept its read buffer) collecting cost 0.4 and 0.16 MB more than it
// gave back; at 50 (1.0 MB) it gave back 0.1 MB more than it cost, at 500
// 0.8 MB. Once the process has collected, every trim does.
func worthCollecting(cycles, allocs uint64) bool {
	return cycles > 0 || allocs >= trimMinAlloc
}

const trimMinAlloc = 768 << 10

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
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if !worthCollecting(s[0].Value.Uint64(), s[1].Value.Uint64()) {
		return
	}
	t := &trimmer
	t.Lock()
	if !t.idle {
		runtime.GOMAXPROCS(1)
		t.idle = true
	}
	t.Unlock()
	debug.FreeOSMemory()
}
