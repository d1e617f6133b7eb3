package runsvdir

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The supervision process is idle between bursts (a scan, the start of many
// services). Half a second after the last one, if the burst allocated
// enough to leave garbage worth more than a collection costs, it runs on
// one P, which returns the second P's caches of memory spans and stacks,
// and gives the garbage back to the kernel rather than keep it as resident
// heap. A burst gets every P back at once: starts of services run in
// parallel (docs/runsvdir.md has the figures).
var trimmer struct {
	sync.Mutex
	timer  *time.Timer
	procs  int // GOMAXPROCS for bursts; 0 until the first one
	idle   bool
	allocs uint64 // the runtime's cumulative heap allocation at the last trim
}

// trimMinAlloc is how much a burst must allocate before its trim collects.
// A collection is not free: the first ones touch about 0.3–0.45 MB of the
// runtime's own metadata (a span set block for each size class in use,
// for each of the two sweep generations), and so does giving up a P (its
// cached spans go back to those sets). A process that has never collected
// is also spared the runtime's forced collection every two minutes. At 10
// and 20 services (0.38 and 0.54 MB allocated since start) collecting cost
// 0.4 and 0.16 MB more than it gave back; at 50 (1.0 MB) it gave back
// 0.1 MB more than it cost, at 500 0.8 MB.
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
	t := &trimmer
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	allocs := s[0].Value.Uint64()
	t.Lock()
	if allocs-t.allocs < trimMinAlloc {
		// Too little garbage to be worth a collection: the next burst's
		// allocation counts on top of this one's.
		t.Unlock()
		return
	}
	t.allocs = allocs
	if !t.idle {
		runtime.GOMAXPROCS(1)
		t.idle = true
	}
	t.Unlock()
	debug.FreeOSMemory()
}
