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
// Scripts have one command of their own:
//
//	waitfile [-t duration] file [regexp]
//
// waits until file exists and, given regexp, until its content matches it
// (multi-line mode, as grep's); it fails the script after duration (default
// 10s). Supervisors update their state asynchronously, and a script needs a
// bounded wait on a condition rather than a sleep. "! waitfile" waits for
// the file to be gone, or to stop matching.
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
			"waitfile": waitfile,
		},
	})
}

func waitfile(ts *testscript.TestScript, neg bool, args []string) {
	d := 10 * time.Second
	if len(args) > 1 && args[0] == "-t" {
		var err error
		if d, err = time.ParseDuration(args[1]); err != nil {
			ts.Fatalf("waitfile: %v", err)
		}
		args = args[2:]
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile [-t duration] file [regexp]")
	}
	var re *regexp.Regexp
	if len(args) == 2 {
		var err error
		if re, err = regexp.Compile("(?m)" + args[1]); err != nil {
			ts.Fatalf("waitfile: %v", err)
		}
	}
	path := ts.MkAbs(args[0])
	var last string
	for deadline := time.Now().Add(d); ; {
		data, err := os.ReadFile(path)
		ok := err == nil && (re == nil || re.Match(data))
		if ok != neg {
			return
		}
		last = string(data)
		if err != nil {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			if neg {
				ts.Fatalf("waitfile: %s still there (or matching) after %v: %q", args[0], d, last)
			}
			ts.Fatalf("waitfile: %s not there (or not matching) after %v: %q", args[0], d, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
