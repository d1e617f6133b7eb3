package supervise

// Files of a service directory that sysconf's supervisors read beyond
// runit's, named as in s6 so that hand-written service dirs get the same
// behaviour; runit's runsv ignores them.
const (
	// TimeoutKillFile holds milliseconds, in decimal: how long after the
	// stop signal the service's process group is killed. Absent or 0:
	// never, as in runit.
	TimeoutKillFile = "timeout-kill"
	// DownSignalFile names the stop signal ("INT"); absent: TERM.
	DownSignalFile = "down-signal"
)
