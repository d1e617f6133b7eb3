// Package planner turns an evaluated config.System into a
// generations.Manifest: one tree of files per service (run, finish, check,
// down, control/, env/, timeout-kill, down-signal, log/run, log/config), the
// runlevels and the managed files. It is pure: the same System gives byte-identical output on any
// machine, in any folder, at any time. It also compares two manifests
// (Compare). Start with Plan.
//
// The trees hold files only: the store (package generations) adds the
// folders and the supervise and log/supervise links into ROOT/run/runit.
//
// # Only meaning goes into a tree
//
// A service's tree, and so its store hash and path, depends only on what the
// service does: never on where or how the description says it (comments,
// formatting, block order, file names, a module that gives the same values).
// Where a service was declared is recorded beside the tree, as
// generations.Service.Origin, which no hash covers. docs/transitions.md
// lists what changes a service and what does not.
//
// # Generated scripts
//
// Scripts are POSIX sh with a header naming the service. They
// call the runit programs by name on PATH (chpst, svlogd, sv) and reach other
// services through $SVDIR, by default ROOT/service reached relative to the
// store entry (../../../../../service), never a fixed path, so the same tree
// works under any --root. depends_on is the runit idiom: ./run checks
// each dependency with `sv -w 5 check` and exits when one is not running
// and ready ("ok: run:"), and runsv runs it again a second later.
//
// A command service's run is `exec chpst [-e ./env] [-u U[:G]] [-n N]
// [limits] PROG ARGS…`. A run script is written as given (a #!/bin/sh line
// added when missing) when it needs no wrapping; when env, user, limits,
// chdir, nice or depends_on apply to it, it is stored as run.script and
// run wraps it the same way. chpst has no stack limit: limits.stack is the
// shell's `ulimit -s`.
//
// # Stopping
//
// stop_timeout is written as timeout-kill (milliseconds, decimal, one line)
// in the service's folder and in its log/, unless it is "0" (wait forever);
// stop_signal as down-signal ("INT\n"), unless it is TERM. These are s6's
// names: our supervisors read them, runit's runsv ignores them.
//
// # Logs under --root
//
// A log block's directory is absolute as the service sees the machine
// (config.DefaultLogDir/NAME by default). log/run reaches it relative to its
// own folder, which the store keeps at ROOT/var/lib/sysconf/store/<hash>-NAME/log
// (Layout.RootFromStoreEntry), six levels below ROOT: the directory /var/log/x is
// written as ../../../../../../var/log/x, so it lands in ROOT/var/log/x under
// any --root. log/run creates it, hands it to the log user, installs the
// planned svlogd config (log/config) in it as DIR/config and then runs
// `chpst -u USER svlogd -tt DIR`. Nothing else has to create log folders.
package planner
