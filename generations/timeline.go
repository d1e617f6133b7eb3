package generations

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"time"
)

// ApplyTimeline is what one activation of a generation did and when: the
// events Apply, Rollback or SwitchRunlevel emitted, each with its time,
// between Start and End. The (detached) activation records it next to the
// outcome, so that 'sysconf timeline --generation N' can show where the
// time went after the terminal has gone.
type ApplyTimeline struct {
	Generation int       `json:"generation"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Events     []Event   `json:"events"`
}

// Span is one bar of a timeline: a phase of an activation (Service empty)
// or what happened to one service, from Start to End.
type Span struct {
	Name    string    `json:"name"`              // build, switch, health check, rollback; or the service
	Service string    `json:"service,omitempty"` // set for a service's bar
	Kind    string    `json:"kind"`              // phase, or start, restart, stop, await (health check of a kept service)
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Outcome is how a service's bar ended: up, failed, gone (its old
	// instance stopped), or "" when the activation ended first.
	Outcome string `json:"outcome,omitempty"`
	Message string `json:"message,omitempty"`
}

// Idle reports whether the activation did nothing a timeline shows: no
// build, switch, health check or rollback (an apply of the current
// generation that is already the boot default).
func (t *ApplyTimeline) Idle() bool {
	for _, e := range t.Events {
		switch e.Kind {
		case "build", "switch", "await", "rollback":
			return false
		}
	}
	return true
}

// RecordTimeline writes generation n's timeline (Layout.Timeline) whole,
// as RecordOutcome writes the outcome.
func (g *Root) RecordTimeline(n int, t ApplyTimeline) error {
	r := g.r
	if err := r.MkdirAll(g.l.Outcomes(), 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	name := g.l.Timeline(n)
	return replaceFile(r, name, b, 0o644)
}

// ReadTimeline reads generation n's timeline; fs.ErrNotExist when its
// activation recorded none (it ran before timelines were recorded, or was
// interrupted).
func (g *Root) ReadTimeline(n int) (*ApplyTimeline, error) {
	b, err := g.r.ReadFile(g.l.Timeline(n))
	if err != nil {
		return nil, fmt.Errorf("generation %d has no recorded timeline: %w", n, fs.ErrNotExist)
	}
	var t ApplyTimeline
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Spans turns the events into bars: the phases (build, from "build" to
// "generation"; switch, to "switch", the old instances' stops included;
// health check, from "switch" to the last service up or failed; rollback,
// from "rollback" to the end) and one bar per service (stopped: from the
// switch's start to "gone"; started or restarted: from the switch's start
// to "up" or "failed"), in order of start, then name.
func (t *ApplyTimeline) Spans() []Span {
	var out []Span
	phase := func(name string, from, to time.Time) {
		if !from.IsZero() && !to.IsZero() {
			out = append(out, Span{Name: name, Kind: "phase", Start: from, End: to})
		}
	}
	end := t.End
	var build, built, switched, rollback, lastCheck time.Time
	switchStart := t.Start
	svc := map[string]*Span{}
	bar := func(name string) *Span {
		if s, ok := svc[name]; ok {
			return s
		}
		s := &Span{Name: name, Service: name, Kind: "await"}
		svc[name] = s
		return s
	}
	for _, e := range t.Events {
		switch e.Kind {
		case "build":
			build = e.Time
		case "generation":
			built, switchStart = e.Time, e.Time
		case "unchanged":
			switchStart = e.Time
		case "switch":
			if switched.IsZero() {
				switched = e.Time
			}
		case "start", "restart", "stop":
			b := bar(e.Service)
			b.Kind = e.Kind
			if b.Start.IsZero() || switchStart.Before(b.Start) {
				b.Start = switchStart
			}
		case "gone":
			b := bar(e.Service)
			if b.Start.IsZero() {
				b.Start = switchStart
			}
			if b.Kind == "await" {
				b.Kind = "stop"
			}
			// A rollback stops the new instance of a service that was
			// up: its bar keeps saying so.
			if b.Outcome == "" {
				b.End, b.Outcome = e.Time, "gone"
			}
		case "await":
			b := bar(e.Service)
			if b.Start.IsZero() {
				b.Start = e.Time
			}
		case "up", "failed":
			b := bar(e.Service)
			if b.Start.IsZero() {
				b.Start = e.Time
			}
			b.End, b.Outcome, b.Message = e.Time, e.Kind, e.Message
			lastCheck = e.Time
		case "unsupervised":
			lastCheck = e.Time
		case "rollback":
			rollback = e.Time
		}
	}
	phase("build", build, built)
	if !switched.IsZero() {
		phase("switch", switchStart, switched)
		if lastCheck.Before(switched) {
			lastCheck = switched
		}
		phase("health check", switched, lastCheck)
	}
	phase("rollback", rollback, end)
	for _, s := range svc {
		switch {
		case s.End.IsZero() && s.Kind == "stop" && !switched.IsZero():
			// A removed service: the switch tells its supervisor to
			// stop it and does not wait.
			s.End = switched
		case s.End.IsZero():
			// Still open when the activation ended: it ends with it.
			s.End = end
		}
		if s.End.Before(s.Start) {
			s.End = s.Start
		}
		out = append(out, *s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Service == "") != (out[j].Service == "") {
			return out[i].Service == ""
		}
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Name < out[j].Name
	})
	return out
}
