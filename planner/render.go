package planner

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"sysconf/config"
	"sysconf/generations"
)

// serviceUp leads from a store entry back to ROOT:
// ROOT/var/lib/sysconf/store/<hash>-NAME is five levels down, and runsv
// runs ./run in the entry itself (the physical folder behind the links).
// logUp does the same from the entry's log/ folder. Both come from the
// layout, which owns where the store is.
func serviceUp(l generations.Layout) string { return l.RootFromStoreEntry() }
func logUp(l generations.Layout) string     { return serviceUp(l) + "../" }

// quote returns s as one sh word, quoted only when it has to be.
func quote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+=:,@%", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func words(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = quote(w)
	}
	return strings.Join(q, " ")
}

// header is the comment that says what a script is. It names the service
// and never the file and line it was declared at: the header is part of the
// store entry's content, and where a block is written (its file, its line,
// the comments above it) is no reason to restart a service. The origin is
// kept in the generation's record instead (generations.Service.Origin).
func header(what string, s *config.Service) string {
	return fmt.Sprintf("# sysconf: %s of service %s.\n# Generated: edit the description, not this file.\n", what, s.Name)
}

// script returns a user script with the header after its #! line (one is
// added when missing).
func script(what string, s *config.Service, body string) []byte {
	var b strings.Builder
	first, rest, _ := strings.Cut(body, "\n")
	if strings.HasPrefix(first, "#!") {
		b.WriteString(first + "\n")
		b.WriteString(header(what, s))
		b.WriteString(rest)
	} else {
		b.WriteString("#!/bin/sh\n")
		b.WriteString(header(what, s))
		b.WriteString(body)
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return []byte(b.String())
}

// needsWrapper reports whether a run script needs our run around it.
func needsWrapper(s *config.Service) bool {
	l := s.Limits
	return len(s.Env) > 0 || s.User != "" || s.Chdir != "" || s.Nice != nil || len(s.DependsOn) > 0 ||
		l.Memory != nil || l.Data != nil || l.Stack != nil || l.OpenFiles != nil || l.Processes != nil ||
		l.FileSize != nil || l.Core != nil || l.CPUSeconds != nil
}

// chpstArgs is the chpst part of the exec line, empty when nothing applies.
func chpstArgs(s *config.Service, envDir string) []string {
	var a []string
	if len(s.Env) > 0 {
		a = append(a, "-e", envDir)
	}
	if s.User != "" {
		u := s.User
		if s.Group != "" {
			u += ":" + s.Group
		}
		a = append(a, "-u", u)
	}
	if s.Nice != nil && *s.Nice != 0 {
		a = append(a, "-n", strconv.Itoa(*s.Nice))
	}
	l := s.Limits
	for _, lim := range []struct {
		flag string
		v    *int64
	}{{"-m", l.Memory}, {"-d", l.Data}, {"-o", l.OpenFiles}, {"-p", l.Processes}, {"-f", l.FileSize}, {"-c", l.Core}, {"-t", l.CPUSeconds}} {
		if lim.v != nil {
			a = append(a, lim.flag, strconv.FormatInt(*lim.v, 10))
		}
	}
	if len(a) == 0 {
		return nil
	}
	return append([]string{"chpst"}, a...)
}

// runScript renders ./run; prog is the program and arguments to exec.
func runScript(s *config.Service, prog []string, l generations.Layout) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString(header("run", s))
	if s.Log != nil {
		b.WriteString("exec 2>&1\n")
	}
	// sv check also passes a dependency that has no process (runit's
	// rule), such as one whose supervisor has not started it yet: only
	// "ok: run:", running and ready, lets the service start.
	for _, d := range s.DependsOn {
		fmt.Fprintf(&b, "sv -w 5 check \"${SVDIR:-%s%s}\"/%s | grep -q '^ok: run: ' || { echo %s >&2; exit 1; }\n", serviceUp(l), l.Service, quote(d), quote(s.Name+": waiting for "+d))
	}
	envDir := "./env"
	if s.Chdir != "" {
		if len(s.Env) > 0 || (len(prog) > 0 && strings.HasPrefix(prog[0], "./")) {
			b.WriteString("here=$(pwd -P) || exit 1\n")
			envDir = "$here/env"
			if strings.HasPrefix(prog[0], "./") {
				prog = append([]string{"$here/" + prog[0][2:]}, prog[1:]...)
			}
		}
		fmt.Fprintf(&b, "cd %s || exit 1\n", quote(s.Chdir))
	}
	if s.Limits.Stack != nil {
		// chpst has no stack limit of its own; ulimit -s counts KiB.
		fmt.Fprintf(&b, "ulimit -s %d || exit 1\n", (*s.Limits.Stack+1023)/1024)
	}
	line := words(append(chpstArgs(s, "ENVDIR"), prog...))
	line = strings.Replace(line, "ENVDIR", quoteDollar(envDir), 1)
	line = strings.Replace(line, quote("$here/run.script"), `"$here"/run.script`, 1)
	b.WriteString("exec " + line + "\n")
	return []byte(b.String())
}

// quoteDollar quotes a path that may start with $here so the shell expands it.
func quoteDollar(p string) string {
	if rest, ok := strings.CutPrefix(p, "$here/"); ok {
		return `"$here"/` + quote(rest)
	}
	return quote(p)
}

// logRun renders log/run; see the package comment for the directory.
func logRun(s *config.Service, l generations.Layout) []byte {
	lg := s.Log
	dir := logUp(l) + strings.TrimPrefix(lg.Dir, "/")
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString(header("log", s))
	fmt.Fprintf(&b, "# %s, reached from this folder so that it is under ROOT with any --root.\n", lg.Dir)
	fmt.Fprintf(&b, "d=%s\n", quote(dir))
	b.WriteString("mkdir -p \"$d\" || exit 1\n")
	b.WriteString("cp ./config \"$d/config.new\" && mv -f \"$d/config.new\" \"$d/config\" || exit 1\n")
	exec := []string{"svlogd"}
	switch lg.Timestamps {
	case config.TimestampsUTC:
		exec = append(exec, "-tt")
	case config.TimestampsISO8601:
		exec = append(exec, "-ttt")
	case config.TimestampsTAI64N:
		exec = append(exec, "-t")
	}
	if lg.User != "" {
		fmt.Fprintf(&b, "chown %s \"$d\" || exit 1\n", quote(lg.User))
		exec = append([]string{"chpst", "-u", lg.User}, exec...)
	} else {
		fmt.Fprintf(&b, `# svlogd runs as %[1]s, sysconf's log account: never as the service's
# user, which could then rewrite its own logs, nor as root. The ids come
# from this root's /etc/passwd, as numbers for chpst: under --root the
# host may have no such account. A supervisor that is not root runs
# everything as its own user already.
if [ "$(id -u)" = 0 ]; then
	ids=
	while IFS=: read -r name _ uid gid _; do
		[ "$name" = %[1]s ] && ids=$uid:$gid
	done <%[2]s
	[ -n "$ids" ] || { echo %[3]s >&2; exit 1; }
	# The folder and svlogd's own files in it, not the folder's tree: a
	# log dir may be a shared folder such as /var/log.
	chown "$ids" "$d" "$d/config" || exit 1
	for f in "$d/current" "$d/lock" "$d/state" "$d/newstate" "$d"/@*; do
		[ ! -e "$f" ] || chown "$ids" "$f" || exit 1
	done
	exec chpst -u ":$ids" %[4]s "$d"
fi
`, LogUser, quote(logUp(l)+"etc/passwd"), quote("log of "+s.Name+": no account "+LogUser+" in /etc/passwd"), words(exec))
	}
	fmt.Fprintf(&b, "exec %s \"$d\"\n", words(exec))
	return []byte(b.String())
}

// logConfig renders svlogd's config file (spec/runit.md §6.4).
func logConfig(s *config.Service) []byte {
	lg := s.Log
	var b strings.Builder
	fmt.Fprintf(&b, "# svlogd config of service %s, generated by sysconf\n", s.Name)
	if lg.Size != nil {
		fmt.Fprintf(&b, "s%d\n", *lg.Size)
	}
	if lg.Keep != nil {
		fmt.Fprintf(&b, "n%d\n", *lg.Keep)
	}
	if lg.MinKeep != nil {
		fmt.Fprintf(&b, "N%d\n", *lg.MinKeep)
	}
	if lg.Timeout != nil {
		fmt.Fprintf(&b, "t%d\n", *lg.Timeout)
	}
	if lg.Processor != "" {
		fmt.Fprintf(&b, "!%s\n", lg.Processor)
	}
	if lg.Prefix != "" {
		fmt.Fprintf(&b, "p%s\n", lg.Prefix)
	}
	for _, f := range lg.Filters {
		b.WriteString(f + "\n")
	}
	return []byte(b.String())
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
