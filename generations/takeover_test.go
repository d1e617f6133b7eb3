package generations

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// VoidMachine builds, under root, a machine laid out as Void's runit-void
// lays it out, by hand: /etc/sv with web (and a log), db (conf, env/,
// finish), batch (down) and own (no supervise link: runsv makes its own
// supervise folder, which no other folder shares); runlevels default (relative links) and
// single (absolute links, as Void writes them); current -> default;
// /run/runit/runsvdir/current and /var/service leading to it; stage
// scripts. Every supervise link is relative, so that runsvdir under the
// temporary root never follows one onto the host. It returns each found
// file's bytes and mode, by path relative to the root.
func VoidMachine(t testing.TB, root string) map[string]fileState {
	t.Helper()
	type f struct {
		path, body string
		mode       fs.FileMode
	}
	files := []f{
		{"etc/sv/web/run", "#!/bin/sh\nexec 2>&1\nexec sleep 1000\n", 0o755},
		{"etc/sv/web/log/run", "#!/bin/sh\nexec cat >/dev/null\n", 0o750},
		{"etc/sv/db/run", "#!/bin/sh\n[ -r conf ] && . ./conf\nexec chpst -e ./env sleep 1001\n", 0o755},
		{"etc/sv/db/finish", "#!/bin/sh\nexit 0\n", 0o700},
		{"etc/sv/db/conf", "OPTS=--fast\n", 0o644},
		{"etc/sv/db/env/PORT", "5432\n", 0o600},
		{"etc/sv/batch/run", "#!/bin/sh\nexec sleep 1002\n", 0o755},
		{"etc/sv/batch/down", "", 0o644},
		{"etc/sv/own/run", "#!/bin/sh\nexec sleep 1003\n", 0o755},
		{"etc/runit/1", "#!/bin/sh\n# Void's stage 1\n", 0o755},
		{"etc/runit/2", "#!/bin/sh\n# Void's stage 2\nrunsvdir -P /run/runit/runsvdir/current\n", 0o755},
		{"etc/runit/3", "#!/bin/sh\n# Void's stage 3\n", 0o755},
		{"etc/runit/ctrlaltdel", "#!/bin/sh\n# Void's ctrlaltdel\n", 0o744},
	}
	links := map[string]string{
		"etc/sv/web/supervise":             "../../../run/runit/supervise.web",
		"etc/sv/web/log/supervise":         "../../../../run/runit/supervise.web-log",
		"etc/sv/db/supervise":              "../../../run/runit/supervise.db",
		"etc/sv/batch/supervise":           "../../../run/runit/supervise.batch",
		"etc/runit/runsvdir/default/web":   "../../../sv/web",
		"etc/runit/runsvdir/default/db":    "../../../sv/db",
		"etc/runit/runsvdir/default/batch": "../../../sv/batch",
		"etc/runit/runsvdir/default/own":   "../../../sv/own",
		"etc/runit/runsvdir/single/web":    "/etc/sv/web",
		"etc/runit/runsvdir/current":       "default",
		"run/runit/runsvdir/current":       "../../../etc/runit/runsvdir/current",
		"var/service":                      "../run/runit/runsvdir/current",
	}
	want := map[string]fileState{}
	for _, x := range files {
		p := filepath.Join(root, x.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(x.body), x.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, x.mode); err != nil {
			t.Fatal(err)
		}
		want[x.path] = fileState{mode: x.mode, content: x.body}
	}
	for p, text := range links {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(text, full); err != nil {
			t.Fatal(err)
		}
		want[p] = fileState{mode: fs.ModeSymlink, content: text}
	}
	return want
}

// fileState is a file's mode and bytes, or a link's text.
type fileState struct {
	mode    fs.FileMode
	content string
}

// machineState reads what want names under root, as VoidMachine wrote it:
// a plain file or link at the same place, with the same bytes and mode.
func checkMachine(t *testing.T, root string, want map[string]fileState) {
	t.Helper()
	for p, w := range want {
		full := filepath.Join(root, p)
		fi, err := os.Lstat(full)
		if err != nil {
			t.Errorf("/%s: %v", p, err)
			continue
		}
		if w.mode&fs.ModeSymlink != 0 {
			text, err := os.Readlink(full)
			if err != nil || text != w.content {
				t.Errorf("/%s: link to %q (%v), want %q", p, text, err, w.content)
			}
			continue
		}
		if fi.Mode() != w.mode {
			t.Errorf("/%s: mode %v, want %v", p, fi.Mode(), w.mode)
		}
		b, _ := os.ReadFile(full)
		if string(b) != w.content {
			t.Errorf("/%s: %q, want %q", p, b, w.content)
		}
	}
}

// startVoidSupervisor runs our runsvdir on ROOT/var/service, as Void's
// stage 2 runs it on /run/runit/runsvdir/current.
func startVoidSupervisor(t *testing.T, root string) *testenv.Proc {
	bin, path := supervisor(t)
	cmd := exec.Command(bin, "-P", filepath.Join(root, "var/service"))
	cmd.Env = []string{"PATH=" + path}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := testenv.Start(t, cmd)
	t.Cleanup(func() { stopSupervision(p, root) })
	return p
}

// foundPIDs waits until web and db run from their found folders, and
// returns their pids (and web's logger's).
func foundPIDs(t *testing.T, root string) map[string]int {
	t.Helper()
	pids := map[string]int{}
	testenv.Eventually(t, 20*time.Second, func() string {
		for _, n := range []string{"web", "web/log", "db", "own"} {
			st, err := supervise.ReadStatus(filepath.Join(root, "etc/sv", n))
			if err != nil || st.State != supervise.StateRun || st.PID == 0 {
				return fmt.Sprintf("%s not running from its found folder: %v %+v", n, err, st)
			}
			pids[n] = st.PID
		}
		return ""
	})
	return pids
}

// TestTakeOverVoid takes a hand-made Void machine over, supervised by our
// runsvdir: apply records it as found as generation 0 and switches to a
// description of the same files, every service keeping its pid; then
// rollback to generation 0 gives the folders back as they were, byte for
// byte, mode for mode, inode for inode, the pids still the same.
func TestTakeOverVoid(t *testing.T) {
	root := t.TempDir()
	want := VoidMachine(t, root)
	inode := func(p string) uint64 {
		fi, err := os.Lstat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	svIno := inode("etc/sv/web")
	if os.Getenv("SYSCONF_TEST_RUNSVDIR") == "debian" {
		t.Skip("the handover needs our runsvdir; cmd/sysconf's TestTakeOverDebian takes over under Debian's")
	}
	startVoidSupervisor(t, root)
	before := foundPIDs(t, root)

	if l, why := DetectLayout(root); l.Name != "void" {
		t.Fatalf("DetectLayout = %s (%s), want void", l.Name, why)
	}
	g, err := OpenLayout(root, VoidLayout)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	found, err := g.Survey()
	if err != nil || found == nil {
		t.Fatalf("Survey: %v %v", found, err)
	}
	if found.Found.Level != "default" || strings.Join(found.Runlevels["single"], ",") != "web" || strings.Join(found.Runlevels["default"], ",") != "batch,db,own,web" {
		t.Fatalf("survey: level %s, runlevels %v", found.Found.Level, found.Runlevels)
	}
	if len(found.Found.Problems) > 0 {
		t.Errorf("survey problems: %v", found.Found.Problems)
	}
	// The description of the machine as it is (what sysconf import writes).
	m := found.Manifest
	ctx := context.Background()
	var events []string
	res, err := g.Apply(ctx, m, Options{Timeout: 20 * time.Second, Events: func(e Event) { events = append(events, e.Kind+" "+e.Service) }})
	if err != nil {
		t.Fatalf("takeover apply: %v (events %v)", err, events)
	}
	// own's process cannot be handed over (its new supervisor keeps its
	// state elsewhere): it restarts, once.
	if !res.TookOver || res.Generation != 1 || strings.Join(res.HandedOver, ",") != "batch,db,web" || strings.Join(res.Restarted, ",") != "own" || len(res.Started) != 0 {
		t.Fatalf("takeover: %+v", res)
	}
	if !gone(before["own"]) {
		t.Errorf("own's found instance (pid %d) still runs beside the new one", before["own"])
	}
	rec, _ := g.Load(1)
	for _, n := range []string{"web", "web/log", "db"} {
		st, err := supervise.ReadStatus(filepath.Join(root, rec.StorePaths[strings.TrimSuffix(n, "/log")], strings.TrimPrefix(n, strings.TrimSuffix(n, "/log"))))
		if err != nil || st.PID != before[n] {
			t.Errorf("%s after the takeover: pid %d (%v), want %d", n, st.PID, err, before[n])
		}
	}
	// /etc/sv is the generation's now; the found folders are in generation 0.
	if text, err := os.Readlink(filepath.Join(root, "etc/sv")); err != nil || !strings.Contains(text, "generations/1/sv") {
		t.Errorf("/etc/sv -> %q (%v), want generation 1's", text, err)
	}
	if got := inode(VoidLayout.FoundDir() + "/etc/sv/web"); got != svIno {
		t.Errorf("found web folder moved with a new inode")
	}
	for _, p := range []string{"etc/runit/2", "etc/runit/runsvdir/default", "etc/runit/runsvdir/single"} {
		if fi, err := os.Lstat(filepath.Join(root, p)); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("/%s is not sysconf's link after the takeover", p)
		}
	}
	for p, w := range want {
		if strings.HasPrefix(p, "etc/sv/") && w.mode&fs.ModeSymlink == 0 {
			full := filepath.Join(root, p)
			b, err := os.ReadFile(full)
			fi, _ := os.Stat(full)
			if err != nil || string(b) != w.content || fi.Mode() != w.mode&^0o222 {
				t.Errorf("/%s through the store: %q %v, want %q %v", p, b, fi.Mode(), w.content, w.mode&^0o222)
			}
		}
	}
	// A second apply of the same description changes nothing.
	if res, err := g.Apply(ctx, m, Options{Timeout: 20 * time.Second}); err != nil || res.Created {
		t.Fatalf("second apply: %+v %v", res, err)
	}

	// Back to the machine as found.
	res, err = g.Rollback(ctx, 0, Options{Timeout: 20 * time.Second})
	if err != nil || res.Generation != 0 || strings.Join(res.HandedOver, ",") != "batch,db,web" || strings.Join(res.Restarted, ",") != "own" {
		t.Fatalf("rollback to the machine as found: %+v %v", res, err)
	}
	checkMachine(t, root, want)
	if got := inode("etc/sv/web"); got != svIno {
		t.Errorf("/etc/sv/web has a new inode after rollback")
	}
	if fi, err := os.Lstat(filepath.Join(root, "etc/sv")); err != nil || !fi.IsDir() {
		t.Errorf("/etc/sv is not a plain folder again")
	}
	back := foundPIDs(t, root)
	for n, pid := range before {
		if n != "own" && back[n] != pid {
			t.Errorf("%s after rollback: pid %d, want %d", n, back[n], pid)
		}
	}
	var leftovers []string
	filepath.WalkDir(filepath.Join(root, "etc"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(p, "sysconf") {
			leftovers = append(leftovers, p)
		}
		return nil
	})
	sort.Strings(leftovers)
	if len(leftovers) > 0 {
		t.Errorf("left in /etc: %v", leftovers)
	}

	// Taken over again: the same generation 1, the same pids.
	res, err = g.Apply(ctx, m, Options{Timeout: 20 * time.Second})
	if err != nil || !res.TookOver || strings.Join(res.Restarted, ",") != "own" {
		t.Fatalf("second takeover: %+v %v", res, err)
	}
	if st, _ := supervise.ReadStatus(filepath.Join(root, "etc/sv/db")); st.PID != before["db"] {
		t.Errorf("db after the second takeover: pid %d, want %d", st.PID, before["db"])
	}
}

// checkTaken asserts that root runs generation rec of a taken-over Void
// machine whole: /etc/sv and every runlevel link lead into its store
// entries, current into its runlevel, /var/service to current; the stage
// scripts are wholly the found ones (rec is not the boot default yet) or
// wholly rec's.
func checkTaken(t *testing.T, root string, rec *Record, found map[string]fileState) {
	t.Helper()
	l := VoidLayout
	for level, names := range rec.Runlevels {
		for _, n := range names {
			got, err := filepath.EvalSymlinks(filepath.Join(root, l.Runlevels, level, n))
			if err != nil || got != filepath.Join(root, rec.StorePaths[n]) {
				t.Errorf("generation %d: runlevel %s: %s -> %s (%v)", rec.Number, level, n, got, err)
			}
		}
	}
	for n, p := range rec.StorePaths {
		got, err := filepath.EvalSymlinks(filepath.Join(root, l.Definitions, n))
		if err != nil || got != filepath.Join(root, p) {
			t.Errorf("generation %d: /etc/sv/%s -> %s (%v)", rec.Number, n, got, err)
		}
	}
	cur, _ := filepath.EvalSymlinks(filepath.Join(root, l.Current()))
	watched, _ := filepath.EvalSymlinks(filepath.Join(root, l.Service))
	if cur != filepath.Join(root, l.RunlevelDir(rec.Number, "default")) || watched != cur {
		t.Errorf("generation %d: current -> %s, /var/service -> %s", rec.Number, cur, watched)
	}
	foundStages, ours := 0, 0
	for _, n := range StageNames {
		p := l.StageScript(n)
		fi, err := os.Lstat(filepath.Join(root, p))
		switch {
		case err != nil:
			t.Errorf("/%s: %v", p, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			ours++
		default:
			b, _ := os.ReadFile(filepath.Join(root, p))
			if string(b) != found[p].content || fi.Mode() != found[p].mode {
				t.Errorf("/%s is neither the found one nor sysconf's", p)
			}
			foundStages++
		}
	}
	if foundStages != 0 && ours != 0 {
		t.Errorf("stage scripts mixed: %d found, %d sysconf's", foundStages, ours)
	}
}

// TestCrashTakeover kills the takeover apply, then the rollback to the
// machine as found, after each of their steps in turn: once the next
// command has finished (or undone) the interrupted activation, the machine
// is as found, exactly, or runs generation 1 whole; and the next apply and
// rollback succeed.
func TestCrashTakeover(t *testing.T) {
	survey := func(root string) Manifest {
		g, err := OpenLayout(root, VoidLayout)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		found, err := g.Survey()
		if err != nil || found == nil {
			t.Fatalf("Survey: %v %v", found, err)
		}
		m := found.Manifest
		m.Services = append(m.Services, e2eSvc(root, "new", "1"))
		m.Runlevels[0].Services = append(m.Runlevels[0].Services, "new")
		return m
	}
	crash := func(root string, m Manifest, rollback bool, k int) bool {
		arg, _ := json.Marshal(map[string]any{"Root": root, "Manifest": m, "Layout": VoidLayout, "Rollback": rollback})
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperApply$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(arg), crashEnv+"="+itoa(k))
		_, stderr, code := testenv.Run(t, 60*time.Second, cmd)
		if ps := cmd.ProcessState.Sys().(syscall.WaitStatus); !ps.Signaled() {
			if code != 0 {
				t.Fatalf("k=%d: child failed: %s", k, stderr)
			}
			return false
		}
		return true
	}
	// recovered runs the recovery of the next switching command, and
	// reports whether the machine is as found (else it runs generation 1).
	recovered := func(root string, want map[string]fileState, k int) bool {
		g, err := OpenLayout(root, VoidLayout)
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		if err := g.locked(finishFirst, func(state) error { return nil }); err != nil {
			t.Fatalf("k=%d: recovery: %v", k, err)
		}
		if fi, err := os.Lstat(filepath.Join(root, "etc/sv")); err == nil && fi.IsDir() {
			// As found; the stage scripts too, unless the crash came
			// before the machine as found became the boot default
			// again: they are then wholly generation 1's still.
			found := map[string]fileState{}
			for p, f := range want {
				if !VoidLayout.isStage(p) {
					found[p] = f
				}
			}
			checkMachine(t, root, found)
			if b, _ := os.Readlink(filepath.Join(root, VoidLayout.BootLink())); b == "generations/0" || b == "" {
				checkMachine(t, root, want)
			} else {
				for _, n := range StageNames {
					if fi, err := os.Lstat(filepath.Join(root, VoidLayout.StageScript(n))); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
						t.Errorf("k=%d: boot -> %s, yet /%s is not its link", k, b, VoidLayout.StageScript(n))
					}
				}
			}
			return true
		}
		rec, _, err := g.Current()
		if err != nil || rec == nil || rec.Number != 1 {
			t.Fatalf("k=%d: neither the machine as found nor generation 1: %v %v", k, rec, err)
		}
		checkTaken(t, root, rec, want)
		return false
	}
	for _, rollback := range []bool{false, true} {
		for k := 1; ; k++ {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
				t.Fatal(err)
			}
			want := VoidMachine(t, root)
			m := survey(root)
			g, err := OpenLayout(root, VoidLayout)
			if err != nil {
				t.Fatal(err)
			}
			if rollback {
				if _, err := g.Apply(context.Background(), m, Options{}); err != nil {
					t.Fatal(err)
				}
			}
			if !crash(root, m, rollback, k) {
				t.Logf("rollback %v: %d steps, killed after each", rollback, k-1)
				g.Close()
				break
			}
			asFound := recovered(root, want, k)
			if t.Failed() {
				t.Fatalf("rollback %v, k=%d: not whole after the crash", rollback, k)
			}
			// The next switches succeed, whole.
			if asFound {
				if _, err := g.Apply(context.Background(), m, Options{}); err != nil {
					t.Fatalf("k=%d: apply after the crash: %v", k, err)
				}
			}
			rec, _, _ := g.Current()
			checkTaken(t, root, rec, want)
			if _, err := g.Rollback(context.Background(), FoundGeneration, Options{}); err != nil {
				t.Fatalf("k=%d: rollback after the crash: %v", k, err)
			}
			checkMachine(t, root, want)
			g.Close()
			if t.Failed() {
				t.Fatalf("rollback %v, k=%d failed", rollback, k)
			}
		}
	}
}
