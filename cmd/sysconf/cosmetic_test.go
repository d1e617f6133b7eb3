package main

import (
	"bytes"
	"fmt"
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

// cosmeticDir holds one description per way of writing the same machine:
// base/ is the original; every other folder but changed/ says the same
// thing differently (see TestCosmeticEditsKeepServices).
const cosmeticDir = "testdata/cosmetic"

// cosmeticServices are the supervised folders of base/, relative to
// ROOT/service: every service and web's log.
var cosmeticServices = []string{"tick-a", "tick-b", "web", "web/log", "worker"}

// TestCosmeticEditsKeepServices applies base/ under a temporary root with
// our runsvdir, then each edit that changes only how the description is
// written. For each, plan --detailed-exitcode exits 0 and apply keeps the
// PID of every running service. changed/ is the control: a real change
// restarts exactly the service it changes.
func TestCosmeticEditsKeepServices(t *testing.T) {
	if _, err := exec.LookPath("sysconf"); err != nil {
		t.Fatalf("sysconf is not on PATH (TestMain puts it there): %v", err)
	}
	base := filepath.Join(cosmeticDir, "base")
	tests := []struct {
		name      string
		orig      string   // applied first; base/ when empty
		edit      string   // the folder applied second; orig when empty
		vars      []string // -var options for the second apply
		fmt       bool     // run sysconf fmt on a copy of orig and apply that
		restarted []string // services the second apply restarts
	}{
		{name: "comment line at the top", edit: "comment_top"},
		{name: "file renamed", edit: "file_renamed"},
		{name: "blocks reordered", edit: "blocks_reordered"},
		{name: "block moved to another file", edit: "block_moved"},
		{name: "files merged", orig: "split", edit: "base"},
		{name: "formatting changed", edit: "formatting"},
		{name: "module output instead of inline", edit: "module"},
		{name: "module folder moved", orig: "module", edit: "module_moved"},
		{name: "sysconf fmt on a badly formatted file", orig: "formatting", fmt: true},
		{name: "var equal to the default", vars: []string{"-var", "port=8080", "-var", "greeting=hello"}},
		{name: "a real change restarts its service", edit: "changed", restarted: []string{"web", "web/log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			orig := base
			if tt.orig != "" {
				orig = filepath.Join(cosmeticDir, tt.orig)
			}
			edit := orig
			if tt.edit != "" {
				edit = filepath.Join(cosmeticDir, tt.edit)
			}
			if tt.fmt {
				edit = copyDir(t, orig)
				sysconf(t, 0, "fmt", "-c", edit)
				a, _ := os.ReadFile(filepath.Join(orig, "main.hcl"))
				b, _ := os.ReadFile(filepath.Join(edit, "main.hcl"))
				if bytes.Equal(a, b) {
					t.Fatalf("sysconf fmt left %s as it was: the fixture is not badly formatted", orig)
				}
			}
			sysconf(t, 0, "apply", "--root", root, "-c", orig)
			startRunsvdir(t, root)
			before := servicePIDs(t, root)

			want := 0
			if len(tt.restarted) > 0 {
				want = 2
			}
			out := sysconf(t, want, append([]string{"plan", "--detailed-exitcode", "--root", root, "-c", edit}, tt.vars...)...)
			if want == 0 && !strings.Contains(out, "No changes: 4 services unchanged.") {
				t.Errorf("plan:\n%s", out)
			}
			sysconf(t, 0, append([]string{"apply", "--root", root, "-c", edit}, tt.vars...)...)
			after := servicePIDs(t, root)
			for _, n := range cosmeticServices {
				restarted := false
				for _, r := range tt.restarted {
					restarted = restarted || r == n
				}
				if same := before[n] == after[n]; same == restarted {
					t.Errorf("%s: pid %d -> %d, restart wanted: %v", n, before[n], after[n], restarted)
				}
			}
		})
	}
}

// sysconf runs the sysconf command within a minute, wants exit code want
// and returns its stdout.
func sysconf(t *testing.T, want int, args ...string) string {
	t.Helper()
	cmd := exec.Command("sysconf", args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	stdout, stderr, code := testenv.Run(t, time.Minute, cmd)
	if code != want {
		t.Fatalf("sysconf %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// startRunsvdir runs our runsvdir on ROOT/service. When the test ends,
// SIGHUP asks it to stop every supervisor (and so every service); then
// testenv stops, by PID, whatever it started that is left.
func startRunsvdir(t *testing.T, root string) {
	bin := testenv.RunitBin(t)
	cmd := exec.Command(filepath.Join(bin, "runsvdir"), "-P", filepath.Join(root, "service"))
	cmd.Env = []string{"PATH=" + bin + ":/bin:/usr/bin"}
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

// servicePIDs waits until every service of cosmeticServices runs, and
// returns their PIDs. apply returns once the services it started are up,
// so a service that it restarted shows its new PID here.
func servicePIDs(t *testing.T, root string) map[string]int {
	t.Helper()
	pids := map[string]int{}
	testenv.Eventually(t, 20*time.Second, func() string {
		for _, n := range cosmeticServices {
			st, err := supervise.ReadStatus(filepath.Join(root, "service", n))
			if err != nil || st.State != supervise.StateRun || st.PID == 0 {
				return fmt.Sprintf("%s not running: %v %+v", n, err, st)
			}
			// A worker started before web's supervisor (or before web
			// itself) exits at its depends_on check and runs again a
			// second later: only an instance older than that is the one
			// that stays.
			if age := time.Since(st.Since.Time()); age < 1100*time.Millisecond {
				return fmt.Sprintf("%s running for only %v", n, age)
			}
			pids[n] = st.PID
		}
		return ""
	})
	return pids
}
