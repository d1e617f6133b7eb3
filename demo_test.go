package sysconf_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sysconf/internal/runitnames"
	"sysconf/internal/testenv"
)

// TestDemo runs the README's first command (examples/demo.sh, what make
// demo runs) with freshly built programs, and checks that it applied the
// example machine under our runsvdir, showed it whole, applied a change
// that restarted only the two changed services, rolled it back, and left
// nothing behind.
func TestDemo(t *testing.T) {
	bin := t.TempDir()
	// Run as root, the demo's loggers drop to an unprivileged account
	// (planner.LogUser), which must reach the programs in bin, as it
	// reaches /usr/bin on a machine: TempDir's top folder is private.
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "sysconf"), "./cmd/sysconf")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/sysconf: %v\n%s", err, out)
	}
	for _, n := range runitnames.Names() {
		if err := os.Symlink(testenv.Tool(t, n), filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	cmd := exec.Command("./examples/demo.sh")
	cmd.Env = append(os.Environ(), "SYSCONF_DEMO_BIN="+bin, "TMPDIR="+tmp)
	p := testenv.Start(t, cmd)
	code := p.Wait(t, 120*time.Second)
	// sysconf prints plans and tables on stdout, its progress on stderr.
	out := p.Stdout.String() + p.Stderr.String()
	if code != 0 {
		t.Fatalf("demo.sh: exit %d\n%s", code, out)
	}
	if n := len(regexp.MustCompile(`(?m)^(clock|greeter|reader|worker-[0-9]{2}) +run +[0-9]+ `).FindAllString(out, -1)); n != 20 {
		t.Errorf("sysconf status shows %d running services, want 20:\n%s", n, out)
	}
	for _, want := range []string{
		"generation 1 is current: 20 started",
		"Plan: 0 to add, 2 to change, 0 to remove, 18 unchanged.",
		"generation 2 is current: 0 started, 2 restarted, 0 stopped, 18 kept",
		"generation 1 is current (was 2): 0 started, 2 restarted, 0 stopped, 18 kept",
		"hello from greeter",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output has no %q:\n%s", want, out)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "sysconf-demo.*")); len(left) != 0 {
		t.Errorf("demo left %v behind", left)
	}
	// Every service and supervisor works in the root: none may outlive it.
	procs, _ := filepath.Glob("/proc/[0-9]*/cwd")
	for _, c := range procs {
		if dir, err := os.Readlink(c); err == nil && strings.HasPrefix(dir, tmp) {
			cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(c), "cmdline"))
			t.Errorf("%s still runs in %s: %q", filepath.Dir(c), dir, cmdline)
		}
	}
}
