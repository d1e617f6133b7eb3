package planner

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"sysconf/generations"
	"sysconf/internal/testenv"
	"sysconf/internal/vm"
)

// chrootTree makes root a tiny machine for running stage scripts in a
// chroot: the host's static busybox for the shell and tools, and our
// static runit under its names.
func chrootTree(t *testing.T, root string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for chroot")
	}
	bb := vm.FindBusybox()
	if bb == "" {
		t.Skip("needs a static busybox (apt-get install busybox-static)")
	}
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(bb, filepath.Join(bin, "busybox"))
	for _, n := range []string{"runit", "sv"} {
		copyFile(testenv.Tool(t, n), filepath.Join(bin, n))
	}
	for _, a := range []string{"sh", "readlink", "cat", "echo", "grep", "mkdir", "chmod", "hostname", "env", "ls", "sync", "ln", "mv", "rm", "cut"} {
		if err := os.Symlink("busybox", filepath.Join(bin, a)); err != nil {
			t.Fatal(err)
		}
	}
}

// bootDefaultMachine makes root a chroot-able machine where apply --boot
// left generation 1 current and generation 2 (one more service, another
// managed file content, a hostname) the boot default, with a runsvdir
// stand-in first in stage 2's PATH that prints what it would supervise. It
// returns generation 1's current link.
func bootDefaultMachine(t *testing.T, root string) string {
	t.Helper()
	chrootTree(t, root)
	sysconfPlan := func(src string) generations.Manifest {
		return plan(t, fstest.MapFS{"system.hcl": &fstest.MapFile{Data: []byte(src)}}, nil)
	}
	m1 := sysconfPlan("service \"a\" { command = [\"/bin/sleep\", \"1000\"] }\nfile \"/etc/motd\" { content = \"one\\n\" }\n")
	m2 := sysconfPlan("service \"a\" { command = [\"/bin/sleep\", \"1000\"] }\nservice \"b\" { command = [\"/bin/sleep\", \"1000\"] }\nfile \"/etc/motd\" { content = \"two\\n\" }\nboot {\n  hostname = \"two\"\n}\n")
	ctx := context.Background()
	g, err := generations.Create(root)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.Apply(ctx, m1, generations.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Apply(ctx, m2, generations.Options{BootOnly: true}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Readlink(filepath.Join(root, "etc/runit/runsvdir/current"))
	if !strings.Contains(before, "generations/1/") {
		t.Fatalf("current is %s before the boot, want generation 1", before)
	}
	testenv.WriteScript(t, filepath.Join(root, "usr/local/sbin/runsvdir"), `echo "runsvdir $*" | cut -c1-30
echo "current $(readlink /etc/runit/runsvdir/current)"
ls /service
`)
	return before
}

// stage2Supervises is what the runsvdir stand-in prints once stage 2 has
// switched to generation 2.
const stage2Supervises = "runsvdir -P /service log: ....\ncurrent ../../../var/lib/sysconf/generations/2/runsvdir/default\na\nb\n"

func runStage2(t *testing.T, root string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, code := testenv.Run(t, 30*time.Second, exec.Command("chroot", root, "/etc/runit/2"))
	if code != 0 {
		t.Fatalf("stage 2: exit %d\n%s%s", code, stdout, stderr)
	}
	return stdout, stderr
}

// TestStage2BootDefault runs the generated stage 2 in a chroot without
// sysconf: it must still switch to the boot default's runlevel, as
// runsvchdir would, before it execs runsvdir.
func TestStage2BootDefault(t *testing.T) {
	root := t.TempDir()
	before := bootDefaultMachine(t, root)
	if stdout, stderr := runStage2(t, root); stdout != stage2Supervises {
		t.Errorf("stage 2 printed\n%s\nwant\n%s\nstderr: %s", stdout, stage2Supervises, stderr)
	}
	if prev, _ := os.Readlink(filepath.Join(root, "etc/runit/runsvdir/previous")); prev != before {
		t.Errorf("previous is %q, want the old current %q (runsvchdir's algorithm)", prev, before)
	}

	// Booting again changes nothing: current already is the boot default.
	if stdout, stderr := runStage2(t, root); stdout != stage2Supervises {
		t.Errorf("second stage 2:\n%s%s", stdout, stderr)
	}
}

// TestStage2ActivatesBootDefault: with sysconf installed, stage 2 switches
// the machine to the boot default whole: not only the runlevel but /etc/sv,
// the managed files and the stage scripts, so that a machine rebooted
// after apply --boot never runs one generation's services with another's
// files.
func TestStage2ActivatesBootDefault(t *testing.T) {
	root := t.TempDir()
	bootDefaultMachine(t, root)
	build := exec.Command("go", "build", "-o", filepath.Join(root, "bin/sysconf"), "sysconf/cmd/sysconf")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build sysconf: %v\n%s", err, out)
	}
	// Stage 2 runs after stage 1 has mounted /dev; the chroot needs
	// /dev/null at least.
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(root, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := runStage2(t, root)
	if !strings.HasSuffix(stdout, stage2Supervises) {
		t.Errorf("stage 2 printed\n%s\nwant it to end with\n%s\nstderr: %s", stdout, stage2Supervises, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc/motd")); err != nil || string(b) != "two\n" {
		t.Errorf("/etc/motd = %q (%v), want generation 2's", b, err)
	}
	for link, want := range map[string]string{"etc/sv": "generations/2/", "etc/runit/1": "generations/2/"} {
		if got, _ := os.Readlink(filepath.Join(root, link)); !strings.Contains(got, want) {
			t.Errorf("%s -> %q, want generation 2's", link, got)
		}
	}
	if !strings.Contains(stderr, "switched to generation 2") {
		t.Errorf("sysconf did not say it switched; stderr:\n%s", stderr)
	}
}

// TestStage2KernelRunlevel boots a generation with runlevels default and
// single in a chroot, whose /proc/cmdline names a runlevel: stage 2 runs
// it, as Void's stage 2 does for "single" (or any runlevel's name) and
// for runlevel=NAME; a name that is no runlevel is ignored.
func TestStage2KernelRunlevel(t *testing.T) {
	for _, tt := range []struct{ cmdline, level string }{
		{"console=ttyS0 quiet", "default"},
		{"console=ttyS0 single", "single"},
		{"runlevel=single ro", "single"},
		{"runlevel=rescue", "default"},
	} {
		t.Run(tt.cmdline, func(t *testing.T) {
			root := t.TempDir()
			chrootTree(t, root)
			m := plan(t, fstest.MapFS{"system.hcl": &fstest.MapFile{Data: []byte(`
service "a" { command = ["/bin/sleep", "1000"] }
service "b" { command = ["/bin/sleep", "1000"] }
runlevel "default" { services = [service.a, service.b] }
runlevel "single" { services = [service.a] }
`)}}, nil)
			g, err := generations.Create(root)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			if _, err := g.Apply(context.Background(), m, generations.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "proc/cmdline"), []byte(tt.cmdline+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			testenv.WriteScript(t, filepath.Join(root, "usr/local/sbin/runsvdir"), `echo "current $(readlink /etc/runit/runsvdir/current)"
ls /service
`)
			stdout, stderr := runStage2(t, root)
			if want := "current ../../../var/lib/sysconf/generations/1/runsvdir/" + tt.level + "\n"; !strings.HasPrefix(stdout, want) {
				t.Errorf("stage 2 with %q printed\n%s\nwant it to start with %s\nstderr: %s", tt.cmdline, stdout, want, stderr)
			}
		})
	}
}
