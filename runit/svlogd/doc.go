// Package svlogd is runit's logger: it reads lines on standard input and
// writes them to log directories, with rotation, filtering and processors.
//
// # Synopsis
//
//	svlogd [-tttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...
//
// # Description
//
// svlogd reads standard input until end of file (or SIGTERM) and appends
// each line to the file current in every log directory dir that selects it.
// When current reaches the size set in dir/config it is renamed to
// @<TAI64N>.s (or .u, to be handed to a processor) and a new current is
// started; old files beyond the configured number are deleted. current has
// mode 0644 while svlogd writes it and 0744 once closed cleanly; a current
// found without the owner-x bit at start is kept as an @….u file. svlogd
// holds a flock on dir/lock, so two loggers cannot share a directory.
//
// Each dir/config line starts with a directive: sSIZE (k, m suffixes),
// nNUM, NMIN, tSECS (m, h suffixes), !PROCESSOR, uIP[:PORT], UIP[:PORT],
// pPREFIX, and the patterns +PATTERN, -PATTERN (select, deselect for the
// log), ePATTERN, EPATTERN (for standard error). Patterns use runit's own
// glob rules (see pmatch). The contract is ../shared/spec/runit.md §6; this
// package reproduces Debian's runit 2.1.2, .u files being left alone by the n
// rule.
//
// Signals: SIGHUP closes and reopens every dir (config re-read), SIGALRM
// rotates every non-empty current, SIGTERM finishes the line being read,
// then exits as at end of file.
//
// # Options
//
//	-t         prefix lines with a TAI64N label: @400000006b074d3439cde3c4
//	-tt        prefix lines with UTC time: 2026-11-25_21:03:38.97226
//	-ttt       the same with a T: 2026-11-25T21:03:38.97226
//	-r c       replace non-printable bytes by c
//	-R abc     also replace the bytes a, b, c (by _ unless -r says)
//	-l len     match, copy to stderr and send by udp only the first len
//	           bytes of a line (default 1000); the rest still goes to the log
//	-b buflen  input and output buffer size (default 1024), above len
//	-v         verbose: svlogd: info: messages
//	-V         print the version, then the usage
//
// # Differences from runit
//
// Files, names and messages are runit's; what differs is what runit loses:
//   - runit drops the line in progress when SIGTERM comes (it tests its
//     "buffer empty" condition before writing the last line); svlogd writes
//     it.
//   - At end of input an incomplete last line (no newline, shorter than len)
//     is not written to the log, as in runit, but reported on stderr:
//     "svlogd: warning: discarding incomplete last line: TEXT".
//   - A line longer than len is never truncated in the log: its first len
//     bytes are matched (and replaced with -r/-R), the rest is copied as it
//     is, as in runit. Only stderr and udp copies end after len bytes, with
//     "...".
//   - On SIGHUP a running processor is waited for before the directory is
//     closed, so its .u file is finished (runit forgets it).
//   - A processor whose files cannot be opened, or that cannot be started,
//     pauses 3 seconds and is retried instead of failing at once.
//   - Bytes reach current in large writes rather than one write per line;
//     rotation is still decided on runit's chunk boundaries, so the files
//     are the same. (When the disk is full a partial write can make runit
//     rotate at a different point.)
//
// # Exit codes
//
// 0 at end of input or after SIGTERM; 111 for usage errors and fatal
// errors (no functional log directory).
package svlogd
