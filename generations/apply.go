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
	Kind       string    `json:"kind"` // build, generation, unchanged, switch, start, restart, defer, stop, gone, await, wait, up, failed, rollback, unsupervised, warning, done
	Service    string    `json:"service,omitempty"`
	Generation int       `json:"generation,omitempty"`
	Message    string    `json:"message,omitempty"`
	Time       time.Time `json:"time,omitzero"` // when it happened: the timeline's source
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
	Generation int      `json:"generation"`          // the generation now current (or boot default with BootOnly)
	Previous   int      `json:"previous,omitempty"`  // the one it replaced
	Created    bool     `json:"created"`             // a new generation was recorded
	Started    []string `json:"started,omitempty"`   // new services
	Restarted  []string `json:"restarted,omitempty"` // changed services
	Deferred   []string `json:"deferred,omitempty"`  // changed services left running (NoRestart)
	// HandedOver are the services that move between the machine as found
	// (generation 0) and a generation with the same files: their process
	// is handed to the new folder's supervisor and keeps its pid. One that
	// a supervisor without handover (Debian's runsv) restarted instead is
	// in Restarted.
	HandedOver   []string     `json:"handed_over,omitempty"`
	TookOver     bool         `json:"took_over,omitempty"` // the machine as found was recorded as generation 0
	Stopped      []string     `json:"stopped,omitempty"`   // removed services
	Kept         int          `json:"kept"`                // unchanged services, which keep their pid
	Unsupervised bool         `json:"unsupervised,omitempty"`
	BootOnly     bool         `json:"boot_only,omitempty"` // made the boot default, not activated
	RolledBack   bool         `json:"rolled_back,omitempty"`
	Failed       *HealthError `json:"failed,omitempty"`
}

func (o *Options) emit(e Event) {
	if o.Events != nil {
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
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
		if err := g.saveLayout(); err != nil {
			res = nil
			return fmt.Errorf("record the layout: %w", err)
		}
		// A current link that is not sysconf's (runit's own folder) is
		// no current generation: apply takes the machine over, recording
		// it as found as generation 0, the generation it switches from.
		cur, curLevel := s.cur, s.level
		if cur == nil {
			found, err := g.Survey()
			if err != nil {
				res = nil
				return err
			}
			if found != nil {
				now := o.Now
				if now.IsZero() {
					now = time.Now()
				}
				if err := g.recordFound(found, now); err != nil {
					res = nil
					return err
				}
				cur, curLevel = found, found.Found.Level
				o.emit(Event{Kind: "takeover", Message: fmt.Sprintf("recorded the machine as found as generation 0: %d services, runlevel %s", len(found.Manifest.Services), curLevel)})
				for _, p := range found.Found.Problems {
					o.emit(Event{Kind: "warning", Message: p})
				}
			}
		}
		var rec *Record
		res = &Result{TookOver: cur.isFound()}
		if cur != nil && !cur.isFound() && cur.Hash == m.Hash() {
			rec = cur
			o.emit(Event{Kind: "unchanged", Generation: cur.Number})
			if o.Level == "" || o.Level == curLevel {
				res.Generation = cur.Number
				if o.BootOnly {
					return g.promote(cur, curLevel, nil, st)
				}
				res.Kept = len(cur.Runlevels[curLevel])
				if b, _ := g.bootDefault(); b == cur.Number || o.Test {
					return nil
				}
				// Running, but not the boot default yet (apply --test, or
				// a crash during a health check): it becomes the default
				// once its services are up.
				if err := g.check(ctx, cur, g.awaitable(cur, curLevel), nil, o, res); err != nil {
					return err
				}
				return g.promote(cur, curLevel, nil, st)
			}
		} else {
			// Refuse before recording anything: a generation that was
			// never activated and is not meant for boot must not exist.
			if err := g.preflight(m, !o.BootOnly, !o.Test, o.Force); err != nil {
				res = nil
				return err
			}
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

// switchTo activates rec at level, replacing cur, and runs the health
// check. Only once it has passed (or when nothing supervises the root, so
// there is nothing to check) does rec become the boot default, unless
// o.Test: a failing switch never moves the boot default, not even for a
// moment. o.BootOnly makes rec the boot default without running it.
func (g *Root) switchTo(ctx context.Context, rec *Record, level string, cur *Record, curLevel string, o Options, res *Result, st *stepper) error {
	res.Generation = rec.Number
	if o.BootOnly {
		res.BootOnly = true
		if o.Test {
			return nil
		}
		return g.activate(&activation{rec: rec, level: level, boot: true, force: o.Force, others: g.withBootDefault(cur), st: st})
	}
	// Refuse before anything changes what an activation as the boot
	// default would refuse later (a stage script in the way).
	if err := g.preflight(rec.Manifest, true, !o.Test, o.Force); err != nil {
		return err
	}
	a := &activation{rec: rec, level: level, live: true, force: o.Force, others: []*Record{cur}, st: st, timeout: o.timeout(), emit: o.emit}
	if cur != nil {
		res.Previous = cur.Number
	}
	root := g.r.Name()
	before, after := running(cur, curLevel), running(rec, level)
	oldPIDs := map[string]int{}
	var await []string
	for name, p := range after {
		// A process is handed over between two folders whose supervise
		// is the same folder only: the new supervisor finds it there.
		handable := cur == nil || g.superviseOf(cur, name) == g.superviseOf(rec, name)
		switch old, ok := before[name]; {
		case !ok:
			res.Started = append(res.Started, name)
			if !normallyDown(rec, name) {
				await = append(await, name)
			}
		case old != p && o.NoRestart && handable:
			// Its running process stays, handed to the new definition's
			// supervisor: restart debt until it next restarts.
			res.Deferred = append(res.Deferred, name)
			oldPIDs[name] = pidOf(svDir(root, cur, name))
		case old != p && (cur.isFound() || rec.isFound()) && sameTree(cur, rec, name) && handable:
			// The same files in another folder: the process runs on,
			// handed over.
			res.HandedOver = append(res.HandedOver, name)
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
	sort.Strings(res.HandedOver)
	sort.Strings(res.Stopped)
	a.keep = append(append([]string(nil), res.Deferred...), res.HandedOver...)
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
	for _, n := range res.HandedOver {
		o.emit(Event{Kind: "handover", Service: n, Message: "the same files: its process runs on"})
	}
	for _, n := range res.Stopped {
		o.emit(Event{Kind: "stop", Service: n})
	}
	var err error
	if len(a.stuck) > 0 {
		// An old instance outlived its stop bound: its successor cannot
		// take supervise/lock, so the switch has failed.
		err = g.stuckError(rec, a.stuck[0], stopBound(cur, a.stuck[0], o.timeout()), o, res)
	} else {
		err = g.check(ctx, rec, await, oldPIDs, o, res)
	}
	var he *HealthError
	if !errors.As(err, &he) {
		if err != nil || o.Test {
			return err
		}
		return g.promote(rec, level, cur, st)
	}
	if o.NoRollback || cur == nil {
		return he
	}
	// Back to the generation that ran before, whole: its unchanged
	// services never stopped, the changed ones get their old definition.
	o.emit(Event{Kind: "rollback", Generation: cur.Number})
	// A deferred service still runs cur's definition: hand it back.
	// The boot default never moved: only the running system goes back.
	back := &activation{rec: cur, level: curLevel, live: true, others: []*Record{rec}, keep: a.keep, timeout: o.timeout(), emit: o.emit}
	if rerr := g.activate(back); rerr != nil {
		return fmt.Errorf("%w; rollback to generation %d: %v", he, cur.Number, rerr)
	}
	res.RolledBack = true
	res.Generation, res.Previous = cur.Number, rec.Number
	if len(back.stuck) > 0 {
		return fmt.Errorf("%w; rolled back to generation %d, but %s was still stopping after %s",
			he, cur.Number, back.stuck[0], stopBound(rec, back.stuck[0], o.timeout()))
	}
	return he
}

// timeout is the health check's bound, and the stop bound of a service
// that would wait forever: o.Timeout, 30 s if unset.
func (o Options) timeout() time.Duration {
	if o.Timeout == 0 {
		return 30 * time.Second
	}
	return o.Timeout
}

// stuckError is the failure of a switch whose old instance of name did not
// stop within bound: a *HealthError, recorded in res and reported, as for
// a service that does not come up.
func (g *Root) stuckError(rec *Record, name string, bound time.Duration, o Options, res *Result) error {
	he := &HealthError{Service: name, Reason: "old instance still running after " + bound.String(), Log: logTail(g.r.Name(), rec, name, 10)}
	res.Failed = he
	o.emit(Event{Kind: "failed", Service: he.Service, Message: he.Reason})
	return he
}

// check is the health check: it waits until every service in names is up
// (see awaitUp), and returns a *HealthError, recorded in res, for one that
// is not. With nothing supervising the root there is nothing to wait for:
// it says so (res.Unsupervised) and passes.
func (g *Root) check(ctx context.Context, rec *Record, names []string, oldPIDs map[string]int, o Options, res *Result) error {
	if !g.Supervised() {
		res.Unsupervised = true
		o.emit(Event{Kind: "unsupervised", Message: g.unsupervisedMessage()})
		return nil
	}
	timeout := o.timeout()
	settle := o.Settle
	if settle == 0 {
		settle = time.Second
	}
	err := awaitUp(ctx, g.r.Name(), rec, names, oldPIDs, timeout, settle, o.emit)
	var he *HealthError
	if errors.As(err, &he) {
		res.Failed = he
		o.emit(Event{Kind: "failed", Service: he.Service, Message: he.Reason})
	}
	return err
}

// awaitable lists the services of rec's level that the health check waits
// for: all but those with a down file.
func (g *Root) awaitable(rec *Record, level string) []string {
	var out []string
	for _, name := range rec.Runlevels[level] {
		if !normallyDown(rec, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// promote makes rec (running at level, or not running with apply --boot)
// the boot default: its stage scripts replace those of the generations it
// follows (cur, and the boot default so far), and the boot link moves.
func (g *Root) promote(rec *Record, level string, cur *Record, st *stepper) error {
	return g.activate(&activation{rec: rec, level: level, boot: true, others: g.withBootDefault(cur), st: st})
}

// withBootDefault returns cur and the boot default's record: the
// generations whose stage scripts may be installed.
func (g *Root) withBootDefault(cur *Record) []*Record {
	out := []*Record{cur}
	if b, err := g.bootDefault(); err == nil && (cur == nil || b != cur.Number) {
		if br, err := g.readRecord(b); err == nil {
			out = append(out, br)
		}
	}
	return out
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
		found, err := g.foundRecord()
		if err != nil {
			return err
		}
		toFound := to == FoundGeneration
		if to == 0 {
			if p, _, err := g.readLevelLink("previous"); err == nil && p != cur.Number && p != 0 {
				to = p
			} else {
				ns, _ := g.numbers()
				for _, n := range ns {
					if n < cur.Number {
						to = n
					}
				}
			}
			// Before the first generation, the machine as found.
			toFound = to == 0 && found != nil
			if to == 0 && !toFound {
				return fmt.Errorf("rollback from generation %d: %w: no earlier generation", cur.Number, ErrNotFound)
			}
		}
		var rec *Record
		if toFound {
			if found == nil {
				return fmt.Errorf("rollback: generation 0: %w: sysconf did not take this machine over", ErrNotFound)
			}
			rec = found
		} else if rec, err = g.readRecord(to); err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
		asked := o.Level
		if toFound && asked == "" {
			asked = found.Found.Level
		}
		level, err := levelOf(rec, asked, curLevel)
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
	check := func(names []string) []string {
		var kept []string
		for _, name := range names {
			st, err := supervise.ReadStatusFile(svDir(root, rec, name))
			if err == nil && st.State != supervise.StateDown && st.PID != 0 && st.PID == oldPIDs[name] {
				kept = append(kept, name)
				continue
			}
			if oldPIDs[name] == 0 && (err != nil || st.PID == 0) {
				// Nothing ran (a down file), and nothing runs.
				kept = append(kept, name)
				continue
			}
			res.Restarted = append(res.Restarted, name)
			if !normallyDown(rec, name) {
				*await = append(*await, name)
			}
		}
		return kept
	}
	res.Deferred = check(res.Deferred)
	res.HandedOver = check(res.HandedOver)
	sort.Strings(res.Restarted)
	sort.Strings(*await)
}
