package generations

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"sysconf/runit/supervise"
)

// Info is one line of `sysconf generations`.
type Info struct {
	Number   int       `json:"number"`
	Created  time.Time `json:"created"`
	Hash     string    `json:"hash"`
	Services int       `json:"services"`
	Current  bool      `json:"current"`
	Boot     bool      `json:"boot"`
	Previous bool      `json:"previous"`
	Level    string    `json:"level,omitempty"` // the running runlevel, for the current one
	Outcome  *Outcome  `json:"outcome,omitempty"`
}

// Outcome is what the last activation of a generation ended with, written
// by the (detached) activation so that a user whose terminal went away
// can read it later.
type Outcome struct {
	Time       time.Time `json:"time"`
	OK         bool      `json:"ok"`
	Message    string    `json:"message,omitempty"`
	RolledBack bool      `json:"rolled_back,omitempty"`
}

// RecordOutcome writes generation n's outcome (outcomes/<n>.json).
func RecordOutcome(root string, n int, o Outcome) error {
	r, err := openRoot(root)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.MkdirAll(OutcomeDir, 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(o)
	name := OutcomeDir + "/" + strconv.Itoa(n) + ".json"
	_ = r.Remove(name + ".new")
	if err := writeFileSync(r, name+".new", b, 0o644); err != nil {
		return err
	}
	return r.Rename(name+".new", name)
}

func readOutcome(r *os.Root, n int) *Outcome {
	b, err := r.ReadFile(OutcomeDir + "/" + strconv.Itoa(n) + ".json")
	if err != nil {
		return nil
	}
	var o Outcome
	if json.Unmarshal(b, &o) != nil {
		return nil
	}
	return &o
}

// List returns every complete generation, oldest first, with its markers.
func List(root string) ([]Info, error) {
	r, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	ns, err := numbers(r)
	if err != nil {
		return nil, err
	}
	cur, level, _ := readLevelLink(r, "current")
	prev, _, _ := readLevelLink(r, "previous")
	boot, _ := bootDefault(r)
	var out []Info
	for _, n := range ns {
		rec, err := readRecord(r, n)
		if err != nil {
			return nil, err
		}
		i := Info{Number: n, Created: rec.Created, Hash: rec.Hash, Services: len(rec.Manifest.Services),
			Current: n == cur, Boot: n == boot, Previous: n == prev && n != cur, Outcome: readOutcome(r, n)}
		if i.Current {
			i.Level = level
		}
		out = append(out, i)
	}
	return out, nil
}

// Load returns generation n's record.
func Load(root string, n int) (*Record, error) {
	r, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readRecord(r, n)
}

// Current returns the current generation's record and runlevel; nil when
// the root runs none.
func Current(root string) (*Record, string, error) {
	r, err := openRoot(root)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	return current(r)
}

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
func GC(root string, o GCOptions) (*GCResult, error) {
	r, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	lock, err := lockRoot(r)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := recoverRoot(r); err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	ns, err := numbers(r)
	if err != nil {
		return nil, err
	}
	protected := map[int]bool{}
	for _, which := range []string{"current", "previous"} {
		if n, _, err := readLevelLink(r, which); err == nil {
			protected[n] = true
		}
	}
	if b, err := bootDefault(r); err == nil {
		protected[b] = true
	}
	res := &GCResult{}
	used := map[string]bool{}
	for i, n := range ns {
		rec, err := readRecord(r, n)
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
		gen := GenPath(n)
		makeWritable(r, gen)
		if err := r.RemoveAll(gen); err != nil {
			return res, fmt.Errorf("gc: remove generation %d: %w", n, err)
		}
		_ = r.Remove(OutcomeDir + "/" + strconv.Itoa(n) + ".json")
		res.Generations = append(res.Generations, n)
	}
	for _, dir := range []string{StoreDir, GenDir} {
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
			if !tmp && (dir == GenDir || used[name]) {
				continue
			}
			makeWritable(r, dir+"/"+name)
			if err := r.RemoveAll(dir + "/" + name); err != nil {
				return res, fmt.Errorf("gc: remove %s/%s: %w", dir, name, err)
			}
			if dir == StoreDir && !tmp {
				res.Store = append(res.Store, name)
			}
		}
	}
	return res, nil
}

// ServiceStatus is one line of `sysconf status`.
type ServiceStatus struct {
	Name      string    `json:"name"`
	StorePath string    `json:"store_path"`
	State     string    `json:"state"` // run, down, finish, or "unsupervised"
	PID       int       `json:"pid,omitempty"`
	Since     time.Time `json:"since,omitempty"`
	Want      string    `json:"want,omitempty"`
	Paused    bool      `json:"paused,omitempty"`
	// Debt is set when the running process was started from another
	// store entry than the current generation's: it still runs an older
	// definition and needs a restart.
	Debt string `json:"debt,omitempty"`
}

// Status is the state of the current generation's running services.
type Status struct {
	Generation   int             `json:"generation"`
	Level        string          `json:"level"`
	Boot         int             `json:"boot"`
	Supervised   bool            `json:"supervised"`
	Interrupted  bool            `json:"interrupted"` // an activation was interrupted and is not finished yet
	Services     []ServiceStatus `json:"services"`
	SupervisedBy string          `json:"-"`
}

// ReadStatus reads the current generation and, for each service of its
// runlevel, the supervisor's status through the store entry's supervise
// link. It writes nothing; an interrupted activation is reported.
func ReadStatus(root string) (*Status, error) {
	r, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cur, level, err := current(r)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, ErrNoCurrent
	}
	st := &Status{Generation: cur.Number, Level: level, Supervised: Supervised(r.Name())}
	st.Boot, _ = bootDefault(r)
	if j, _ := readJournal(r); j != nil {
		st.Interrupted = true
	}
	for _, name := range cur.Runlevels[level] {
		ss := ServiceStatus{Name: name, StorePath: cur.StorePaths[name]}
		dir := filepath.Join(r.Name(), ss.StorePath)
		s, err := supervise.ReadStatus(dir)
		if err != nil {
			ss.State = "unsupervised"
		} else {
			ss.State = s.State.String()
			ss.PID = s.PID
			ss.Since = s.Since.Time()
			ss.Want = string(rune(s.Want))
			ss.Paused = s.Paused
			if s.PID != 0 {
				ss.Debt = restartDebt(r.Name(), dir, s.PID)
			}
		}
		st.Services = append(st.Services, ss)
	}
	return st, nil
}

// restartDebt compares the working directory of the running process (its
// run script starts in its service folder) with the current store entry;
// it returns the other store entry when they differ, "" otherwise or when
// it cannot tell.
func restartDebt(root, dir string, pid int) string {
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return ""
	}
	// /proc shows the physical, absolute path.
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	store := filepath.Join(root, StoreDir) + "/"
	rest, ok := strings.CutPrefix(cwd, store)
	if !ok {
		return ""
	}
	entry, _, _ := strings.Cut(rest, "/")
	if entry != filepath.Base(dir) {
		return StoreDir + "/" + entry
	}
	return ""
}
