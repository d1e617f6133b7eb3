package generations

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
)

// storeEntry is one expected file of a store entry, after the store's own
// additions (implicit folders, supervise links) and its read-only modes.
type storeEntry struct {
	mode    fs.FileMode // type bits and final permissions
	content []byte
}

// expectedTree returns what the store entry of s holds, keyed by slash path
// relative to the entry; "" is the entry itself.
func (l Layout) expectedTree(s Service) (map[string]storeEntry, error) {
	if err := checkName(s.Name); err != nil {
		return nil, err
	}
	want := map[string]storeEntry{"": {mode: fs.ModeDir | 0o555}}
	var addDirs func(p string)
	addDirs = func(p string) {
		d := path.Dir(p)
		if d == "." {
			return
		}
		if _, ok := want[d]; !ok {
			want[d] = storeEntry{mode: fs.ModeDir | 0o555}
		}
		addDirs(d)
	}
	for _, e := range s.Tree {
		p := e.Path
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("service %s: entry %q: %w: not a clean relative path", s.Name, p, ErrInvalid)
		}
		if p == "supervise" || p == "log/supervise" {
			return nil, fmt.Errorf("service %s: entry %q: %w: the store makes supervise itself", s.Name, p, ErrInvalid)
		}
		if prev, ok := want[p]; ok && !(prev.mode.IsDir() && e.Mode.IsDir()) {
			return nil, fmt.Errorf("service %s: entry %q: %w: listed twice", s.Name, p, ErrInvalid)
		}
		switch {
		case e.Mode.IsDir():
			want[p] = storeEntry{mode: fs.ModeDir | 0o555}
		case e.Mode&fs.ModeSymlink != 0:
			want[p] = storeEntry{mode: fs.ModeSymlink, content: e.Content}
		case e.Mode.IsRegular():
			want[p] = storeEntry{mode: e.Mode.Perm() &^ 0o222, content: e.Content}
		default:
			return nil, fmt.Errorf("service %s: entry %q: %w: mode %v", s.Name, p, ErrInvalid, e.Mode)
		}
		addDirs(p)
	}
	want["supervise"] = storeEntry{mode: fs.ModeSymlink, content: []byte(l.superviseLink(s.Name))}
	if lg, ok := want["log"]; ok && lg.mode.IsDir() {
		want["log/supervise"] = storeEntry{mode: fs.ModeSymlink, content: []byte(l.logSuperviseLink(s.Name))}
	}
	return want, nil
}

// checkName refuses service names that cannot be one path component.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\x00") || strings.HasPrefix(name, ".") {
		return fmt.Errorf("service name %q: %w", name, ErrInvalid)
	}
	return nil
}

// ensureStore makes the store entry of s exist: an existing one is verified
// (never rewritten), a missing one is written under a temporary name,
// fsync'd, made read-only and renamed into place, so that a crash leaves
// either no entry or a whole one.
func (g *Root) ensureStore(s Service) (string, error) {
	r, store := g.r, g.l.Store()
	want, err := g.l.expectedTree(s)
	if err != nil {
		return "", err
	}
	final := g.l.StorePath(s)
	if _, err := r.Lstat(final); err == nil {
		return final, verifyStore(r, final, want)
	}
	if err := r.MkdirAll(store, 0o755); err != nil {
		return "", fmt.Errorf("create store: %w", err)
	}
	tmp := store + "/.tmp-" + s.StoreName() + "-" + strconv.Itoa(os.Getpid())
	makeWritable(r, tmp)
	if err := r.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("remove stale %s: %w", tmp, err)
	}
	if err := writeTree(r, tmp, want); err != nil {
		makeWritable(r, tmp)
		_ = r.RemoveAll(tmp)
		return "", fmt.Errorf("write store entry %s: %w", s.StoreName(), err)
	}
	if err := verifyStore(r, tmp, want); err != nil {
		return "", err
	}
	if err := r.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("rename store entry %s: %w", s.StoreName(), err)
	}
	return final, syncDir(r, store)
}

// writeTree writes want under dir (which must not exist): folders first,
// then files and links, then the read-only modes from the bottom up, each
// folder fsync'd.
func writeTree(parent *os.Root, dir string, want map[string]storeEntry) error {
	if err := parent.Mkdir(dir, 0o755); err != nil {
		return err
	}
	// Work inside dir: each os.Root call walks its path one component at
	// a time, so short paths keep a 500-service generation cheap.
	r, err := parent.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths) // a folder sorts before what it holds
	var leaves []string
	for _, p := range paths {
		if e := want[p]; p != "" && e.mode.IsDir() {
			if err := r.Mkdir(p, 0o755); err != nil {
				return err
			}
		} else if p != "" {
			leaves = append(leaves, p)
		}
	}
	// Files and links in parallel: a generation of 500 services is a
	// thousand links, and each symlink(2) is a journal transaction.
	workers := min(4, 1+len(leaves)/64)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			var err error
			for i := w; i < len(leaves) && err == nil; i += workers {
				p := leaves[i]
				e := want[p]
				if e.mode&fs.ModeSymlink != 0 {
					err = r.Symlink(string(e.content), p)
				} else {
					err = writeFileSync(r, p, e.content, e.mode.Perm())
				}
			}
			errs <- err
		}(w)
	}
	var firstErr error
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return firstErr
	}
	for i := len(paths) - 1; i >= 0; i-- {
		p := paths[i]
		if !want[p].mode.IsDir() {
			continue
		}
		full := path.Join(".", p)
		if err := syncDir(r, full); err != nil {
			return err
		}
		if err := r.Chmod(full, want[p].mode.Perm()); err != nil {
			return err
		}
	}
	return nil
}

// verifyStore compares the tree at dir with want: the same names, types,
// permissions, contents and link texts. A difference is ErrCorrupt.
func verifyStore(parent *os.Root, dir string, want map[string]storeEntry) error {
	r, err := parent.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("verify %s: %w", dir, err)
	}
	defer r.Close()
	seen := 0
	var walk func(rel string) error
	walk = func(rel string) error {
		full := path.Join(".", rel)
		fi, err := r.Lstat(full)
		if err != nil {
			return err
		}
		w, ok := want[rel]
		if !ok {
			return fmt.Errorf("%s: %s: %w: not in the description", dir, rel, ErrCorrupt)
		}
		seen++
		got := fi.Mode() & (fs.ModeType | fs.ModePerm)
		if w.mode&fs.ModeSymlink != 0 {
			got = fi.Mode() & fs.ModeType
		}
		if got != w.mode {
			return fmt.Errorf("%s: %q: %w: mode %v, want %v", dir, rel, ErrCorrupt, got, w.mode)
		}
		switch {
		case fi.IsDir():
			f, err := r.Open(full)
			if err != nil {
				return err
			}
			names, err := f.Readdirnames(-1)
			f.Close()
			if err != nil {
				return err
			}
			for _, n := range names {
				if err := walk(path.Join(rel, n)); err != nil {
					return err
				}
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			t, err := r.Readlink(full)
			if err != nil {
				return err
			}
			if t != string(w.content) {
				return fmt.Errorf("%s: %q: %w: link to %q, want %q", dir, rel, ErrCorrupt, t, w.content)
			}
		default:
			b, err := r.ReadFile(full)
			if err != nil {
				return err
			}
			if !bytes.Equal(b, w.content) {
				return fmt.Errorf("%s: %q: %w: content differs", dir, rel, ErrCorrupt)
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("verify %s: %w", dir, err)
	}
	if seen != len(want) {
		return fmt.Errorf("%s: %w: %d of %d entries present", dir, ErrCorrupt, seen, len(want))
	}
	return nil
}
