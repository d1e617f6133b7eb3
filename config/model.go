package config

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// System is an evaluated description of a machine: every service of the root
// module and of every module it calls, the runlevels, the managed files and
// the root module's outputs. Every slice is sorted, so the same sources and
// variables give the same System.
type System struct {
	Services  []*Service  // sorted by Name
	Runlevels []*Runlevel // sorted by Name; "default" holds every enabled service when none is declared
	Files     []*File     // sorted by Path
	Outputs   []*Output   // the root module's outputs, sorted by Name
	Boot      *Boot       // the boot block, or its defaults when there is none
	Machine   *Machine    // the system block; nil when there is none

	// The machine around the services (accounts.go): created or
	// corrected at activation, before any service starts.
	Groups      []*Group     // sorted by Name
	Users       []*User      // sorted by Name
	Directories []*Directory // sorted by Path
	Mounts      []*Mount     // sorted by Path

	// Sources holds every file read, keyed by the file name used in ranges,
	// so that diagnostics can show snippets and generations can copy them.
	Sources map[string][]byte
}

// Service is one evaluated service block (or one instance of a for_each one).
type Service struct {
	// Name is the full name: the block label, prefixed by "MODULE." for
	// every module call it sits in ("console.getty-tty1").
	Name    string
	Module  string   // the module path ("" for the root, "console" or "a.b")
	Command []string // exec'd as is; empty when Run is given
	Run     string   // a whole script; empty when Command is given
	User    string
	Group   string
	// UserRange and GroupRange are where user and group were written, so
	// that a check against the machine's accounts points at them.
	UserRange  hcl.Range
	GroupRange hcl.Range
	Env        map[string]string
	Chdir      string
	Nice       *int
	Limits     Limits
	Finish     string
	Check      string
	Down       bool
	Control    map[string]string // signal letter → script
	DependsOn  []string          // full names, sorted
	Log        *Log
	// Enabled false keeps the service in the generation (sv/, so sv can
	// start it by hand) but out of every runlevel.
	Enabled bool
	// StopTimeout is how long the supervisor waits after the stop signal
	// before it sends SIGKILL to the service's process group; 0 waits
	// forever, as runit does. DefaultStopTimeout when not given; a whole
	// number of milliseconds.
	StopTimeout time.Duration
	// StopSignal is the signal that asks the service to stop, by its name
	// without SIG ("TERM", "INT"): one of StopSignals. DefaultStopSignal
	// when not given.
	StopSignal string
	// NotificationFD is the descriptor on which the service writes a
	// newline once it is ready (s6's notification-fd); 0: none, the
	// service is ready when it runs.
	NotificationFD int
	// Restart is the restart backoff of a restart block; nil keeps
	// runit's rule (one second after a run shorter than one second).
	Restart *Restart
	// Files, when given (file blocks), are the service's whole tree as it
	// is, sorted by Path: nothing is generated, no header added.
	Files []*TreeFile

	DeclRange hcl.Range
}

// Restart is a restart block: the first restart waits Delay, each one
// after a run shorter than ResetAfter twice the previous wait, at most
// MaxDelay.
type Restart struct {
	Delay, MaxDelay, ResetAfter time.Duration
}

// DefaultRestart holds the values a restart block leaves out.
var DefaultRestart = Restart{Delay: time.Second, MaxDelay: time.Minute, ResetAfter: 30 * time.Second}

// Limits are the resource limits applied with chpst (and, for Stack, the
// shell's ulimit: chpst has no stack option of its own). Nil means unset.
type Limits struct {
	Memory     *int64 // bytes, chpst -m
	Data       *int64 // bytes, chpst -d
	Stack      *int64 // bytes, ulimit -s (in KiB)
	OpenFiles  *int64 // chpst -o
	Processes  *int64 // chpst -p
	FileSize   *int64 // bytes, chpst -f
	Core       *int64 // bytes, chpst -c
	CPUSeconds *int64 // chpst -t
	// The service's cgroup, where the supervisor gives it one
	// (docs/runsv.md, Containment).
	MemoryMax *int64 // bytes, memory.max
	PidsMax   *int64 // pids.max
	CPUWeight *int64 // cpu.weight, 1 to 10000 (100 is the kernel's default)
}

// Timestamps says which time stamp svlogd puts before each line.
const (
	TimestampsUTC     = "utc"     // svlogd -tt: 2026-12-04_13:25:19.12345 (the default)
	TimestampsISO8601 = "iso8601" // svlogd -ttt: 2026-12-04T13:25:19.12345
	TimestampsTAI64N  = "tai64n"  // svlogd -t: @4000000069318a2f…
	TimestampsNone    = "none"
)

// Log is a service's log block: a log/run running svlogd.
type Log struct {
	// Dir is absolute, as the service sees the machine: the default is
	// DefaultLogDir + "/" + the service name. See the package comment for
	// how it is reached under --root.
	Dir        string
	Size       *int64 // bytes, svlogd s
	Keep       *int64 // svlogd n
	MinKeep    *int64 // svlogd N
	Timeout    *int64 // seconds, svlogd t
	Prefix     string // svlogd p
	Filters    []string
	Timestamps string
	Processor  string
	// User is the user svlogd runs as when the log block gives one; ""
	// means the log account sysconf declares (planner.LogUser), never the
	// service's own user, which could then rewrite its own logs.
	User string

	DeclRange hcl.Range
}

// DefaultStopTimeout is a service's stop_timeout when it gives none:
// docs/transitions.md says why 10 seconds.
const DefaultStopTimeout = 10 * time.Second

// DefaultStopSignal is a service's stop_signal when it gives none: what
// runit's runsv sends.
const DefaultStopSignal = "TERM"

// StopSignals are the names stop_signal accepts (written with or without
// SIG, in any case): the signals whose default action ends a process, and
// WINCH, which some servers (Apache httpd) take as "stop gracefully".
// Signals that only pause or continue a process (STOP, TSTP, CONT) or are
// ignored by default (CHLD, URG) would stop nothing.
var StopSignals = []string{"ABRT", "ALRM", "HUP", "INT", "KILL", "PWR", "QUIT", "TERM", "USR1", "USR2", "WINCH"}

// DefaultLogDir is where a log block without dir writes, one folder per service.
const DefaultLogDir = "/var/log/sysconf"

// Runlevel is one runlevel: the full names of its services, sorted.
type Runlevel struct {
	Name      string
	Services  []string
	DeclRange hcl.Range
}

// File is a managed file such as /etc/conf.d/pg_shm.
type File struct {
	Path      string // absolute and clean
	Content   []byte
	Mode      uint32 // permission bits; 0644 when not given
	Owner     string
	Group     string
	Module    string
	DeclRange hcl.Range
}

// Output is one output value of the root module.
type Output struct {
	Name        string
	Description string
	Value       cty.Value
	DeclRange   hcl.Range
}
