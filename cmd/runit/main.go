// Command runit is sysconf's native runit: one static binary that answers to
// every runit program name (runsv, runsvdir, sv, chpst, svlogd, runsvchdir,
// runit, runit-init and chpst's daemontools personalities). make build links
// each name to it in bin/. It imports only the runit tools, so it starts about
// as fast as a C program and links neither HCL nor cobra.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"sysconf/runit/chpst"
	"sysconf/runit/pid1"
	"sysconf/runit/runsv"
	"sysconf/runit/runsvchdir"
	"sysconf/runit/runsvdir"
	"sysconf/runit/sv"
	"sysconf/runit/svlogd"
)

// tools maps a program name to its Main. A map literal, so that a name given
// twice does not compile. Its names are internal/runitnames.Links plus runit,
// init and runsvdir's host (TestNames holds them equal).
var tools = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{
	"chpst":      chpst.Main,
	"envdir":     chpst.Main,
	"envuidgid":  chpst.Main,
	"pgrphack":   chpst.Main,
	"setlock":    chpst.Main,
	"setuidgid":  chpst.Main,
	"softlimit":  chpst.Main,
	"init":       pid1.InitMain, // the kernel runs /sbin/init with argv[0] = "/sbin/init"
	"runit":      pid1.RunitMain,
	"runit-init": pid1.InitMain,
	"runsv":      runsv.Main,
	"runsvchdir": runsvchdir.Main,
	"runsvdir":   runsvdir.Main,
	// The supervisor host runsvdir starts (docs/runsvdir.md); not for users.
	runsvdir.HostName: runsvdir.HostMain,
	"sv":              svMain,
	"svlogd":          svlogd.Main,
}

// svMain is sv with the process's environment (SVDIR, SVWAIT).
func svMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return sv.Main(args, os.Environ(), stdin, stdout, stderr)
}

func main() {
	os.Exit(dispatch(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// dispatch runs the tool named by argv[0], or by argv[1] when the binary was
// called under a name of its own ("runit-tools sv status x").
func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := filepath.Base(args[0])
	if main, ok := tools[name]; ok {
		return main(args, stdin, stdout, stderr)
	}
	// runit's chpst drops one leading 'd' from its name before it looks for
	// a personality, so daemontools' habit of "dsetlock" keeps working.
	if strings.HasPrefix(name, "d") && chpst.IsPersonality(name[1:]) {
		return chpst.Main(args, stdin, stdout, stderr)
	}
	// An LSB init script is a link named after the service that leads to sv
	// (/etc/init.d/foo -> /usr/bin/sv -> runit): follow the links and give
	// the tool the name it was called by, which is how sv knows the service.
	if main, ok := tools[linkedTool(args[0])]; ok {
		return main(args, stdin, stdout, stderr)
	}
	if len(args) > 1 {
		if main, ok := tools[args[1]]; ok {
			return main(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "%s: unknown program name; call it as one of: %s\n", args[0], strings.Join(Names(), " "))
	return 100
}

// linkedTool follows the chain of symbolic links that argv0 names, one hop
// at a time, and returns the first basename on it that is a tool's name, or
// "" when there is none.
func linkedTool(argv0 string) string {
	path := argv0
	if !strings.Contains(path, "/") {
		p, err := exec.LookPath(path)
		if err != nil {
			return ""
		}
		path = p
	}
	for hop := 0; hop < 40; hop++ {
		target, err := os.Readlink(path)
		if err != nil {
			return ""
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		if _, ok := tools[filepath.Base(target)]; ok {
			return filepath.Base(target)
		}
		path = target
	}
	return ""
}

// Names returns the program names the binary answers to, sorted.
func Names() []string {
	names := make([]string, 0, len(tools))
	for n := range tools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
