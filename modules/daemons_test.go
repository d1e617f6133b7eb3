package modules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// TestSshd runs OpenSSH's sshd on loopback: its host keys are made on the
// first start, sshd -t is its check, and ssh-keyscan gets the key.
func TestSshd(t *testing.T) {
	require(t, "openssh-server", "/usr/sbin/sshd", "/usr/bin/ssh-keygen")
	require(t, "openssh-client", "/usr/bin/ssh-keyscan")
	m := newMachine(t)
	if out, _, _ := m.try("sh", "-c", "ls /etc/ssh/ssh_host_*"); out != "" {
		t.Fatalf("the machine starts with host keys: %s", out)
	}
	m.apply(`
module "ssh" {
  source = "sshd"
  port   = 2222
  listen = ["127.0.0.1", "::1"]
}
`, 30*time.Second)
	key := strings.Fields(m.run("cat", "/etc/ssh/ssh_host_ed25519_key.pub"))
	if len(key) < 2 {
		t.Fatalf("ed25519 host key: %q", key)
	}
	for _, addr := range []string{"127.0.0.1", "::1"} {
		var out string
		m.eventually(15*time.Second, func() string {
			var errOut string
			var code int
			out, errOut, code = m.try("ssh-keyscan", "-T", "5", "-t", "ed25519", "-p", "2222", addr)
			if code != 0 || !strings.Contains(out, key[1]) {
				return fmt.Sprintf("ssh-keyscan %s: exit %d %q %s", addr, code, out, errOut)
			}
			return ""
		})
	}
	// A restart keeps the keys: they are made only when missing.
	m.run("sv", "-w", "15", "restart", "/service/ssh.sshd")
	if again := strings.Fields(m.run("cat", "/etc/ssh/ssh_host_ed25519_key.pub")); again[1] != key[1] {
		t.Errorf("the host key changed on restart")
	}
	// A configuration sshd -t refuses makes the check fail.
	m.run("sh", "-c", "echo 'NoSuchOption yes' >> /etc/ssh/sshd_config")
	if out, _, code := m.try("sv", "-w", "2", "check", "/service/ssh.sshd"); code == 0 {
		t.Errorf("sv check passes with a bad sshd_config: %s", out)
	}
}

// TestCron runs Debian's cron in the foreground: a job it reads from a file
// the description manages runs.
func TestCron(t *testing.T) {
	require(t, "cron", "/usr/sbin/cron")
	m := newMachine(t)
	m.apply(`
module "cron" {
  source = "cron"
}

file "/etc/cron.d/sysconf-test" {
  content = "@reboot root echo ran as $(id -un) > /tmp/cron-ran\n"
}
`, 30*time.Second)
	m.eventually(30*time.Second, func() string {
		out, _, _ := m.try("cat", "/tmp/cron-ran")
		if strings.TrimSpace(out) != "ran as root" {
			return fmt.Sprintf("/tmp/cron-ran = %q", out)
		}
		return ""
	})
	if out := m.run("ps", "-o", "args=", "-p", fmt.Sprint(m.pid("cron.cron"))); !strings.HasPrefix(out, "cron -f") {
		t.Errorf("the service runs %q, not cron -f in the foreground", out)
	}
}

// TestSocklog runs socklog on /dev/log: a logger line arrives in the log
// folder through svlogd.
func TestSocklog(t *testing.T) {
	require(t, "socklog", "/usr/sbin/socklog")
	require(t, "bsdutils", "/usr/bin/logger")
	m := newMachine(t)
	m.apply(`
module "syslog" {
  source = "socklog"
}
`, 30*time.Second)
	m.eventually(10*time.Second, func() string {
		if _, _, code := m.try("test", "-S", "/dev/log"); code != 0 {
			return "no socket /dev/log"
		}
		return ""
	})
	m.run("logger", "-t", "modtest", "hello from logger")
	// logger as a user, too: the socket is for everyone.
	m.run("chpst", "-u", "joe", "logger", "-p", "auth.notice", "-t", "modtest", "hello from joe")
	current := filepath.Join(m.root, "var/log/socklog/current")
	m.eventually(10*time.Second, func() string {
		b, _ := os.ReadFile(current)
		// socklog writes FACILITY.LEVEL: then the message as sent.
		if !regexp.MustCompile(`(?m)user\.notice: .* modtest: hello from logger$`).Match(b) ||
			!regexp.MustCompile(`(?m)auth\.notice: .* modtest: hello from joe$`).Match(b) {
			return fmt.Sprintf("%s: %q", current, b)
		}
		return ""
	})
	if out := m.run("ps", "-o", "user=", "-p", fmt.Sprint(m.pid("syslog.socklog"))); strings.TrimSpace(out) != "nobody" {
		t.Errorf("socklog runs as %q, want nobody", out)
	}
}

// TestGetty runs agetty from the getty module on a pseudo-terminal: its
// arguments are in agetty's order, it leads its session with the terminal
// as its controlling terminal, and it prompts for a login.
func TestGetty(t *testing.T) {
	require(t, "util-linux", "/usr/sbin/agetty")
	m := newMachine(t)
	// /dev/ttyT0 is a pseudo-terminal whose output lands in /tmp/ttyT0.
	testenv.Start(t, m.command("ptyhold", "/dev/ttyT0", "/tmp/ttyT0"))
	m.eventually(10*time.Second, func() string {
		if _, _, code := m.try("test", "-c", "/dev/ttyT0"); code != 0 {
			return "no /dev/ttyT0"
		}
		return ""
	})
	m.apply(`
module "console" {
  source  = "getty"
  ttys    = ["ttyT0"]
  baud    = "38400,9600"
  term    = "vt100"
  options = ["--noclear", "--nohostname"]
}
`, 30*time.Second)
	m.eventually(20*time.Second, func() string {
		b, _, _ := m.try("cat", "/tmp/ttyT0") // the machine's /tmp is its own tmpfs
		if !strings.Contains(b, "login: ") {
			return fmt.Sprintf("no login prompt on the terminal: %q", b)
		}
		return ""
	})
	leads := func(what string, pid int) {
		t.Helper()
		out := strings.Fields(m.run("ps", "-o", "sid=,tty=,args=", "-p", fmt.Sprint(pid)))
		if len(out) < 3 || out[0] != fmt.Sprint(pid) || !strings.HasPrefix(out[1], "pts/") || out[2] != "agetty" {
			t.Errorf("%s getty %d: session, terminal and program %q, want its own session on pts/N", what, pid, out)
		}
	}
	leads("our runsv's", m.pid("console.getty-ttyT0"))

	// The same run script under Debian's runsv, which starts it in its own
	// session: chpst -P makes agetty a session leader there too.
	testenv.Start(t, m.command("ptyhold", "/dev/ttyT1", "/tmp/ttyT1"))
	m.sh("mkdir /tmp/debian-getty && sed 's/ttyT0/ttyT1/' /service/console.getty-ttyT0/run > /tmp/debian-getty/run && chmod +x /tmp/debian-getty/run")
	testenv.Start(t, m.command("/usr/bin/runsv", "/tmp/debian-getty"))
	m.eventually(20*time.Second, func() string {
		b, _, _ := m.try("cat", "/tmp/ttyT1")
		if !strings.Contains(b, "login: ") {
			return fmt.Sprintf("no login prompt from the getty under Debian's runsv: %q", b)
		}
		return ""
	})
	st := m.run("/usr/bin/sv", "status", "/tmp/debian-getty")
	var pid int
	if i := strings.Index(st, "(pid "); i >= 0 {
		fmt.Sscan(st[i+5:], &pid)
	}
	leads("Debian's runsv's", pid)
}
