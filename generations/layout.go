package generations

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"sysconf/runit/supervise"
)

// Layout says where everything sysconf reads and writes lives on a machine,
// relative to its root (--root). It is the one owner of those paths: the
// planner, the CLI and generations ask it, and never spell a path
// themselves. Each distribution's runit keeps its definitions, runlevels and
// supervise state elsewhere; a layout is one such choice, and every other
// path derives from its fields.
type Layout struct {
	Name        string // "void", "debian", "artix", "sandbox", or "custom"
	State       string // sysconf's own state: store, generations, outcomes, journal, lock, boot link
	Runlevels   string // runsvchdir's folder: current, previous and a link per runlevel
	Definitions string // the link to the current generation's service definitions (sv/)
	Service     string // the folder runsvdir watches, as people reach it: a link that leads to Runlevels/current
	// Watch is the folder stage 2 starts runsvdir on: Service itself, or
	// (Void) a link under run/ that stage 2 makes at boot, which Service
	// points at.
	Watch string
	// Supervise is the folder of every service's supervise state, named
	// as SuperviseStyle says (SuperviseDir).
	Supervise      string
	SuperviseStyle string // "" (runit-void's supervise.<name>, supervise.<name>-log) or SuperviseBare
}

// SuperviseBare names the supervise state folders as Debian's
// runit-helper does: <name>, and <name>.log for the log service.
const SuperviseBare = "bare"

// SandboxLayout is the layout sysconf uses on a machine that runs no
// distribution's runit (a fresh folder, the demo, the tests):
//
//	var/lib/sysconf/…  etc/runit/runsvdir/…  etc/sv  service  run/runit/supervise.<name>
var SandboxLayout = Layout{
	Name:        "sandbox",
	State:       "var/lib/sysconf",
	Runlevels:   "etc/runit/runsvdir",
	Definitions: "etc/sv",
	Service:     "service",
	Watch:       "service",
	Supervise:   "run/runit",
}

// VoidLayout is Void Linux's runit-void: definitions in /etc/sv, whose
// supervise links point at /run/runit/supervise.<name>; stage 2 links
// /run/runit/runsvdir/current to /etc/runit/runsvdir/current and runs
// runsvdir on it; /var/service points there.
var VoidLayout = Layout{
	Name:        "void",
	State:       "var/lib/sysconf",
	Runlevels:   "etc/runit/runsvdir",
	Definitions: "etc/sv",
	Service:     "var/service",
	Watch:       "run/runit/runsvdir/current",
	Supervise:   "run/runit",
}

// DebianLayout is Debian's runit package: definitions in /etc/sv (their
// supervise links, made by runit-helper, point at
// /run/runit/supervise/<name>), /etc/service -> runit/runsvdir/current,
// which stage 2 runs runsvdir on.
var DebianLayout = Layout{
	Name:           "debian",
	State:          "var/lib/sysconf",
	Runlevels:      "etc/runit/runsvdir",
	Definitions:    "etc/sv",
	Service:        "etc/service",
	Watch:          "etc/service",
	Supervise:      "run/runit/supervise",
	SuperviseStyle: SuperviseBare,
}

// ArtixLayout is Artix's runit-artix: definitions in /etc/runit/sv; stage
// 2 links /run/runit/service to /etc/runit/runsvdir/current and runs
// runsvdir on it.
var ArtixLayout = Layout{
	Name:        "artix",
	State:       "var/lib/sysconf",
	Runlevels:   "etc/runit/runsvdir",
	Definitions: "etc/runit/sv",
	Service:     "run/runit/service",
	Watch:       "run/runit/service",
	Supervise:   "run/runit",
}

// Layouts are the layouts sysconf ships, by name.
var Layouts = map[string]Layout{
	SandboxLayout.Name: SandboxLayout,
	VoidLayout.Name:    VoidLayout,
	DebianLayout.Name:  DebianLayout,
	ArtixLayout.Name:   ArtixLayout,
}

// LayoutNames lists the names of Layouts, sorted.
func LayoutNames() []string {
	names := make([]string, 0, len(Layouts))
	for n := range Layouts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Check refuses a layout whose paths are not clean, relative and distinct,
// or that puts a path inside the state folder: the rest of the package
// relies on both.
func (l Layout) Check() error {
	if l.SuperviseStyle != "" && l.SuperviseStyle != SuperviseBare {
		return fmt.Errorf("layout %s: supervise style %q: %w", l.Name, l.SuperviseStyle, ErrInvalid)
	}
	paths := map[string]string{"state": l.State, "runlevels": l.Runlevels, "definitions": l.Definitions, "service": l.Service, "watch": l.Watch, "supervise": l.SuperviseDir("x")}
	seen := map[string]string{}
	for _, k := range []string{"state", "runlevels", "definitions", "service", "watch", "supervise"} {
		p := paths[k]
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../") {
			return fmt.Errorf("layout %s: %s %q: %w: not a clean relative path", l.Name, k, p, ErrInvalid)
		}
		if k != "state" && (p == l.State || strings.HasPrefix(p, l.State+"/")) {
			return fmt.Errorf("layout %s: %s %q: %w: inside the state folder", l.Name, k, p, ErrInvalid)
		}
		if prev, ok := seen[p]; ok && !(k == "watch" && prev == "service") {
			return fmt.Errorf("layout %s: %s and %s are both %q: %w", l.Name, prev, k, p, ErrInvalid)
		}
		seen[p] = k
	}
	return nil
}

// DetectLayout says which shipped layout the machine under dir ("" is
// "/") is laid out in, from what it holds, and why: Artix's /etc/runit/sv,
// Void's /var/service beside /etc/sv, Debian's /etc/service; else the
// sandbox. A machine sysconf already manages is recognised the same way:
// it keeps those paths.
func DetectLayout(dir string) (Layout, string) {
	if dir == "" {
		dir = "/"
	}
	has := func(rel string) bool {
		_, err := os.Lstat(filepath.Join(dir, rel))
		return err == nil
	}
	switch {
	case has(ArtixLayout.Definitions):
		return ArtixLayout, "/" + ArtixLayout.Definitions + " exists"
	case has(VoidLayout.Service) && has(VoidLayout.Definitions):
		return VoidLayout, "/" + VoidLayout.Service + " and /" + VoidLayout.Definitions + " exist"
	case has(DebianLayout.Service):
		return DebianLayout, "/" + DebianLayout.Service + " exists"
	}
	return SandboxLayout, "no distribution's runit found"
}

// Store is the folder of the content-addressed service directories.
func (l Layout) Store() string { return l.State + "/store" }

// Generations is the folder of the generation records, one folder each.
func (l Layout) Generations() string { return l.State + "/generations" }

// Generation is generation n's folder.
func (l Layout) Generation(n int) string { return l.Generations() + "/" + strconv.Itoa(n) }

// Inside every generation's folder, whatever the layout:
const (
	GenerationDefinitions = "sv"       // a link per service to its store entry
	GenerationRunlevels   = "runsvdir" // a folder per runlevel, a link per service in it
)

// RunlevelDir is runlevel level's folder in generation n.
func (l Layout) RunlevelDir(n int, level string) string {
	return l.Generation(n) + "/" + GenerationRunlevels + "/" + level
}

// DefinitionsDir is generation n's folder of service definitions, what the
// definitions link (etc/sv) points at.
func (l Layout) DefinitionsDir(n int) string { return l.Generation(n) + "/" + GenerationDefinitions }

// Outcomes is the folder of the activations' outcomes, <N>.json each.
func (l Layout) Outcomes() string { return l.State + "/outcomes" }

// Outcome is generation n's outcome file.
func (l Layout) Outcome(n int) string { return l.Outcomes() + "/" + strconv.Itoa(n) + ".json" }

// Timeline is where generation n's last activation spent its time.
func (l Layout) Timeline(n int) string {
	return l.Outcomes() + "/" + strconv.Itoa(n) + ".timeline.json"
}

// Lock is the apply lock's file.
func (l Layout) Lock() string { return l.State + "/lock" }

// Journal records an activation in progress.
func (l Layout) Journal() string { return l.State + "/journal.json" }

// BootLink is the link to the boot default generation.
func (l Layout) BootLink() string { return l.State + "/boot" }

// bootText is the text of the boot link to generation n: relative to the
// state folder that holds it ("generations/4").
func (l Layout) bootText(n int) string { return strings.TrimPrefix(l.Generation(n), l.State+"/") }

// Transition holds the transient runlevel folders of two-step switches.
func (l Layout) Transition() string { return l.State + "/transition" }

// Current is the link runsvdir is reached through: Runlevels/current.
func (l Layout) Current() string { return l.Runlevels + "/current" }

// StorePath is the store entry of s: Store/<hash>-<name>.
func (l Layout) StorePath(s Service) string { return l.Store() + "/" + s.StoreName() }

// SuperviseDir is where the supervisor of service name keeps its state;
// LogSuperviseDir the same for its log service.
func (l Layout) SuperviseDir(name string) string {
	if l.SuperviseStyle == SuperviseBare {
		return l.Supervise + "/" + name
	}
	return l.Supervise + "/" + supervise.StateDirName(name)
}
func (l Layout) LogSuperviseDir(name string) string {
	if l.SuperviseStyle == SuperviseBare {
		return l.Supervise + "/" + name + ".log"
	}
	return l.Supervise + "/" + supervise.LogStateDirName(name)
}

// superviseLink is the text of the supervise link at the top of the store
// entry of service name: relative, so that the same store path works under
// any --root, and pointing out of the (read-only) store into the supervise
// folder, where runsv keeps its mutable state.
func (l Layout) superviseLink(name string) string {
	return Link(l.Store()+"/x/supervise", l.SuperviseDir(name))
}

// logSuperviseLink is the same for the log service (log/supervise).
func (l Layout) logSuperviseLink(name string) string {
	return Link(l.Store()+"/x/log/supervise", l.LogSuperviseDir(name))
}

// RootFromStoreEntry leads from a store entry's folder (where runsv runs
// ./run) back to the root: "../../../../../" in SandboxLayout. A run script
// reaches the machine's files through it, so the same store entry works
// under any --root.
func (l Layout) RootFromStoreEntry() string { return up(l.Store() + "/x/run") }

// SuperviseParent is the folder that holds the supervise state folders,
// which runsv does not create (it makes only the last component).
func (l Layout) SuperviseParent() string { return l.Supervise }

// Link returns the text of a relative link placed at from (a path relative
// to the root) that points at to (also relative to the root).
func Link(from, to string) string { return up(from) + to }

// up returns the "../" prefix that leads from the folder holding rel back
// to the root: up("etc/sv") == "../".
func up(rel string) string {
	return strings.Repeat("../", strings.Count(path.Clean(rel), "/"))
}

// LayoutFile is where Apply records the layout it switched the machine
// in, so that the commands that read no description (rollback, status,
// gc…) find the same paths. Every layout keeps its state in var/lib/sysconf.
const LayoutFile = "var/lib/sysconf/layout.json"

// OpenMachine opens the machine root dir ("" is "/") in the layout its
// last apply recorded, else the one DetectLayout finds. It says which and
// why.
func OpenMachine(dir string) (*Root, string, error) {
	if dir == "" {
		dir = "/"
	}
	l, why := DetectLayout(dir)
	why = "detected: " + why
	if b, err := os.ReadFile(filepath.Join(dir, LayoutFile)); err == nil {
		var rec Layout
		if err := json.Unmarshal(b, &rec); err != nil || rec.Check() != nil {
			return nil, "", fmt.Errorf("read %s: %w: not a layout", LayoutFile, ErrInvalid)
		}
		l, why = rec, "recorded by the last apply"
	}
	g, err := OpenLayout(dir, l)
	return g, why, err
}

// saveLayout records g's layout (LayoutFile) when it is not recorded yet
// or differs.
func (g *Root) saveLayout() error {
	b, err := json.Marshal(g.l)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if old, err := g.r.ReadFile(LayoutFile); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := g.r.MkdirAll(path.Dir(LayoutFile), 0o755); err != nil {
		return err
	}
	return replaceFile(g.r, LayoutFile, b, 0o644)
}
