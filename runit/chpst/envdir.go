package chpst

import (
	"strings"
	"syscall"
)

// envValue turns the contents of an envdir file into the variable's value:
// the first line, trailing spaces and tabs removed, NUL bytes turned into
// newlines. ok is false for an empty file, which removes the variable.
func envValue(data []byte) (value string, ok bool) {
	if len(data) == 0 {
		return "", false
	}
	if i := indexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	for len(data) > 0 && (data[len(data)-1] == ' ' || data[len(data)-1] == '\t') {
		data = data[:len(data)-1]
	}
	b := []byte(string(data)) // a copy: data may be a reused buffer
	for i, c := range b {
		if c == 0 {
			b[i] = '\n'
		}
	}
	return string(b), true
}

// readEnvdir reads the envdir dir as runit's edir does: it changes into dir
// (so its error messages are runit's), reads each entry not starting with
// '.' in directory order, and changes back. It returns the environment
// changes in runit's pathexec_env form: "NAME=value" sets, "NAME" removes.
// In lenient mode (chpst -e) a subdirectory is skipped, with a warning under
// verbose; otherwise (the envdir personality) it is fatal.
func readEnvdir(dir string, lenient, verbose bool, warn func(string)) ([]string, *failure) {
	wd, err := open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fatalErr("unable to open current working directory", err)
	}
	defer syscall.Close(wd)
	if err := syscall.Chdir(dir); err != nil {
		return nil, fatalErr("unable to switch to directory: "+dir, err)
	}
	// Back to the starting directory even after a failure, on which chpst
	// exits anyway: a caller that goes on (a test, an in-process Main)
	// keeps its working directory.
	changes, f := readEntries(dir, lenient, verbose, warn)
	if err := syscall.Fchdir(wd); err != nil && f == nil {
		return nil, fatalErr("unable to switch to starting directory", err)
	}
	return changes, f
}

// readEntries reads the entries of the current directory, which is dir.
func readEntries(dir string, lenient, verbose bool, warn func(string)) ([]string, *failure) {
	names, ferr := dirNames(dir)
	if ferr != nil {
		return nil, ferr
	}
	var changes []string
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		if strings.IndexByte(name, '=') >= 0 {
			// runit would append "A=B=value", setting A; refuse instead.
			return nil, fatalMsg("invalid variable name: " + dir + "/" + name)
		}
		data, err := readFile(name)
		if err == syscall.ENOENT {
			// A dangling symlink. runit reuses the previous entry's
			// value here (a bug); removing the variable is what an
			// absent file means everywhere else.
			data, err = nil, nil
		}
		if err != nil {
			if err == syscall.EISDIR && lenient {
				if verbose {
					warn("unable to read " + dir + "/" + name + ": " + errText(err))
				}
				continue
			}
			return nil, fatalErr("unable to read "+dir+"/"+name, err)
		}
		if v, ok := envValue(data); ok {
			changes = append(changes, name+"="+v)
		} else {
			changes = append(changes, name)
		}
	}
	return changes, nil
}

// dirNames lists the current directory (which is dir) in getdents order.
func dirNames(dir string) ([]string, *failure) {
	fd, err := open(".", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fatalErr("unable to open directory: "+dir, err)
	}
	defer syscall.Close(fd)
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, fatalErr("unable to read directory: "+dir, err)
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
}

// applyEnv applies pathexec_env changes to env the way runit's pathexec
// does: for each change, the first variable of that name is removed (the
// last entry takes its place), then a "NAME=value" change is appended.
func applyEnv(env []string, changes []string) []string {
	for _, c := range changes {
		name, _, set := strings.Cut(c, "=")
		for i, e := range env {
			if len(e) > len(name) && e[len(name)] == '=' && e[:len(name)] == name {
				env[i] = env[len(env)-1]
				env = env[:len(env)-1]
				break
			}
		}
		if set {
			env = append(env, c)
		}
	}
	return env
}
