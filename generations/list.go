package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"
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

// The reading commands (List, Load, Current, Installed, Status) take no
// lock and never recover an interrupted activation: they show the machine
// as it is.

// List returns every complete generation, oldest first, with its markers.
func (g *Root) List() ([]Info, error) {
	ns, err := g.numbers()
	if err != nil {
		return nil, err
	}
	cur, level, _ := g.readLevelLink("current")
	prev, _, _ := g.readLevelLink("previous")
	boot, berr := g.bootDefault()
	var out []Info
	if found, err := g.foundRecord(); err == nil && found != nil {
		// Generation 0, the machine as sysconf found it.
		i := Info{Number: 0, Created: found.Created, Services: len(found.Manifest.Services),
			Current: g.atFound() != nil, Boot: berr == nil && boot == 0}
		if i.Current {
			i.Level = found.Found.Level
		}
		out = append(out, i)
	}
	for _, n := range ns {
		rec, err := g.readRecord(n)
		if err != nil {
			return nil, err
		}
		i := Info{Number: n, Created: rec.Created, Hash: rec.Hash, Services: len(rec.Manifest.Services),
			Current: n == cur, Boot: n == boot, Previous: n == prev && n != cur, Outcome: g.readOutcome(n)}
		if i.Current {
			i.Level = level
		}
		out = append(out, i)
	}
	return out, nil
}

// Load returns generation n's record.
func (g *Root) Load(n int) (*Record, error) { return g.readRecord(n) }

// Current returns the current generation's record and runlevel: the one
// Runlevels/current selects; nil when the root runs none.
func (g *Root) Current() (*Record, string, error) { return g.current() }

// Installed returns the generation whose definitions the definitions link
// (etc/sv) shows: what a plan compares a description with. It is nil on a
// machine sysconf has not set up, where there is no such link or runit's
// own folder is there instead.
func (g *Root) Installed() (*Record, error) {
	text, err := g.r.Readlink(g.l.Definitions)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EINVAL) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read current generation: %w", err)
	}
	n, rest, ok := g.l.parseGenLink(text)
	if !ok || rest != GenerationDefinitions {
		return nil, fmt.Errorf("read current generation: %s points at %s, not a generation", g.l.Definitions, text)
	}
	return g.readRecord(n)
}
