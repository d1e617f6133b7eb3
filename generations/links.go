package generations

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// parseGenLink extracts the generation number and the rest of the path from
// a link text made by sysconf: every one leads up to the root, then into
// the generations folder ("../../../var/lib/sysconf/generations/4/runsvdir/default"
// → 4, "runsvdir/default").
func (l Layout) parseGenLink(text string) (int, string, bool) {
	genLinkMarker := l.Generations() + "/"
	i := strings.Index(text, genLinkMarker)
	if i < 0 || strings.Trim(text[:i], "./") != "" {
		return 0, "", false
	}
	num, rest, _ := strings.Cut(text[i+len(genLinkMarker):], "/")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || strconv.Itoa(n) != num {
		return 0, "", false
	}
	return n, rest, true
}

// readLevelLink reads Runlevels/<which> (current or previous) and returns
// the generation and runlevel it selects. A bare name (what `runsvchdir
// default` writes) is followed through Runlevels/<name>.
func (g *Root) readLevelLink(which string) (int, string, error) {
	r := g.r
	text, err := r.Readlink(g.l.Runlevels + "/" + which)
	if err != nil {
		return 0, "", err
	}
	if !strings.Contains(text, "/") {
		if text, err = r.Readlink(g.l.Runlevels + "/" + text); err != nil {
			return 0, "", err
		}
	}
	if i := strings.Index(text, g.l.Transition()+"/"); i >= 0 {
		// Inside a two-step switch: the generation being switched to.
		num, level, _ := strings.Cut(text[i+len(g.l.Transition())+1:], "-")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && level != "" {
			return n, level, nil
		}
	}
	n, rest, ok := g.l.parseGenLink(text)
	level, ok2 := strings.CutPrefix(rest, GenerationRunlevels+"/")
	if !ok || !ok2 || level == "" || strings.Contains(level, "/") {
		return 0, "", fmt.Errorf("%s/%s -> %s: not a sysconf generation", g.l.Runlevels, which, text)
	}
	return n, level, nil
}

// isOurLink reports whether the file at rel is a link sysconf made into
// one of its generations (so sysconf may replace or remove it).
func (g *Root) isOurLink(rel string) (exists, ours bool, err error) {
	r := g.r
	fi, err := r.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return true, false, nil
	}
	text, err := r.Readlink(rel)
	if err != nil {
		return true, false, err
	}
	_, _, ok := g.l.parseGenLink(text)
	return true, ok, nil
}

// noLinkParents refuses a managed path one of whose folders is a symlink:
// os.Root already keeps us inside the root, this also keeps a user's link
// from redirecting a managed file elsewhere inside it.
func (g *Root) noLinkParents(rel string) error {
	r := g.r
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		fi, err := r.Lstat(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s: %s is not a folder (a symlink or a file): %w", rel, d, ErrUnmanaged)
		}
	}
	return nil
}

// current returns the current generation's record and runlevel, nil if none.
func (g *Root) current() (*Record, string, error) {
	r := g.r
	n, level, err := g.readLevelLink("current")
	if errors.Is(err, fs.ErrNotExist) {
		if _, nerr := r.Lstat(g.l.Runlevels + "/current.new"); nerr == nil {
			// A crash between runsvchdir's two renames: previous is
			// still the running generation, and recovery moves it back.
			n, level, err = g.readLevelLink("previous")
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	rec, err := g.readRecord(n)
	return rec, level, err
}

// bootDefault returns the boot default generation, 0 if none.
func (g *Root) bootDefault() (int, error) {
	r := g.r
	text, err := r.Readlink(g.l.BootLink())
	if err != nil {
		return 0, err
	}
	n, _, ok := g.l.parseGenLink(g.l.State + "/" + text)
	if !ok {
		return 0, fmt.Errorf("%s -> %s: not a generation", g.l.BootLink(), text)
	}
	return n, nil
}

// leadsToCurrent reports whether the link at rel leads, link after link, to
// Runlevels/current: the sandbox's service link points there itself, Void's
// /var/service through /run/runit/runsvdir/current, Debian's /etc/service
// with a relative text. Absolute link texts are taken inside the root,
// never on the host.
func (g *Root) leadsToCurrent(rel string) bool {
	p := rel
	for hops := 0; hops < 16; hops++ {
		if p == g.l.Current() {
			return true
		}
		text, err := g.r.Readlink(p)
		if err != nil {
			return false
		}
		if path.IsAbs(text) {
			p = strings.TrimPrefix(path.Clean(text), "/")
		} else {
			p = path.Clean(path.Join(path.Dir(p), text))
		}
		if p == ".." || strings.HasPrefix(p, "../") {
			return false
		}
	}
	return false
}
