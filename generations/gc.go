package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// GCOptions says what gc may remove.
type GCOptions struct {
	Keep      int           // keep the newest Keep generations (0: no such rule)
	OlderThan time.Duration // remove only generations older than this (0: no such rule)
	Now       time.Time
}

// GCResult lists what gc removed.
type GCResult struct {
	Generations []int    `json:"generations"`
	Store       []string `json:"store"`
}

// GC removes generations the options allow, never the current one, the
// boot default or the previous one, then every store entry no remaining
// generation uses, and leftovers of interrupted builds.
//
// It never finishes an interrupted activation: cleaning up must not switch
// the machine. It leaves it to the next apply, rollback or runlevel switch,
// and keeps every generation the activation's journal names, so that the
// next one can still finish it.
func (g *Root) GC(o GCOptions) (*GCResult, error) {
	var res *GCResult
	err := g.locked(leaveForNext, func(s state) error {
		var err error
		res, err = g.gc(o, s.journal)
		return err
	})
	return res, err
}

func (g *Root) gc(o GCOptions, j *journal) (*GCResult, error) {
	r := g.r
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	ns, err := g.numbers()
	if err != nil {
		return nil, err
	}
	protected := map[int]bool{}
	for _, which := range []string{"current", "previous"} {
		if n, _, err := g.readLevelLink(which); err == nil {
			protected[n] = true
		}
	}
	if b, err := g.bootDefault(); err == nil {
		protected[b] = true
	}
	if j != nil {
		for _, n := range append([]int{j.To}, j.Others...) {
			protected[n] = true
		}
	}
	res := &GCResult{}
	used := map[string]bool{}
	for i, n := range ns {
		rec, err := g.readRecord(n)
		if err != nil {
			return nil, err
		}
		keep := protected[n] || (o.Keep > 0 && i >= len(ns)-o.Keep) ||
			(o.OlderThan > 0 && o.Now.Sub(rec.Created) < o.OlderThan)
		if keep {
			for _, p := range rec.StorePaths {
				used[filepath.Base(p)] = true
			}
			continue
		}
		gen := g.l.Generation(n)
		makeWritable(r, gen)
		if err := r.RemoveAll(gen); err != nil {
			return res, fmt.Errorf("gc: remove generation %d: %w", n, err)
		}
		_ = r.Remove(g.l.Outcome(n))
		_ = r.Remove(g.l.Timeline(n))
		res.Generations = append(res.Generations, n)
	}
	for _, dir := range []string{g.l.Store(), g.l.Generations()} {
		f, err := r.Open(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return res, err
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return res, err
		}
		sort.Strings(names)
		for _, name := range names {
			tmp := strings.HasPrefix(name, ".tmp-")
			if !tmp && (dir == g.l.Generations() || used[name]) {
				continue
			}
			makeWritable(r, dir+"/"+name)
			if err := r.RemoveAll(dir + "/" + name); err != nil {
				return res, fmt.Errorf("gc: remove %s/%s: %w", dir, name, err)
			}
			if dir == g.l.Store() && !tmp {
				res.Store = append(res.Store, name)
			}
		}
	}
	return res, nil
}
