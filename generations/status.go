package generations

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sysconf/runit/supervise"
)

// ServiceStatus is one line of `sysconf status`.
type ServiceStatus struct {
	Name      string    `json:"name"`
	StorePath string    `json:"store_path"`
	State     string    `json:"state"` // run, down, finish, or "unsupervised"
	PID       int       `json:"pid,omitempty"`
	Since     time.Time `json:"since,omitempty"`
	Want      string    `json:"want,omitempty"`
	Paused    bool      `json:"paused,omitempty"`
	// Debt is set when the running process was started from another
	// store entry than the current generation's: it still runs an older
	// definition and needs a restart.
	Debt string `json:"debt,omitempty"`
	// Starting is set while the process has not signalled readiness on
	// its notification-fd (supervise/ready).
	Starting bool `json:"starting,omitempty"`
	// NextStart is set while the supervisor waits to start the service
	// again under its restart backoff (supervise/backoff), Backoff being
	// the length of that wait.
	NextStart time.Time     `json:"next_start,omitempty"`
	Backoff   time.Duration `json:"backoff,omitempty"`
	// Cgroup is the service's cgroup, where its supervisor gave it one,
	// with the memory (bytes) and the number of tasks it holds; -1 for
	// what the kernel does not say.
	Cgroup string `json:"cgroup,omitempty"`
	Memory int64  `json:"memory,omitempty"`
	Tasks  int64  `json:"tasks,omitempty"`
}

// Status is the state of the current generation's running services.
type Status struct {
	Generation   int             `json:"generation"`
	Level        string          `json:"level"`
	Boot         int             `json:"boot"`
	Supervised   bool            `json:"supervised"`
	Interrupted  bool            `json:"interrupted"` // an activation was interrupted and is not finished yet
	Services     []ServiceStatus `json:"services"`
	SupervisedBy string          `json:"-"`
}

// Status reads the current generation and, for each service of its
// runlevel, the supervisor's status through the store entry's supervise
// link. It takes no lock and writes nothing: an interrupted activation is
// reported (Interrupted), not recovered; the next apply, rollback or
// runlevel switch finishes it.
func (g *Root) Status() (*Status, error) {
	r := g.r
	cur, level, err := g.current()
	if found := g.atFound(); err != nil && found != nil {
		// Given back: the found services, through their own folders.
		cur, level, err = found, found.Found.Level, nil
	}
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, ErrNoCurrent
	}
	st := &Status{Generation: cur.Number, Level: level, Supervised: g.Supervised()}
	st.Boot, _ = g.bootDefault()
	if j, _ := g.readJournal(); j != nil {
		st.Interrupted = true
	}
	for _, name := range cur.Runlevels[level] {
		ss := ServiceStatus{Name: name, StorePath: cur.StorePaths[name]}
		dir := filepath.Join(r.Name(), ss.StorePath)
		s, err := supervise.ReadStatus(dir)
		if err != nil {
			ss.State = "unsupervised"
		} else {
			ss.State = s.State.String()
			ss.PID = s.PID
			ss.Since = s.Since.Time()
			ss.Want = string(rune(s.Want))
			ss.Paused = s.Paused
			if s.PID != 0 {
				ss.Debt = g.restartDebt(dir, s.PID)
			}
			ss.Starting = s.State == supervise.StateRun && supervise.ReadReadiness(dir).Pending(s.PID)
			if u, ok := supervise.ReadCgroupUsage(dir); ok {
				ss.Cgroup, ss.Memory, ss.Tasks = u.Path, u.Memory, u.Tasks
			}
			if p, ok := supervise.ReadBackoff(dir); ok && s.State == supervise.StateDown && s.Want == supervise.WantUp {
				ss.NextStart, ss.Backoff = p.Due, p.Delay
			}
		}
		st.Services = append(st.Services, ss)
	}
	return st, nil
}

// restartDebt compares the working directory of the running process (its
// run script starts in its service folder) with the current store entry;
// it returns the other store entry when they differ, "" otherwise or when
// it cannot tell.
func (g *Root) restartDebt(dir string, pid int) string {
	root := g.r.Name()
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return ""
	}
	// /proc shows the physical, absolute path.
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	store := filepath.Join(root, g.l.Store()) + "/"
	rest, ok := strings.CutPrefix(cwd, store)
	if !ok {
		return ""
	}
	entry, _, _ := strings.Cut(rest, "/")
	if entry != filepath.Base(dir) {
		return g.l.Store() + "/" + entry
	}
	return ""
}

// Supervised reports whether a runsvdir process watches the root's service
// folder (Layout.Service): one whose folder argument (resolved from its
// working directory) is the same folder.
func (g *Root) Supervised() bool {
	want, err := os.Stat(filepath.Join(g.r.Name(), g.l.Service))
	if err != nil {
		return false
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if filepath.Base(argv[0]) != "runsvdir" {
			continue
		}
		args := argv[1:]
		if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && (args[0][1] == 'P' || args[0][1] == '-') {
			args = args[1:]
		}
		if len(args) == 0 {
			continue
		}
		dir := args[0]
		if !filepath.IsAbs(dir) {
			cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
			if err != nil {
				continue
			}
			dir = filepath.Join(cwd, dir)
		}
		if fi, err := os.Stat(dir); err == nil && os.SameFile(fi, want) {
			return true
		}
	}
	return false
}
