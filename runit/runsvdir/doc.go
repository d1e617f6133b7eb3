// Package runsvdir is runit's runsvdir, reshaped so that supervision costs a
// goroutine per service instead of a process: the runsvdir process users and
// runit-init start scans dir and runs a runsv.Supervisor per service itself.
// On SIGTERM or SIGHUP it hands the supervisors to a successor process
// (runsvdir-host, the same binary) and exits. docs/runsvdir.md describes the
// shape and its contract.
//
// # Synopsis
//
//	runsvdir [-P] dir [log]
//
// # Description
//
// runsvdir supervises every subdirectory of dir (entries starting with a dot
// and non-directories are skipped; symlinks are followed). A service is
// identified by the device and inode of its directory, so two links to one
// directory are one service, and a directory reached through a new symlink
// keeps running. New and removed entries are acted on at once (inotify on
// dir and on the symlinks dir is reached through), with runit's periodic
// rescan kept as a fallback: every 5 seconds, every second after a change.
// A removed entry's supervisor is told to exit (its service stops); a
// supervisor that exited while its entry remains is started again at the
// next wake-up.
//
// The supervisors are found through an abstract unix socket named after the
// absolute path of dir. A runsvdir that starts while a successor for dir
// lives takes its supervisors back and starts nothing twice; after a
// SIGKILL, the new runsvdir's supervisors adopt the services still running.
//
// # Options
//
// -P: every service leads a session of its own with or without it
// (docs/runsv.md); with -P the successor host leads one too.
//
// log: at least seven characters. runsvdir's fd 2, and so every service's
// stderr, becomes a pipe whose bytes scroll through the
// last len(log)-5 bytes of this argument as ps shows it; a "." is written
// at start and every 900 seconds.
//
// # Signals
//
// SIGTERM: exit 0 as soon as the successor answers for every service; every
// supervisor lives on there. SIGHUP: exit 111 at once; in the successor
// every supervisor is told to exit (services stop). SIGALRM (Debian):
// rescan now and write the TAI64N label of now to dir/.forced-rescan.
//
// # Exit codes
//
// 0 on SIGTERM, 1 usage, 100 fatal error, 111 on SIGHUP.
package runsvdir
