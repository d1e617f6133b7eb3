package planner

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/config"
	"sysconf/generations"
	"sysconf/internal/testenv"
)

// TestRunUnderRoot runs the small example's planned services with Debian's
// runsvdir under a temporary root: the reader waits for the clock through
// $SVDIR, and both log under ROOT/var/log/sysconf, reached from the store.
// Run as root, the loggers run as LogUser, found in ROOT/etc/passwd (as
// activation writes it; the host has no such account), and own their logs.
func TestRunUnderRoot(t *testing.T) {
	runsvdir := testenv.DebianRunit(t, "runsvdir")
	testenv.DebianRunit(t, "svlogd")
	testenv.DebianRunit(t, "chpst")
	root := t.TempDir()
	state := filepath.Join(root, "state")
	sys, diags := config.Load(config.Options{FS: os.DirFS("../examples"), Path: "small.hcl", Vars: []string{"state=" + state}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m := Plan(sys)
	const logUID, logGID = 991, 992
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := fmt.Sprintf("root:x:0:0::/root:/bin/sh\n%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n", LogUser, logUID, logGID)
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	// The reader's logs so far, written as root: svlogd goes on with them
	// as the log account. A file of someone else's in the folder stays.
	oldLog := filepath.Join(root, "var/log/sysconf/reader")
	if err := os.MkdirAll(oldLog, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"current", "other"} {
		if err := os.WriteFile(filepath.Join(oldLog, f), []byte("old line\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	svdir := filepath.Join(root, "service")
	if err := os.MkdirAll(svdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Services {
		if s.Name != "clock" && s.Name != "reader" {
			continue
		}
		dir := filepath.Join(root, generations.SandboxLayout.StorePath(s))
		for _, e := range s.Tree {
			p := filepath.Join(dir, e.Path)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, e.Content, e.Mode.Perm()); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(dir, filepath.Join(svdir, s.Name)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(runsvdir, svdir)
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "SVDIR=" + svdir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := testenv.Start(t, cmd)
	defer func() {
		// runsvdir passes HUP on as TERM to every runsv, which stops its
		// service and log; the group kill at cleanup is the backstop.
		_ = p.Signal(syscall.SIGHUP)
		p.Wait(t, 10*time.Second)
	}()
	current := filepath.Join(root, "var/log/sysconf/reader/current")
	testenv.Eventually(t, 20*time.Second, func() string {
		b, err := os.ReadFile(current)
		if err != nil {
			return err.Error()
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "reader: tick 1") {
				return ""
			}
		}
		return "reader log: " + string(b)
	})
	if os.Geteuid() == 0 {
		// svlogd created current: it ran as the log account.
		for _, p := range []string{"var/log/sysconf/reader", "var/log/sysconf/reader/current"} {
			fi, err := os.Stat(filepath.Join(root, p))
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != logUID || st.Gid != logGID {
				t.Errorf("/%s is owned by %d:%d, want the log account's %d:%d", p, st.Uid, st.Gid, logUID, logGID)
			}
		}
		if fi, err := os.Stat(filepath.Join(oldLog, "other")); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("a file that is not svlogd's changed owner: %v", err)
		}
	}
	// svlogd keeps it in current, or rotates it (a current that was not
	// closed cleanly becomes @….u).
	kept, _ := filepath.Glob(filepath.Join(oldLog, "[@c]*"))
	found := false
	for _, f := range kept {
		if b, _ := os.ReadFile(f); strings.HasPrefix(string(b), "old line\n") {
			found = true
		}
	}
	if !found {
		t.Errorf("the log so far was lost: %v", kept)
	}
	cfg, err := os.ReadFile(filepath.Join(root, "var/log/sysconf/reader/config"))
	if err != nil || !strings.Contains(string(cfg), "preader: ") {
		t.Errorf("log config = %q, %v", cfg, err)
	}
	// The clock's logger starts on its own time, maybe after the reader's.
	testenv.Eventually(t, 10*time.Second, func() string {
		if _, err := os.Stat(filepath.Join(root, "var/log/sysconf/clock/current")); err != nil {
			return "clock log: " + err.Error()
		}
		return ""
	})
}
