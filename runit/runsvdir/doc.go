// Package runsvdir is runit's runsvdir, reshaped so that supervision costs a
// goroutine per service instead of a process: a thin scanner (the runsvdir
// process users and runit-init start) feeds one long-lived supervisor host
// (runsvdir-host, the same binary) that runs a runsv.Supervisor per service.
// docs/runsvdir.md describes the shape and its contract.
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
// The supervisors live in the host, found through an abstract unix socket
// named after the absolute path of dir. A runsvdir that starts while a host
// for dir lives attaches to it and starts nothing twice; if the host died
// too, the new host's supervisors adopt the services still running.
//
// # Options
//
// -P: the supervision tree (the host, and below it every service, each in
// a session of its own: docs/runsv.md) runs in a session and process
// group of its own, not runsvdir's.
//
// log: at least seven characters. runsvdir's fd 2, and so the host's and
// every service's stderr, becomes a pipe whose bytes scroll through the
// last len(log)-5 bytes of this argument as ps shows it; a "." is written
// at start and every 900 seconds.
//
// # Signals
//
// SIGTERM: exit 0 at once; every supervisor lives on. SIGHUP: every
// supervisor is told to exit (services stop), exit 111. SIGALRM (Debian):
// rescan now and write the TAI64N label of now to dir/.forced-rescan.
//
// # Exit codes
//
// 0 on SIGTERM, 1 usage, 100 fatal error, 111 on SIGHUP.
package runsvdir
