package planner

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestLogAccount checks that a logger runs as LogUser, declared by the
// plan, and not as its service's user; a log block's own user is kept.
func TestLogAccount(t *testing.T) {
	for _, tt := range []struct {
		name    string
		src     string
		account bool   // LogUser declared by the plan
		want    string // in log/run
		notWant string
	}{
		{"default", `service "db" {
  command = ["/usr/bin/db"]
  user    = "postgres"
  log {}
}`, true, `exec chpst -u ":$ids" svlogd -tt "$d"`, "postgres"},
		{"declared by the description", `user "_sysconf-log" {
  system = true
  uid    = 555
}
service "db" {
  command = ["/usr/bin/db"]
  log {}
}`, true, `[ "$name" = _sysconf-log ] && ids=$uid:$gid`, ""},
		{"own user", `service "db" {
  command = ["/usr/bin/db"]
  log { user = "logger" }
}`, false, `exec chpst -u logger svlogd -tt "$d"`, LogUser},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := plan(t, fstest.MapFS{"system.hcl": {Data: []byte(tt.src)}}, nil)
			var logRun string
			for _, e := range m.Services[0].Tree {
				if e.Path == "log/run" {
					logRun = string(e.Content)
				}
			}
			if !strings.Contains(logRun, tt.want) || tt.notWant != "" && strings.Contains(logRun, tt.notWant) {
				t.Errorf("log/run has no %q, or has %q:\n%s", tt.want, tt.notWant, logRun)
			}
			n := 0
			for _, u := range m.Users {
				if u.Name == LogUser {
					n++
					if !u.System || u.Shell != "/usr/sbin/nologin" {
						t.Errorf("log account %+v: want a system account with no login", u)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.account]; n != want {
				t.Errorf("%d %s accounts in the plan, want %d: %+v", n, LogUser, want, m.Users)
			}
		})
	}
}

// TestStageMounts checks that stage 1 mounts the description's mounts,
// unless something mounted them already, with their owner and mode.
func TestStageMounts(t *testing.T) {
	m := plan(t, fstest.MapFS{"system.hcl": {Data: []byte(`mount "/dev/shm/pg_mem" {
  type    = "tmpfs"
  options = ["size=64m", "nosuid"]
  owner   = "postgres"
  mode    = "0700"
}
service "a" {
  command = ["/bin/a"]
}
`)}}, nil)
	var stage1 string
	for _, e := range m.Boot {
		if e.Path == "etc/runit/1" {
			stage1 = string(e.Content)
		}
	}
	for _, want := range []string{
		"mkdir -p /dev/shm/pg_mem && { mounted /dev/shm/pg_mem || mount -t tmpfs -o size=64m,nosuid tmpfs /dev/shm/pg_mem; } ||\n",
		"chown postgres: /dev/shm/pg_mem\n",
		"chmod 0700 /dev/shm/pg_mem\n",
	} {
		if !strings.Contains(stage1, want) {
			t.Errorf("stage 1 has no %q:\n%s", want, stage1)
		}
	}
	if i, j := strings.Index(stage1, "mount -a"), strings.Index(stage1, "/dev/shm/pg_mem"); i < 0 || j < i {
		t.Errorf("the mounts come before /etc/fstab's:\n%s", stage1)
	}
}
