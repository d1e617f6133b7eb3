package testenv

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"sysconf/runit/supervise"
)

// Program is a runit tool's Main (STYLE.md §3).
type Program func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// ScriptMain is the TestMain of a package with testscript scripts: it turns
// the test binary into each program of progs (run as "exec NAME" in a
// script, and found on $PATH by the programs themselves), then runs the
// tests.
func ScriptMain(m *testing.M, progs map[string]Program) {
	cmds := make(map[string]func(), len(progs))
	for name, main := range progs {
		cmds[name] = func() { os.Exit(main(os.Args, os.Stdin, os.Stdout, os.Stderr)) }
	}
	testscript.Main(m, cmds)
}

// RunScripts runs the scripts dir/*.txtar (STYLE.md §5): explicit exec,
// unique names, UPDATE_SCRIPTS=1 rewrites their expected files, and HOME
// and TMPDIR point into $WORK.
//
// Every process a script starts, and each of their descendants (a
// supervisor host, a service), carries a tag in its environment; when the
// script ends, failed or not, whatever still carries it is killed by its
// PID. Scripts still stop their supervisors themselves: the sweep is the
// net under a failing script, not the way to end one.
//
// Scripts have two commands of their own:
//
//	waitfile [-t duration] file [regexp]
//
// waits until file exists and, given regexp, until its content matches it
// (multi-line mode, as grep's); it fails the script after duration (default
// 10s). Supervisors update their state asynchronously, and a script needs a
// bounded wait on a condition rather than a sleep. "! waitfile" waits for
// the file to be gone, or to stop matching.
//
//	waitstatus [-t duration] dir regexp
//
// waits in the same way until the service directory dir's supervise/status
// record, written as a supervise/stat line ("run, paused"), matches regexp.
// Before reading the status (sv status), wait with waitstatus, not with
// waitfile on supervise/stat: runit writes stat first and status last, so
// a stat that says "down" may still stand beside the previous status.
func RunScripts(t *testing.T, dir string) {
	testscript.Run(t, testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") == "1",
		Setup: func(env *testscript.Env) error {
			tag := fmt.Sprintf("%d-script-%s", os.Getpid(), filepath.Base(env.WorkDir))
			env.Setenv(tagVar, tag)
			env.Defer(func() { killTagged(tagVar + "=" + tag) })
			env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
			env.Setenv("TMPDIR", filepath.Join(env.WorkDir, "tmp"))
			return os.MkdirAll(filepath.Join(env.WorkDir, "tmp"), 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile":   waitfile,
			"waitstatus": waitstatus,
		},
	})
}

func waitfile(ts *testscript.TestScript, neg bool, args []string) {
	d, args := waitBound(ts, "waitfile", args)
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile [-t duration] file [regexp]")
	}
	var re *regexp.Regexp
	if len(args) == 2 {
		re = waitRegexp(ts, "waitfile", args[1])
	}
	path := ts.MkAbs(args[0])
	waitUntil(ts, "waitfile", args[0], neg, d, func() (string, bool) {
		data, err := os.ReadFile(path)
		if err != nil {
			return err.Error(), false
		}
		return string(data), re == nil || re.Match(data)
	})
}

func waitstatus(ts *testscript.TestScript, neg bool, args []string) {
	d, args := waitBound(ts, "waitstatus", args)
	if len(args) != 2 {
		ts.Fatalf("usage: waitstatus [-t duration] dir regexp")
	}
	re := waitRegexp(ts, "waitstatus", args[1])
	dir := ts.MkAbs(args[0])
	waitUntil(ts, "waitstatus", args[0], neg, d, func() (string, bool) {
		st, err := supervise.ReadStatusFile(dir)
		if err != nil {
			return err.Error(), false
		}
		line := supervise.StatLine(st.State, st.Paused, st.TermSent, st.Want)
		return line, re.MatchString(line)
	})
}

// waitBound takes the optional "-t duration" off args.
func waitBound(ts *testscript.TestScript, cmd string, args []string) (time.Duration, []string) {
	if len(args) > 1 && args[0] == "-t" {
		d, err := time.ParseDuration(args[1])
		if err != nil {
			ts.Fatalf("%s: %v", cmd, err)
		}
		return d, args[2:]
	}
	return 10 * time.Second, args
}

func waitRegexp(ts *testscript.TestScript, cmd, expr string) *regexp.Regexp {
	re, err := regexp.Compile("(?m)" + expr)
	if err != nil {
		ts.Fatalf("%s: %v", cmd, err)
	}
	return re
}

// waitUntil polls probe until it reports a match (or, with neg, none) and
// fails the script past d, quoting what probe saw last.
func waitUntil(ts *testscript.TestScript, cmd, what string, neg bool, d time.Duration, probe func() (seen string, match bool)) {
	for deadline := time.Now().Add(d); ; {
		seen, ok := probe()
		if ok != neg {
			return
		}
		if time.Now().After(deadline) {
			if neg {
				ts.Fatalf("%s: %s still there (or matching) after %v: %q", cmd, what, d, seen)
			}
			ts.Fatalf("%s: %s not there (or not matching) after %v: %q", cmd, what, d, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
