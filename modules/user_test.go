package modules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// as runs a shell command line in the machine as user, with the HOME
// /home/USER, and returns its stdout, stderr and exit code.
func (m *machine) as(user, script string) (string, string, int) {
	m.t.Helper()
	return m.try("chpst", "-u", user, "env", "HOME=/home/"+user, "USER="+user, "LOGNAME="+user, "sh", "-c", script)
}

// asJoe runs a shell command line in the machine as joe (see as).
func (m *machine) asJoe(script string) (string, string, int) {
	m.t.Helper()
	return m.as("joe", script)
}

// TestUserServices runs a user's own service tree: a service the user
// drops into ~/service runs as them with their HOME and ~/bin in PATH, and
// their own sv stops it. The user is declared in the same description
// (sysconf makes the account and its home before it starts the tree).
func TestUserServices(t *testing.T) {
	m := newMachine(t)
	m.apply(`
user "ann" {}

module "ann" {
  source = "user_services"
  user   = "ann"
}
`, 30*time.Second)
	if out := strings.TrimSpace(m.run("stat", "-c", "%U", "/home/ann/service")); out != "ann" {
		t.Fatalf("~ann/service owned by %q", out)
	}
	asAnn := func(script string) (string, string, int) { return m.as("ann", script) }
	// ann makes a service of her own, with a program in ~/bin.
	if out, errOut, code := asAnn(`set -e
mkdir -p ~/bin ~/service/hello
printf '#!/bin/sh\necho "$(id -un) $HOME $USER $LOGNAME"\n' > ~/bin/whoami-home
printf '#!/bin/sh\nwhoami-home > ~/hello.out\nexec sleep 100000\n' > ~/service/hello/run
chmod +x ~/bin/whoami-home ~/service/hello/run`); code != 0 {
		t.Fatalf("making ann's service: %s%s", out, errOut)
	}
	m.eventually(20*time.Second, func() string {
		out, _, _ := m.try("cat", "/home/ann/hello.out")
		if strings.TrimSpace(out) != "ann /home/ann ann ann" {
			return fmt.Sprintf("~ann/hello.out = %q, want \"ann /home/ann ann ann\"", out)
		}
		return ""
	})
	if out := strings.TrimSpace(m.run("stat", "-c", "%U", "/home/ann/service/hello/supervise/status")); out != "ann" {
		t.Errorf("ann's supervise/status owned by %q: her supervisor does not run as her", out)
	}
	// ann's own sv stops it.
	out, errOut, code := asAnn("sv -w 10 down ~/service/hello")
	if code != 0 || !strings.HasPrefix(out, "ok: down: /home/ann/service/hello") {
		t.Fatalf("ann's sv down: exit %d %q %s", code, out, errOut)
	}
	if out, _, _ := asAnn("ps -u ann -o args"); strings.Contains(out, "sleep 100000") {
		t.Errorf("ann's service still runs after her sv down:\n%s", out)
	}
	// Stopping the tree stops ann's services with it (runsvdir gets SIGHUP).
	asAnn("sv up ~/service/hello")
	m.eventually(10*time.Second, func() string {
		if out, _, _ := asAnn("ps -u ann -o args"); !strings.Contains(out, "sleep 100000") {
			return "ann's service did not start again:\n" + out
		}
		return ""
	})
	m.run("sv", "-w", "15", "down", "/service/ann.runsvdir")
	m.eventually(15*time.Second, func() string {
		if out, _, _ := asAnn("ps -u ann -o args"); strings.Contains(out, "sleep 100000") || strings.Contains(out, "runsvdir") {
			return "ann's processes outlive her tree:\n" + out
		}
		return ""
	})
}

// TestXSession runs joe's X session under Xvfb: a client connects to the
// display, and when the session's xinitrc ends a new session starts.
func TestXSession(t *testing.T) {
	require(t, "xvfb", "/usr/bin/Xvfb")
	require(t, "xinit", "/usr/bin/xinit")
	require(t, "x11-utils", "/usr/bin/xdpyinfo")
	m := newMachine(t)
	// The session counts itself, then runs until ~/quit appears.
	if _, errOut, code := m.asJoe(`printf 'echo started >> ~/sessions\nwhile [ ! -e ~/quit ]; do sleep 0.1; done\nrm -f ~/quit\n' > ~/.xinitrc`); code != 0 {
		t.Fatal(errOut)
	}
	m.apply(`
module "joe_x" {
  source  = "x_session"
  user    = "joe"
  display = ":7"
  server  = ["/usr/bin/Xvfb", "-nolisten", "tcp", "-screen", "0", "640x480x24"]
}
`, 30*time.Second)
	sessions := func(want int) {
		t.Helper()
		m.eventually(30*time.Second, func() string {
			out, _, _ := m.try("cat", "/home/joe/sessions")
			if n := strings.Count(out, "started"); n != want {
				return fmt.Sprintf("%d sessions started, want %d", n, want)
			}
			if out, errOut, code := m.asJoe("DISPLAY=:7 xdpyinfo"); code != 0 || !strings.Contains(out, "name of display:    :7") {
				return fmt.Sprintf("xdpyinfo: exit %d %s%s", code, out, errOut)
			}
			return ""
		})
	}
	sessions(1)
	if out := m.sh("ps -o user= -C Xvfb"); strings.TrimSpace(out) != "joe" {
		t.Errorf("Xvfb runs as %q, want joe", out)
	}
	xinit := m.pid("joe_x.xinit")
	m.asJoe("touch ~/quit")
	sessions(2)
	if p := m.pid("joe_x.xinit"); p == xinit || p == 0 {
		t.Errorf("xinit pid %d after the session ended (was %d)", p, xinit)
	}
}
