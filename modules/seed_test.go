package modules_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// TestSeedExample validates and plans examples/seed, the seed's whole
// machine, with the sysconf program: every module of the seed is in it,
// in the runlevels the seed describes, with joe's account.
func TestSeedExample(t *testing.T) {
	sysconf := filepath.Join(programs(t), "sysconf")
	seed := filepath.Join(moduleRoot(), "examples", "seed")
	run := func(args ...string) string {
		t.Helper()
		out, errOut, code := testenv.Run(t, 30*time.Second, exec.Command(sysconf, args...))
		if code != 0 {
			t.Fatalf("sysconf %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out + errOut
	}
	if out := run("validate", "-c", seed); !strings.Contains(out, "valid: 9 services, 2 runlevels") {
		t.Errorf("validate: %s", out)
	}
	run("fmt", "-check", seed)
	plan := run("plan", "-c", seed, "--root", t.TempDir())
	for _, s := range []string{
		"console.getty-tty2", "console.getty-tty3", "joe.runsvdir", "joe_x.xinit",
		"db.postgresql", "pg_shm.pg_shm", "ssh.sshd", "cron.cron", "syslog.socklog",
	} {
		if !strings.Contains(plan, "+ service "+s+" (") {
			t.Errorf("plan has no service %s:\n%s", s, plan)
		}
	}
	_, single, _ := strings.Cut(plan, "+ runlevel single\n")
	single, _, _ = strings.Cut(single, "+ file")
	if want := "    + console.getty-tty2\n    + ssh.sshd\n    + syslog.socklog\n"; single != want {
		t.Errorf("runlevel single:\n%s\nwant\n%s", single, want)
	}
	if !strings.Contains(plan, "\n+ user joe\n") {
		t.Errorf("plan does not make joe's account:\n%s", plan)
	}
	if !strings.Contains(plan, "Plan: 9 to add, 0 to change, 0 to remove") {
		t.Errorf("plan:\n%s", plan)
	}
}

// TestModulesFormatted: every shipped module is in sysconf fmt's layout.
func TestModulesFormatted(t *testing.T) {
	sysconf := filepath.Join(programs(t), "sysconf")
	dirs, err := filepath.Glob(filepath.Join(moduleRoot(), "modules", "*", "*.hcl"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no modules: %v", err)
	}
	args := append([]string{"fmt", "-check", "-diff"}, dirs...)
	if out, errOut, code := testenv.Run(t, 30*time.Second, exec.Command(sysconf, args...)); code != 0 {
		t.Errorf("sysconf fmt -check: exit %d\n%s%s", code, out, errOut)
	}
}
