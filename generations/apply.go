package generations

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"sysconf/runit/supervise"
)

// Event is one step of an apply, for progress displays and --json.
type Event struct {
	Kind       string `json:"kind"` // build, generation, unchanged, switch, start, restart, defer, stop, await, up, failed, rollback, unsupervised, warning, done
	Service    string `json:"service,omitempty"`
	Generation int    `json:"generation,omitempty"`
	Message    string `json:"message,omitempty"`
}

// Options are the inputs of Apply, Rollback and SwitchRunlevel besides
// the Manifest.
type Options struct {
	Sources    map[string][]byte // copied into the generation's sources/
	Version    string            // sysconf's version, recorded in manifest.json
	Level      string            // runlevel to run; "" keeps the current one, else "default"
	Test       bool              // activate without making it the boot default
	BootOnly   bool              // make it the boot default without activating
	Force      bool              // replace files in the way that sysconf does not manage
	NoRollback bool              // keep a generation whose services fail their health check
	NoRestart  bool              // leave changed services running their old definition (restart debt)
	Timeout    time.Duration     // health-check bound; 0 is 30 s
	Settle     time.Duration     // how long a service must stay up to count as up; 0 is 1 s, <0 is none
	Now        time.Time         // creation time; zero is time.Now()
	Events     func(Event)       // progress; may be nil
	// AfterStep, when set, is called after each step of the activation
	// (1, 2, …). It is the crash tests' hook: they kill the process there,
	// to show that a crash after any step leaves one whole generation.
	AfterStep func(step int)
}

// Result says what Apply (or Rollback) did.
type Result struct {
	Generation   int          `json:"generation"`          // the generation now current (or boot default with BootOnly)
	Previous     int          `json:"previous,omitempty"`  // the one it replaced
	Created      bool         `json:"created"`             // a new generation was recorded
	Started      []string     `json:"started,omitempty"`   // new services
	Restarted    []string     `json:"restarted,omitempty"` // changed services
	Deferred     []string     `json:"deferred,omitempty"`  // changed services left running (NoRestart)
	Stopped      []string     `json:"stopped,omitempty"`   // removed services
	Kept         int          `json:"kept"`                // unchanged services, which keep their pid
	Unsupervised bool         `json:"unsupervised,omitempty"`
	BootOnly     bool         `json:"boot_only,omitempty"` // made the boot default, not activated
	RolledBack   bool         `json:"rolled_back,omitempty"`
	Failed       *HealthError `json:"failed,omitempty"`
}

func (o *Options) emit(e Event) {
	if o.Events != nil {
		o.Events(e)
	}
}

// levelOf picks the runlevel to run in rec: the asked one, else the
// current one if rec has it, else "default", else the first.
func levelOf(rec *Record, asked, current string) (string, error) {
	if asked != "" {
		if _, ok := rec.Runlevels[asked]; !ok {
			return "", fmt.Errorf("runlevel %s: %w", asked, ErrNotFound)
		}
		return asked, nil
	}
	for _, l := range []string{current, "default"} {
		if _, ok := rec.Runlevels[l]; ok && l != "" {
			return l, nil
		}
	}
	names := make([]string, 0, len(rec.Runlevels))
	for l := range rec.Runlevels {
		names = append(names, l)
	}
	sort.Strings(names)
	return names[0], nil
}

// running returns the service → store path map a level of rec runs.
func running(rec *Record, level string) map[string]string {
	out := map[string]string{}
	if rec == nil {
		return out
	}
	for _, s := range rec.Runlevels[level] {
		out[s] = rec.StorePaths[s]
	}
	return out
}

// Apply records m as a new generation (unless it is the current one) and
// switches the root to it, then waits for every started or restarted
// service to be up; one that does not come up within the timeout makes it
// switch back to the previous generation (unless NoRollback) and return a
// *HealthError. It holds the apply lock throughout: a second Apply fails
// with ErrLocked.
func (g *Root) Apply(ctx context.Context, m Manifest, o Options) (*Result, error) {
	var res *Result
	err := g.locked(finishFirst, func(s state) error {
		st := &stepper{hook: o.AfterStep}
		st.step()
		// A current link that is not sysconf's (runit's own folder) is
		// no current generation: apply takes the machine over.
		cur, curLevel := s.cur, s.level
		var rec *Record
		res = &Result{}
		if cur != nil && cur.Hash == m.Hash() {
			rec = cur
			o.emit(Event{Kind: "unchanged", Generation: cur.Number})
			if o.Level == "" || o.Level == curLevel {
				res.Generation = cur.Number
				if !o.Test && !o.BootOnly {
					if b, _ := g.bootDefault(); b != cur.Number {
						return g.activate(&activation{rec: cur, level: curLevel, boot: true, st: st})
					}
				}
				if o.BootOnly {
					return g.activate(&activation{rec: cur, level: curLevel, boot: true, st: st})
				}
				res.Kept = len(cur.Runlevels[curLevel])
				return nil
			}
		} else {
			now := o.Now
			if now.IsZero() {
				now = time.Now()
			}
			o.emit(Event{Kind: "build"})
			var err error
			if rec, err = g.build(m, o.Sources, o.Version, now); err != nil {
				res = nil
				return err
			}
			res.Created = true
			o.emit(Event{Kind: "generation", Generation: rec.Number})
			st.step()
		}
		level, err := levelOf(rec, o.Level, curLevel)
		if err != nil {
			res = nil
			return err
		}
		return g.switchTo(ctx, rec, level, cur, curLevel, o, res, st)
	})
	return res, err
}

// switchTo activates rec at level, replacing cur, and runs the health check.
func (g *Root) switchTo(ctx context.Context, rec *Record, level string, cur *Record, curLevel string, o Options, res *Result, st *stepper) error {
	res.Generation = rec.Number
	a := &activation{rec: rec, level: level, live: !o.BootOnly, boot: !o.Test, force: o.Force, others: []*Record{cur}, st: st}
	if o.BootOnly {
		res.BootOnly = true
		return g.activate(a)
	}
	if cur != nil {
		res.Previous = cur.Number
	}
	root := g.r.Name()
	before, after := running(cur, curLevel), running(rec, level)
	oldPIDs := map[string]int{}
	var await []string
	for name, p := range after {
		switch old, ok := before[name]; {
		case !ok:
			res.Started = append(res.Started, name)
			if !normallyDown(rec, name) {
				await = append(await, name)
			}
		case old != p && o.NoRestart:
			// Its running process stays, handed to the new definition's
			// supervisor: restart debt until it next restarts.
			res.Deferred = append(res.Deferred, name)
			oldPIDs[name] = pidOf(svDir(root, cur, name))
		case old != p:
			res.Restarted = append(res.Restarted, name)
			if !normallyDown(rec, name) {
				await = append(await, name)
			}
			// The old instance shares supervise.<name> with the new one.
			oldPIDs[name] = pidOf(svDir(root, cur, name))
		default:
			res.Kept++
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			res.Stopped = append(res.Stopped, name)
		}
	}
	sort.Strings(res.Started)
	sort.Strings(res.Restarted)
	sort.Strings(res.Deferred)
	sort.Strings(res.Stopped)
	a.keep = res.Deferred
	sort.Strings(await)
	if err := g.activate(a); err != nil {
		return err
	}
	handedOver(root, rec, res, oldPIDs, &await)
	o.emit(Event{Kind: "switch", Generation: rec.Number})
	for _, n := range res.Started {
		o.emit(Event{Kind: "start", Service: n})
	}
	for _, n := range res.Restarted {
		o.emit(Event{Kind: "restart", Service: n})
	}
	for _, n := range res.Deferred {
		o.emit(Event{Kind: "defer", Service: n, Message: "left running with its old definition until it restarts"})
	}
	for _, n := range res.Stopped {
		o.emit(Event{Kind: "stop", Service: n})
	}
	if !g.Supervised() {
		res.Unsupervised = true
		o.emit(Event{Kind: "unsupervised", Message: g.unsupervisedMessage()})
		return nil
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	settle := o.Settle
	if settle == 0 {
		settle = time.Second
	}
	err := awaitUp(ctx, root, rec, await, oldPIDs, timeout, settle, o.emit)
	var he *HealthError
	if !errors.As(err, &he) {
		return err
	}
	res.Failed = he
	o.emit(Event{Kind: "failed", Service: he.Service, Message: he.Reason})
	if o.NoRollback || cur == nil {
		return he
	}
	// Back to the generation that ran before, whole: its unchanged
	// services never stopped, the changed ones get their old definition.
	o.emit(Event{Kind: "rollback", Generation: cur.Number})
	// A deferred service still runs cur's definition: hand it back.
	back := &activation{rec: cur, level: curLevel, live: true, boot: !o.Test, others: []*Record{rec}, keep: res.Deferred}
	if rerr := g.activate(back); rerr != nil {
		return fmt.Errorf("%w; rollback to generation %d: %v", he, cur.Number, rerr)
	}
	res.RolledBack = true
	res.Generation, res.Previous = cur.Number, rec.Number
	return he
}

// normallyDown reports whether a service has a down file: runsv does not
// start it, so the health check does not wait for it (sv -w does not either).
func normallyDown(rec *Record, name string) bool {
	for _, s := range rec.Manifest.Services {
		if s.Name == name {
			for _, e := range s.Tree {
				if e.Path == "down" {
					return true
				}
			}
		}
	}
	return false
}

func (g *Root) unsupervisedMessage() string {
	service := g.r.Name() + "/" + g.l.Service
	return "nothing is supervising " + service + "; start it with: runsvdir -P " + service
}

// Rollback switches the root to generation to (0: the one before the
// current), with the same health check as Apply.
func (g *Root) Rollback(ctx context.Context, to int, o Options) (*Result, error) {
	var res *Result
	err := g.locked(finishFirst, func(s state) error {
		if err := s.needCurrent("rollback"); err != nil {
			return err
		}
		cur, curLevel := s.cur, s.level
		if to == 0 {
			if p, _, err := g.readLevelLink("previous"); err == nil && p != cur.Number {
				to = p
			} else {
				ns, _ := g.numbers()
				for _, n := range ns {
					if n < cur.Number {
						to = n
					}
				}
			}
			if to == 0 {
				return fmt.Errorf("rollback from generation %d: %w: no earlier generation", cur.Number, ErrNotFound)
			}
		}
		rec, err := g.readRecord(to)
		if err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
		level, err := levelOf(rec, o.Level, curLevel)
		if err != nil {
			return err
		}
		res = &Result{}
		return g.switchTo(ctx, rec, level, cur, curLevel, o, res, &stepper{hook: o.AfterStep})
	})
	return res, err
}

// SwitchRunlevel runs another runlevel of the current generation. It does
// not change the boot default.
func (g *Root) SwitchRunlevel(ctx context.Context, level string, o Options) (*Result, error) {
	var res *Result
	err := g.locked(finishFirst, func(s state) error {
		if err := s.needCurrent("runlevel " + level); err != nil {
			return err
		}
		cur, curLevel := s.cur, s.level
		if _, ok := cur.Runlevels[level]; !ok {
			return fmt.Errorf("runlevel %s: %w in generation %d", level, ErrNotFound, cur.Number)
		}
		o.Test = true
		res = &Result{}
		return g.switchTo(ctx, cur, level, cur, curLevel, o, res, &stepper{hook: o.AfterStep})
	})
	return res, err
}

// handedOver checks, once the old supervisors are gone, that each deferred
// service still runs the process it ran: a supervisor that knows no
// handover mark (Debian's runsv) stopped it instead, and the new definition
// starts. Such a service is restarted after all, and awaited like one.
// The status file is read as it is, supervisor or not: the new supervisor
// may not hold it yet; a handing-over one left it naming the process, a
// stopping one wrote it down.
func handedOver(root string, rec *Record, res *Result, oldPIDs map[string]int, await *[]string) {
	var kept []string
	for _, name := range res.Deferred {
		st, err := supervise.ReadStatusFile(svDir(root, rec, name))
		if err == nil && st.State != supervise.StateDown && st.PID != 0 && st.PID == oldPIDs[name] {
			kept = append(kept, name)
			continue
		}
		res.Restarted = append(res.Restarted, name)
		if !normallyDown(rec, name) {
			*await = append(*await, name)
		}
	}
	res.Deferred = kept
	sort.Strings(res.Restarted)
	sort.Strings(*await)
}
