// Package sv is runit's control and status client, byte for byte the sv of
// Debian's runit 2.1.2 (spec/runit.md §4).
//
// # Synopsis
//
//	sv [-v] [-w sec] command service ...
//	/etc/init.d/NAME [-w sec] command
//
// # Description
//
// sv reports the status of the services it is given and sends them commands
// through their supervise/control FIFO, which runsv (Debian's or ours) reads.
// A service is a directory: a name starting with "/" or "." is used
// relative to the current directory (so is an empty one and one ending in
// "/"), any other name is looked up in the services directory, $SVDIR or
// /etc/service/. While waiting (below) only the leading "/" or "." counts,
// so "foo/" is looked up in $SVDIR then: runit's inconsistency, kept.
//
// Called by any other name than sv (a link /etc/init.d/NAME → sv), sv runs
// in LSB mode: the service is NAME, operands after the command are ignored,
// words starting with "s" must be exactly status, start, stop or shutdown,
// and the exit codes follow the LSB init-script conventions below.
//
// # Commands
//
// Only the first character of a command counts, except for the full words
// listed with it:
//
//	status               print the status line of each service (any word
//	                     starting with "s" that is not one of start, stop,
//	                     shutdown)
//	up, down, once       send u, d, o
//	pause, cont, hup, alarm, interrupt, quit, 1, 2, term, kill
//	                     send p c h a i q 1 2 t k
//	exit                 send x (e… too)
//	start, stop          send u, d and wait
//	reload               send h and wait
//	restart              send tcu and wait
//	shutdown             send x and wait
//	try-restart          send tc and wait
//	check                send nothing, wait until the service is up and its
//	                     ./check passes (a service without a pid passes)
//	force-stop, force-reload, force-restart, force-shutdown
//	                     send d, tc, tcu, x, wait, and send k on timeout
//	D…, T…, X…, E…       send d, tc, x, x, wait, and send k on timeout
//
// Nothing is sent when the service already wants what the first command byte
// asks for, except d, which is sent again unless the supervisor already sent
// TERM.
//
// While waiting, sv reads every pending service's status each 420 ms and
// prints "ok: " and its status line once the service reached the state the
// command asks for (comparing time stamps in whole seconds), or "timeout: "
// (force commands: "kill: ", then it sends k) and the status line when the
// wait time passed. An executable ./check in the service directory must also
// exit 0 for a service to count as up; it runs with standard output closed,
// and one that cannot be executed counts as passing.
//
// Beyond runit: sv also reads a pending service again as soon as its
// supervise directory changes (inotify; runit's runsv and ours rename
// their state files into place), so it returns within milliseconds of the
// change; ./check still runs, and timeouts still fall, only on the 420 ms
// rounds. A process that our supervisor records as not yet ready
// (supervise/ready, for a service with a notification-fd file) is not up
// for up, start, check and restart. See docs/runsv.md.
//
// The status line is
//
//	STATE: NAME: [(pid PID) ]SECONDSs[, normally down|, normally up][, paused][, want up|, want down][, got TERM]
//
// followed by "; " and the log service's line (named "log") when NAME/log
// exists.
//
// # Options
//
//	-v      wait for the commands up, down, once, pause, cont, term, kill and
//	        exit to take effect (status never waits)
//	-w sec  wait at most sec seconds (default 7, or $SVWAIT); implies -v
//	-V      print the version line, then the usage
//
// # Exit codes
//
// Normal mode: the number of services that failed, got a warning or timed
// out, at most 99; 100 for a usage or fatal error.
//
// LSB mode: 2 for a usage error, 151 for a fatal one. status exits 0 when the
// last status part printed (the log service's, if there is one) shows a
// process, 3 when it shows none, 4 when the status cannot be read; the other
// commands exit as in normal mode.
//
// # Messages
//
// fail:, warning:, ok:, timeout: and kill: lines and the status lines go to
// standard output, the warnings about ./check and the down file to standard
// error, as runit does.
//
// sv is a short-lived client: it starts ./check scripts with syscall.ForkExec
// and waits for them itself; it never changes its working directory but
// builds every path from the names as given, so the kernel resolves them as
// runit's chdir calls would.
package sv
