package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"sysconf/runit/supervise"
)

// A switch that changes a running service's definition takes two steps
// (see switchLive): through a transition folder (Layout.Transition)
// without the changed services, then into the generation's own.

// changedServices lists the services that run now (in the level current
// selects) and run from another store entry in rec's level, and returns
// the record of what runs now.
func (g *Root) changedServices(rec *Record, level string) ([]string, *Record, error) {
	cur, curLevel, err := g.readLevelLink("current")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	var old *Record
	if err != nil {
		// runit's own current link: the machine as found runs, if it
		// was recorded (a takeover).
		found, ferr := g.foundRecord()
		if ferr != nil || found == nil || rec.isFound() {
			return nil, nil, err
		}
		old, curLevel = found, found.Found.Level
	} else if old, err = g.readRecord(cur); err != nil {
		return nil, nil, err
	}
	before, after := running(old, curLevel), running(rec, level)
	var out []string
	for name, p := range after {
		if q, ok := before[name]; ok && q != p {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, old, nil
}

// writeTransition writes transition/<N>-<level>: rec's level without the
// changed services. It is written whole (temporary name, rename).
func (g *Root) writeTransition(rec *Record, level string, changed []string) (string, error) {
	r := g.r
	skip := map[string]bool{}
	for _, n := range changed {
		skip[n] = true
	}
	name := g.l.Transition() + "/" + strconv.Itoa(rec.Number) + "-" + level
	want := map[string]storeEntry{"": {mode: fs.ModeDir | 0o555}}
	for _, n := range rec.Runlevels[level] {
		if !skip[n] {
			want[n] = storeEntry{mode: fs.ModeSymlink, content: []byte(Link(name+"/"+n, rec.StorePaths[n]))}
		}
	}
	if err := r.MkdirAll(g.l.Transition(), 0o755); err != nil {
		return "", err
	}
	tmp := g.l.Transition() + "/.tmp-" + strconv.Itoa(os.Getpid())
	for _, p := range []string{tmp, name} {
		makeWritable(r, p)
		if err := r.RemoveAll(p); err != nil {
			return "", err
		}
	}
	if err := writeTree(r, tmp, want); err != nil {
		return "", fmt.Errorf("write transition folder: %w", err)
	}
	if err := r.Rename(tmp, name); err != nil {
		return "", err
	}
	return name, syncDir(r, g.l.Transition())
}

// removeTransitions removes the transition folders, which nothing watches
// once current points into a generation again.
func (g *Root) removeTransitions() {
	r := g.r
	makeWritable(r, g.l.Transition())
	_ = r.RemoveAll(g.l.Transition())
}

// markHandover creates (on) or removes dir/handover, dir being a service's
// supervise folder (superviseOf), which makes the supervisor of the
// service leave it running when it is told to exit, for its successor to
// take over.
func (g *Root) markHandover(dir string, on bool) error {
	r := g.r
	p := dir + "/" + supervise.HandoverFile
	if !on {
		if err := r.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	f, err := r.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// stopGrace is what a stop may take beyond the service's own stop
// timeout: runsvdir noticing that the service left its folder (runit's
// runsvdir looks every 5 s), the signals, and the supervisor's exit.
const stopGrace = 5 * time.Second

// stopBound returns how long a switch waits for the running instance of
// name, defined in rec, to stop: its stop timeout (the service dir's
// timeout-kill, after which our supervisors kill its process group) plus
// stopGrace. A service that waits forever to stop (no timeout-kill, or 0,
// as in runit) gets the apply's own timeout instead: a switch never hangs
// on a service that ignores its stop signal.
func stopBound(rec *Record, name string, timeout time.Duration) time.Duration {
	for _, s := range rec.Manifest.Services {
		if s.Name != name {
			continue
		}
		for _, e := range s.Tree {
			if e.Path != supervise.TimeoutKillFile {
				continue
			}
			if d, err := supervise.ParseTimeoutKill(e.Content); err == nil && d > 0 {
				return d + stopGrace
			}
		}
	}
	return timeout
}

// waitGone waits until no supervisor holds the supervise dir (dirs[name])
// of any of names open (their old instances have stopped), each for at most
// bounds[name]. Every reportEvery it says which ones it is still waiting for
// and for how long. It returns those still running at their bound; a
// service that was never supervised is gone at once.
func (g *Root) waitGone(names []string, dirs map[string]string, bounds map[string]time.Duration, emit func(Event)) []string {
	start := time.Now()
	pending := append([]string(nil), names...)
	var stuck []string
	nextReport := start.Add(reportEvery)
	for len(pending) > 0 {
		var still []string
		for _, n := range pending {
			if supervise.ProbeState(filepath.Join(g.r.Name(), dirs[n])) != nil {
				// No supervisor reads it, or it was never supervised.
				emit(Event{Kind: "gone", Service: n})
				continue
			}
			if time.Since(start) >= bounds[n] {
				stuck = append(stuck, n)
				continue
			}
			still = append(still, n)
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if now := time.Now(); !now.Before(nextReport) {
			waited := now.Sub(start).Truncate(time.Second)
			for _, n := range pending {
				emit(Event{Kind: "wait", Service: n, Message: fmt.Sprintf("old instance to stop: %s so far, at most %s", waited, bounds[n])})
			}
			nextReport = nextReport.Add(reportEvery)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return stuck
}
