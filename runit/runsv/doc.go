// Package runsv is sysconf's runsv, and the supervisor that runsvdir's
// supervisor host runs once per service in a single process.
//
// # Synopsis
//
//	runsv dir
//
// # Description
//
// runsv supervises one service directory dir: it starts ./run, restarts it
// when it exits (running ./finish CODE STATUS first when there is one), and
// obeys the command bytes that sv writes to supervise/control. When dir/log
// is a directory it also supervises dir/log/run and connects the service's
// standard output to the logger's standard input through one pipe that runsv
// keeps open for its whole life, so either side may restart without the other
// seeing EOF or EPIPE.
//
// The supervise/ directory (status, stat, pid, control, ok, lock) is written
// byte for byte as runit 2.1.2 writes it, so Debian's sv works against it;
// supervise may be a symlink (also log/supervise). Custom control/<c> hooks,
// the down file, the one-second restart throttle and the exit sequence follow
// spec/runit.md §1 and §2 exactly.
//
// SIGTERM is the command x: the service is stopped, then the logger is left
// to drain the pipe, then runsv exits 0. Every other signal keeps its default
// action.
//
// Beyond runit: when supervise/status says a ./run (or ./finish) is running
// whose process is alive, is not runsv's child and started at the recorded
// time (a supervisor killed with SIGKILL leaves it behind), runsv adopts it
// instead of starting a second copy. It watches it through a pidfd and
// signals it through the pidfd. How an adopted process ended cannot be known,
// so ./finish then receives "-1 0". When the logger or the service was
// adopted, runsv reopens the pipe between them (through /proc/PID/fd) and
// uses it as its log pipe, so a restarted service still reaches an adopted
// logger and the reverse.
//
// Beyond runit: every ./run, ./finish and log/run leads a session and
// process group of its own, unless its directory has a nosetsid file. A
// stop (d, x, SIGTERM) sends the signal named in the directory's
// down-signal file instead of SIGTERM, and when ./run is still running
// timeout-kill milliseconds later, SIGKILL to its process group. The
// files are s6-supervise's; see docs/runsv.md.
//
// Beyond runit: a service whose directory has s6's notification-fd file
// gets a pipe as that descriptor; the newline it writes there marks it
// ready in supervise/ready, which sv -w up and sysconf read. A
// restart-backoff file replaces runit's blocking one-second restart delay
// by a growing one that leaves commands answered, recorded in
// supervise/backoff. Where the machine made /sys/fs/cgroup/sysconf (cgroup
// v2), each service runs in a cgroup of its own with the limits of its
// cgroup/ folder, and a stop that escalates kills the cgroup whole
// (supervise/cgroup names it). See docs/runsv.md.
//
// # Exit codes
//
//	0    told to exit (sv exit, SIGTERM) and done
//	1    usage: not exactly one operand
//	111  fatal startup error ("runsv dir: fatal: ...")
//
// # Use as a library
//
// Open runs the startup sequence for a Config and returns a Supervisor; Run
// is its main loop and Exit its SIGTERM. Supervisors share nothing but the
// process's reaper, so runsvdir's host runs thousands of them as goroutines.
// A Supervisor costs two goroutines (three with a log service), four file
// descriptors (nine with a log service: one O_RDWR descriptor stands for
// runit's two on each control FIFO) and no large buffers, about 12 kB in
// all; the host never changes directory, as
// every path is resolved from a directory descriptor and children get their
// working directory as /proc/self/fd/N.
//
// Files: supervisor.go (Config, Open: startup), status.go (the supervise/
// files), loop.go (Run: the state machine), ctrl.go (the command bytes),
// stop.go (bounded stops), child.go (starting ./run, ./finish, log/run and
// control hooks), adopt.go (adoption), handoff.go (handover), ready.go
// (readiness), backoff.go (restart backoff), cgroup.go (containment),
// main.go (the command).
package runsv
