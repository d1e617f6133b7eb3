package chpst

import (
	"strings"
	"syscall"

	"sysconf/internal/errtext"
)

// failure is a fatal error: the text after "chpst: fatal: ".
type failure struct {
	msg string
}

func fatalMsg(msg string) *failure { return &failure{msg: msg} }

func fatalErr(what string, err error) *failure {
	return &failure{msg: what + ": " + errText(err)}
}

func errText(err error) string { return errtext.Text(err) }

// getenv is runit's env_get: the value of the first NAME= entry of env.
func getenv(env []string, name string) (string, bool) {
	for _, e := range env {
		if len(e) > len(name) && e[len(name)] == '=' && e[:len(name)] == name {
			return e[len(name)+1:], true
		}
	}
	return "", false
}

// execPath replaces the process with file, found as runit's pathexec_run
// finds it: a name with '/' is exec'd as given; otherwise each element of
// path (an empty one meaning ".") is tried, ENOENT going on to the next,
// EACCES, EPERM and EISDIR being remembered while the search goes on, and
// any other error ending it. It returns only on failure, with the errno
// runit would report.
func execPath(file, path string, argv, env []string) error {
	if strings.IndexByte(file, '/') >= 0 {
		return syscall.Exec(file, argv, env)
	}
	var saved error
	for {
		dir, rest, more := strings.Cut(path, ":")
		if dir == "" {
			dir = "."
		}
		err := syscall.Exec(dir+"/"+file, argv, env)
		if err != syscall.ENOENT {
			saved = err
			if err != syscall.EACCES && err != syscall.EPERM && err != syscall.EISDIR {
				return err
			}
		}
		if !more {
			if saved != nil {
				return saved
			}
			return err
		}
		path = rest
	}
}

// run execs file with argv (argv[0] possibly replaced by -b) and the
// environment changes applied, searching chpst's own PATH.
func run(file string, argv []string, changes []string) *failure {
	orig := syscall.Environ()
	path, ok := getenv(orig, "PATH")
	if !ok {
		path = "/bin:/usr/bin"
	}
	env := orig
	if len(changes) > 0 {
		env = applyEnv(orig, changes)
	}
	err := execPath(file, path, argv, env)
	// runit names the program by its argv[0], -b's replacement included.
	return fatalErr("unable to run: "+argv[0], err)
}
