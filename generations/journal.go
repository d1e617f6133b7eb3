package generations

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// journal records an activation in progress, so that the next apply,
// rollback or runlevel switch after a crash finishes it (or undoes it).
type journal struct {
	To     int      `json:"to"`
	Others []int    `json:"others"` // generations whose managed files may have to go
	Level  string   `json:"level"`
	Boot   bool     `json:"boot"`           // make To the boot default
	Live   bool     `json:"live"`           // switch the running system (false for --boot)
	Keep   []string `json:"keep,omitempty"` // changed services handed over, not restarted: their handover marks
}

func (g *Root) writeJournal(j journal) error {
	r := g.r
	b, _ := json.Marshal(j)
	return replaceFile(r, g.l.Journal(), b, 0o644)
}

func (g *Root) readJournal() (*journal, error) {
	r := g.r
	b, err := r.ReadFile(g.l.Journal())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("read %s: %w", g.l.Journal(), err)
	}
	return &j, nil
}

// stepper counts the steps of an activation and reports each one to
// Options.AfterStep, the hook through which the crash tests stop the
// process after every step in turn.
type stepper struct {
	n    int
	hook func(step int)
}

// step marks the end of a step.
func (s *stepper) step() {
	if s == nil {
		return
	}
	s.n++
	if s.hook != nil {
		s.hook(s.n)
	}
}

// recover finishes or undoes an activation that a crash interrupted,
// under the lock. The generation `current` names (or, if the crash fell
// between runsvchdir's two renames, the one `previous` names) is activated
// again, whole; an interrupted first activation is forgotten.
func (g *Root) recover() error {
	r := g.r
	j, err := g.readJournal()
	if err != nil || j == nil {
		return err
	}
	found, err := g.foundRecord()
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	for _, n := range j.Keep {
		// A switch that handed services over was cut short: what was
		// handed over is taken by then, or restarts as usual.
		dirs := []string{g.l.SuperviseDir(n)}
		if found != nil {
			dirs = append(dirs, g.superviseOf(found, n))
		}
		for _, d := range dirs {
			if err := g.markHandover(d, false); err != nil {
				return fmt.Errorf("recover: %w", err)
			}
		}
	}
	base := g.l.Runlevels + "/"
	if _, err := r.Lstat(base + "current"); errors.Is(err, fs.ErrNotExist) {
		if _, err := r.Lstat(base + "previous"); err == nil {
			if err := r.Rename(base+"previous", base+"current"); err != nil {
				return fmt.Errorf("recover: move previous back to current: %w", err)
			}
		}
	}
	_ = r.Remove(base + "current.new")
	if text, err := r.Readlink(base + "current"); err == nil && strings.Contains(text, g.l.Transition()+"/") {
		// A crash inside a two-step switch: finish it.
		final := Link(g.l.Current(), g.l.RunlevelDir(j.To, j.Level))
		if j.To == 0 && found != nil {
			final = j.Level
			if text, ok := found.Found.Links[g.l.Current()]; ok {
				final = text
			}
		}
		if err := replaceLink(r, final, g.l.Current()); err != nil {
			return fmt.Errorf("recover: %w", err)
		}
	}
	a := &activation{live: true}
	n, level, err := g.readLevelLink("current")
	switch {
	case err == nil:
		a.boot = j.Boot && n == j.To
	case j.To == 0 && j.Live && found != nil && !errors.Is(err, fs.ErrNotExist):
		// A switch back to the machine as found: current has its found
		// text again; finish giving the rest back.
		n, level, a.boot = 0, j.Level, j.Boot
	case !j.Live && j.Boot:
		// A --boot with nothing running yet: finish making it the default.
		n, level, a.live, a.boot = j.To, j.Level, false, true
	default:
		// Nothing was switched yet: the system never ran the generation.
		return r.Remove(g.l.Journal())
	}
	if a.rec, err = g.readRecord(n); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	a.level = level
	for _, o := range append([]int{j.To}, j.Others...) {
		if o != 0 && o != n {
			if or, err := g.readRecord(o); err == nil {
				a.others = append(a.others, or)
			}
		}
	}
	if err := g.activate(a); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	g.removeTransitions()
	return nil
}
