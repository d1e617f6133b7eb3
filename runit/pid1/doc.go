// Package pid1 is sysconf's process no. 1: the runit and runit-init
// programs, one binary (cmd/runit) that runit-init is a link to (a package
// named init cannot be imported, hence the name).
//
// # Synopsis
//
//	runit
//	runit-init [0|6]
//
// # Description
//
// runit must be process no. 1. It runs the three stages of the system one
// after the other, each as its own process with runit's environment and
// argv = [path]:
//
//   - /etc/runit/1, the one-time boot tasks, with /dev/console on fd 0, in
//     runit's session;
//   - /etc/runit/2, which normally execs runsvdir and runs until shutdown, in
//     a session and process group of its own;
//   - /etc/runit/3, the shutdown tasks, in a session of its own.
//
// A stage that exits non-zero is reported as "child failed" and is
// otherwise taken as done, except that stage 1 exiting 100 skips stage 2
// and stage 2 exiting 111 gets its whole process group killed and, five
// seconds later, is started again. A stage killed by a signal counts as
// exit code 0, as it does in runit 2.1.2 and Debian.
//
// While stage 2 runs, runit honours three signals; outside it they only
// produce "signals only work in stage 2.":
//
//   - SIGINT (the kernel's Ctrl-Alt-Del, which runit asks for at startup):
//     if /etc/runit/ctrlaltdel is owner-executable it is run and waited for,
//     then runit acts as on SIGCONT;
//   - SIGCONT: if /run/runit.stopit is owner-executable, runit chmods it to
//     0, sends SIGTERM to stage 2, gives it five seconds, then SIGKILL, and
//     goes on with stage 3;
//   - SIGPWR (Debian): as SIGCONT without needing the stopit file. Debian's
//     runit never clears the signal's flag, so it then warns "signals only
//     work in stage 2." at every wake-up of stage 3's loop that does not
//     reap stage 3 (none, once or more, as other children exit); this runit
//     warns once, as stage 3 begins.
//
// Every other child that exits, such as the orphans the kernel hands to
// process no. 1, is reaped at once through the process's one reaper
// (runit/reaper): no exit status is ever lost to a second wait4 loop.
//
// After stage 3 runit sends SIGKILL to every process, syncs (unless
// /etc/runit/nosync exists) and calls reboot(2): a reboot if
// /run/runit.reboot is owner-executable, otherwise a power-off, and if
// that returns, a halt. It then sleeps for ever: process no. 1 never exits.
//
// All messages go to /dev/console, which runit opens on fds 0, 1 and 2 at
// startup, as "- runit: …", "- runit: warning: …" or "- runit: fatal: …",
// with the texts of runit 2.1.2 as built by Debian.
//
// runit-init is what /sbin/init points to. As process no. 1 it becomes
// runit (the binary runs its own runit in place, rather than
// exec'ing /sbin/runit, so that it never depends on which runit /sbin
// holds). Otherwise only the first character of its first argument counts:
// 0 creates /run/runit.stopit with mode 0100, chmods /run/runit.reboot to 0
// and sends SIGCONT to process no. 1, which halts the system; 6 does the
// same but gives the reboot file mode 0100, which reboots it. Anything else
// prints the usage line.
//
// # Never exiting
//
// A failure to fork a stage is logged and retried every five seconds. A
// stage that cannot be exec'd (missing, not executable) is reported as
// "unable to start child" and counts as having exited 0, as in runit —
// unless an emergency shell is configured: if /etc/runit/emergency is
// owner-executable (for example a link to /bin/sh), runit runs it on the
// console in a session of its own with argv = [/etc/runit/emergency,
// stage], waits for it to exit, and then tries the failed stage again.
// A panic in runit's own code is recovered, logged as
// "- runit: fatal: BUG: …", and the step that panicked is retried five
// seconds later.
//
// # Differences from runit
//
// runit 2.1.2 sets SIGCONT to ignored in the stage processes; here they
// start with its default disposition, which for SIGCONT acts the same (a
// stopped process continues, none is ended), because Go can set a
// disposition in a child only by setting it in runit, where a shutdown
// request sent at that instant would be lost. Debian's runit
// leaves SIGPWR blocked in the stages; here the stages start with an empty
// signal mask. The console is made blocking after it is opened, so that a
// busy serial line delays messages instead of dropping them. Stage 1 gets
// the console on fd 0 but not as its controlling terminal.
//
// # Exit codes
//
// runit exits only when it is not process no. 1: 111, after
// "- runit: fatal: must be run as process no 1.". runit-init exits 0 after
// a request or a usage message and 111 when it cannot write a flag file
// ("init: fatal: unable to create /run/runit.stopit: ERR").
package pid1
