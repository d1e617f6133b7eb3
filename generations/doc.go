// Package generations owns sysconf's store and generations: the immutable,
// content-addressed service directories, the generation records, their
// activation (runsvchdir's link swap), rollback, garbage collection, managed
// files and the apply lock.
//
// It works on a Manifest, which the planner produces; it never sees HCL.
// Start with Manifest, then Open and Root.Apply; Compare is the diff that
// plan shows.
//
// # Commands
//
// Open returns a Root, the handle every command is a method of. Those that
// write (Apply, Rollback, SwitchRunlevel, GC) share one preamble: take the
// apply lock, deal with an activation a crash interrupted, read the current
// generation. Apply, Rollback and SwitchRunlevel finish (or undo) such an
// activation first; GC leaves it, and everything its journal names, for
// them. The readers (List, Load, Current, Installed, Status) take no lock
// and recover nothing: Status reports an interrupted activation.
//
// # Layout (relative to the root, --root)
//
// A Layout value owns every path below. SandboxLayout's are shown; the
// Void, Debian and Artix layouts move the definitions, the watched folder
// and the supervise state where those distributions keep them
// (DetectLayout, OpenMachine):
//
//	var/lib/sysconf/store/<hash>-<name>/       read-only (dirs 0555, files lose w)
//	    supervise -> ../../../../../run/runit/supervise.<name>
//	    log/supervise -> ../../../../../../run/runit/supervise.<name>-log
//	var/lib/sysconf/generations/<N>/           read-only, renamed into place whole
//	    manifest.json  sources/…  sv/<name>  runsvdir/<level>/<name>  etc/…
//	var/lib/sysconf/boot -> generations/<N>    the boot default
//	var/lib/sysconf/journal.json               an activation in progress
//	var/lib/sysconf/outcomes/<N>.json          how its last activation ended
//	var/lib/sysconf/lock                       the apply lock (flock)
//	etc/runit/runsvdir/current -> ../../../var/lib/sysconf/generations/<N>/runsvdir/<level>
//	etc/runit/runsvdir/previous, etc/runit/runsvdir/<level> (same form)
//	etc/sv -> ../var/lib/sysconf/generations/<N>/sv
//	service -> etc/runit/runsvdir/current
//	etc/<file> -> (../)…var/lib/sysconf/generations/<N>/etc/<file>
//
// # Taking a machine over
//
// Apply on a machine whose runit sysconf did not set up records it as
// found as generation 0 (Survey, takeover.go), then switches from it; the
// found folders move into generations/0/found once nothing runs from
// them, and Rollback to FoundGeneration moves them back.
//
// Every path is opened through an os.Root, so a link planted under the
// root cannot lead a write out of it; folders of managed files must not be
// links at all.
//
// # Switching services
//
// runsvdir identifies a service by the device and inode of its folder. An
// unchanged service has the same store path in both generations, so the
// same inode: runsvdir keeps its supervisor and its pid. A changed service
// has a new store path; runsvdir tells the old supervisor to exit and
// starts a new one. Both store entries link supervise to the same
// run/runit/supervise.<name>, and a supervisor holds supervise/lock for
// its whole life: the new one cannot take the lock until the old one has
// stopped its service (finish included) and exited. So the two instances
// never run at once, and the new one starts exactly once (runit's runsv
// gives up on a busy lock and runsvdir starts it again a second later;
// ours waits for the lock). The health check waits for a pid other than
// the old instance's that stays up for a second (Options.Settle) and whose
// ./check, if any, passes. Only then does the generation become the boot
// default (its stage scripts and the boot link), so a failing switch never
// leaves the machine to boot into it; Options.BootOnly is the exception.
//
// # Crash safety
//
// Store entries and generations are written under .tmp- names and renamed
// into place, so they exist whole or not at all. An activation first writes
// journal.json; its steps (supervise folders, runsvchdir's renames, the
// runlevel, etc/sv and service links, managed files, boot default) are
// idempotent, and the next command that switches (apply, rollback,
// runlevel) activates again the generation `current` names, or the one
// `previous` names when a crash fell between runsvchdir's two renames.
// Options.AfterStep is the hook through which the crash tests kill apply
// after each step in turn.
package generations
