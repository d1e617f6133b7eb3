package generations

import (
	"fmt"
	"os"
)

// Root is a machine's root (--root) opened for its generations: every
// command on them is a method. Every path is resolved through an os.Root,
// so a link planted under the root cannot lead a write out of it.
type Root struct {
	r *os.Root
	l Layout
}

// Open opens the machine root dir ("" is "/") in SandboxLayout.
func Open(dir string) (*Root, error) { return OpenLayout(dir, SandboxLayout) }

// OpenLayout opens the machine root dir ("" is "/") in layout l.
func OpenLayout(dir string, l Layout) (*Root, error) {
	if err := l.Check(); err != nil {
		return nil, err
	}
	if dir == "" {
		dir = "/"
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", dir, err)
	}
	return &Root{r: r, l: l}, nil
}

// Create is Open for a first apply: it creates the folder dir first if it
// does not exist (a fresh machine folder, as the demo and the tests use).
func Create(dir string) (*Root, error) { return CreateLayout(dir, SandboxLayout) }

// CreateLayout is Create in layout l.
func CreateLayout(dir string, l Layout) (*Root, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create root: %w", err)
		}
	}
	return OpenLayout(dir, l)
}

// Close releases the root.
func (g *Root) Close() error { return g.r.Close() }

// Dir is the root's folder, as it was opened.
func (g *Root) Dir() string { return g.r.Name() }

// Layout is where the root keeps everything.
func (g *Root) Layout() Layout { return g.l }

// recovery is what a command does with an activation that a crash
// interrupted (a journal is left). Each locked command states its policy.
type recovery int

const (
	// finishFirst finishes (or undoes) it before anything else: the
	// commands that switch the machine (apply, rollback, runlevel), so
	// that they start from one whole generation.
	finishFirst recovery = iota
	// leaveForNext leaves it for the next command that switches, and
	// keeps everything it needs: gc, which must never activate a
	// generation as a side effect of cleaning up.
	leaveForNext
)

// state is what the locked preamble found.
type state struct {
	cur     *Record // the current generation, nil if none
	level   string  // its runlevel
	curErr  error   // why the current generation could not be read; the caller judges
	journal *journal
}

// needCurrent says why a command (what) that starts from the current
// generation cannot go on: it could not be read, or there is none.
func (s state) needCurrent(what string) error {
	if s.curErr != nil {
		return s.curErr
	}
	if s.cur == nil {
		return fmt.Errorf("%s: %w", what, ErrNoCurrent)
	}
	return nil
}

// locked is the one preamble of every command that writes: take the apply
// lock (failing with ErrLocked when another holds it), recover as p says,
// read the current generation, run fn, release the lock.
func (g *Root) locked(p recovery, fn func(s state) error) error {
	lock, err := g.lock()
	if err != nil {
		return err
	}
	defer lock.Unlock()
	var s state
	switch p {
	case finishFirst:
		if err := g.recover(); err != nil {
			return err
		}
	case leaveForNext:
		if s.journal, err = g.readJournal(); err != nil {
			return err
		}
	}
	s.cur, s.level, s.curErr = g.current()
	return fn(s)
}
