package generations

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sysconf/runit/supervise"
)

// HealthError reports a service that did not come up after a switch.
type HealthError struct {
	Service string
	Reason  string   // "not running", "check failed", …
	Log     []string // the last lines of its log, when it has one
}

func (e *HealthError) Error() string {
	return fmt.Sprintf("service %s did not come up: %s", e.Service, e.Reason)
}

// ErrUnsupervised says that no runsvdir watches ROOT/service.
var ErrUnsupervised = errors.New("nothing is supervising")

// svDir returns the absolute store folder of service name in rec.
func svDir(root string, rec *Record, name string) string {
	return filepath.Join(root, rec.StorePaths[name])
}

// upState tells whether a service is up in `sv -w up`'s sense: a
// supervisor answers on supervise/ok, the status says run with a pid (not
// oldPID, the pid of the instance a restart replaces), the process has
// signalled readiness where it has a notification-fd (supervise/ready),
// and ./check, where the service has one, exits 0.
//
// A service must also have stayed in that state for settle: a run script
// that fails at once is "run" for an instant, and without the delay a
// health check would take that instant for success (runsv restarts a
// service at most once a second, so one second shows it stayed up).
func upState(ctx context.Context, dir string, oldPID int, settle time.Duration) (bool, string) {
	st, err := supervise.ReadStatus(dir)
	if err != nil {
		if errors.Is(err, supervise.ErrNotRunning) || errors.Is(err, supervise.ErrNoService) {
			return false, "no supervisor running"
		}
		return false, err.Error()
	}
	if st.State != supervise.StateRun || st.PID == 0 {
		return false, "not running (" + st.State.String() + ")"
	}
	if st.PID == oldPID {
		return false, "old instance still running (pid " + strconv.Itoa(oldPID) + ")"
	}
	if supervise.ReadReadiness(dir).Pending(st.PID) {
		return false, "not ready yet (no newline on its notification-fd)"
	}
	if age := time.Since(st.Since.Time()); age < settle {
		return false, "up for only " + age.Truncate(time.Millisecond).String()
	}
	if _, err := os.Stat(filepath.Join(dir, "check")); err == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, "./check")
		cmd.Dir = dir
		if err := cmd.Run(); err != nil {
			return false, "check failed: " + err.Error()
		}
	}
	return true, ""
}

// pidOf reads the pid of the running instance of a service, 0 if none.
func pidOf(dir string) int {
	st, err := supervise.ReadStatus(dir)
	if err != nil || st.State == supervise.StateDown {
		return 0
	}
	return st.PID
}

// awaitUp waits until every service in names is up or the deadline; on
// failure it returns a *HealthError for the first one still down.
func awaitUp(ctx context.Context, root string, rec *Record, names []string, oldPIDs map[string]int, timeout, settle time.Duration, emit func(Event)) error {
	deadline := time.Now().Add(timeout)
	pending := append([]string(nil), names...)
	reasons := map[string]string{}
	for _, n := range pending {
		emit(Event{Kind: "await", Service: n})
	}
	start := time.Now()
	nextReport := start.Add(reportEvery)
	for len(pending) > 0 {
		var still []string
		for _, n := range pending {
			ok, why := upState(ctx, svDir(root, rec, n), oldPIDs[n], settle)
			if ok {
				emit(Event{Kind: "up", Service: n})
				continue
			}
			reasons[n] = why
			still = append(still, n)
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			n := pending[0]
			return &HealthError{Service: n, Reason: reasons[n] + " after " + timeout.String(), Log: logTail(root, rec, n, 10)}
		}
		if now := time.Now(); !now.Before(nextReport) {
			waited := now.Sub(start).Truncate(time.Second)
			for _, n := range pending {
				emit(Event{Kind: "wait", Service: n, Message: fmt.Sprintf("to be up (%s): %s so far, at most %s", reasons[n], waited, timeout)})
			}
			nextReport = nextReport.Add(reportEvery)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// reportEvery is how often a wait of apply says what it is waiting for.
const reportEvery = time.Second

// logTail returns the last lines of a service's svlogd log: the folder is
// the last argument of svlogd in its log/run (relative to log/, or an
// absolute path read under root).
func logTail(root string, rec *Record, name string, lines int) []string {
	var run []byte
	for _, s := range rec.Manifest.Services {
		if s.Name == name {
			for _, e := range s.Tree {
				if e.Path == "log/run" {
					run = e.Content
				}
			}
		}
	}
	// The folder is svlogd's last argument, possibly a shell variable set
	// earlier in the script (the planner writes d='…' then svlogd "$d").
	dir := ""
	vars := map[string]string{}
	unquote := func(w string) string { return strings.Trim(w, "'\"") }
	for _, line := range strings.Split(string(run), "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.ContainsAny(k, " \t\"'$") && k != "" {
			vars[k] = unquote(v)
			continue
		}
		f := strings.Fields(line)
		for i, w := range f {
			if filepath.Base(w) == "svlogd" && i+1 < len(f) {
				dir = unquote(f[len(f)-1])
				if name, ok := strings.CutPrefix(dir, "$"); ok {
					dir = vars[strings.Trim(name, "{}")]
				}
			}
		}
	}
	if dir == "" {
		return nil
	}
	if filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	} else {
		dir = filepath.Join(svDir(root, rec, name), "log", dir)
	}
	f, err := os.Open(filepath.Join(dir, "current"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var all []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		all = append(all, sc.Text())
		if len(all) > lines {
			all = all[1:]
		}
	}
	return all
}
