package modules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// asJoe runs a shell command line in the machine as joe, with his HOME, and
// returns its stdout, stderr and exit code.
func (m *machine) asJoe(script string) (string, string, int) {
	m.t.Helper()
	return m.try("chpst", "-u", "joe", "env", "HOME=/home/joe", "USER=joe", "LOGNAME=joe", "sh", "-c", script)
}

// TestUserServices runs joe's own service tree: a service he drops into
// ~/service runs as him with his HOME and ~/bin in PATH, and his own sv
// stops it.
func TestUserServices(t *testing.T) {
	m := newMachine(t)
	m.apply(`
module "joe" {
  source = "user_services"
  user   = "joe"
}
`, 30*time.Second)
	if out := strings.TrimSpace(m.run("stat", "-c", "%U", "/home/joe/service")); out != "joe" {
		t.Fatalf("~joe/service owned by %q", out)
	}
	// joe makes a service of his own, with a program in ~/bin.
	if out, errOut, code := m.asJoe(`set -e
mkdir -p ~/bin ~/service/hello
printf '#!/bin/sh\necho "$(id -un) $HOME $USER $LOGNAME"\n' > ~/bin/whoami-home
printf '#!/bin/sh\nwhoami-home > ~/hello.out\nexec sleep 100000\n' > ~/service/hello/run
chmod +x ~/bin/whoami-home ~/service/hello/run`); code != 0 {
		t.Fatalf("making joe's service: %s%s", out, errOut)
	}
	m.eventually(20*time.Second, func() string {
		out, _, _ := m.try("cat", "/home/joe/hello.out")
		if strings.TrimSpace(out) != "joe /home/joe joe joe" {
			return fmt.Sprintf("~joe/hello.out = %q, want \"joe /home/joe joe joe\"", out)
		}
		return ""
	})
	if out := strings.TrimSpace(m.run("stat", "-c", "%U", "/home/joe/service/hello/supervise/status")); out != "joe" {
		t.Errorf("joe's supervise/status owned by %q: his supervisor does not run as him", out)
	}
	// joe's own sv stops it.
	out, errOut, code := m.asJoe("sv -w 10 down ~/service/hello")
	if code != 0 || !strings.HasPrefix(out, "ok: down: /home/joe/service/hello") {
		t.Fatalf("joe's sv down: exit %d %q %s", code, out, errOut)
	}
	if out, _, _ := m.asJoe("ps -u joe -o args"); strings.Contains(out, "sleep 100000") {
		t.Errorf("joe's service still runs after his sv down:\n%s", out)
	}
	// Stopping the tree stops joe's services with it (runsvdir gets SIGHUP).
	m.asJoe("sv up ~/service/hello")
	m.eventually(10*time.Second, func() string {
		if out, _, _ := m.asJoe("ps -u joe -o args"); !strings.Contains(out, "sleep 100000") {
			return "joe's service did not start again:\n" + out
		}
		return ""
	})
	m.run("sv", "-w", "15", "down", "/service/joe.runsvdir")
	m.eventually(15*time.Second, func() string {
		if out, _, _ := m.asJoe("ps -u joe -o args"); strings.Contains(out, "sleep 100000") || strings.Contains(out, "runsvdir") {
			return "joe's processes outlive his tree:\n" + out
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
