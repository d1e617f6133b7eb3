package runsv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// startTimes reads the start times a crash-looping service appended to
// path, one date +%s%N per line.
func startTimes(t *testing.T, path string) []time.Time {
	t.Helper()
	b, _ := os.ReadFile(path)
	var ts []time.Time
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		ns, err := strconv.ParseInt(l, 10, 64)
		if err == nil {
			ts = append(ts, time.Unix(0, ns))
		}
	}
	return ts
}

// TestRestartBackoff: a service that fails at once is started again after
// the first delay, then after twice the previous wait, up to the largest;
// supervise/backoff says when while the supervisor waits, and the wait
// does not hold up commands.
func TestRestartBackoff(t *testing.T) {
	s := filepath.Join(t.TempDir(), "s")
	mkrun(t, s, "date +%s%N >> starts\nexit 1\n")
	if err := os.WriteFile(filepath.Join(s, "restart-backoff"), []byte("200 1600 30000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	startRunsv(t, testenv.Tool(t, "runsv"), s)
	var ts []time.Time
	sawBackoff := false
	testenv.Eventually(t, 15*time.Second, func() string {
		if p, ok := supervise.ReadBackoff(s); ok {
			sawBackoff = true
			if p.Delay > 1600*time.Millisecond || time.Until(p.Due) > p.Delay {
				t.Fatalf("supervise/backoff: due in %v after a wait of %v, want at most 1.6s", time.Until(p.Due), p.Delay)
			}
		}
		ts = startTimes(t, filepath.Join(s, "starts"))
		if len(ts) < 7 {
			return "only " + strconv.Itoa(len(ts)) + " starts"
		}
		return ""
	})
	if !sawBackoff {
		t.Error("no supervise/backoff seen while the service waited")
	}
	// Gaps between starts: the wait plus the short run and the fork.
	want := []time.Duration{200, 400, 800, 1600, 1600, 1600}
	for i := range want {
		gap := ts[i+1].Sub(ts[i])
		w := want[i] * time.Millisecond
		if gap < w || gap > w+250*time.Millisecond {
			t.Errorf("gap %d between starts is %v, want %v (+ at most 250ms)", i+1, gap, w)
		}
	}
	// The wait does not block commands: down is taken at once and ends it.
	out, code := sv(t, "-w", "2", "down", s)
	if code != 0 {
		t.Fatalf("sv -w 2 down during backoff: exit %d, %q", code, out)
	}
	if _, ok := supervise.ReadBackoff(s); ok {
		t.Error("supervise/backoff still there after sv down")
	}
	n := len(startTimes(t, filepath.Join(s, "starts")))
	time.Sleep(2 * time.Second)
	if got := len(startTimes(t, filepath.Join(s, "starts"))); got != n {
		t.Errorf("%d starts after sv down, want none", got-n)
	}
}
