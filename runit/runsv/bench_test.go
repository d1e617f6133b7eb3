package runsv

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// restartLatency starts prog on a fresh service and returns the mean time
// from kill -9 of the service until supervise/status names a new running
// pid, over rounds restarts. Each kill comes more than a second after the
// start, so runit's restart throttle never applies.
func restartLatency(b *testing.B, prog string, rounds int) time.Duration {
	s := filepath.Join(b.TempDir(), "s")
	mkrun(b, s, "exec sleep 1000")
	startRunsv(b, prog, s)
	var total time.Duration
	for range rounds {
		pid := waitRunning(b, s)
		time.Sleep(1100 * time.Millisecond)
		t0 := time.Now()
		syscall.Kill(pid, syscall.SIGKILL)
		for {
			if n := servicePID(b, s); n != 0 && n != pid {
				break
			}
			if time.Since(t0) > 10*time.Second {
				b.Fatalf("%s: no restart within 10 s", prog)
			}
			time.Sleep(200 * time.Microsecond)
		}
		total += time.Since(t0)
	}
	return total / time.Duration(rounds)
}

// BenchmarkRestartLatency compares the restart after kill -9 under our
// runsv and Debian's.
func BenchmarkRestartLatency(b *testing.B) {
	const rounds = 5
	var ours, theirs time.Duration
	for range b.N {
		for _, im := range impls(b) {
			d := restartLatency(b, im.runsv, rounds)
			if im.name == "ours" {
				ours += d
			} else {
				theirs += d
			}
		}
	}
	ours /= time.Duration(b.N)
	theirs /= time.Duration(b.N)
	b.ReportMetric(float64(ours.Microseconds())/1000, "ours-ms")
	b.ReportMetric(float64(theirs.Microseconds())/1000, "runit-ms")
	b.ReportMetric(float64(ours)/float64(theirs), "ours/runit")
	fmt.Printf("restart latency after kill -9: ours %v, runit %v, ours/runit %.2f\n", ours, theirs, float64(ours)/float64(theirs))
}
