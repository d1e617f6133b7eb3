// Package chpst is sysconf's chpst: it runs a program with a changed process
// state, byte-compatible with Debian's runit 2.1.2 chpst, including the
// daemontools personalities envdir, envuidgid, pgrphack, setuidgid,
// softlimit and setlock.
//
// # Synopsis
//
//	chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir]
//	      [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n]
//	      [-c n] [-r n] [-t n] prog [arg ...]
//	setuidgid account child
//	envuidgid account child
//	envdir dir child
//	pgrphack child
//	setlock [-nNxX] file program [arg ...]
//	softlimit [-a n] [-c n] [-d n] [-f n] [-l n] [-m n] [-o n] [-p n] [-r n] [-s n] [-t n] child
//
// # Description
//
// chpst changes its own state and then replaces itself with prog (execve:
// same pid, no extra process). Whatever the order on the command line, the
// changes are applied in runit's order: -P setsid, -e envdir (read now,
// applied at exec), -/ chroot, -n nice, -U envuidgid, -u setuidgid (both
// looked up in the new root's /etc/passwd and /etc/group, parsed directly),
// -l/-L lock (the descriptor stays open through the exec), -0 -1 -2, the
// resource limits, exec. prog is searched in the PATH of chpst's own
// environment, not in the one an envdir gives prog (runit 2.1.2 does so).
//
// Everything from option parsing to the exec runs on one locked OS thread:
// nice(2) and the credential calls act per thread on Linux, and execve
// hands the program the calling thread's state while it ends every other
// thread (see dropPrivileges for why the ids are not set on all threads).
//
// The personality is chosen by the basename of argv[0] with one leading 'd'
// removed (runit's rule); any other name is chpst itself.
//
// # Options
//
//	-u [:]user[:group...]  setgroups(groups), setgid(first), setuid(user);
//	                       ":uid:gid[:gid...]" gives numbers
//	-U [:]user[:group...]  only set UID and GID in prog's environment
//	-b argv0               run prog with argv[0] = argv0
//	-e dir                 envdir, subdirectories skipped (-v warns)
//	-/ root                chdir(root), chroot(".")
//	-n inc                 add inc ([+|-]digits) to the nice value
//	-l lock, -L lock       flock lock exclusively, waiting (-l) or not (-L)
//	-m n                   soft limits DATA, STACK, MEMLOCK and AS
//	-d -o -p -f -c -r -t n soft DATA, NOFILE, NPROC, FSIZE, CORE, RSS, CPU
//	-v                     verbose
//	-P                     setsid
//	-0 -1 -2               close stdin, stdout, stderr
//	-V                     print the version, then the usage
//
// # Envdir
//
// Every file of dir not starting with '.' names a variable: an empty file
// removes it; otherwise its first line, trailing spaces and tabs removed, NUL
// bytes turned into newlines, is its value. Two deliberate departures from
// runit: a name containing '=' is refused (fatal) where runit would corrupt
// the environment, and a dangling symlink removes its variable where runit
// reuses the previous file's value.
//
// # Exit codes
//
// 100 usage or a bad option value; 111 any failure to change the state or to
// run prog ("chpst: fatal: ..."); setlock -x exits 0 instead when the lock or
// the exec fails. Otherwise chpst is prog, and prog's exit code is its own.
//
// # Limits
//
// Go's syscall.Exec resets to the default action every signal the parent
// left ignored, except SIGHUP and SIGINT (the runtime installs its handlers
// before any of our code runs and keeps no record we can read): a program
// started through this chpst does not inherit SIG_IGN for, say, SIGTERM or
// SIGPIPE, unlike runit's. Likewise the Go runtime opens /dev/null on a
// closed fd 0, 1 or 2 at startup, so -0 on an already closed stdin succeeds.
//
// The resource limits are set with raw system calls immediately before a raw
// execve, everything the exec needs (argv, environment, the PATH candidates)
// prepared beforehand and the garbage collector off: chpst sets the limits
// on itself, and any allocation after them could fail under a small -m.
//
// Start at Main; envdir.go reads envdirs, account.go parses accounts,
// limit.go computes limits, exec.go searches PATH, sets the limits and execs.
package chpst
