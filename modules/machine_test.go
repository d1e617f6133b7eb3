package modules_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/runitnames"
	"sysconf/internal/testenv"
)

// The module tests run the real daemons (PostgreSQL, sshd, cron, socklog,
// Xvfb) with sysconf apply --root / inside a machine of their own: a chroot
// in private mount, PID and network namespaces. Its /usr is the host's, bound
// read-only; its /etc is a copy of the host's without secrets; /dev, /run,
// /tmp and /dev/shm are its own tmpfs; everything else is a folder under
// t.TempDir. So the modules' real absolute paths (/var/lib/postgresql,
// /run/postgresql, /dev/log, /etc/ssh) work without touching the host, and
// killing the namespace's first process by its PID ends every process the
// test started (the kernel kills the rest of a PID namespace with it).
//
// The programs are required: a missing one fails the test, it does not skip
// it (.ci/run installs them).

// binDir is the folder of the sysconf and runit programs, built once.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// programs returns a folder holding sysconf and our runit programs under
// every name.
func programs(t *testing.T) string {
	t.Helper()
	runit := testenv.RunitBin(t)
	buildOnce.Do(func() {
		binDir, buildErr = testenv.SharedBuildDir("sysconf-modules-bin", func(dir string) error {
			// sysconf, and ptyhold: a terminal for the getty test.
			for _, pkg := range []string{"./cmd/sysconf", "./modules/testdata/ptyhold"} {
				cmd := exec.Command("go", "build", "-o", dir, pkg)
				cmd.Dir = moduleRoot()
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
				if out, err := cmd.CombinedOutput(); err != nil {
					return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				}
			}
			// Copies, linked by relative names: the machine sees this
			// folder alone, not the one testenv built runit in.
			for _, p := range runitnames.Programs {
				b, err := os.ReadFile(filepath.Join(runit, p.Name))
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, p.Name), b, 0o755)
				}
				for _, n := range p.Links {
					if err == nil {
						err = os.Symlink(p.Name, filepath.Join(dir, n))
					}
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// require fails the test unless each program is installed.
func require(t *testing.T, pkg string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is not installed (%v): apt-get install -y %s", p, err, pkg)
		}
	}
}

// machine is a chroot in private mount, PID and network namespaces.
type machine struct {
	t    *testing.T
	root string // the chroot, on the host
	init int    // the host PID of the namespaces' first process
	ns   *testenv.Proc
}

// chrootBin is where the sysconf and runit programs are inside the machine.
const chrootBin = "/sysconf-bin"

// path is PATH inside the machine: our runit before Debian's.
const path = chrootBin + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// setup is the namespaces' first process: it builds the machine's mounts,
// then starts runsvdir -P /service in the chroot and reaps until killed.
const setup = `set -eu
R=$1 B=$2
# A network namespace of its own, with loopback alone: the host's daemons
# (a PostgreSQL on 5432, an sshd on 22) are elsewhere.
ip link set lo up
# The root is open to every account, as / is (the loggers' account reaches
# the log folders through it).
chmod 0755 "$R"
cd "$R"
mkdir -p usr proc dev run tmp etc var/tmp var/spool home root sysconf-bin
ln -s ../run var/run
ln -s ../run/lock var/lock
for d in bin lib lib32 lib64 libx32 sbin; do
  if [ -L "/$d" ]; then ln -sfn "$(readlink "/$d")" "$d"; elif [ -d "/$d" ]; then mkdir -p "$d"; mount --rbind "/$d" "$d"; fi
done
mount --rbind /usr usr
mount -o remount,bind,ro usr
mount --bind "$B" sysconf-bin
mount -o remount,bind,ro sysconf-bin
mount -t tmpfs -o mode=0755,size=16m dev dev
for n in null zero full random urandom tty; do : > "dev/$n"; mount --bind "/dev/$n" "dev/$n"; done
mkdir dev/shm dev/pts
mount -t tmpfs -o mode=1777,size=512m shm dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts dev/pts
ln -s pts/ptmx dev/ptmx
ln -s /proc/self/fd dev/fd
mount -t proc proc proc
mount -t tmpfs -o mode=0755,size=64m run run
mount -t tmpfs -o mode=1777,size=256m tmp tmp
# /etc without secrets: no shadow passwords, no host keys, no runit of the host.
tar -C / -cf - --exclude=etc/shadow --exclude=etc/gshadow --exclude='etc/shadow-' --exclude='etc/gshadow-' \
  --exclude='etc/ssh/ssh_host_*' --exclude=etc/ssl/private --exclude=etc/sv --exclude=etc/runit \
  --exclude=etc/service --exclude=etc/sysconf etc 2>/dev/null | tar -C "$R" -xf -
echo 'joe:x:1500:1500:Joe User:/home/joe:/bin/sh' >> etc/passwd
echo 'joe:x:1500:' >> etc/group
awk -F: '{print $1 ":*:19000:0:99999:7:::"}' etc/passwd > etc/shadow
chmod 0640 etc/shadow
mkdir -p home/joe && chown 1500:1500 home/joe
cd /
# Default dispositions: an asynchronous command of sh ignores SIGINT, and
# every service would inherit that (PostgreSQL's stop signal is SIGINT).
env -i --default-signal PATH=` + path + ` chroot "$R" runsvdir -P /service 'log: ........................................' &
echo $! > "$R/run/runsvdir.pid"
set +e
while :; do wait; sleep 1; done
`

// newMachine starts a machine; it is stopped when the test ends: SIGHUP to
// its runsvdir (every service stops, PostgreSQL with its stop signal), then
// SIGKILL to the namespaces' first process, which ends what is left.
func newMachine(t *testing.T) *machine {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("the module tests run the daemons in a chroot in namespaces of their own, which needs root (CI runs as root)")
	}
	require(t, "util-linux", "/usr/bin/unshare", "/usr/bin/nsenter")
	require(t, "iproute2", "/usr/sbin/ip")
	bin := programs(t)
	m := &machine{t: t, root: t.TempDir()}
	cmd := exec.Command("unshare", "--mount", "--pid", "--net", "--fork", "--kill-child", "--propagation", "private",
		"sh", "-c", setup, "setup", m.root, bin)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	m.ns = testenv.Start(t, cmd)
	testenv.Eventually(t, 20*time.Second, func() string {
		if m.ns.Exited() {
			t.Fatalf("machine setup failed:\n%s%s", m.ns.Stdout, m.ns.Stderr)
		}
		if _, err := os.Stat(filepath.Join(m.root, "run")); err != nil {
			return "no run"
		}
		// The namespaces' first process is unshare's only child.
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", m.ns.PID(), m.ns.PID()))
		if err != nil || len(strings.Fields(string(b))) != 1 {
			return fmt.Sprintf("unshare's child: %q %v", b, err)
		}
		m.init, _ = strconv.Atoi(strings.Fields(string(b))[0])
		return ""
	})
	testenv.Eventually(t, 20*time.Second, func() string {
		if m.ns.Exited() {
			t.Fatalf("machine setup failed:\n%s%s", m.ns.Stdout, m.ns.Stderr)
		}
		// -x follows the links: our runit, not Debian's found later on PATH.
		if _, _, code := m.try("sh", "-c", "test -s /run/runsvdir.pid && test -x "+chrootBin+"/runsvdir"); code != 0 {
			return "runsvdir not started"
		}
		return ""
	})
	t.Cleanup(m.stop)
	return m
}

// stop ends the machine: see newMachine.
func (m *machine) stop() {
	if pid, _, code := m.try("cat", "/run/runsvdir.pid"); code == 0 {
		m.try("kill", "-HUP", strings.TrimSpace(pid))
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			if _, _, code := m.try("kill", "-0", strings.TrimSpace(pid)); code != 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if m.init > 0 {
		syscall.Kill(m.init, syscall.SIGKILL)
	}
	m.ns.Kill()
}

// command is a command run in the machine (in its namespaces and chroot),
// as root with the machine's PATH.
func (m *machine) command(args ...string) *exec.Cmd {
	a := append([]string{"--target", strconv.Itoa(m.init), "--mount", "--pid", "--net", "--", "chroot", m.root}, args...)
	cmd := exec.Command("nsenter", a...)
	cmd.Env = []string{"PATH=" + path, "HOME=/root", "LANG=C.UTF-8"}
	return cmd
}

// try runs a command in the machine within 60 s.
func (m *machine) try(args ...string) (stdout, stderr string, code int) {
	m.t.Helper()
	return testenv.Run(m.t, 60*time.Second, m.command(args...))
}

// run runs a command in the machine and fails the test unless it exits 0.
func (m *machine) run(args ...string) string {
	m.t.Helper()
	out, errOut, code := m.try(args...)
	if code != 0 {
		m.t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

// sh runs a shell command line in the machine and returns its stdout; it
// fails the test unless the command exits 0.
func (m *machine) sh(script string) string {
	m.t.Helper()
	return m.run("sh", "-c", script)
}

// writeFile writes a file in the machine (through its folder on the host:
// only the mounts are private).
func (m *machine) writeFile(p, content string, mode os.FileMode) {
	m.t.Helper()
	full := filepath.Join(m.root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), mode); err != nil {
		m.t.Fatal(err)
	}
}

// apply writes the description into /etc/sysconf/main.hcl and applies it;
// it fails the test unless apply succeeds, and returns how long it took.
func (m *machine) apply(hcl string, timeout time.Duration) time.Duration {
	m.t.Helper()
	m.writeFile("/etc/sysconf/main.hcl", hcl, 0o644)
	start := time.Now()
	out, errOut, code := testenv.Run(m.t, timeout+30*time.Second,
		m.command("sysconf", "apply", "--root", "/", "--timeout", timeout.String()))
	took := time.Since(start)
	if code != 0 {
		m.t.Fatalf("sysconf apply: exit %d\n%s%s\n%s", code, out, errOut, m.logs())
	}
	return took
}

// logs returns the machine's service logs, for failure messages.
func (m *machine) logs() string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(m.root, "var/log/sysconf/*/current"))
	for _, f := range files {
		c, _ := os.ReadFile(f)
		if len(c) > 4000 {
			c = c[len(c)-4000:]
		}
		fmt.Fprintf(&b, "== %s\n%s", strings.TrimPrefix(f, m.root), c)
	}
	return b.String()
}

// log returns the whole current log of a service (its svlogd's current).
func (m *machine) log(service string) string {
	b, _ := os.ReadFile(filepath.Join(m.root, "var/log/sysconf", service, "current"))
	return string(b)
}

// pid returns the pid (in the machine) of a service, 0 when it is not
// running, from sv status.
func (m *machine) pid(service string) int {
	m.t.Helper()
	out, _, _ := m.try("sv", "status", "/service/"+service)
	var pid int
	if i := strings.Index(out, "(pid "); strings.HasPrefix(out, "run: ") && i >= 0 {
		fmt.Sscan(out[i+5:], &pid)
	}
	return pid
}

// eventually is testenv.Eventually, with the machine's logs on failure.
func (m *machine) eventually(d time.Duration, cond func() string) {
	m.t.Helper()
	deadline := time.Now().Add(d)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("not within %v: %s\n%s", d, msg, m.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
