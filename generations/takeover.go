package generations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Taking a machine over: the first apply on a machine whose runit sysconf
// did not set up records the machine as found as generation 0, then
// switches to the description. Generation 0 is not in the store: its
// services run from their own folders. Switching away from it moves those
// folders (the definitions, each runlevel's folder, the stage scripts)
// whole into generation 0's found/ folder, once nothing runs from them;
// rollback to it moves them back, so /etc/sv/x is a plain folder again
// with its original files, inodes and modes.

// FoundGeneration asks Rollback for generation 0, the machine as found.
const FoundGeneration = -1

// StageNames are the stage scripts runit runs, in etc/runit/ under every
// layout.
var StageNames = []string{"1", "2", "3", "ctrlaltdel"}

// StageScript is the path of stage script name ("2"), relative to the root.
func (l Layout) StageScript(name string) string { return "etc/runit/" + name }

// FoundDir is where generation 0 keeps what it moved away.
func (l Layout) FoundDir() string { return l.Generation(0) + "/found" }

// Found is what generation 0 records besides its Manifest: how the machine
// was laid out, so that rollback gives it back as it was.
type Found struct {
	// Moved are the paths (relative to the root) that a switch away from
	// generation 0 moves into FoundDir whole, and rollback moves back.
	Moved []string `json:"moved"`
	// Links are the link texts rollback puts back, by path: the
	// runlevels' current and previous, the watched folder. A path
	// without one had no link.
	Links map[string]string `json:"links"`
	// Level is the runlevel current selected.
	Level string `json:"level"`
	// Supervise is each service's supervise folder as found (relative to
	// the root), for the services whose supervise is not the layout's.
	Supervise map[string]string `json:"supervise,omitempty"`
	// Problems is what the survey could not take as it is, one sentence
	// each (a device file, a link that leads nowhere).
	Problems []string `json:"problems,omitempty"`
}

// isFound reports whether rec is generation 0.
func (rec *Record) isFound() bool { return rec != nil && rec.Number == 0 && rec.Found != nil }

// Survey reads the machine as it is, in g's layout: every service folder
// of the definitions folder (and those kept in a runlevel's folder
// itself), every runlevel and which one is current, and the stage
// scripts. It returns nil when sysconf already manages the machine, or
// when there is nothing to take over (no definitions folder, no runlevel
// folder). Absolute link texts are read inside the root, never on the
// host.
func (g *Root) Survey() (*Record, error) {
	r, l := g.r, g.l
	f := &Found{Links: map[string]string{}, Supervise: map[string]string{}}
	rec := &Record{Number: 0, StorePaths: map[string]string{}, Runlevels: map[string][]string{}, Found: f}
	foreign := false
	services := map[string]Service{}
	addService := func(name, dir string) {
		if _, ok := services[name]; ok {
			return
		}
		tree, problems, err := g.readTree(dir)
		if err != nil {
			f.Problems = append(f.Problems, fmt.Sprintf("/%s: %v", dir, err))
			return
		}
		f.Problems = append(f.Problems, problems...)
		services[name] = Service{Name: name, Tree: tree}
		rec.StorePaths[name] = dir
		if sup := g.linkTarget(dir + "/supervise"); sup != l.SuperviseDir(name) {
			f.Supervise[name] = sup
		}
	}
	if fi, err := r.Lstat(l.Definitions); err == nil && fi.IsDir() {
		foreign = true
		f.Moved = append(f.Moved, l.Definitions)
		names, err := readNames(r, l.Definitions)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			p := l.Definitions + "/" + n
			if fi, err := r.Stat(p); err != nil || !fi.IsDir() || checkName(n) != nil {
				f.Problems = append(f.Problems, fmt.Sprintf("/%s: not a service folder, left out", p))
				continue
			}
			if fi, _ := r.Lstat(p); fi.Mode()&fs.ModeSymlink != 0 {
				f.Problems = append(f.Problems, fmt.Sprintf("/%s: a link to a service folder elsewhere; its files are taken as they are", p))
			}
			addService(n, p)
		}
	}
	levels, _ := readNames(r, l.Runlevels)
	for _, level := range levels {
		p := l.Runlevels + "/" + level
		if level == "current" || level == "previous" {
			if text, err := r.Readlink(p); err == nil {
				f.Links[p] = text
				if _, _, ok := l.parseGenLink(text); !ok {
					foreign = true
				}
			}
			continue
		}
		fi, err := r.Lstat(p)
		if err != nil || !fi.IsDir() || checkName(level) != nil || strings.HasSuffix(level, ".new") {
			continue // sysconf's own links, runsvchdir's leftovers, Debian's default.run
		}
		foreign = true
		f.Moved = append(f.Moved, p)
		names, err := readNames(r, p)
		if err != nil {
			return nil, err
		}
		rec.Runlevels[level] = []string{}
		for _, n := range names {
			q := p + "/" + n
			name := n
			if fi, err := r.Lstat(q); err == nil && fi.IsDir() {
				// A service kept in the runlevel's folder itself
				// (Debian's single/sulogin).
				if _, dup := services[n]; dup {
					f.Problems = append(f.Problems, fmt.Sprintf("/%s: a second service named %s, left out", q, n))
					continue
				}
				addService(n, q)
			} else {
				target, ok := g.resolveInside(q)
				if !ok {
					f.Problems = append(f.Problems, fmt.Sprintf("/%s: a link that leads nowhere under the root, left out", q))
					continue
				}
				if path.Dir(target) != l.Definitions {
					f.Problems = append(f.Problems, fmt.Sprintf("/%s: leads to /%s, outside /%s, left out", q, target, l.Definitions))
					continue
				}
				name = path.Base(target)
				if name != n {
					f.Problems = append(f.Problems, fmt.Sprintf("/%s: named %s in the runlevel but %s in /%s; taken as %s", q, n, name, l.Definitions, name))
				}
				if _, ok := services[name]; !ok {
					f.Problems = append(f.Problems, fmt.Sprintf("/%s: leads to /%s, which is not a service folder, left out", q, target))
					continue
				}
			}
			rec.Runlevels[level] = append(rec.Runlevels[level], name)
		}
		sort.Strings(rec.Runlevels[level])
	}
	if !foreign || len(rec.Runlevels) == 0 {
		// Nothing runit runs from (no runlevel folder): nothing to take
		// over, and the switch refuses what is in its way.
		return nil, nil
	}
	f.Level = g.foundLevel(f.Links[l.Current()], rec.Runlevels)
	if f.Level == "" {
		if _, ok := rec.Runlevels["default"]; ok {
			f.Level = "default"
		} else {
			for level := range rec.Runlevels {
				if f.Level == "" || level < f.Level {
					f.Level = level
				}
			}
		}
	}
	if fi, err := r.Lstat(l.Service); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			text, _ := r.Readlink(l.Service)
			f.Links[l.Service] = text
		} else if fi.IsDir() {
			f.Moved = append(f.Moved, l.Service)
		}
	}
	var boot []Entry
	for _, n := range StageNames {
		p := l.StageScript(n)
		fi, err := r.Lstat(p)
		if err != nil {
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if _, ours, _ := g.isOurLink(p); ours {
				continue // sysconf's
			}
			f.Moved = append(f.Moved, p)
			f.Problems = append(f.Problems, fmt.Sprintf("/%s: a link; kept as found, but a description cannot give it", p))
			continue
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := r.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f.Moved = append(f.Moved, p)
		boot = append(boot, Entry{Path: p, Mode: fi.Mode().Perm(), Content: b})
	}
	for _, s := range services {
		rec.Manifest.Services = append(rec.Manifest.Services, s)
	}
	for level, names := range rec.Runlevels {
		rec.Manifest.Runlevels = append(rec.Manifest.Runlevels, Runlevel{Name: level, Services: names})
	}
	rec.Manifest.Boot = boot
	rec.Manifest = rec.Manifest.normalized()
	sort.Strings(f.Moved)
	if len(f.Supervise) == 0 {
		f.Supervise = nil
	}
	return rec, nil
}

// foundLevel names the runlevel a found current link selects: a bare
// name (runsvchdir's), or a path to a runlevel's folder.
func (g *Root) foundLevel(text string, levels map[string][]string) string {
	if text == "" {
		return ""
	}
	name := text
	if strings.Contains(text, "/") {
		target, ok := g.resolveInside(g.l.Current())
		if !ok || path.Dir(target) != g.l.Runlevels {
			return ""
		}
		name = path.Base(target)
	}
	if _, ok := levels[name]; !ok {
		return ""
	}
	return name
}

// readTree reads the service folder dir as Entries: every file with its
// bytes and mode, every link with its text, every empty folder; the
// supervise links (the supervisor's state) are left out. problems says
// what cannot be kept as it is.
func (g *Root) readTree(dir string) (tree []Entry, problems []string, err error) {
	r := g.r
	// A service folder that is a link is read where it leads.
	if target, ok := g.resolveInside(dir); ok {
		dir = target
	}
	var walk func(rel string) error
	walk = func(rel string) error {
		full := dir
		if rel != "" {
			full += "/" + rel
		}
		names, err := readNames(r, full)
		if err != nil {
			return err
		}
		if len(names) == 0 && rel != "" {
			fi, err := r.Lstat(full)
			if err != nil {
				return err
			}
			tree = append(tree, Entry{Path: rel, Mode: fs.ModeDir | fi.Mode().Perm()})
		}
		for _, n := range names {
			p := path.Join(rel, n)
			if p == "supervise" || p == "log/supervise" {
				continue
			}
			fi, err := r.Lstat(full + "/" + n)
			if err != nil {
				return err
			}
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				text, err := r.Readlink(full + "/" + n)
				if err != nil {
					return err
				}
				tree = append(tree, Entry{Path: p, Mode: fs.ModeSymlink, Content: []byte(text)})
			case fi.IsDir():
				if err := walk(p); err != nil {
					return err
				}
			case fi.Mode().IsRegular():
				b, err := r.ReadFile(full + "/" + n)
				if err != nil {
					return err
				}
				if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
					problems = append(problems, fmt.Sprintf("/%s/%s: mode %v: setuid, setgid and sticky bits are not kept", dir, p, fi.Mode()))
				}
				tree = append(tree, Entry{Path: p, Mode: fi.Mode().Perm(), Content: b})
			default:
				problems = append(problems, fmt.Sprintf("/%s/%s: a %v, which a description cannot give: left out", dir, p, fi.Mode().Type()))
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, nil, err
	}
	sort.Slice(tree, func(i, j int) bool { return tree[i].Path < tree[j].Path })
	return tree, problems, nil
}

// readNames lists the folder dir under r, sorted.
func readNames(r *os.Root, dir string) ([]string, error) {
	f, err := r.Open(dir)
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	sort.Strings(names)
	return names, err
}

// resolveInside follows the links of rel (relative to the root), each
// component in turn, with absolute link texts taken inside the root, and
// returns the path it leads to, relative to the root. It reports false
// when it leads out of the root, loops or does not exist.
func (g *Root) resolveInside(rel string) (string, bool) {
	parts := strings.Split(path.Clean(rel), "/")
	done := ""
	for hops := 0; len(parts) > 0; {
		p := parts[0]
		parts = parts[1:]
		switch p {
		case "", ".":
			continue
		case "..":
			if done == "" {
				return "", false
			}
			done = path.Dir(done)
			if done == "." {
				done = ""
			}
			continue
		}
		next := path.Join(done, p)
		fi, err := g.r.Lstat(next)
		if err != nil {
			return "", false
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if hops++; hops > 40 {
			return "", false
		}
		text, err := g.r.Readlink(next)
		if err != nil {
			return "", false
		}
		if path.IsAbs(text) {
			done = ""
		}
		parts = append(strings.Split(text, "/"), parts...)
	}
	return done, true
}

// linkTarget is where the link rel leads, relative to the root, whether
// or not its target exists (a supervise folder runsv has not made yet);
// rel itself when it is no link.
func (g *Root) linkTarget(rel string) string {
	text, err := g.r.Readlink(rel)
	if err != nil {
		return rel
	}
	if path.IsAbs(text) {
		return strings.TrimPrefix(path.Clean(text), "/")
	}
	dir := path.Dir(rel)
	if d, ok := g.resolveInside(dir); ok {
		dir = d
	}
	return path.Clean(path.Join(dir, text))
}

// recordFound writes rec (from Survey) as generation 0: its manifest.json
// and a found/ folder. A generation 0 left by an earlier takeover, whose
// found folder holds nothing but stage scripts (rollback gave the rest
// back; a crash may have kept the boot default's scripts in place), is
// updated in place: the machine may have changed since, and the stage
// scripts it still holds stay the machine's.
func (g *Root) recordFound(rec *Record, now time.Time) error {
	r := g.r
	gen := g.l.Generation(0)
	old, err := g.foundRecord()
	if err != nil {
		return err
	}
	if old != nil {
		for _, rel := range old.Found.Moved {
			if _, err := r.Lstat(g.l.FoundDir() + "/" + rel); err != nil {
				continue
			}
			if !g.l.isStage(rel) {
				return fmt.Errorf("take over: %w: generation 0 still holds /%s, yet the machine is not sysconf's", ErrInvalid, rel)
			}
			if !contains(rec.Found.Moved, rel) {
				rec.Found.Moved = append(rec.Found.Moved, rel)
				for _, e := range old.Manifest.Boot {
					if e.Path == rel {
						rec.Manifest.Boot = append(rec.Manifest.Boot, e)
					}
				}
			}
		}
		sort.Strings(rec.Found.Moved)
		rec.Manifest = rec.Manifest.normalized()
	}
	rec.Created = now.UTC()
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if old != nil {
		return replaceFile(r, gen+"/manifest.json", b, 0o444)
	}
	if err := r.MkdirAll(g.l.Generations(), 0o755); err != nil {
		return err
	}
	tmp := g.l.Generations() + "/.tmp-0-" + strconv.Itoa(os.Getpid())
	makeWritable(r, tmp)
	if err := r.RemoveAll(tmp); err != nil {
		return err
	}
	if err := r.MkdirAll(tmp+"/found", 0o755); err != nil {
		return err
	}
	if err := writeFileSync(r, tmp+"/manifest.json", b, 0o444); err != nil {
		return err
	}
	if err := syncDir(r, tmp); err != nil {
		return err
	}
	if err := r.Rename(tmp, gen); err != nil {
		return err
	}
	return syncDir(r, g.l.Generations())
}

// foundRecord reads generation 0, nil when there is none.
func (g *Root) foundRecord() (*Record, error) {
	rec, err := g.readRecord(0)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !rec.isFound() {
		return nil, fmt.Errorf("read generation 0: %w: no record of the machine as found", ErrInvalid)
	}
	return rec, nil
}

// isStage reports whether rel is a stage script, which moves with the
// boot default rather than with the running system.
func (l Layout) isStage(rel string) bool {
	for _, n := range StageNames {
		if rel == l.StageScript(n) {
			return true
		}
	}
	return false
}

// holdFound moves what generation 0 found (its stage scripts when boot,
// everything else otherwise) into its found folder, where it is still in
// place and not sysconf's. Each move is one rename, and a move done is
// skipped, so a crash at any point leaves it to be finished.
func (g *Root) holdFound(f *Found, boot bool) error {
	r := g.r
	for _, rel := range f.Moved {
		if g.l.isStage(rel) != boot {
			continue
		}
		if _, err := r.Lstat(rel); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if exists, ours, err := g.isOurLink(rel); err != nil || !exists || ours {
			continue
		}
		dst := g.l.FoundDir() + "/" + rel
		if _, err := r.Lstat(dst); err == nil {
			return fmt.Errorf("move /%s away: %w: generation 0 already holds one", rel, ErrUnmanaged)
		}
		if err := r.MkdirAll(path.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := r.Rename(rel, dst); err != nil {
			return fmt.Errorf("move /%s into generation 0: %w", rel, err)
		}
		if err := syncDir(r, path.Dir(dst)); err != nil {
			return err
		}
		if err := syncDir(r, path.Dir(rel)); err != nil {
			return err
		}
	}
	return nil
}

// restoreFound moves back what holdFound moved (stage scripts when boot):
// a folder replaces sysconf's link at its place (remove, then rename), a
// file replaces it in one rename. Each restored path is skipped, so a crash
// leaves it to be finished.
func (g *Root) restoreFound(f *Found, boot bool) error {
	r := g.r
	for _, rel := range f.Moved {
		if g.l.isStage(rel) != boot {
			continue
		}
		src := g.l.FoundDir() + "/" + rel
		fi, err := r.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		exists, ours, err := g.isOurLink(rel)
		if err != nil {
			return err
		}
		if exists && !ours {
			return fmt.Errorf("give back /%s: %w: something else is there", rel, ErrUnmanaged)
		}
		if exists && fi.IsDir() {
			if err := r.Remove(rel); err != nil {
				return err
			}
		}
		if err := r.MkdirAll(path.Dir(rel), 0o755); err != nil {
			return err
		}
		if err := r.Rename(src, rel); err != nil {
			return fmt.Errorf("give back /%s: %w", rel, err)
		}
		if err := syncDir(r, path.Dir(rel)); err != nil {
			return err
		}
	}
	return nil
}

// restoreFoundLinks puts back the found link texts (current excepted: the
// switch sets it), and removes what sysconf made where the machine had no
// link.
func (g *Root) restoreFoundLinks(f *Found) error {
	r := g.r
	for _, rel := range []string{g.l.Runlevels + "/previous", g.l.Service} {
		text, had := f.Links[rel]
		if had {
			if old, err := r.Readlink(rel); err != nil || old != text {
				if err := replaceLink(r, text, rel); err != nil {
					return err
				}
			}
			continue
		}
		if contains(f.Moved, rel) {
			continue
		}
		if fi, err := r.Lstat(rel); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if err := r.Remove(rel); err != nil {
				return err
			}
		}
	}
	return syncDir(r, g.l.Runlevels)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// superviseOf is the supervise folder of service name as rec runs it: the
// layout's, or (generation 0) the one the found service folder uses.
func (g *Root) superviseOf(rec *Record, name string) string {
	if rec.isFound() {
		if p, ok := rec.Found.Supervise[name]; ok {
			return p
		}
	}
	return g.l.SuperviseDir(name)
}

// sameTree reports whether service name has the same files in a and b,
// write permission aside (the store keeps none): a found service the
// description gives as it is, which the switch hands over rather than
// restarts.
func sameTree(a, b *Record, name string) bool {
	var ta, tb []Entry
	for _, s := range a.Manifest.Services {
		if s.Name == name {
			ta = s.Tree
		}
	}
	for _, s := range b.Manifest.Services {
		if s.Name == name {
			tb = s.Tree
		}
	}
	if len(ta) != len(tb) || ta == nil {
		return false
	}
	for i := range ta {
		x, y := ta[i], tb[i]
		if x.Path != y.Path || x.Mode.Type() != y.Mode.Type() || !bytes.Equal(x.Content, y.Content) {
			return false
		}
		if x.Mode.Type() == 0 && x.Mode.Perm()&^0o222 != y.Mode.Perm()&^0o222 {
			return false
		}
	}
	return true
}

// atFound returns generation 0 when the machine runs as found: it is
// recorded, and current is runit's own link again (a rollback gave the
// machine back). Else nil.
func (g *Root) atFound() *Record {
	_, _, err := g.readLevelLink("current")
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	found, ferr := g.foundRecord()
	if ferr != nil {
		return nil
	}
	return found
}
