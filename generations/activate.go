package generations

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sysconf/runit/supervise"
)

// genLinkMarker is what every link sysconf makes into a generation contains.
const genLinkMarker = "var/lib/sysconf/generations/"

// parseGenLink extracts the generation number and the rest of the path from
// a link text made by sysconf ("../../../var/lib/sysconf/generations/4/runsvdir/default"
// → 4, "runsvdir/default").
func parseGenLink(text string) (int, string, bool) {
	i := strings.Index(text, genLinkMarker)
	if i < 0 || strings.Trim(text[:i], "./") != "" {
		return 0, "", false
	}
	num, rest, _ := strings.Cut(text[i+len(genLinkMarker):], "/")
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, rest, true
}

// readLevelLink reads etc/runit/runsvdir/<which> (current or previous) and
// returns the generation and runlevel it selects. A bare name (what
// `runsvchdir default` writes) is followed through etc/runit/runsvdir/<name>.
func readLevelLink(r *os.Root, which string) (int, string, error) {
	text, err := r.Readlink(RunsvdirDir + "/" + which)
	if err != nil {
		return 0, "", err
	}
	if !strings.Contains(text, "/") {
		if text, err = r.Readlink(RunsvdirDir + "/" + text); err != nil {
			return 0, "", err
		}
	}
	if i := strings.Index(text, TransitionDir+"/"); i >= 0 {
		// Inside a two-step switch: the generation being switched to.
		num, level, _ := strings.Cut(text[i+len(TransitionDir)+1:], "-")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && level != "" {
			return n, level, nil
		}
	}
	n, rest, ok := parseGenLink(text)
	level, ok2 := strings.CutPrefix(rest, "runsvdir/")
	if !ok || !ok2 || level == "" || strings.Contains(level, "/") {
		return 0, "", fmt.Errorf("%s/%s -> %s: not a sysconf generation", RunsvdirDir, which, text)
	}
	return n, level, nil
}

// journal records an activation in progress, so that the next apply,
// rollback or status run after a crash finishes it (or undoes it).
type journal struct {
	To     int      `json:"to"`
	Others []int    `json:"others"` // generations whose managed files may have to go
	Level  string   `json:"level"`
	Boot   bool     `json:"boot"`           // make To the boot default
	Live   bool     `json:"live"`           // switch the running system (false for --boot)
	Keep   []string `json:"keep,omitempty"` // changed services handed over, not restarted: their handover marks
}

func writeJournal(r *os.Root, j journal) error {
	b, _ := json.Marshal(j)
	tmp := JournalFile + ".new"
	_ = r.Remove(tmp)
	if err := writeFileSync(r, tmp, b, 0o644); err != nil {
		return err
	}
	if err := r.Rename(tmp, JournalFile); err != nil {
		return err
	}
	return syncDir(r, StateDir)
}

func readJournal(r *os.Root) (*journal, error) {
	b, err := r.ReadFile(JournalFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("read %s: %w", JournalFile, err)
	}
	return &j, nil
}

// stepper counts the steps of an apply; the test-only crash hook kills the
// process after a chosen one.
type stepper struct {
	n       int
	crashAt int // 0: never
}

// step marks the end of a step. With SYSCONF_TEST_CRASH_AFTER=k in the
// environment (test-only: tests run apply in a child process) the process
// SIGKILLs itself after step k, with no chance to clean up.
func (s *stepper) step() {
	if s == nil {
		return
	}
	s.n++
	if s.crashAt > 0 && s.n == s.crashAt {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // never returns: the signal is on its way
	}
}

// CrashEnv is the test-only environment variable naming the step after
// which apply kills itself (see stepper.step).
const CrashEnv = "SYSCONF_TEST_CRASH_AFTER"

func newStepper() *stepper {
	k, _ := strconv.Atoi(os.Getenv(CrashEnv))
	return &stepper{crashAt: k}
}

// isOurLink reports whether the file at rel is a link sysconf made into
// one of its generations (so sysconf may replace or remove it).
func isOurLink(r *os.Root, rel string) (exists, ours bool, err error) {
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
	_, _, ok := parseGenLink(text)
	return true, ok, nil
}

// noLinkParents refuses a managed path one of whose folders is a symlink:
// os.Root already keeps us inside the root, this also keeps a user's link
// from redirecting a managed file elsewhere inside it.
func noLinkParents(r *os.Root, rel string) error {
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

// activation is what activate does.
type activation struct {
	rec    *Record
	level  string
	live   bool          // switch the running services (not --boot)
	boot   bool          // make it the boot default (not --test)
	force  bool          // replace files sysconf does not manage
	others []*Record     // generations whose managed files may have to go
	keep   []string      // changed services whose running processes stay (--no-restart)
	wait   time.Duration // how long to wait for old supervisors to exit; 0 is 60 s
	st     *stepper
}

// preflight finds every obstacle before anything changes: unmanaged files
// in the way, a ROOT/service that is not ours.
func preflight(r *os.Root, a *activation) error {
	files, err := a.rec.Manifest.fileSet()
	if err != nil {
		return err
	}
	var blocked []string
	for rel, f := range files {
		if f.boot && !a.boot || !f.boot && !a.live {
			continue
		}
		if err := noLinkParents(r, rel); err != nil {
			return err
		}
		exists, ours, err := isOurLink(r, rel)
		if err != nil {
			return err
		}
		if exists && !ours && !a.force {
			blocked = append(blocked, "/"+rel)
		}
	}
	if a.live {
		if fi, err := r.Lstat(ServiceLink); err == nil {
			text, _ := r.Readlink(ServiceLink)
			if fi.Mode()&fs.ModeSymlink == 0 || text != RunsvdirDir+"/current" && !a.force {
				blocked = append(blocked, "/"+ServiceLink)
			}
		}
		if exists, ours, err := isOurLink(r, SvLink); err != nil {
			return err
		} else if exists && !ours && !a.force {
			blocked = append(blocked, "/"+SvLink)
		}
	}
	if len(blocked) > 0 {
		return fmt.Errorf("%w: %s (move it away, or apply with --force to replace it)", ErrUnmanaged, strings.Join(blocked, ", "))
	}
	return nil
}

// activate switches the root to a.rec. Every step is idempotent, and a
// journal written first lets recoverRoot finish the job after a crash.
// Order: supervise folders, then the one rename that switches the
// services (runsvchdir's algorithm), then the links that follow it
// (runlevels, etc/sv, service), the managed files, the boot default.
func activate(r *os.Root, a *activation) error {
	if err := preflight(r, a); err != nil {
		return err
	}
	n := a.rec.Number
	j := journal{To: n, Level: a.level, Boot: a.boot, Live: a.live, Keep: a.keep}
	for _, o := range a.others {
		if o != nil {
			j.Others = append(j.Others, o.Number)
		}
	}
	if err := writeJournal(r, j); err != nil {
		return fmt.Errorf("activate generation %d: %w", n, err)
	}
	a.st.step()
	if a.live {
		if err := switchLive(r, a); err != nil {
			return fmt.Errorf("activate generation %d: %w", n, err)
		}
	}
	if a.boot {
		if err := setBoot(r, a); err != nil {
			return fmt.Errorf("make generation %d the boot default: %w", n, err)
		}
		a.st.step()
	}
	if err := r.Remove(JournalFile); err != nil {
		return fmt.Errorf("activate generation %d: %w", n, err)
	}
	a.st.step()
	return nil
}

// switchLive makes the running system follow a.rec.
func switchLive(r *os.Root, a *activation) error {
	rec := a.rec
	gen := GenPath(rec.Number)
	if _, ok := rec.Runlevels[a.level]; !ok {
		return fmt.Errorf("runlevel %s: %w", a.level, ErrNotFound)
	}
	// runsv creates only the last component of its supervise link's target.
	if err := r.MkdirAll(RunDir, 0o755); err != nil {
		return err
	}
	for _, s := range rec.Manifest.Services {
		for _, d := range []string{"supervise." + s.Name, "supervise." + s.Name + "-log"} {
			if d == "supervise."+s.Name+"-log" && !hasLog(s) {
				continue
			}
			if err := r.Mkdir(RunDir+"/"+d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		}
	}
	a.st.step()
	if err := r.MkdirAll(RunsvdirDir, 0o755); err != nil {
		return err
	}
	final := relLink(RunsvdirDir+"/current", gen+"/runsvdir/"+a.level)
	changed, err := changedServices(r, rec, a.level)
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		if _, err := runsvchdir(r, final, a.st); err != nil {
			return err
		}
	} else {
		// Two steps, so that a changed service's old and new supervisors
		// never meet on supervise/lock: first a transition folder without
		// the changed services (runsvdir stops them, keeps the unchanged
		// ones, starts the new ones), then, once their old supervisors are
		// gone, the generation's own folder, where their new definitions
		// start at once. previous keeps the old generation.
		//
		// A service in a.keep gets a handover mark first: its old
		// supervisor, told to exit, leaves the process running for the
		// new one (runsv's supervise/handover) instead of stopping it.
		// Either way one supervisor at a time holds supervise/lock.
		keep := map[string]bool{}
		for _, n := range a.keep {
			keep[n] = true
		}
		for _, n := range changed {
			if err := markHandover(r, n, keep[n]); err != nil {
				return err
			}
		}
		tr, err := writeTransition(r, rec, a.level, changed)
		if err != nil {
			return err
		}
		if _, err := runsvchdir(r, relLink(RunsvdirDir+"/current", tr), a.st); err != nil {
			return err
		}
		a.st.step()
		waitGone(r.Name(), changed, a.wait)
		if err := replaceLink(r, final, RunsvdirDir+"/current"); err != nil {
			return err
		}
		if err := syncDir(r, RunsvdirDir); err != nil {
			return err
		}
		removeTransitions(r)
		for _, n := range a.keep {
			// The old supervisor is gone: the mark has done its work.
			if err := markHandover(r, n, false); err != nil {
				return err
			}
		}
	}
	a.st.step()
	// The runlevel links, so that runsvchdir and `sysconf runlevel` find
	// every level of the generation; stale ones that are ours go.
	for level := range rec.Runlevels {
		name := RunsvdirDir + "/" + level
		if err := replaceLink(r, relLink(name, gen+"/runsvdir/"+level), name); err != nil {
			return err
		}
	}
	if f, err := r.Open(RunsvdirDir); err == nil {
		names, _ := f.Readdirnames(-1)
		f.Close()
		for _, name := range names {
			if _, keep := rec.Runlevels[name]; keep || name == "current" || name == "previous" || strings.HasPrefix(name, "current") {
				continue
			}
			if _, ours, _ := isOurLink(r, RunsvdirDir+"/"+name); ours {
				_ = r.Remove(RunsvdirDir + "/" + name)
			}
		}
	}
	if err := replaceLink(r, relLink(SvLink, gen+"/sv"), SvLink); err != nil {
		return err
	}
	if text, err := r.Readlink(ServiceLink); err != nil || text != RunsvdirDir+"/current" {
		if err := replaceLink(r, RunsvdirDir+"/current", ServiceLink); err != nil {
			return err
		}
	}
	a.st.step()
	files, _ := rec.Manifest.fileSet()
	for rel, f := range files {
		if f.boot {
			continue
		}
		if err := installFile(r, rec.Number, rel); err != nil {
			return err
		}
	}
	a.st.step()
	return removeDropped(r, a, files, false)
}

// setBoot makes a.rec the boot default and installs its stage scripts.
func setBoot(r *os.Root, a *activation) error {
	files, _ := a.rec.Manifest.fileSet()
	for rel, f := range files {
		if f.boot {
			if err := installFile(r, a.rec.Number, rel); err != nil {
				return err
			}
		}
	}
	if err := removeDropped(r, a, files, true); err != nil {
		return err
	}
	if err := replaceLink(r, "generations/"+strconv.Itoa(a.rec.Number), BootLink); err != nil {
		return err
	}
	return syncDir(r, StateDir)
}

// installFile points ROOT/rel at generation n's copy in one rename.
func installFile(r *os.Root, n int, rel string) error {
	if err := r.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return err
	}
	if err := noLinkParents(r, rel); err != nil {
		return err
	}
	if err := replaceLink(r, relLink(rel, GenPath(n)+"/"+rel), rel); err != nil {
		return fmt.Errorf("install /%s: %w", rel, err)
	}
	return nil
}

// removeDropped removes the managed files (or stage scripts, when boot) of
// the other generations that a.rec does not have, but only those that are
// still sysconf's links: a file the user put there since is left alone.
func removeDropped(r *os.Root, a *activation, keep map[string]fileSpec, boot bool) error {
	for _, o := range a.others {
		if o == nil || o.Number == a.rec.Number {
			continue
		}
		ofiles, err := o.Manifest.fileSet()
		if err != nil {
			continue
		}
		for rel, f := range ofiles {
			if f.boot != boot {
				continue
			}
			if _, kept := keep[rel]; kept {
				continue
			}
			if _, ours, _ := isOurLink(r, rel); ours {
				if err := r.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("remove dropped /%s: %w", rel, err)
				}
			}
		}
	}
	return nil
}

// hasLog reports whether s has a log service (a log/ folder).
func hasLog(s Service) bool {
	for _, e := range s.Tree {
		if e.Path == "log" || strings.HasPrefix(e.Path, "log/") {
			return true
		}
	}
	return false
}

// runsvchdir switches etc/runit/runsvdir/current to dir with runsvchdir's
// algorithm (spec/runit.md §8): current.new is made, previous goes, current
// becomes previous, and one rename of current.new over current switches
// what runsvdir sees. It reports false when current already is dir. With
// no current yet (a first activation) the previous step is skipped.
func runsvchdir(r *os.Root, dir string, st *stepper) (bool, error) {
	base := RunsvdirDir + "/"
	target := path.Join(RunsvdirDir, dir)
	ti, err := r.Stat(target)
	if err != nil {
		return false, fmt.Errorf("runsvchdir: stat %s: %w", dir, err)
	}
	if !ti.IsDir() {
		return false, fmt.Errorf("runsvchdir: %s: not a directory", dir)
	}
	ci, cerr := r.Stat(base + "current")
	if cerr == nil && os.SameFile(ci, ti) {
		return false, nil
	}
	if err := r.Remove(base + "current.new"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("runsvchdir: unable to unlink: current.new: %w", err)
	}
	if err := r.Symlink(dir, base+"current.new"); err != nil {
		return false, fmt.Errorf("runsvchdir: unable to create: current.new -> %s: %w", dir, err)
	}
	st.step()
	_, lerr := r.Lstat(base + "current")
	hadCurrent := lerr == nil
	if hadCurrent {
		if err := r.Remove(base + "previous"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("runsvchdir: unable to unlink: previous: %w", err)
		}
		if err := r.Rename(base+"current", base+"previous"); err != nil {
			return false, fmt.Errorf("runsvchdir: unable to copy: current to previous: %w", err)
		}
		st.step()
	}
	if err := r.Rename(base+"current.new", base+"current"); err != nil {
		if hadCurrent {
			if berr := r.Rename(base+"previous", base+"current"); berr != nil {
				return false, fmt.Errorf("runsvchdir: unable to move previous back to current: %w", berr)
			}
		}
		return false, fmt.Errorf("runsvchdir: unable to move: current.new to current: %w", err)
	}
	return true, syncDir(r, RunsvdirDir)
}

// TransitionDir holds the transient runlevel folders of two-step switches.
const TransitionDir = StateDir + "/transition"

// changedServices lists the services that run now (in the level current
// selects) and run from another store entry in rec's level.
func changedServices(r *os.Root, rec *Record, level string) ([]string, error) {
	cur, curLevel, err := readLevelLink(r, "current")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	old, err := readRecord(r, cur)
	if err != nil {
		return nil, err
	}
	before, after := running(old, curLevel), running(rec, level)
	var out []string
	for name, p := range after {
		if q, ok := before[name]; ok && q != p {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// writeTransition writes transition/<N>-<level>: rec's level without the
// changed services. It is written whole (temporary name, rename).
func writeTransition(r *os.Root, rec *Record, level string, changed []string) (string, error) {
	skip := map[string]bool{}
	for _, n := range changed {
		skip[n] = true
	}
	name := TransitionDir + "/" + strconv.Itoa(rec.Number) + "-" + level
	want := map[string]storeEntry{"": {mode: fs.ModeDir | 0o555}}
	for _, n := range rec.Runlevels[level] {
		if !skip[n] {
			want[n] = storeEntry{mode: fs.ModeSymlink, content: []byte(relLink(name+"/"+n, rec.StorePaths[n]))}
		}
	}
	if err := r.MkdirAll(TransitionDir, 0o755); err != nil {
		return "", err
	}
	tmp := TransitionDir + "/.tmp-" + strconv.Itoa(os.Getpid())
	for _, p := range []string{tmp, name} {
		makeWritable(r, p)
		if err := r.RemoveAll(p); err != nil {
			return "", err
		}
	}
	if err := writeTree(r, tmp, want); err != nil {
		return "", fmt.Errorf("write transition folder: %w", err)
	}
	if err := r.Rename(tmp, name); err != nil {
		return "", err
	}
	return name, syncDir(r, TransitionDir)
}

// removeTransitions removes the transition folders, which nothing watches
// once current points into a generation again.
func removeTransitions(r *os.Root) {
	makeWritable(r, TransitionDir)
	_ = r.RemoveAll(TransitionDir)
}

// markHandover creates (on) or removes run/runit/supervise.<name>/handover,
// which makes the supervisor of the service leave it running when it is
// told to exit, for its successor to take over.
func markHandover(r *os.Root, name string, on bool) error {
	p := RunDir + "/supervise." + name + "/" + supervise.HandoverFile
	if !on {
		if err := r.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	f, err := r.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// waitGone waits (at most d, 60 s if 0) until no supervisor holds the ok
// FIFO of run/runit/supervise.<name> open for any of names: the old
// instances have stopped. Without a supervisor it returns at once.
func waitGone(root string, names []string, d time.Duration) {
	if d == 0 {
		d = 60 * time.Second
	}
	deadline := time.Now().Add(d)
	for _, n := range names {
		// The state folder is what a service directory's supervise links
		// to: probe it as that service directory's supervise would be.
		state := filepath.Join(root, RunDir, supervise.StateDirName(n))
		for time.Now().Before(deadline) {
			if supervise.ProbeState(state) != nil {
				break // no supervisor reads it, or it was never supervised
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// recoverRoot finishes or undoes an activation that a crash interrupted,
// under the lock. The generation `current` names (or, if the crash fell
// between runsvchdir's two renames, the one `previous` names) is activated
// again, whole; an interrupted first activation is forgotten.
func recoverRoot(r *os.Root) error {
	j, err := readJournal(r)
	if err != nil || j == nil {
		return err
	}
	for _, n := range j.Keep {
		// A switch that handed services over was cut short: what was
		// handed over is taken by then, or restarts as usual.
		if err := markHandover(r, n, false); err != nil {
			return fmt.Errorf("recover: %w", err)
		}
	}
	base := RunsvdirDir + "/"
	if _, err := r.Lstat(base + "current"); errors.Is(err, fs.ErrNotExist) {
		if _, err := r.Lstat(base + "previous"); err == nil {
			if err := r.Rename(base+"previous", base+"current"); err != nil {
				return fmt.Errorf("recover: move previous back to current: %w", err)
			}
		}
	}
	_ = r.Remove(base + "current.new")
	if text, err := r.Readlink(base + "current"); err == nil && strings.Contains(text, TransitionDir+"/") {
		// A crash inside a two-step switch: finish it.
		if err := replaceLink(r, relLink(base+"current", GenPath(j.To)+"/runsvdir/"+j.Level), base+"current"); err != nil {
			return fmt.Errorf("recover: %w", err)
		}
	}
	a := &activation{live: true}
	n, level, err := readLevelLink(r, "current")
	switch {
	case err == nil:
		a.boot = j.Boot && n == j.To
	case !j.Live && j.Boot:
		// A --boot with nothing running yet: finish making it the default.
		n, level, a.live, a.boot = j.To, j.Level, false, true
	default:
		// Nothing was switched yet: the system never ran the generation.
		return r.Remove(JournalFile)
	}
	if a.rec, err = readRecord(r, n); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	a.level = level
	for _, o := range append([]int{j.To}, j.Others...) {
		if o != 0 && o != n {
			if or, err := readRecord(r, o); err == nil {
				a.others = append(a.others, or)
			}
		}
	}
	if err := activate(r, a); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	removeTransitions(r)
	return nil
}
