package supervise

// Names of the files inside a supervise directory (spec/runit.md §1.2).
const (
	DirName     = "supervise"
	LockFile    = "lock"
	ControlFIFO = "control"
	OkFIFO      = "ok"
	StatusFile  = "status"
	StatFile    = "stat"
	PIDFile     = "pid"

	// HandoverFile is sysconf's own: present while a supervisor is told
	// to exit (SIGTERM, what runsvdir does to a removed entry; not sv's
	// x), it makes sysconf's runsv leave the service and its logger
	// running for the next supervisor of the same supervise directory.
	// `sysconf apply --no-restart` writes it while it swaps a service's
	// directory for a new one linking the same supervise directory, and
	// removes it after. runit's runsv ignores it.
	HandoverFile = "handover"

	// ReadyFile is sysconf's own: written beside status by our
	// supervisors for a service with a NotificationFDFile, it says
	// whether the process named in it has signalled readiness (see
	// readiness.go). runit's runsv never writes it.
	ReadyFile = "ready"
	// BackoffFile is sysconf's own: present while our supervisor waits
	// to start a service again after a RestartBackoffFile delay, it says
	// when the next start is due (see backoff.go).
	BackoffFile = "backoff"
)

// newSuffix names the file a state file is written to before it is
// renamed over the real one (runit's "status.new").
const newSuffix = ".new"

// Names of the files a supervisor reads in a service directory (the
// directory itself, or its log/), besides run, finish, down, check and
// control/<c>, which runit defines. These come from s6-supervise, so that
// hand-written service directories work the same under both; runit's
// runsv ignores them.
const (
	// TimeoutKillFile holds a number of milliseconds: when the service
	// is still running that long after it was told to stop, the
	// supervisor kills its process group. Absent or 0: wait forever.
	TimeoutKillFile = "timeout-kill"
	// DownSignalFile holds the name of the signal that stops the
	// service ("TERM", "SIGINT", …). Absent: SIGTERM.
	DownSignalFile = "down-signal"
	// NoSetsidFile, when present, keeps the service in its supervisor's
	// session and process group, as runit's runsv does, for run scripts
	// that must not lead a process group (`exec setsid getty`, which
	// forks into the background when it already leads one).
	NoSetsidFile = "nosetsid"
	// NotificationFDFile holds a descriptor number, as s6's: the service
	// writes a newline to that descriptor when it is ready to serve.
	NotificationFDFile = "notification-fd"
	// RestartBackoffFile is sysconf's own (s6 has none): three decimal
	// numbers of milliseconds, the first restart delay, the largest and
	// how long a process must run for the delay to go back to the first
	// (see backoff.go). Absent: runit's one second after a run under one
	// second.
	RestartBackoffFile = "restart-backoff"
)

// Path returns the path of file name in the supervise directory of the
// service directory svdir: svdir + "/supervise/" + name, not cleaned, so
// that the kernel resolves it as chdir(svdir) followed by
// open("supervise/name") would ("a/../b" walks through a, symlinks
// included), as runit's sv does. An empty svdir is the directory paths are
// resolved from (the working directory, or the dirfd of the At functions):
// Path("", StatusFile) is "supervise/status", Path("log", StatusFile) is
// "log/supervise/status".
func Path(svdir, name string) string {
	if svdir == "" {
		for i := range spelled {
			if spelled[i].name == name {
				return spelled[i].path
			}
		}
		return DirName + "/" + name
	}
	return svdir + "/" + DirName + "/" + name
}

// spelled are the paths, relative to a service directory, that sv opens
// for every service it is given, spelled out once with their C strings
// (for rawOpenat) rather than built and converted anew at each call: sv
// status over 500 services asks for them 1,500 times, and doing so was
// most of its allocations.
var spelled = [...]spelledPath{spell(OkFIFO), spell(StatusFile), spell(ControlFIFO)}

type spelledPath struct {
	name, path string
	c          []byte // path, NUL-terminated
}

func spell(name string) spelledPath {
	path := DirName + "/" + name
	return spelledPath{name: name, path: path, c: append([]byte(path), 0)}
}

// StateDirName returns the name of the folder that holds the supervise
// state of service when the service directory's supervise is a symlink
// into a shared run-time folder, as on Void Linux
// (/run/runit/supervise.NAME); LogStateDirName is its log service's.
func StateDirName(service string) string { return DirName + "." + service }

// LogStateDirName returns StateDirName's counterpart for the log service
// of service: supervise.NAME-log.
func LogStateDirName(service string) string { return DirName + "." + service + "-log" }
