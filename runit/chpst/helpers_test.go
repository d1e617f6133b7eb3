package chpst

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// personalities are the names chpst answers to besides chpst.
var personalities = []string{"envdir", "envuidgid", "pgrphack", "setuidgid", "softlimit", "setlock"}

// impl is one chpst under test: dir holds chpst and every personality.
type impl struct {
	name string
	dir  string
}

func (im impl) tool(name string) string { return filepath.Join(im.dir, name) }

// impls returns Debian's chpst (linked under every name in a temporary
// directory, as ln -s /usr/bin/chpst does) and ours.
func impls(t *testing.T) []impl {
	t.Helper()
	deb := testenv.DebianRunit(t, "chpst")
	dir := t.TempDir()
	for _, n := range append([]string{"chpst"}, personalities...) {
		if err := os.Symlink(deb, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return []impl{{"debian", dir}, {"ours", testenv.RunitBin(t)}}
}

// call is one run of a chpst program.
type call struct {
	prog  string   // chpst or a personality
	args  []string // after argv[0]
	env   []string // added to PATH=/usr/bin:/bin
	stdin string
	dir   string
}

type result struct {
	stdout, stderr string
	code           int
}

func (c call) run(t *testing.T, im impl) result {
	t.Helper()
	cmd := exec.Command(im.tool(c.prog), c.args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, c.env...)
	cmd.Dir = c.dir
	if c.stdin != "" {
		cmd.Stdin = strings.NewReader(c.stdin)
	}
	out, errOut, code := testenv.Run(t, 30*time.Second, cmd)
	return result{out, errOut, code}
}

// compare runs c with Debian's chpst and ours, requires equal stdout,
// stderr and exit code (after norm, when given, on stdout), and returns
// our result.
func compare(t *testing.T, c call, norm func(string) string) result {
	t.Helper()
	var rs []result
	for _, im := range impls(t) {
		r := c.run(t, im)
		if norm != nil {
			r.stdout = norm(r.stdout)
		}
		rs = append(rs, r)
	}
	if rs[0] != rs[1] {
		t.Errorf("%s %q: debian %+v, ours %+v", c.prog, c.args, rs[0], rs[1])
	}
	return rs[1]
}

// sortedLines sorts the lines of s: the order of the environment chpst
// passes on is not part of the contract.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		for j := i; j > 0 && lines[j] < lines[j-1]; j-- {
			lines[j], lines[j-1] = lines[j-1], lines[j]
		}
	}
	return strings.Join(lines, "\n")
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lockHeld reports whether someone holds an flock on path.
func lockHeld(path string) bool {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	syscall.Flock(fd, syscall.LOCK_UN)
	return false
}

// holdLock starts our chpst -l lock sleep SECS and waits until it holds
// the lock. It returns the process.
func holdLock(t *testing.T, lock string, secs string) *testenv.Proc {
	t.Helper()
	p := testenv.Start(t, exec.Command(testenv.Tool(t, "chpst"), "-l", lock, "sleep", secs))
	testenv.Eventually(t, 10*time.Second, func() string {
		if !lockHeld(lock) {
			return lock + " not locked yet"
		}
		return ""
	})
	return p
}
