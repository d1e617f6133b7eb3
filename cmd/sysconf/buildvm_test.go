package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sysconf/internal/runitnames"
	"sysconf/internal/testenv"
	"sysconf/internal/vm"
)

// cpioEntry is one entry of a newc archive, as the test reads it back.
type cpioEntry struct {
	mode uint32 // st_mode: type and permission bits
	data []byte // file content or link target
}

// readCpio reads a gzip-compressed newc archive into name → entry.
func readCpio(t *testing.T, p string) map[string]cpioEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cpioEntry{}
	pad := func(n int) int { return (n + 3) &^ 3 }
	for off := 0; ; {
		if off+110 > len(b) || string(b[off:off+6]) != "070701" {
			t.Fatalf("bad newc header at %d", off)
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("bad newc field %d at %d: %v", i, off, err)
			}
			return int(v)
		}
		mode, size, nameSize := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+nameSize-1])
		dataAt := pad(off + 110 + nameSize)
		if name == "TRAILER!!!" {
			return out
		}
		if _, dup := out[name]; dup {
			t.Errorf("archive holds %s twice", name)
		}
		out[name] = cpioEntry{mode: uint32(mode), data: b[dataAt : dataAt+size]}
		off = pad(dataAt + size)
	}
}

const (
	sIFMT  = 0o170000
	sIFREG = 0o100000
	sIFDIR = 0o040000
	sIFLNK = 0o120000
	sIFCHR = 0o020000
)

// resolve follows symlinks inside the archive, in every component of
// name, to a non-link entry.
func resolve(ents map[string]cpioEntry, name string) (string, cpioEntry, bool) {
	todo := strings.Split(name, "/")
	var done []string
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := path.Join(append(done, c)...)
		e, ok := ents[cur]
		if !ok {
			return cur, e, false
		}
		if e.mode&sIFMT != sIFLNK {
			done = append(done, c)
			continue
		}
		if hops++; hops > 40 {
			return cur, e, false
		}
		target := string(e.data)
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	got := path.Join(done...)
	e, ok := ents[got]
	return got, e, ok
}

func buildVM(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	if code := run(context.Background(), append([]string{"build-vm"}, args...), &o, &e); code != 0 {
		t.Fatalf("sysconf build-vm %s: exit %d\n%s%s", strings.Join(args, " "), code, o.String(), e.String())
	}
	return o.String(), e.String()
}

func TestBuildVM(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinuz-test")
	if err := os.WriteFile(kernel, []byte("not a kernel"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "vm")
	runit := testenv.Tool(t, "runit")
	busybox := vm.FindBusybox()
	stdout, _ := buildVM(t, "-c", "../../examples/small.hcl", "-o", out, "--kernel", kernel, "--runit", runit)
	if !strings.Contains(stdout, "Built generation 1 ") || !strings.Contains(stdout, "Leave with 'runit-init 0' inside, or Ctrl-a x.") {
		t.Errorf("stdout:\n%s", stdout)
	}

	ents := readCpio(t, filepath.Join(out, "initramfs.gz"))
	wantType := func(name string, typ uint32) {
		t.Helper()
		if e, ok := ents[name]; !ok {
			t.Errorf("archive has no %s", name)
		} else if e.mode&sIFMT != typ {
			t.Errorf("%s: mode %o, want type %o", name, e.mode, typ)
		}
	}
	wantType("dev/console", sIFCHR)
	wantType("service", sIFLNK)
	// Every runit program, a binary of its own, with its links.
	for _, p := range runitnames.Programs {
		wantType("bin/"+p.Name, sIFREG)
		if e := ents["bin/"+p.Name]; e.mode&0o111 == 0 {
			t.Errorf("bin/%s is not executable: %o", p.Name, e.mode)
		}
		for _, n := range p.Links {
			if got, _, ok := resolve(ents, "bin/"+n); !ok || got != "bin/"+p.Name {
				t.Errorf("bin/%s leads to %s, want bin/%s", n, got, p.Name)
			}
		}
	}
	for _, n := range []string{"sbin/init", "sbin/runit-init", "sbin/runit"} {
		if got, _, ok := resolve(ents, n); !ok || got != "bin/runit" {
			t.Errorf("%s leads to %s, want bin/runit", n, got)
		}
	}
	// The stage scripts, through the boot default's links.
	for stage, want := range map[string]string{
		"etc/runit/1":          "mount -t proc",
		"etc/runit/2":          "runsvdir -P /service",
		"etc/runit/3":          "sv -w 10 force-stop",
		"etc/runit/ctrlaltdel": "/run/runit.stopit",
	} {
		wantType(stage, sIFLNK)
		if got, e, ok := resolve(ents, stage); !ok || e.mode&sIFMT != sIFREG || e.mode&0o100 == 0 {
			t.Errorf("%s leads to %s, not an executable file", stage, got)
		} else if !strings.Contains(string(e.data), want) {
			t.Errorf("%s has no %q:\n%s", stage, want, e.data)
		}
	}
	// Every service of the description runs from /service, with its log.
	for _, s := range []string{"clock", "reader", "greeter"} {
		for _, f := range []string{"run", "log/run"} {
			if got, e, ok := resolve(ents, "service/"+s+"/"+f); !ok || e.mode&sIFMT != sIFREG {
				t.Errorf("service/%s/%s leads to %s, not a file", s, f, got)
			}
		}
	}
	// The serial console's root shell, in the default runlevel.
	if got, e, ok := resolve(ents, "service/console/run.script"); !ok || !strings.Contains(string(e.data), "exec getty -L -n -i -l /bin/sh 0 ttyS0") {
		t.Errorf("service/console/run.script leads to %s: %q", got, e.data)
	}
	if busybox != "" {
		if got, _, ok := resolve(ents, "bin/getty"); !ok || got != "bin/busybox" {
			t.Errorf("bin/getty leads to %s, want bin/busybox", got)
		}
	}
	if _, e, ok := resolve(ents, "etc/conf.d/example"); !ok || !strings.Contains(string(e.data), "STATE=") {
		t.Errorf("managed file /etc/conf.d/example missing or wrong: %q", e.data)
	}
	// root, then the log account the description's loggers run as.
	if _, e, ok := resolve(ents, "etc/passwd"); !ok || !regexp.MustCompile(`^root:x:0:0:root:/root:/bin/sh\n_sysconf-log:x:999:999:[^\n]*:/nonexistent:/usr/sbin/nologin\n$`).Match(e.data) {
		t.Errorf("etc/passwd: %q", e.data)
	}
	if busybox != "" {
		for _, n := range []string{"bin/sh", "bin/mount", "bin/readlink", "bin/mv"} {
			if got, _, ok := resolve(ents, n); !ok || got != "bin/busybox" {
				t.Errorf("%s leads to %s, want bin/busybox", n, got)
			}
		}
	} else {
		t.Logf("no static busybox on this host: not checking its links")
	}

	runVM, err := os.ReadFile(filepath.Join(out, "run-vm"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(runVM), "leave with 'runit-init 0' inside the VM, or Ctrl-a x") {
		t.Errorf("run-vm does not say how to leave:\n%s", runVM)
	}
	if !strings.Contains(string(runVM), kernel) || !strings.Contains(string(runVM), "initramfs.gz") {
		t.Errorf("run-vm does not boot %s with initramfs.gz:\n%s", kernel, runVM)
	}

	// Again into the same folder: a fresh root, the same layout.
	buildVM(t, "-c", "../../examples/small.hcl", "-o", out, "--kernel", kernel, "--runit", runit)
	if again := readCpio(t, filepath.Join(out, "initramfs.gz")); len(again) != len(ents) {
		t.Errorf("second build has %d entries, the first %d", len(again), len(ents))
	}
	if _, err := os.Stat(filepath.Join(out, "root", "var/lib/sysconf/generations/2")); err == nil {
		t.Errorf("the second build reused the first one's root (generation 2 exists)")
	}
}

// TestBuildVMReproducible builds twice with SOURCE_DATE_EPOCH and wants
// the same bytes; without it the creation time differs.
func TestBuildVMReproducible(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinuz")
	if err := os.WriteFile(kernel, []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	runit := testenv.Tool(t, "runit")
	build := func(out string) []byte {
		buildVM(t, "-c", "../../examples/small.hcl", "-o", filepath.Join(dir, out), "--kernel", kernel, "--runit", runit)
		b, err := os.ReadFile(filepath.Join(dir, out, "initramfs.gz"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	a, b := build("a"), build("b")
	if !bytes.Equal(a, b) {
		t.Errorf("two builds with SOURCE_DATE_EPOCH differ")
	}
	m, err := os.ReadFile(filepath.Join(dir, "a", "root", "var/lib/sysconf/generations/1/manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m), `"2023-11-14T22:13:20Z"`) {
		t.Errorf("manifest.json is not dated SOURCE_DATE_EPOCH:\n%s", m)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "soon")
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"build-vm", "-c", "../../examples/small.hcl", "-o", filepath.Join(dir, "c"), "--kernel", kernel, "--runit", runit}, &o, &e); code != 2 || !strings.Contains(e.String(), "SOURCE_DATE_EPOCH=soon: not a number") {
		t.Errorf("SOURCE_DATE_EPOCH=soon: exit %d\n%s", code, e.String())
	}
}

// TestBuildVMAccounts checks the image's /etc/passwd and /etc/group for
// a description whose services run as users, and that a managed
// /etc/passwd is left as the description has it.
func TestBuildVMAccounts(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinuz")
	cfg := filepath.Join(dir, "system.hcl")
	src := `
service "db" {
  command = ["/bin/true"]
  user    = "postgres"
  group   = "dba"
  log { user = "logger" }
}
service "web" {
  command = ["/bin/true"]
  user    = "1234"
}
file "/etc/group" {
  content = "root:x:0:\nstaff:x:50:\n"
}
`
	for p, b := range map[string]string{kernel: "k", cfg: src} {
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "vm")
	buildVM(t, "-c", cfg, "-o", out, "--kernel", kernel, "--runit", testenv.Tool(t, "runit"))
	ents := readCpio(t, filepath.Join(out, "initramfs.gz"))
	for name, want := range map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nlogger:x:1000:1001:logger:/:/bin/false\npostgres:x:1001:1002:postgres:/:/bin/false\n",
		"etc/group":  "root:x:0:\nstaff:x:50:\n",
	} {
		if _, e, ok := resolve(ents, name); !ok || string(e.data) != want {
			t.Errorf("%s = %q, want %q", name, e.data, want)
		}
	}
}

// TestBuildVMNoConsole: boot { vm_console = false } leaves the console
// service out, and so does a service of the description named console,
// which stays the description's own.
func TestBuildVMNoConsole(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinuz")
	os.WriteFile(kernel, []byte("k"), 0o644)
	for name, src := range map[string]string{
		"off": "boot {\n  vm_console = false\n}\nservice \"web\" {\n  command = [\"/bin/true\"]\n}\n",
		"own": "service \"console\" {\n  command = [\"/bin/my-getty\"]\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := filepath.Join(dir, name+".hcl")
			os.WriteFile(cfg, []byte(src), 0o644)
			out := filepath.Join(dir, name)
			stdout, _ := buildVM(t, "-c", cfg, "-o", out, "--kernel", kernel, "--runit", testenv.Tool(t, "runit"))
			if strings.Contains(stdout, "root shell") {
				t.Errorf("build-vm says there is a console shell:\n%s", stdout)
			}
			_, e, ok := resolve(readCpio(t, filepath.Join(out, "initramfs.gz")), "service/console/run")
			switch {
			case name == "off" && ok:
				t.Errorf("vm_console = false, but service/console/run is there:\n%s", e.data)
			case name == "own" && (!ok || !strings.Contains(string(e.data), "/bin/my-getty")):
				t.Errorf("the description's console service was replaced: %q", e.data)
			}
		})
	}
}

func TestBuildVMErrors(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinuz")
	if err := os.WriteFile(kernel, []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	notOurs := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(notOurs, "root", "home"), 0o755); err != nil {
		t.Fatal(err)
	}
	dynamic := filepath.Join(dir, "dynamic")
	if b, err := os.ReadFile("/bin/ls"); err == nil {
		if err := os.WriteFile(dynamic, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runit := testenv.Tool(t, "runit")
	// runit without the other runit programs beside it.
	alone := filepath.Join(t.TempDir(), "runit")
	if b, err := os.ReadFile(runit); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{"-c", "../../examples/small.hcl"}, 2, "build-vm needs -o DIR"},
		{"missing kernel", []string{"-c", "../../examples/small.hcl", "-o", filepath.Join(dir, "a"), "--kernel", filepath.Join(dir, "nope"), "--runit", runit}, 1, "nope: not a readable file"},
		{"dynamic runit", []string{"-c", "../../examples/small.hcl", "-o", filepath.Join(dir, "b"), "--kernel", kernel, "--runit", dynamic}, 1, "is dynamically linked"},
		{"runit alone", []string{"-c", "../../examples/small.hcl", "-o", filepath.Join(dir, "d"), "--kernel", kernel, "--runit", alone}, 1, "no runsv beside the runit binary " + alone},
		{"root not ours", []string{"-c", "../../examples/small.hcl", "-o", notOurs, "--kernel", kernel, "--runit", runit}, 1, "is not a tree made by build-vm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o, e bytes.Buffer
			code := run(context.Background(), append([]string{"build-vm"}, tc.args...), &o, &e)
			if code != tc.code || !strings.Contains(e.String(), tc.want) {
				t.Errorf("exit %d, want %d; stderr wants %q:\n%s", code, tc.code, tc.want, e.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(notOurs, "root", "home")); err != nil {
		t.Errorf("build-vm touched a root it did not make: %v", err)
	}
}

// watcher is added to the example for the boot tests: once every service
// and every log runs, it prints the status, the greeter's log, the hostname
// and ALL-SERVICES-UP on the console, then HALT (runit-init 0 unless the
// test sends Ctrl-Alt-Del itself).
const watcher = `
service "zz-watch" {
  env = { HALT = "%s" }
  run = <<-EOT
    #!/bin/sh
    services=$(ls -d /service/*/ | wc -l)
    logs=$(ls -d /service/*/log | wc -l)
    while :; do
      st=$(sv status /service/*)
      [ "$(echo "$st" | grep -c '^run: ')" -eq "$services" ] &&
        [ "$(echo "$st" | grep -c '; run: log: ')" -eq "$logs" ] && break
      sleep 0.2
    done
    sv status /service/* >/dev/console
    sleep 1
    sed 's/^/GREETER-LOG /' /var/log/sysconf/greeter/current >/dev/console
    echo "HOSTNAME $(hostname)" >/dev/console
    echo ALL-SERVICES-UP >/dev/console
    $HALT
    exec sleep 100000
  EOT
}
`

// requireVM skips without SYSCONF_VM_TEST=1 and fails when it is set but
// qemu, a kernel or a static busybox is missing. It returns the kernel.
func requireVM(t *testing.T) string {
	t.Helper()
	if os.Getenv("SYSCONF_VM_TEST") != "1" {
		t.Skip("set SYSCONF_VM_TEST=1 (with qemu-system-x86, busybox-static and a kernel) to boot the VM")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Fatal("SYSCONF_VM_TEST=1 but no qemu-system-x86_64 (apt-get install qemu-system-x86)")
	}
	kernel := vm.FindKernel()
	if kernel == "" {
		t.Fatal("SYSCONF_VM_TEST=1 but no kernel: set SYSCONF_VM_KERNEL or install one in /boot")
	}
	if vm.FindBusybox() == "" {
		t.Fatal("SYSCONF_VM_TEST=1 but no static busybox (apt-get install busybox-static)")
	}
	return kernel
}

// consoleStep is what a boot test types on the VM's serial console once
// the console shows after (after what the previous step typed): send.
type consoleStep struct{ after, send string }

var (
	staticOnce sync.Once
	staticExe  string
	staticErr  error
)

// staticSysconf builds sysconf as make build does (static), once per test
// process, so that build-vm puts it in the image as /bin/sysconf.
func staticSysconf(t *testing.T) string {
	t.Helper()
	staticOnce.Do(func() {
		var dir string
		dir, staticErr = testenv.SharedBuildDir("sysconf-static", func(dir string) error {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sysconf"), ".")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go build (static sysconf): %v\n%s", err, out)
			}
			return nil
		})
		staticExe = filepath.Join(dir, "sysconf")
	})
	if staticErr != nil {
		t.Fatal(staticErr)
	}
	return staticExe
}

// bootExample builds the example machine (examples/*.hcl) with the watcher
// and boot (a boot block) with a static sysconf's build-vm, starts
// DIR/run-vm, types each step's text on the serial console (qemu's stdin)
// once the console shows what it waits for, and returns the console and
// qemu's exit code once qemu has ended (within a generous bound).
func bootExample(t *testing.T, kernel, halt, boot string, steps ...consoleStep) (string, int) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	srcs := map[string]string{"watch.hcl": fmt.Sprintf(watcher, halt), "boot.hcl": boot}
	examples, _ := filepath.Glob("../../examples/*.hcl")
	for _, p := range examples {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs[filepath.Base(p)] = string(b)
	}
	for name, src := range srcs {
		if err := os.WriteFile(filepath.Join(cfg, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "vm")
	stdout, stderr, code := testenv.Run(t, 2*time.Minute, exec.Command(staticSysconf(t), "build-vm", "-c", cfg, "-o", out, "--kernel", kernel, "--runit", testenv.Tool(t, "runit")))
	if code != 0 {
		t.Fatalf("sysconf build-vm: exit %d\n%s%s", code, stdout, stderr)
	}

	start := time.Now()
	cmd := exec.Command(filepath.Join(out, "run-vm"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := testenv.Start(t, cmd)
	t.Cleanup(func() { stdin.Close() })
	from := 0 // where on the console the next step's text is looked for
	testenv.Eventually(t, 240*time.Second, func() string {
		if out := p.Stdout.String(); len(steps) > 0 {
			if i := strings.Index(out[from:], steps[0].after); i >= 0 {
				from += i + len(steps[0].after)
				if _, err := io.WriteString(stdin, steps[0].send); err != nil {
					return "write to qemu: " + err.Error()
				}
				steps = steps[1:]
			}
		}
		if p.Exited() {
			return ""
		}
		return "qemu still running after " + time.Since(start).String() + "; console:\n" + p.Stdout.String()
	})
	code = p.Wait(t, 10*time.Second)
	console := strings.ReplaceAll(p.Stdout.String(), "\r\n", "\n")
	t.Logf("booted, ran and stopped in %v", time.Since(start).Round(time.Millisecond))
	var lines []string
	for _, l := range strings.Split(console, "\n") {
		if !strings.HasPrefix(l, "[") {
			lines = append(lines, l)
		}
	}
	t.Logf("console, without kernel messages:\n%s", strings.Join(lines, "\n"))
	return console, code
}

func wantConsole(t *testing.T, console string, code int, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(console, w) {
			t.Errorf("console has no %q", w)
		}
	}
	if strings.Contains(console, "Kernel panic") || code != 0 {
		t.Errorf("qemu exit %d (want 0: a clean power-off or reboot)", code)
	}
}

// TestBuildVMBoot boots the image build-vm makes of the example machine
// with its run-vm, uses its serial console's root shell (sv status,
// sysconf status, sysconf timeline --boot), and halts it from there with
// runit-init 0. Each command's answer is marked by the shell's arithmetic
// (CONSOLE-42 for $((6*7))), which the terminal's echo of the typed line
// does not show: it comes from a shell that ran it.
func TestBuildVMBoot(t *testing.T) {
	kernel := requireVM(t)
	// A service as a user of the image's /etc/passwd; without a log, its
	// output reaches the console through runsv's.
	boot := `
boot {
  hostname = "sysconf-vm"
  stage1   = ["echo STAGE1-HOST $(hostname)"]
  stage3   = ["echo STAGE3-USER"]
}
service "as-app" {
  command = ["/bin/sh", "-c", "echo AS-USER $(id -un):$(id -gn); exec sleep 100000"]
  user    = "app"
}
`
	console, code := bootExample(t, kernel, "true", boot,
		consoleStep{"ALL-SERVICES-UP", "sv status /service/* | sed 's/^/SV-/'; echo CONSOLE-$((6*7))\n"},
		consoleStep{"CONSOLE-42", "sysconf status | sed 's/^/ST-/'; echo STATUS-$((1+1))\n"},
		consoleStep{"STATUS-2", "sysconf timeline --boot | sed 's/^/TL-/'; echo TIMELINE-$((2+1))\n"},
		consoleStep{"TIMELINE-3", "runit-init 0\n"})
	want := []string{"STAGE1-HOST sysconf-vm",
		"sysconf VM: a root shell on the serial console",
		"SV-run: /service/clock: ", "SV-run: /service/console: ", "CONSOLE-42",
		"ST-generation 1, runlevel default, boot default 1", "STATUS-2",
		"TL-boot of generation 1, runlevel default", "TIMELINE-3",
	}
	for _, s := range []string{"clock", "console", "greeter"} {
		if !regexp.MustCompile(`(?m)^ST-` + s + ` +run +[0-9]+ `).MatchString(console) {
			t.Errorf("sysconf status in the VM shows no running %s", s)
		}
		if !regexp.MustCompile(`(?m)^TL-` + s + ` +run +\+[0-9.]+s `).MatchString(console) {
			t.Errorf("sysconf timeline --boot in the VM shows no start of %s", s)
		}
	}
	// The example's 20 services, each with its log.
	for _, s := range []string{"clock", "greeter", "reader"} {
		want = append(want, "run: /service/"+s+": ")
	}
	for i := 1; i <= 17; i++ {
		want = append(want, fmt.Sprintf("run: /service/worker-%02d: ", i))
	}
	wantConsole(t, console, code, append(want,
		"hello from greeter", // through svlogd, into /var/log/sysconf/greeter
		"HOSTNAME sysconf-vm",
		"AS-USER app:app",
		"ALL-SERVICES-UP",
		"- runit: enter stage: /etc/runit/3",
		"Waiting for services to stop...",
		"ok: down: /service/greeter: ",
		"STAGE3-USER",
		"- runit: leave stage: /etc/runit/3",
		"- runit: power off...",
	)...)
	if strings.Contains(console, "system reboot") {
		t.Errorf("runit-init 0 rebooted")
	}
}

// TestBuildVMCtrlAltDel sends Ctrl-Alt-Del through qemu's monitor: the
// kernel tells runit, which runs the generated ctrlaltdel (reboot by
// default) and shuts down; qemu, run with -no-reboot, ends.
func TestBuildVMCtrlAltDel(t *testing.T) {
	kernel := requireVM(t)
	console, code := bootExample(t, kernel, "true", "",
		consoleStep{"ALL-SERVICES-UP", "\x01c"}, // qemu's monitor
		consoleStep{"", "sendkey ctrl-alt-delete\n"})
	wantConsole(t, console, code,
		"ALL-SERVICES-UP",
		"- runit: ctrl-alt-del request...",
		"- runit: enter stage: /etc/runit/ctrlaltdel",
		"System is going down (reboot)...",
		"- runit: leave stage: /etc/runit/ctrlaltdel",
		"- runit: enter stage: /etc/runit/3",
		"ok: down: /service/clock: ",
		"- runit: system reboot.",
	)
}
