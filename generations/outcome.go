package generations

import (
	"encoding/json"
	"time"
)

// Outcome is what the last activation of a generation ended with, written
// by the (detached) activation so that a user whose terminal went away
// can read it later.
type Outcome struct {
	Time       time.Time `json:"time"`
	OK         bool      `json:"ok"`
	Message    string    `json:"message,omitempty"`
	RolledBack bool      `json:"rolled_back,omitempty"`
}

// RecordOutcome writes generation n's outcome (Layout.Outcome), whole:
// under a temporary name, fsync'd, renamed into place.
func (g *Root) RecordOutcome(n int, o Outcome) error {
	r := g.r
	if err := r.MkdirAll(g.l.Outcomes(), 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(o)
	name := g.l.Outcome(n)
	return replaceFile(r, name, b, 0o644)
}

func (g *Root) readOutcome(n int) *Outcome {
	r := g.r
	b, err := r.ReadFile(g.l.Outcome(n))
	if err != nil {
		return nil
	}
	var o Outcome
	if json.Unmarshal(b, &o) != nil {
		return nil
	}
	return &o
}
