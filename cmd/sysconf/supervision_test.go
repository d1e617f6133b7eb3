package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// stamps reads the date +%s%N lines a service appended to path.
func stamps(path string) []time.Time {
	b, _ := os.ReadFile(path)
	var ts []time.Time
	for _, l := range strings.Fields(string(b)) {
		if ns, err := strconv.ParseInt(l, 10, 64); err == nil {
			ts = append(ts, time.Unix(0, ns))
		}
	}
	return ts
}

// writeConfig writes main.hcl with text into a new folder and returns it.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReadinessUnderRoot: under a temporary --root and our runsvdir, a
// service with notification_fd that signals readiness after 2 s holds
// `sv -w 15 up` until then, and sv returns within 0.3 s of it; the service
// that depends_on it starts within 1 s after that readiness, never before.
func TestReadinessUnderRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`
service "db" {
  notification_fd = 3
  run = <<-EOT
    #!/bin/sh
    sleep 2
    date +%%s%%N > %[1]s/db.ready.new && mv %[1]s/db.ready.new %[1]s/db.ready
    echo >&3
    exec sleep 1000
  EOT
}

service "app" {
  depends_on = [service.db]
  run = <<-EOT
    #!/bin/sh
    date +%%s%%N >> %[1]s/app.starts
    exec sleep 1000
  EOT
}
`, tmp))
	sysconf(t, 0, "apply", "--root", root, "-c", cfg)
	startRunsvdir(t, root)
	db := filepath.Join(root, "service", "db")
	testenv.Eventually(t, 10*time.Second, func() string {
		if err := supervise.Probe(db); err != nil {
			return "db's supervisor: " + err.Error()
		}
		return ""
	})
	// Until its newline (2 s after its start), status shows db as running
	// but not ready.
	testenv.Eventually(t, 1500*time.Millisecond, func() string {
		if st := readStatusOut(t, root); !regexp.MustCompile(`(?m)^db +run .*starting, not ready yet`).MatchString(st) {
			return "sysconf status while db starts:\n" + st
		}
		return ""
	})
	start := time.Now()
	out, errOut, code := testenv.Run(t, 30*time.Second, exec.Command(filepath.Join(testenv.RunitBin(t), "sv"), "-w", "15", "up", db))
	end := time.Now()
	if code != 0 || !strings.HasPrefix(out, "ok: run: "+db+": (pid ") {
		t.Fatalf("sv -w 15 up db: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	r := stamps(filepath.Join(tmp, "db.ready"))
	if len(r) != 1 {
		t.Fatalf("db wrote no readiness time")
	}
	ready := r[0]
	if ready.Sub(start) < time.Second {
		t.Errorf("db was ready %v after sv started: the test did not wait", ready.Sub(start))
	}
	if end.Before(ready) || end.Sub(ready) > 300*time.Millisecond {
		t.Errorf("sv -w 15 up returned %v after db was ready, want within 0.3s", end.Sub(ready))
	}
	var starts []time.Time
	testenv.Eventually(t, 10*time.Second, func() string {
		if starts = stamps(filepath.Join(tmp, "app.starts")); len(starts) == 0 {
			return "app has not started"
		}
		return ""
	})
	if d := starts[0].Sub(ready); d < 0 || d > time.Second {
		t.Errorf("app started %v after db's readiness, want within 1s and never before", d)
	}
	if st := readStatusOut(t, root); !regexp.MustCompile(`(?m)^db +run `).MatchString(st) || strings.Contains(st, "not ready") {
		t.Errorf("sysconf status once db is ready:\n%s", st)
	}
}

// readStatusOut runs sysconf status under root.
func readStatusOut(t *testing.T, root string) string {
	t.Helper()
	return sysconf(t, 0, "status", "--root", root)
}

// TestRestartBackoffUnderRoot: under a temporary --root and our runsvdir,
// a crash-looping service with restart { delay = "200ms", max_delay =
// "4s" } is restarted first after about 200 ms, then with growing gaps,
// never more than max_delay apart; sysconf status shows the wait.
func TestRestartBackoffUnderRoot(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	tmp := filepath.Join(root, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`
service "crash" {
  restart {
    delay     = "200ms"
    max_delay = "4s"
  }
  run = <<-EOT
    #!/bin/sh
    date +%%s%%N >> %s/crash.starts
    exit 1
  EOT
}
`, tmp))
	sysconf(t, 0, "apply", "--root", root, "-c", cfg)
	startRunsvdir(t, root)
	var starts []time.Time
	sawNote := false
	testenv.Eventually(t, 30*time.Second, func() string {
		if !sawNote && strings.Contains(readStatusOut(t, root), "next start in") {
			sawNote = true
		}
		if starts = stamps(filepath.Join(tmp, "crash.starts")); len(starts) < 8 {
			return fmt.Sprintf("%d starts so far", len(starts))
		}
		return ""
	})
	var gaps []time.Duration
	for i := 1; i < len(starts); i++ {
		gaps = append(gaps, starts[i].Sub(starts[i-1]))
	}
	t.Logf("gaps between starts: %v", gaps)
	if gaps[0] < 200*time.Millisecond || gaps[0] > 500*time.Millisecond {
		t.Errorf("first restart after %v, want about 200ms", gaps[0])
	}
	const slack = 300 * time.Millisecond // the run and the fork
	for i, g := range gaps {
		if g > 4*time.Second+slack {
			t.Errorf("gap %d is %v, more than max_delay 4s", i+1, g)
		}
		if i > 0 && i < 5 && g < gaps[i-1]+gaps[i-1]/2 {
			t.Errorf("gap %d (%v) did not grow from %v", i+1, g, gaps[i-1])
		}
	}
	if last := slices.Max(gaps); last < 4*time.Second {
		t.Errorf("the gaps never reached max_delay: %v", gaps)
	}
	if !sawNote {
		t.Error("sysconf status never showed the service in backoff")
	}
}
