package generations

import (
	"path"
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
	State       string // sysconf's own state: store, generations, outcomes, journal, lock, boot link
	Runlevels   string // runsvchdir's folder: current, previous and a link per runlevel
	Definitions string // the link to the current generation's service definitions (sv/)
	Service     string // the folder runsvdir watches: a link to Runlevels/current
	Supervise   string // the folder holding each service's supervise.<name> state
}

// SandboxLayout is the layout sysconf uses today, on every machine:
//
//	var/lib/sysconf/…  etc/runit/runsvdir/…  etc/sv  service  run/runit/supervise.<name>
var SandboxLayout = Layout{
	State:       "var/lib/sysconf",
	Runlevels:   "etc/runit/runsvdir",
	Definitions: "etc/sv",
	Service:     "service",
	Supervise:   "run/runit",
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
	return l.Supervise + "/" + supervise.StateDirName(name)
}
func (l Layout) LogSuperviseDir(name string) string {
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

// Link returns the text of a relative link placed at from (a path relative
// to the root) that points at to (also relative to the root).
func Link(from, to string) string { return up(from) + to }

// up returns the "../" prefix that leads from the folder holding rel back
// to the root: up("etc/sv") == "../".
func up(rel string) string {
	return strings.Repeat("../", strings.Count(path.Clean(rel), "/"))
}
