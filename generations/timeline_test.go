package generations

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTimelineSpans turns a failed activation's events into bars: the
// phases, a restarted service from the switch's start to its failure, one
// whose old instance stopped ("gone") and then came up, a removed one that
// the switch does not wait for, and the rollback to the end.
func TestTimelineSpans(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tl := &ApplyTimeline{Generation: 3, Start: at(0), End: at(5000), Events: []Event{
		{Kind: "build", Time: at(10)},
		{Kind: "generation", Generation: 3, Time: at(50)},
		{Kind: "gone", Service: "db", Time: at(300)},
		{Kind: "switch", Generation: 3, Time: at(400)},
		{Kind: "restart", Service: "db", Time: at(400)},
		{Kind: "restart", Service: "web", Time: at(400)},
		{Kind: "stop", Service: "old", Time: at(400)},
		{Kind: "await", Service: "db", Time: at(410)},
		{Kind: "await", Service: "web", Time: at(410)},
		{Kind: "up", Service: "db", Time: at(1500)},
		{Kind: "wait", Service: "web", Message: "to be up", Time: at(1410)},
		{Kind: "failed", Service: "web", Message: "not running after 3s", Time: at(3410)},
		{Kind: "rollback", Generation: 2, Time: at(3420)},
		{Kind: "gone", Service: "db", Time: at(3600)},
	}}
	var got []string
	for _, s := range tl.Spans() {
		got = append(got, fmt.Sprintf("%s %s %d-%d %s", s.Name, s.Kind, s.Start.Sub(t0).Milliseconds(), s.End.Sub(t0).Milliseconds(), s.Outcome))
	}
	want := []string{
		"build phase 10-50 ",
		"switch phase 50-400 ",
		"health check phase 400-3410 ",
		"rollback phase 3420-5000 ",
		"db restart 50-1500 up",
		"old stop 50-400 ",
		"web restart 50-3410 failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("spans:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tl.Idle() {
		t.Errorf("an activation that built and switched is idle")
	}
	if !(&ApplyTimeline{Events: []Event{{Kind: "unchanged"}}}).Idle() {
		t.Errorf("an apply of the current generation is not idle")
	}
}
