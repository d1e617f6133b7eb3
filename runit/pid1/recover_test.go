package pid1

import (
	"strings"
	"testing"

	"sysconf/internal/testenv"
)

// A panic in a step is logged and the step retried, never passed on.
func TestRetryRecoversPanics(t *testing.T) {
	out := &testenv.SyncBuffer{}
	r := &runit{out: out}
	calls := 0
	r.retry(func() {
		calls++
		if calls < 3 {
			panic("boom")
		}
	})
	if calls != 3 {
		t.Errorf("step ran %d times, want 3", calls)
	}
	if n := strings.Count(out.String(), "- runit: fatal: BUG: boom, retrying in 5 seconds\n"); n != 2 {
		t.Errorf("logged %d BUG lines, want 2:\n%s", n, out)
	}
}
