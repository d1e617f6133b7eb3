package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"sysconf/runit/supervise"
)

// A switch that changes a running service's definition takes two steps
// (see switchLive): through a transition folder (Layout.Transition)
// without the changed services, then into the generation's own.

// changedServices lists the services that run now (in the level current
// selects) and run from another store entry in rec's level.
func (g *Root) changedServices(rec *Record, level string) ([]string, error) {
	cur, curLevel, err := g.readLevelLink("current")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	old, err := g.readRecord(cur)
	if err != nil {
		return nil, err
	}
	before, after := running(old, curLevel), running(rec, level)
	var out []string
	for name, p := range after {
		if q, ok := before[name]; ok && q != p {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
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

// markHandover creates (on) or removes <supervise dir of name>/handover,
// which makes the supervisor of the service leave it running when it is
// told to exit, for its successor to take over.
func (g *Root) markHandover(name string, on bool) error {
	r := g.r
	p := g.l.SuperviseDir(name) + "/" + supervise.HandoverFile
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

// waitGone waits (at most d, 60 s if 0) until no supervisor holds
// the supervise dir's ok open for any of names: the old instances have
// stopped. Without a supervisor it returns at once.
func (g *Root) waitGone(names []string, d time.Duration) {
	if d == 0 {
		d = 60 * time.Second
	}
	deadline := time.Now().Add(d)
	for _, n := range names {
		ok := filepath.Join(g.r.Name(), g.l.SuperviseDir(n), supervise.OkFIFO)
		for time.Now().Before(deadline) {
			fd, err := syscall.Open(ok, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
			if err != nil {
				break // ENXIO: no supervisor reads it; ENOENT: never supervised
			}
			syscall.Close(fd)
			time.Sleep(5 * time.Millisecond)
		}
	}
}
