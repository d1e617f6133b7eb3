package generations

import (
	"crypto/sha256"
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

// Hash returns the generation hash of m: 32 characters over its canonical
// JSON form, without the services' origins. Two descriptions with the same
// hash give the same generation.
func (m Manifest) Hash() string {
	n := m.normalized()
	for i := range n.Services {
		n.Services[i].Origin = ""
	}
	b, err := json.Marshal(n)
	if err != nil {
		panic("BUG: a Manifest always marshals: " + err.Error())
	}
	sum := sha256.Sum256(append([]byte("sysconf-generation-v1\n"), b...))
	return nixBase32.EncodeToString(sum[:20])
}

// normalized returns m with every list sorted as documented, so that the
// hash does not depend on the order a caller built it in.
func (m Manifest) normalized() Manifest {
	n := Manifest{
		Services:  append([]Service(nil), m.Services...),
		Runlevels: make([]Runlevel, len(m.Runlevels)),
		Files:     append([]ManagedFile(nil), m.Files...),
		Boot:      append([]Entry(nil), m.Boot...),

		Groups:      append([]Group(nil), m.Groups...),
		Users:       append([]User(nil), m.Users...),
		Directories: append([]Directory(nil), m.Directories...),
		Mounts:      append([]Mount(nil), m.Mounts...),
	}
	n.sortSystem()
	sort.Slice(n.Services, func(i, j int) bool { return n.Services[i].Name < n.Services[j].Name })
	for i, s := range n.Services {
		t := append([]Entry(nil), s.Tree...)
		sort.Slice(t, func(i, j int) bool { return t[i].Path < t[j].Path })
		n.Services[i].Tree = t
	}
	for i, l := range m.Runlevels {
		n.Runlevels[i] = Runlevel{Name: l.Name, Services: append([]string(nil), l.Services...)}
		sort.Strings(n.Runlevels[i].Services)
	}
	sort.Slice(n.Runlevels, func(i, j int) bool { return n.Runlevels[i].Name < n.Runlevels[j].Name })
	sort.Slice(n.Files, func(i, j int) bool { return n.Files[i].Path < n.Files[j].Path })
	sort.Slice(n.Boot, func(i, j int) bool { return n.Boot[i].Path < n.Boot[j].Path })
	return n
}

// Record is a generation's manifest.json: what it is, when it was made and
// what it references, with the planned Manifest itself.
type Record struct {
	Number     int                 `json:"number"`
	Created    time.Time           `json:"created"`
	Hash       string              `json:"hash"`
	Version    string              `json:"sysconf_version"`
	StorePaths map[string]string   `json:"store_paths"` // service name → its store entry (Layout.StorePath)
	Runlevels  map[string][]string `json:"runlevels"`   // level → service names
	Files      []string            `json:"files"`       // managed paths relative to the root, stage scripts included
	Sources    []string            `json:"sources"`     // names under sources/
	Manifest   Manifest            `json:"manifest"`
	// Found is set in generation 0 alone, the machine as sysconf found it
	// (see Survey): its StorePaths are then the service folders where the
	// machine keeps them, outside the store.
	Found *Found `json:"found,omitempty"`
}

// managedPath turns a ManagedFile or Boot path ("/etc/x" or "etc/x") into a
// clean path relative to the root under etc/.
func (l Layout) managedPath(p string) (string, error) {
	rel := strings.TrimPrefix(p, "/")
	if rel == "" || path.Clean(rel) != rel || !strings.HasPrefix(rel, "etc/") ||
		strings.HasPrefix(rel, l.Runlevels+"/") || rel == l.Definitions || strings.HasSuffix(rel, ".sysconf-new") {
		return "", fmt.Errorf("managed file %q: %w: must be a clean path under /etc, outside /%s and /%s", p, ErrInvalid, l.Definitions, l.Runlevels)
	}
	return rel, nil
}

// fileSet lists every file the generation places under etc/: managed files
// and the stage scripts, keyed by path relative to the root.
type fileSpec struct {
	mode    fs.FileMode
	content []byte
	boot    bool // a stage script: installed with the boot default
}

func (m Manifest) fileSet(l Layout) (map[string]fileSpec, error) {
	out := map[string]fileSpec{}
	for _, f := range m.Files {
		rel, err := l.managedPath(f.Path)
		if err != nil {
			return nil, err
		}
		if _, dup := out[rel]; dup {
			return nil, fmt.Errorf("managed file %s: %w: listed twice", f.Path, ErrInvalid)
		}
		out[rel] = fileSpec{mode: f.Mode.Perm(), content: f.Content}
	}
	for _, e := range m.Boot {
		rel, err := l.managedPath(e.Path)
		if err != nil {
			return nil, err
		}
		if _, dup := out[rel]; dup {
			return nil, fmt.Errorf("stage script %s: %w: also a managed file", e.Path, ErrInvalid)
		}
		if !e.Mode.IsRegular() {
			return nil, fmt.Errorf("stage script %s: %w: not a regular file", e.Path, ErrInvalid)
		}
		out[rel] = fileSpec{mode: e.Mode.Perm(), content: e.Content, boot: true}
	}
	return out, nil
}

// checkManifest validates what the store and activation rely on.
func checkManifest(m Manifest, l Layout) error {
	names := map[string]bool{}
	for _, s := range m.Services {
		if err := checkName(s.Name); err != nil {
			return err
		}
		if names[s.Name] {
			return fmt.Errorf("service %s: %w: listed twice", s.Name, ErrInvalid)
		}
		names[s.Name] = true
	}
	if len(m.Runlevels) == 0 {
		return fmt.Errorf("%w: no runlevel", ErrInvalid)
	}
	for _, l := range m.Runlevels {
		if err := checkName(l.Name); err != nil || l.Name == "current" || l.Name == "previous" || strings.HasSuffix(l.Name, ".new") {
			return fmt.Errorf("runlevel %q: %w", l.Name, ErrInvalid)
		}
		for _, s := range l.Services {
			if !names[s] {
				return fmt.Errorf("runlevel %s: service %s: %w: not defined", l.Name, s, ErrInvalid)
			}
		}
	}
	if err := m.checkSystem(); err != nil {
		return err
	}
	_, err := m.fileSet(l)
	return err
}

// writeRecord writes generation n for m under a temporary name and renames
// it into place: a generation exists whole or not at all. Its files and
// folders are read-only.
func (g *Root) writeRecord(rec *Record, sources map[string][]byte) error {
	r, gens := g.r, g.l.Generations()
	m := rec.Manifest
	files, err := m.fileSet(g.l)
	if err != nil {
		return err
	}
	want := map[string]storeEntry{"": {mode: fs.ModeDir | 0o555}}
	dir := func(p string) {
		for d := p; d != "." && d != ""; d = path.Dir(d) {
			if _, ok := want[d]; !ok {
				want[d] = storeEntry{mode: fs.ModeDir | 0o555}
			}
		}
	}
	gen := g.l.Generation(rec.Number)
	dir(GenerationDefinitions)
	dir(GenerationRunlevels)
	dir("sources")
	for _, s := range m.Services {
		p := GenerationDefinitions + "/" + s.Name
		want[p] = storeEntry{mode: fs.ModeSymlink, content: []byte(Link(gen+"/"+p, rec.StorePaths[s.Name]))}
	}
	for _, l := range m.Runlevels {
		dir(GenerationRunlevels + "/" + l.Name)
		for _, s := range l.Services {
			p := GenerationRunlevels + "/" + l.Name + "/" + s
			want[p] = storeEntry{mode: fs.ModeSymlink, content: []byte(Link(gen+"/"+p, rec.StorePaths[s]))}
		}
	}
	for rel, f := range files {
		dir(path.Dir(rel))
		want[rel] = storeEntry{mode: f.mode &^ 0o222, content: f.content}
	}
	for name, b := range sources {
		p, err := sourcePath(name)
		if err != nil {
			return err
		}
		dir(path.Dir(p))
		want[p] = storeEntry{mode: 0o444, content: b}
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	want["manifest.json"] = storeEntry{mode: 0o444, content: append(js, '\n')}

	if err := r.MkdirAll(gens, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", gens, err)
	}
	tmp := gens + "/.tmp-" + strconv.Itoa(rec.Number) + "-" + strconv.Itoa(os.Getpid())
	makeWritable(r, tmp)
	if err := r.RemoveAll(tmp); err != nil {
		return err
	}
	if err := writeTree(r, tmp, want); err != nil {
		makeWritable(r, tmp)
		_ = r.RemoveAll(tmp)
		return fmt.Errorf("write generation %d: %w", rec.Number, err)
	}
	if err := r.Rename(tmp, gen); err != nil {
		return fmt.Errorf("rename generation %d into place: %w", rec.Number, err)
	}
	return syncDir(r, gens)
}

// sourcePath is where a source file named name (as the config loader names
// it: "system.hcl", "modules/web/main.hcl", "/abs/x.hcl") is copied inside
// a generation: under sources/, never outside it.
func sourcePath(name string) (string, error) {
	p := path.Clean("/" + strings.ReplaceAll(name, "\x00", ""))[1:]
	if p == "" || strings.HasPrefix(p, ".") || strings.Contains(p, "/.") {
		return "", fmt.Errorf("source %q: %w: not a usable file name", name, ErrInvalid)
	}
	return "sources/" + p, nil
}

// readRecord reads generation n's manifest.json.
func (g *Root) readRecord(n int) (*Record, error) {
	b, err := g.r.ReadFile(g.l.Generation(n) + "/manifest.json")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("generation %d: %w", n, ErrNotFound)
		}
		return nil, fmt.Errorf("read generation %d: %w", n, err)
	}
	rec, err := g.l.decodeRecord(b, n)
	if err != nil {
		return nil, fmt.Errorf("read generation %d: %w", n, err)
	}
	return rec, nil
}

// decodeRecord decodes generation n's manifest.json. Activation links and
// removes what a record names, so a record must hold together before it is
// used: its number is n, its manifest passes the checks a build makes, and
// every store path is the layout's store entry of a service it describes,
// never a path elsewhere under the root. A failure wraps ErrInvalid.
func (l Layout) decodeRecord(b []byte, n int) (*Record, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("manifest.json: %w: %v", ErrInvalid, err)
	}
	if rec.Number != n {
		return nil, fmt.Errorf("manifest.json: %w: number %d", ErrInvalid, rec.Number)
	}
	if err := checkManifest(rec.Manifest, l); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	services := map[string]Service{}
	for _, s := range rec.Manifest.Services {
		services[s.Name] = s
	}
	if (n == 0) != (rec.Found != nil) {
		return nil, fmt.Errorf("manifest.json: %w: generation %d with found %v", ErrInvalid, n, rec.Found != nil)
	}
	for name, p := range rec.StorePaths {
		s, ok := services[name]
		if n == 0 && ok {
			// The machine's own folders: inside the root, outside sysconf's state.
			if path.Clean(p) != p || path.IsAbs(p) || strings.HasPrefix(p, "../") || p == ".." || strings.HasPrefix(p, l.State+"/") {
				return nil, fmt.Errorf("manifest.json: %w: found folder of %s: %q", ErrInvalid, name, p)
			}
			continue
		}
		if !ok || p != l.StorePath(s) {
			return nil, fmt.Errorf("manifest.json: %w: store path of %s: %q", ErrInvalid, name, p)
		}
	}
	for level, names := range rec.Runlevels {
		if err := checkName(level); err != nil {
			return nil, fmt.Errorf("manifest.json: runlevel %q: %w", level, ErrInvalid)
		}
		for _, name := range names {
			if _, ok := rec.StorePaths[name]; !ok {
				return nil, fmt.Errorf("manifest.json: %w: runlevel %s: service %s has no store path", ErrInvalid, level, name)
			}
		}
	}
	return &rec, nil
}

// numbers lists the complete generations (renamed into place), ascending.
func (g *Root) numbers() ([]int, error) {
	f, err := g.r.Open(g.l.Generations())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	var ns []int
	for _, name := range names {
		if n, err := strconv.Atoi(name); err == nil && n > 0 && strconv.Itoa(n) == name {
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	return ns, nil
}

// build makes the store entries and the generation record for m, numbered
// after the newest one.
func (g *Root) build(m Manifest, sources map[string][]byte, version string, now time.Time) (*Record, error) {
	m = m.normalized()
	if err := checkManifest(m, g.l); err != nil {
		return nil, err
	}
	rec := &Record{
		Created:    now.UTC(),
		Hash:       m.Hash(),
		Version:    version,
		StorePaths: map[string]string{},
		Runlevels:  map[string][]string{},
		Manifest:   m,
	}
	for _, s := range m.Services {
		p, err := g.ensureStore(s)
		if err != nil {
			return nil, err
		}
		rec.StorePaths[s.Name] = p
	}
	for _, l := range m.Runlevels {
		rec.Runlevels[l.Name] = append([]string{}, l.Services...)
	}
	files, _ := m.fileSet(g.l)
	for p := range files {
		rec.Files = append(rec.Files, p)
	}
	sort.Strings(rec.Files)
	for name := range sources {
		rec.Sources = append(rec.Sources, name)
	}
	sort.Strings(rec.Sources)
	ns, err := g.numbers()
	if err != nil {
		return nil, err
	}
	rec.Number = 1
	if len(ns) > 0 {
		rec.Number = ns[len(ns)-1] + 1
	}
	return rec, g.writeRecord(rec, sources)
}
