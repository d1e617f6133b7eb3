package generations

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Lock is the apply lock: a BSD flock on the layout's lock file, held for the
// whole of an apply, rollback, runlevel switch or gc, and released by the
// kernel when its holder dies (a SIGKILLed apply leaves no stale lock).
type Lock struct{ f *os.File }

// lock takes the lock without waiting. When another process holds it,
// the error wraps ErrLocked and names that process's pid.
func (g *Root) lock() (*Lock, error) {
	r, file := g.r, g.l.Lock()
	if err := r.MkdirAll(g.l.State, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", g.l.State, err)
	}
	f, err := r.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", file, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := r.ReadFile(file)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder := strings.TrimSpace(string(b))
			if holder == "" {
				holder = "unknown"
			}
			return nil, fmt.Errorf("%w (pid %s holds %s); wait for it to finish", ErrLocked, holder, file)
		}
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	// The pid is informational only: the flock is the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Clear the pid first, so that a later holder's message is not stale.
	_ = l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}
