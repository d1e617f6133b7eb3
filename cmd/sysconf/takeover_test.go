package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// machineFile is one file of a hand-made machine: its bytes and mode, or
// (mode fs.ModeSymlink) a link's text.
type machineFile struct {
	mode fs.FileMode
	body string
}

// makeMachine writes files under root, every mode exactly.
func makeMachine(t *testing.T, root string, files map[string]machineFile) {
	t.Helper()
	for p, f := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if f.mode&fs.ModeSymlink != 0 {
			if err := os.Symlink(f.body, full); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(full, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, f.mode); err != nil {
			t.Fatal(err)
		}
	}
}

// checkFiles compares the files under root with want; strip is the
// permission the comparison ignores (the store keeps no write bits).
func checkFiles(t *testing.T, root string, want map[string]machineFile, strip fs.FileMode, only string) {
	t.Helper()
	for p, w := range want {
		if !strings.HasPrefix(p, only) {
			continue
		}
		full := filepath.Join(root, p)
		if strip != 0 && strings.HasSuffix(p, "/supervise") {
			continue // the store links supervise itself, to the same folder
		}
		if w.mode&fs.ModeSymlink != 0 {
			if text, err := os.Readlink(full); err != nil || text != w.body {
				t.Errorf("/%s: link to %q (%v), want %q", p, text, err, w.body)
			}
			continue
		}
		fi, err := os.Stat(full)
		if err != nil {
			t.Errorf("/%s: %v", p, err)
			continue
		}
		if fi.Mode() != w.mode&^strip {
			t.Errorf("/%s: mode %v, want %v", p, fi.Mode(), w.mode&^strip)
		}
		if b, _ := os.ReadFile(full); string(b) != w.body {
			t.Errorf("/%s: %q, want %q", p, b, w.body)
		}
	}
}

// voidMachine is a machine laid out as Void's runit-void lays it out: in
// /etc/sv a service with a log, one with conf, env/ and finish, one with
// down; runlevels default and single, single with absolute links (as
// Void writes them); current -> default; /var/service leading to it
// through /run/runit/runsvdir/current; the stage scripts. The links
// runsvdir follows are relative, so that under a temporary root it never
// reaches the host.
func voidMachine() map[string]machineFile {
	f := func(mode fs.FileMode, body string) machineFile { return machineFile{mode, body} }
	l := func(text string) machineFile { return machineFile{fs.ModeSymlink, text} }
	return map[string]machineFile{
		"etc/sv/web/run":                   f(0o755, "#!/bin/sh\nexec 2>&1\nexec sleep 1000\n"),
		"etc/sv/web/log/run":               f(0o750, "#!/bin/sh\nexec cat >/dev/null\n"),
		"etc/sv/web/supervise":             l("../../../run/runit/supervise.web"),
		"etc/sv/web/log/supervise":         l("../../../../run/runit/supervise.web-log"),
		"etc/sv/db/run":                    f(0o755, "#!/bin/sh\n[ -r ./conf ] && . ./conf\nif [ -n \"$OPTS\" ]; then\n\texec chpst -e ./env sleep 1001\nfi\n"),
		"etc/sv/db/finish":                 f(0o700, "\t# indented, as some finish scripts are\n\texit 0\n"),
		"etc/sv/db/conf":                   f(0o644, "OPTS=--fast\n"),
		"etc/sv/db/env/PORT":               f(0o600, "5432\n"),
		"etc/sv/db/supervise":              l("../../../run/runit/supervise.db"),
		"etc/sv/batch/run":                 f(0o755, "#!/bin/sh\nexec sleep 1002"),
		"etc/sv/batch/down":                f(0o644, ""),
		"etc/sv/batch/supervise":           l("../../../run/runit/supervise.batch"),
		"etc/runit/runsvdir/default/web":   l("../../../sv/web"),
		"etc/runit/runsvdir/default/db":    l("../../../sv/db"),
		"etc/runit/runsvdir/default/batch": l("../../../sv/batch"),
		"etc/runit/runsvdir/single/web":    l("/etc/sv/web"),
		"etc/runit/runsvdir/current":       l("default"),
		"run/runit/runsvdir/current":       l("../../../etc/runit/runsvdir/current"),
		"var/service":                      l("../run/runit/runsvdir/current"),
		"etc/runit/1":                      f(0o755, "#!/bin/sh\n# Void's stage 1\n"),
		"etc/runit/2":                      f(0o755, "#!/bin/sh\nrunsvdir -P /run/runit/runsvdir/current 'log: ...'\n"),
		"etc/runit/3":                      f(0o755, "#!/bin/sh\n# Void's stage 3\n"),
		"etc/runit/ctrlaltdel":             f(0o744, "#!/bin/sh\n# Void's ctrlaltdel\n"),
	}
}

// sysconfOut runs sysconf within a minute, wants exit code want, and
// returns its stdout and stderr.
func sysconfOut(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command("sysconf", args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stdout, stderr, code := testenv.Run(t, time.Minute, cmd)
	if code != want {
		t.Fatalf("sysconf %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// superviseAt runs a runsvdir (bin, with runsv found in path) on
// ROOT/watch. When the test ends, SIGHUP asks it to stop every
// supervisor; testenv stops, by PID, whatever it started that is left.
func superviseAt(t *testing.T, root, watch, bin, path string) {
	cmd := exec.Command(bin, "-P", filepath.Join(root, watch))
	cmd.Env = []string{"PATH=" + path}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := testenv.Start(t, cmd)
	t.Cleanup(func() {
		_ = p.Signal(syscall.SIGHUP)
		deadline := time.Now().Add(10 * time.Second)
		for !p.Exited() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// runningPIDs waits until each service folder (relative to root) runs,
// and returns their pids.
func runningPIDs(t *testing.T, root string, dirs ...string) map[string]int {
	t.Helper()
	pids := map[string]int{}
	testenv.Eventually(t, 20*time.Second, func() string {
		for _, d := range dirs {
			st, err := supervise.ReadStatus(filepath.Join(root, d))
			if err != nil || st.State != supervise.StateRun || st.PID == 0 {
				return d + " not running"
			}
			pids[d] = st.PID
		}
		return ""
	})
	return pids
}

// TestTakeOverVoid is the takeover from a user's side: a Void machine made
// by hand, supervised by our runsvdir; sysconf import writes its
// description (which sysconf fmt leaves as it is), apply takes the
// machine over without restarting anything, plan then sees no change, and
// rollback gives the machine back as found, byte for byte, mode for mode,
// the same pids throughout.
func TestTakeOverVoid(t *testing.T) {
	root := t.TempDir()
	want := voidMachine()
	makeMachine(t, root, want)
	bin := testenv.RunitBin(t)
	superviseAt(t, root, "var/service", filepath.Join(bin, "runsvdir"), bin+":/bin:/usr/bin")
	svcs := []string{"etc/sv/web", "etc/sv/web/log", "etc/sv/db"}
	before := runningPIDs(t, root, svcs...)

	conf := filepath.Join(root, "etc/sysconf")
	_, stderr := sysconfOut(t, 0, "import", "--root", root, "-o", conf)
	if !strings.Contains(stderr, "layout: void (detected") {
		t.Errorf("import does not say it found a void layout:\n%s", stderr)
	}
	if out, _ := sysconfOut(t, 0, "fmt", "-check", conf); out != "" {
		t.Errorf("sysconf fmt would change the imported description: %s", out)
	}
	src, _ := os.ReadFile(filepath.Join(conf, "system.hcl"))
	for _, s := range []string{`layout = "void"`, `stage "2"`, `file "env/PORT"`, `services = [service.batch, service.db, service.web]`, `source = "files/batch/run"`, `source = "files/db/finish"`} {
		if !strings.Contains(string(src), s) {
			t.Errorf("the imported description has no %s:\n%s", s, src)
		}
	}

	_, stderr = sysconfOut(t, 0, "apply", "--root", root, "--timeout", "20s")
	for _, s := range []string{"layout: void", "recorded the machine as found as generation 0", "kept running web", "generation 1 is current: 0 started, 0 restarted, 0 stopped, 3 kept"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("apply does not say %q:\n%s", s, stderr)
		}
	}
	if after := runningPIDs(t, root, svcs...); after["etc/sv/web"] != before["etc/sv/web"] || after["etc/sv/web/log"] != before["etc/sv/web/log"] || after["etc/sv/db"] != before["etc/sv/db"] {
		t.Errorf("the takeover restarted a service: pids %v, then %v", before, after)
	}
	if fi, err := os.Lstat(filepath.Join(root, "etc/sv")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("/etc/sv is not sysconf's link after apply")
	}
	// Every file through /etc/sv, as found but for the write bits.
	checkFiles(t, root, want, 0o222, "etc/sv/")
	out, _ := sysconfOut(t, 0, "plan", "--root", root, "--detailed-exitcode")
	if !strings.Contains(out, "No changes: 3 services unchanged.") {
		t.Errorf("plan after the takeover:\n%s", out)
	}

	_, stderr = sysconfOut(t, 0, "rollback", "--root", root, "--timeout", "20s")
	if !strings.Contains(stderr, "generation 0 is current (was 1)") {
		t.Errorf("rollback does not go back to generation 0:\n%s", stderr)
	}
	checkFiles(t, root, want, 0, "")
	if fi, err := os.Lstat(filepath.Join(root, "etc/sv")); err != nil || !fi.IsDir() {
		t.Errorf("/etc/sv is not a plain folder again")
	}
	if out, _ := sysconfOut(t, 0, "generations", "--root", root); !strings.Contains(out, "as found") || !strings.Contains(out, "current(default),boot") {
		t.Errorf("generations after the rollback:\n%s", out)
	}
	if out, _ := sysconfOut(t, 0, "status", "--root", root); !strings.HasPrefix(out, "generation 0, runlevel default") {
		t.Errorf("status after the rollback:\n%s", out)
	}
	if back := runningPIDs(t, root, svcs...); back["etc/sv/web"] != before["etc/sv/web"] || back["etc/sv/db"] != before["etc/sv/db"] {
		t.Errorf("the rollback restarted a service: pids %v, then %v", before, back)
	}

	// Taken over again, then back with --to 0.
	sysconfOut(t, 0, "apply", "--root", root, "--timeout", "20s")
	sysconfOut(t, 0, "rollback", "--root", root, "--to", "0", "--timeout", "20s")
	checkFiles(t, root, want, 0, "")
}

// TestTakeOverDebian takes over a machine laid out as Debian's runit
// package lays it out, supervised by Debian's runsvdir and runsv: they
// know no handover, so each running service restarts once, and apply
// says which.
func TestTakeOverDebian(t *testing.T) {
	root := t.TempDir()
	f := func(mode fs.FileMode, body string) machineFile { return machineFile{mode, body} }
	l := func(text string) machineFile { return machineFile{fs.ModeSymlink, text} }
	want := map[string]machineFile{
		"etc/sv/ssh/run":                  f(0o755, "#!/bin/sh\nexec sleep 1003\n"),
		"etc/sv/ssh/supervise":            l("../../../run/runit/supervise/ssh"),
		"etc/sv/cron/run":                 f(0o755, "#!/bin/sh\nexec sleep 1004\n"),
		"etc/sv/cron/supervise":           l("../../../run/runit/supervise/cron"),
		"etc/runit/runsvdir/default/ssh":  l("../../../sv/ssh"),
		"etc/runit/runsvdir/default/cron": l("../../../sv/cron"),
		"etc/runit/runsvdir/current":      l("default"),
		"etc/service":                     l("runit/runsvdir/current"),
		"etc/runit/2":                     f(0o755, "#!/bin/sh\nexec runsvdir -P /etc/service\n"),
		"run/runit/supervise/.keep":       f(0o644, ""),
	}
	makeMachine(t, root, want)
	// Debian's package ships an empty runlevel a description cannot name.
	if err := os.Mkdir(filepath.Join(root, "etc/runit/runsvdir/default.run"), 0o755); err != nil {
		t.Fatal(err)
	}
	runsvdir := testenv.DebianRunit(t, "runsvdir")
	superviseAt(t, root, "etc/service", runsvdir, filepath.Dir(runsvdir)+":/bin:/usr/bin")
	before := runningPIDs(t, root, "etc/sv/ssh", "etc/sv/cron")

	conf := filepath.Join(root, "etc/sysconf")
	_, stderr := sysconfOut(t, 0, "import", "--root", root, "-o", conf)
	if !strings.Contains(stderr, "layout: debian") || !strings.Contains(stderr, "warning: runlevel default.run: a description cannot name it") {
		t.Errorf("import does not say it found a debian layout, or does not report default.run:\n%s", stderr)
	}
	_, stderr = sysconfOut(t, 0, "apply", "--root", root, "--timeout", "20s")
	if !strings.Contains(stderr, "restarted once by the takeover: cron, ssh") {
		t.Errorf("apply does not say which services restarted:\n%s", stderr)
	}
	rec := runningPIDs(t, root, "etc/sv/ssh", "etc/sv/cron")
	if rec["etc/sv/ssh"] == before["etc/sv/ssh"] {
		t.Errorf("ssh kept pid %d under Debian's runsv, which knows no handover", before["etc/sv/ssh"])
	}
	sysconfOut(t, 0, "plan", "--root", root, "--detailed-exitcode")
	sysconfOut(t, 0, "rollback", "--root", root, "--timeout", "20s")
	checkFiles(t, root, want, 0, "")
	if fi, err := os.Lstat(filepath.Join(root, "etc/runit/runsvdir/default.run")); err != nil || !fi.IsDir() {
		t.Errorf("default.run is not given back: %v", err)
	}
	runningPIDs(t, root, "etc/sv/ssh", "etc/sv/cron")
}
