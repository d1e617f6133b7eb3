// Package supervise owns runit 2.1.2's supervise/ protocol, the surface that
// runit's own tools, daemontools-style tools and sysconf's runit share. No
// other package spells a supervise file's name or touches its bytes.
//
// It knows the names of the files (names.go: Path, StateDirName), the byte
// layout of supervise/status (Status, and Record for a client's raw view),
// the text of supervise/stat and supervise/pid, the TAI64N time stamps
// (TAI64N), the command bytes of supervise/control (Command), how a
// supervisor writes its state files (WriteState) and how a client talks to
// a supervisor through the ok and control FIFOs (client.go: Probe,
// ReadStatus, ReadRecordAt, SendAt). It also owns the s6-style files a
// supervisor reads in a service directory to bound a stop
// (TimeoutKillFile, DownSignalFile) and their formats, and sysconf's
// additions beside status (docs/runsv.md): readiness (readiness.go:
// NotificationFDFile, ReadyFile, ReadReadiness), restart backoff
// (backoff.go: RestartBackoffFile, BackoffFile, ReadBackoff) and
// containment (cgroup.go: CgroupLimitsDir, CgroupFile, ReadCgroupUsage).
// It does not supervise anything: the state machine lives in runit/runsv.
//
// Start with Status; the contract is spec/runit.md §1.
package supervise
