#!/bin/sh
# The README's first command: the example machine (every .hcl in examples/)
# applied into a temporary --root, supervised by sysconf's own runsvdir, with
# sysconf status and sysconf generations shown; then a change planned,
# applied (health-checked) and rolled back. At the end every process is
# stopped by PID and the root removed. make demo builds bin/ first; this
# script builds nothing and never touches the host's /service, /etc or /var.
# SYSCONF_DEMO_BIN names another folder of programs (the tests use it).
set -eu
examples=$(cd "$(dirname "$0")" && pwd)
bin=${SYSCONF_DEMO_BIN:-$examples/../bin}
for p in sysconf runsvdir sv svlogd chpst; do
	[ -x "$bin/$p" ] || { echo "demo: $bin/$p missing: run make build" >&2; exit 1; }
done
PATH=$bin:$PATH
export PATH

root=$(mktemp -d "${TMPDIR:-/tmp}/sysconf-demo.XXXXXX")
# A machine's / is open to every account, and run as root the loggers run
# as an unprivileged one (_sysconf-log): mktemp made the folder private.
chmod 755 "$root"
# The example's services write their state here, inside the root.
vars="-var state=$root/var/lib/example"
rpid=
# supervised prints the sv status line of every service and logger whose
# supervisor still answers.
supervised() {
	sv status "$root"/service/* "$root"/service/*/log 2>/dev/null | grep -E '^(run|down|finish): '
}
cleanup() {
	set +e
	if [ -n "$rpid" ]; then
		# runsvdir's SIGHUP: it exits at once, and every supervisor stops
		# its service and logger, then exits. Wait for all of them, not
		# for runsvdir alone: a logger still writing would race rm -rf.
		# Bounded: after 10 s, kill what is left by PID.
		kill -HUP "$rpid" 2>/dev/null
		i=0
		while [ $i -lt 100 ] && { kill -0 "$rpid" 2>/dev/null || [ -n "$(supervised)" ]; }; do
			i=$((i + 1))
			sleep 0.1
		done
		for pid in $(supervised | grep -o '(pid [0-9]*)' | tr -dc '0-9\n'); do
			kill -KILL "$pid" 2>/dev/null
		done
		kill -KILL "$rpid" 2>/dev/null
		wait "$rpid" 2>/dev/null
	fi
	# The store is read-only by design: make it writable to remove it.
	chmod -R u+w "$root" 2>/dev/null
	rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

say() { printf '\n$ %s\n' "$*"; }
run() { say "$@"; "$@"; }

# shellcheck disable=SC2086 # $vars is two words on purpose
run sysconf apply --root "$root" -c "$examples" $vars

say runsvdir -P "$root/service" '&'
runsvdir -P "$root/service" 'log: ..............................................' &
rpid=$!

# Bounded wait until every service and every log runs.
services=$(ls -d "$root"/service/*/ | wc -l)
logs=$(ls -d "$root"/service/*/log | wc -l)
i=0
while :; do
	st=$(sv status "$root"/service/* 2>/dev/null || true)
	[ "$(echo "$st" | grep -c '^run: ')" -eq "$services" ] &&
		[ "$(echo "$st" | grep -c '; run: log: ')" -eq "$logs" ] && break
	i=$((i + 1))
	[ $i -le 300 ] || { echo "demo: not every service runs within 30 s:" >&2; echo "$st" >&2; exit 1; }
	sleep 0.1
done

run sysconf status --root "$root"
run sysconf generations --root "$root"

# A change: the clock ticks every 2 s. Only the clock and the reader (whose
# period follows it) restart; the workers and the greeter keep their PIDs.
# shellcheck disable=SC2086
run sysconf plan --root "$root" -c "$examples" $vars -var interval=2
# shellcheck disable=SC2086
run sysconf apply --root "$root" -c "$examples" $vars -var interval=2
run sysconf rollback --root "$root"
run sysconf generations --root "$root"
run tail -n 2 "$root/var/log/sysconf/greeter/current"
echo
echo "demo: done; stopping every service and removing $root"
