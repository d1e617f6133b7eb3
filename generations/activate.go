package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"sysconf/runit/runsvchdir"
)

// activation is what activate does.
type activation struct {
	rec    *Record
	level  string
	live   bool      // switch the running services (not --boot)
	boot   bool      // make it the boot default (not --test)
	force  bool      // replace files sysconf does not manage
	others []*Record // generations whose managed files may have to go
	keep   []string  // changed services whose running processes stay (--no-restart)
	st     *stepper

	// A two-step switch waits for the old instances of changed services
	// to stop, each for its stopBound: timeout is the bound of those that
	// would wait forever, emit reports the wait, and stuck receives the
	// ones still running at their bound.
	timeout time.Duration
	emit    func(Event)
	stuck   []string
}

// preflight finds every obstacle before anything changes: unmanaged files
// in the way, a service folder (Layout.Service) that is not ours.
func (g *Root) preflight(m Manifest, live, boot, force bool) error {
	r := g.r
	files, err := m.fileSet(g.l)
	if err != nil {
		return err
	}
	// What the machine as found (generation 0) keeps there moves away
	// into generation 0 when the switch gets to it.
	moving := map[string]bool{}
	if found, err := g.foundRecord(); err != nil {
		return err
	} else if found != nil {
		for _, rel := range found.Found.Moved {
			moving[rel] = true
		}
	}
	var blocked []string
	for rel, f := range files {
		if f.boot && !boot || !f.boot && !live || moving[rel] {
			continue
		}
		if err := g.noLinkParents(rel); err != nil {
			return err
		}
		exists, ours, err := g.isOurLink(rel)
		if err != nil {
			return err
		}
		if exists && !ours && !force {
			blocked = append(blocked, "/"+rel)
		}
	}
	if live {
		if err := g.checkAccounts(m); err != nil {
			return err
		}
		if fi, err := r.Lstat(g.l.Service); err == nil {
			if !moving[g.l.Service] && (fi.Mode()&fs.ModeSymlink == 0 || !g.leadsToCurrent(g.l.Service) && !force) {
				blocked = append(blocked, "/"+g.l.Service)
			}
		}
		if exists, ours, err := g.isOurLink(g.l.Definitions); err != nil {
			return err
		} else if exists && !ours && !force && !moving[g.l.Definitions] {
			blocked = append(blocked, "/"+g.l.Definitions)
		}
	}
	if len(blocked) > 0 {
		return fmt.Errorf("%w: %s (move it away, or apply with --force to replace it)", ErrUnmanaged, strings.Join(blocked, ", "))
	}
	return nil
}

// activate switches the root to a.rec. Every step is idempotent, and a
// journal written first lets recover finish the job after a crash.
// Order: supervise folders, then the one rename that switches the
// services (runsvchdir's algorithm), then the links that follow it
// (runlevels, the definitions link, the service link), the managed files,
// the boot default.
func (g *Root) activate(a *activation) error {
	r := g.r
	if err := g.preflight(a.rec.Manifest, a.live, a.boot, a.force); err != nil {
		return err
	}
	n := a.rec.Number
	j := journal{To: n, Level: a.level, Boot: a.boot, Live: a.live, Keep: a.keep}
	for _, o := range a.others {
		if o != nil {
			j.Others = append(j.Others, o.Number)
		}
	}
	if err := g.writeJournal(j); err != nil {
		return fmt.Errorf("activate generation %d: %w", n, err)
	}
	a.st.step()
	if a.live {
		if err := g.switchLive(a); err != nil {
			return fmt.Errorf("activate generation %d: %w", n, err)
		}
	}
	if a.boot {
		if err := g.setBoot(a); err != nil {
			return fmt.Errorf("make generation %d the boot default: %w", n, err)
		}
		a.st.step()
	}
	if err := r.Remove(g.l.Journal()); err != nil {
		return fmt.Errorf("activate generation %d: %w", n, err)
	}
	a.st.step()
	return nil
}

// switchLive makes the running system follow a.rec.
func (g *Root) switchLive(a *activation) error {
	r := g.r
	rec := a.rec
	if _, ok := rec.Runlevels[a.level]; !ok {
		return fmt.Errorf("runlevel %s: %w", a.level, ErrNotFound)
	}
	if err := g.ensureSystem(a); err != nil {
		return err
	}
	// Generation 0 is the machine as found: switching to it gives its
	// folders back first (what runs does not see them: current still
	// leads into a generation, whose links lead into the store), and
	// current then gets its found text back. Switching away from it
	// moves them into generation 0 once current has left them.
	found, err := g.foundRecord()
	if err != nil {
		return err
	}
	toFound := rec.isFound()
	if toFound {
		if err := g.restoreFound(rec.Found, false); err != nil {
			return err
		}
	}
	// runsv creates only the last component of its supervise link's target.
	if err := r.MkdirAll(g.l.SuperviseParent(), 0o755); err != nil {
		return err
	}
	for _, s := range rec.Manifest.Services {
		dirs := []string{g.l.SuperviseDir(s.Name)}
		if hasLog(s) {
			dirs = append(dirs, g.l.LogSuperviseDir(s.Name))
		}
		for _, d := range dirs {
			if err := r.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		}
	}
	a.st.step()
	if err := r.MkdirAll(g.l.Runlevels, 0o755); err != nil {
		return err
	}
	final := Link(g.l.Current(), g.l.RunlevelDir(rec.Number, a.level))
	if toFound {
		final = a.level // runsvchdir's bare name, when current had no text
		if text, ok := rec.Found.Links[g.l.Current()]; ok {
			final = text
		}
	}
	var changed []string
	var old *Record
	if text, _ := r.Readlink(g.l.Current()); toFound && text == final {
		// Back where it was found already (a crash after the switch).
	} else if changed, old, err = g.changedServices(rec, a.level); err != nil {
		return err
	} else if len(changed) == 0 && !toFound {
		if _, err := g.runsvchdir(final, a.st); err != nil {
			return err
		}
	} else {
		// Two steps, so that a changed service's old and new supervisors
		// never meet on supervise/lock: first a transition folder without
		// the changed services (runsvdir stops them, keeps the unchanged
		// ones, starts the new ones), then, once their old supervisors are
		// gone, the generation's own folder, where their new definitions
		// start at once. previous keeps the old generation.
		//
		// A service in a.keep gets a handover mark first: its old
		// supervisor, told to exit, leaves the process running for the
		// new one (runsv's supervise/handover) instead of stopping it.
		// Either way one supervisor at a time holds supervise/lock.
		keep := map[string]bool{}
		for _, n := range a.keep {
			keep[n] = true
		}
		dirs := map[string]string{}
		for _, n := range changed {
			dirs[n] = g.l.SuperviseDir(n)
			if old != nil {
				dirs[n] = g.superviseOf(old, n)
			}
			if err := g.markHandover(dirs[n], keep[n]); err != nil {
				return err
			}
		}
		tr, err := g.writeTransition(rec, a.level, changed)
		if err != nil {
			return err
		}
		if _, err := g.runsvchdir(Link(g.l.Current(), tr), a.st); err != nil {
			return err
		}
		a.st.step()
		bounds := map[string]time.Duration{}
		for _, n := range changed {
			bounds[n] = stopBound(old, n, a.timeout)
		}
		emit := a.emit
		if emit == nil {
			emit = func(Event) {}
		}
		a.stuck = g.waitGone(changed, dirs, bounds, emit)
		if err := replaceLink(r, final, g.l.Current()); err != nil {
			return err
		}
		if err := syncDir(r, g.l.Runlevels); err != nil {
			return err
		}
		g.removeTransitions()
		for _, n := range a.keep {
			// The old supervisor is gone: the mark has done its work.
			if d, ok := dirs[n]; ok {
				if err := g.markHandover(d, false); err != nil {
					return err
				}
			}
		}
	}
	if found != nil && !toFound {
		// Nothing runs from the found folders any more: into generation 0.
		if err := g.holdFound(found.Found, false); err != nil {
			return err
		}
	}
	a.st.step()
	// The runlevel links, so that runsvchdir and `sysconf runlevel` find
	// every level of the generation; stale ones that are ours go.
	for level := range rec.Runlevels {
		if toFound {
			break // its own folders, given back
		}
		name := g.l.Runlevels + "/" + level
		if err := replaceLink(r, Link(name, g.l.RunlevelDir(rec.Number, level)), name); err != nil {
			return err
		}
	}
	if f, err := r.Open(g.l.Runlevels); err == nil {
		names, _ := f.Readdirnames(-1)
		f.Close()
		for _, name := range names {
			if _, keep := rec.Runlevels[name]; keep || name == "current" || name == "previous" || strings.HasPrefix(name, "current") {
				continue
			}
			if _, ours, _ := g.isOurLink(g.l.Runlevels + "/" + name); ours {
				_ = r.Remove(g.l.Runlevels + "/" + name)
			}
		}
	}
	if toFound {
		if err := g.restoreFoundLinks(rec.Found); err != nil {
			return err
		}
	} else if err := replaceLink(r, Link(g.l.Definitions, g.l.DefinitionsDir(rec.Number)), g.l.Definitions); err != nil {
		return err
	}
	if !toFound && !g.leadsToCurrent(g.l.Service) {
		if err := r.MkdirAll(path.Dir(g.l.Service), 0o755); err != nil {
			return err
		}
		if err := replaceLink(r, Link(g.l.Service, g.l.Current()), g.l.Service); err != nil {
			return err
		}
	}
	a.st.step()
	files, _ := rec.Manifest.fileSet(g.l)
	for rel, f := range files {
		if f.boot {
			continue
		}
		if err := g.installFile(rec.Number, rel); err != nil {
			return err
		}
	}
	a.st.step()
	return g.removeDropped(a, files, false)
}

// setBoot makes a.rec the boot default and installs its stage scripts.
func (g *Root) setBoot(a *activation) error {
	r := g.r
	files, _ := a.rec.Manifest.fileSet(g.l)
	found, err := g.foundRecord()
	if err != nil {
		return err
	}
	switch {
	case a.rec.isFound():
		if err := g.restoreFound(a.rec.Found, true); err != nil {
			return err
		}
	default:
		if found != nil {
			if err := g.holdFound(found.Found, true); err != nil {
				return err
			}
		}
		for rel, f := range files {
			if f.boot {
				if err := g.installFile(a.rec.Number, rel); err != nil {
					return err
				}
			}
		}
	}
	if err := g.removeDropped(a, files, true); err != nil {
		return err
	}
	if err := replaceLink(r, g.l.bootText(a.rec.Number), g.l.BootLink()); err != nil {
		return err
	}
	return syncDir(r, g.l.State)
}

// installFile points ROOT/rel at generation n's copy in one rename.
func (g *Root) installFile(n int, rel string) error {
	r := g.r
	if err := r.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return err
	}
	if err := g.noLinkParents(rel); err != nil {
		return err
	}
	if err := replaceLink(r, Link(rel, g.l.Generation(n)+"/"+rel), rel); err != nil {
		return fmt.Errorf("install /%s: %w", rel, err)
	}
	return nil
}

// removeDropped removes the managed files (or stage scripts, when boot) of
// the other generations that a.rec does not have, but only those that are
// still sysconf's links: a file the user put there since is left alone.
func (g *Root) removeDropped(a *activation, keep map[string]fileSpec, boot bool) error {
	r := g.r
	for _, o := range a.others {
		if o == nil || o.Number == a.rec.Number {
			continue
		}
		ofiles, err := o.Manifest.fileSet(g.l)
		if err != nil {
			continue
		}
		for rel, f := range ofiles {
			if f.boot != boot {
				continue
			}
			if _, kept := keep[rel]; kept {
				continue
			}
			if _, ours, _ := g.isOurLink(rel); ours {
				if err := r.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("remove dropped /%s: %w", rel, err)
				}
			}
		}
	}
	return nil
}

// hasLog reports whether s has a log service (a log/ folder).
func hasLog(s Service) bool {
	for _, e := range s.Tree {
		if e.Path == "log" || strings.HasPrefix(e.Path, "log/") {
			return true
		}
	}
	return false
}

// runsvchdir points Runlevels/current at dir (a link text relative to
// Runlevels) with runit's runsvchdir algorithm. It reports false when
// current already is dir. With no current yet (a first activation) there
// is no previous to keep.
func (g *Root) runsvchdir(dir string, st *stepper) (bool, error) {
	switched, err := runsvchdir.Switch(g.r, g.l.Runlevels, dir, runsvchdir.Options{NoCurrent: true, Step: st.step})
	if err != nil {
		return false, fmt.Errorf("runsvchdir: %w", err)
	}
	if !switched {
		return false, nil
	}
	return true, syncDir(g.r, g.l.Runlevels)
}
