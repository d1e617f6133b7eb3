package runsvdir

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func TestWorthCollecting(t *testing.T) {
	for _, c := range []struct {
		cycles, allocs uint64
		want           bool
	}{
		{0, 0, false},
		{0, 380 << 10, false}, // 10 services
		{0, trimMinAlloc - 1, false},
		{0, trimMinAlloc, true},
		{0, 8 << 20, true},
		{1, 0, true}, // the first collection's cost is paid
		{3, 100 << 10, true},
	} {
		if got := worthCollecting(c.cycles, c.allocs); got != c.want {
			t.Errorf("worthCollecting(%d, %d) = %v, want %v", c.cycles, c.allocs, got, c.want)
		}
	}
}

// A trim that collects runs on one P and collects; the next burst gets
// every P back.
func TestTrimCollectsOnOneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but trim's
	t.Cleanup(func() {
		trimmer.Lock()
		if trimmer.timer != nil {
			trimmer.timer.Stop()
		}
		trimmer.timer, trimmer.procs, trimmer.idle = nil, 0, false
		trimmer.Unlock()
	})
	runtime.GOMAXPROCS(2)
	trimLater() // a burst: it records the Ps every burst gets back
	trimmer.Lock()
	trimmer.timer.Stop() // the test calls trim itself
	trimmer.Unlock()
	runtime.GC() // a process that has collected: trim always collects

	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	trim()
	metrics.Read(s)
	if s[0].Value.Uint64() == before {
		t.Error("trim did not collect")
	}
	if p := runtime.GOMAXPROCS(0); p != 1 {
		t.Errorf("after trim: GOMAXPROCS %d, want 1", p)
	}
	trimLater()
	if p := runtime.GOMAXPROCS(0); p != 2 {
		t.Errorf("burst after a trim: GOMAXPROCS %d, want 2", p)
	}
}
