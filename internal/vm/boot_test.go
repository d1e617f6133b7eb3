package vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sysconf/internal/runitnames"
	"sysconf/internal/testenv"
)

// requireVM returns qemu, the kernel and a static busybox. Without
// SYSCONF_VM_TEST=1 it skips (saying so); with it, anything missing fails
// the test, so that CI cannot pass without booting.
func requireVM(t testing.TB) (qemu, kernel, busybox string) {
	t.Helper()
	if os.Getenv("SYSCONF_VM_TEST") != "1" {
		t.Skip("SYSCONF_VM_TEST is not set to 1: skipping the qemu boot (CI sets it and installs qemu-system-x86, busybox-static and a kernel in SYSCONF_VM_KERNEL)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Fatal("SYSCONF_VM_TEST=1 but qemu-system-x86_64 is missing: apt-get install -y qemu-system-x86")
	}
	kernel = FindKernel()
	if _, err := os.Stat(kernel); kernel == "" || err != nil {
		t.Fatalf("SYSCONF_VM_TEST=1 but no kernel (SYSCONF_VM_KERNEL=%q, no /boot/vmlinuz-*)", os.Getenv("SYSCONF_VM_KERNEL"))
	}
	busybox = FindBusybox()
	if busybox == "" {
		t.Fatal("SYSCONF_VM_TEST=1 but no static busybox: apt-get install -y busybox-static")
	}
	return qemu, kernel, busybox
}

// ourRunit adds our static runit to img: every runit program with its
// links (internal/runitnames), then busybox for the rest.
func ourRunit(t testing.TB, img *Image, busybox string) {
	t.Helper()
	RunitLinks(img, testenv.RunitBin(t), runitnames.Programs)
	BusyboxLinks(img, busybox, BusyboxApplets)
}

// debianRunit adds Debian's runit and runit-init (unpacked in deb by
// dpkg -x) and the host's libc they link against.
func debianRunit(t testing.TB, img *Image, deb, busybox string) {
	t.Helper()
	img.Files = map[string]string{
		"sbin/runit":                     filepath.Join(deb, "sbin/runit"),
		"lib/runit/runit-init":           filepath.Join(deb, "lib/runit/runit-init"),
		"lib/x86_64-linux-gnu/libc.so.6": "/lib/x86_64-linux-gnu/libc.so.6",
		"lib64/ld-linux-x86-64.so.2":     "/lib64/ld-linux-x86-64.so.2",
		"usr/bin/runsvdir":               filepath.Join(deb, "usr/bin/runsvdir"),
		"usr/bin/runsv":                  filepath.Join(deb, "usr/bin/runsv"),
		"usr/bin/sv":                     filepath.Join(deb, "usr/bin/sv"),
		"usr/bin/svlogd":                 filepath.Join(deb, "usr/bin/svlogd"),
		"usr/bin/chpst":                  filepath.Join(deb, "usr/bin/chpst"),
	}
	img.Links = map[string]string{"sbin/init": "/lib/runit/runit-init"}
	BusyboxLinks(img, busybox, BusyboxApplets)
}

// The watcher's test that every service and its log run: sv status (the
// boot test checks our sv on a real boot), or the supervise/stat files read
// with busybox (the benchmark, so that both runits are timed by the same
// watcher: an sv started every 50 ms under TCG would bill its own start-up
// to the boot).
const (
	watchSv   = `"$(sv status /service/s* | grep -c '^run: .*; run: log: ')" -ne %d`
	watchStat = `"$(cat /service/s*/supervise/stat /service/s*/log/supervise/stat 2>/dev/null | grep -c '^run$')" -ne $((2 * %d))`
)

// tree writes the stage scripts and n services with logs, plus the
// watcher service zz-up, which prints ALL-SERVICES-UP once watch (watchSv
// or watchStat) shows every service and its log running, then halts with
// /sbin/init 0.
func tree(t testing.TB, n int, path, watch string) string {
	t.Helper()
	dir := t.TempDir()
	env := "PATH=" + path + "\nexport PATH\n"
	testenv.WriteScript(t, filepath.Join(dir, "etc/runit/1"), env+`mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o mode=0755 run /run
mkdir -p /run/runit /run/log
echo "STAGE1 $(cut -d' ' -f1 /proc/uptime)"
`)
	testenv.WriteScript(t, filepath.Join(dir, "etc/runit/2"), env+"exec runsvdir -P /service\n")
	testenv.WriteScript(t, filepath.Join(dir, "etc/runit/3"), env+`sv force-stop /service/* >/dev/null 2>&1
sv exit /service/* >/dev/null 2>&1
echo "LOG $(cat /run/log/s1/current)"
echo STAGE3-DONE
sync
`)
	for i := 1; i <= n; i++ {
		s := filepath.Join(dir, "service", "s"+strconv.Itoa(i))
		testenv.WriteScript(t, filepath.Join(s, "run"), fmt.Sprintf("exec 2>&1\necho s%d up\nexec sleep 1000000\n", i))
		testenv.WriteScript(t, filepath.Join(s, "log/run"), fmt.Sprintf("mkdir -p /run/log/s%d\nexec svlogd -tt /run/log/s%d\n", i, i))
	}
	testenv.WriteScript(t, filepath.Join(dir, "service/zz-up/run"), fmt.Sprintf(`exec 2>&1
while [ `+watch+` ]; do sleep 0.05; done
echo "ALL-SERVICES-UP $(cut -d' ' -f1 /proc/uptime)"
/sbin/init 0
exec sleep 1000000
`, n))
	return dir
}

// bootResult is what one boot printed and how it ended.
type bootResult struct {
	console  string
	code     int
	stage1   float64 // uptime when stage 1 ran
	allUp    float64 // uptime when every service was up
	wallUp   time.Duration
	wallDown time.Duration
}

// boot builds img into a temp dir and boots it, for at most limit.
func boot(t testing.TB, qemu, kernel string, img Image, limit time.Duration) bootResult {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "initramfs.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Build(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p := testenv.Start(t, exec.Command(qemu, QemuArgs(kernel, filepath.Join(dir, "initramfs.gz"))...))
	var res bootResult
	testenv.Eventually(t, limit, func() string {
		if res.wallUp == 0 && strings.Contains(p.Stdout.String(), "ALL-SERVICES-UP") {
			res.wallUp = time.Since(start)
		}
		if p.Exited() {
			return ""
		}
		return "qemu still running; console:\n" + p.Stdout.String()
	})
	res.code = p.Wait(t, 10*time.Second)
	res.wallDown = time.Since(start)
	res.console = strings.ReplaceAll(p.Stdout.String(), "\r\n", "\n")
	for _, l := range strings.Split(res.console, "\n") {
		if v, ok := strings.CutPrefix(l, "STAGE1 "); ok {
			res.stage1, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		if v, ok := strings.CutPrefix(l, "ALL-SERVICES-UP "); ok {
			res.allUp, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return res
}

func TestBoot(t *testing.T) {
	qemu, kernel, busybox := requireVM(t)
	img := Image{Trees: []string{tree(t, 20, "/bin:/sbin", watchSv)}}
	ourRunit(t, &img, busybox)
	res := boot(t, qemu, kernel, img, 90*time.Second)
	if t.Failed() {
		return
	}
	t.Logf("all 20 services up %.2fs after stage 1 (uptime %.2fs); qemu ended after %v", res.allUp-res.stage1, res.allUp, res.wallDown)
	for _, want := range []string{
		"- runit: enter stage: /etc/runit/1",
		"- runit: enter stage: /etc/runit/2",
		"ALL-SERVICES-UP ",
		"- runit: leave stage: /etc/runit/2",
		"- runit: enter stage: /etc/runit/3",
		" s1 up",
		"STAGE3-DONE",
		"- runit: leave stage: /etc/runit/3",
		"- runit: sending KILL signal to all processes...",
		"- runit: power off...",
	} {
		i := strings.Index(res.console, want)
		if i < 0 {
			t.Errorf("console lacks %q", want)
			continue
		}
		res.console = res.console[i+len(want):]
	}
	if strings.Contains(res.console, "Kernel panic") {
		t.Error("kernel panic")
	}
	if res.code != 0 {
		t.Errorf("qemu exited %d, want 0 (power-off)", res.code)
	}
	if t.Failed() {
		t.Logf("console:\n%s", res.console)
	}
}

// TestBootDebianInitStage3 is runsvdir's contract under Debian's own
// runit-init: at shutdown runit sends SIGTERM to stage 2 (our runsvdir,
// which hosts the supervisors itself) and waits for it to exit; then stage
// 3's sv (ours) finds every supervisor in the successor host, force-stops
// the services and tells the supervisors to exit, and the successor leaves.
func TestBootDebianInitStage3(t *testing.T) {
	qemu, kernel, busybox := requireVM(t)
	deb := unpackDebianRunit(t)
	dir := tree(t, 5, "/bin:/sbin:/usr/bin", watchSv)
	testenv.WriteScript(t, filepath.Join(dir, "etc/runit/3"), `PATH=/bin:/sbin:/usr/bin
export PATH
echo "STAGE3-RUNSVDIR $(ps | grep -c '[r]unsvdir -P')"
sv force-stop /service/s* 2>&1
sv exit /service/* 2>&1
i=0
while ps | grep -q '[r]unsvdir-host' && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "STAGE3-HOSTS $(ps | grep -c '[r]unsvdir-host')"
echo "LOG $(cat /run/log/s1/current)"
echo STAGE3-DONE
sync
`)
	img := Image{Trees: []string{dir}}
	debianRunit(t, &img, deb, busybox)
	for _, n := range []string{"runsvdir", "runsv", "sv", "svlogd", "chpst"} {
		img.Files["bin/"+n] = testenv.Tool(t, n)
	}
	res := boot(t, qemu, kernel, img, 120*time.Second)
	if t.Failed() {
		return
	}
	console := res.console
	for _, want := range []string{
		"ALL-SERVICES-UP ",
		"- runit: leave stage: /etc/runit/2",
		"- runit: enter stage: /etc/runit/3",
		"STAGE3-RUNSVDIR 0",
		"STAGE3-HOSTS 0",
		" s1 up",
		"STAGE3-DONE",
		"- runit: leave stage: /etc/runit/3",
	} {
		i := strings.Index(console, want)
		if i < 0 {
			t.Errorf("console lacks %q (in order)", want)
			continue
		}
		console = console[i+len(want):]
	}
	// sv -w prints each service's line as it reaches the state, so the
	// five come in the order the services stopped.
	_, stage3, _ := strings.Cut(res.console, "STAGE3-RUNSVDIR 0")
	stage3, _, _ = strings.Cut(stage3, "STAGE3-HOSTS")
	for i := 1; i <= 5; i++ {
		if want := fmt.Sprintf("ok: down: /service/s%d: ", i); !strings.Contains(stage3, want) {
			t.Errorf("stage 3's sv force-stop did not print %q", want)
		}
	}
	for _, bad := range []string{"fail: ", "unable to open supervise/ok", "runsv not running"} {
		if strings.Contains(res.console, bad) {
			t.Errorf("console has %q", bad)
		}
	}
	if t.Failed() {
		t.Logf("console:\n%s", res.console)
	}
}
