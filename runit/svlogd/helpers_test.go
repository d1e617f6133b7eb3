package svlogd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// impls are the two svlogd programs every interop test runs.
type impl struct {
	name string
	bin  string
}

func impls(t *testing.T) []impl {
	return []impl{
		{"ours", testenv.Tool(t, "svlogd")},
		{"debian", testenv.DebianRunit(t, "svlogd")},
	}
}

var (
	taiRE   = regexp.MustCompile(`@[0-9a-f]{24}`)
	ptimeRE = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}[_T][0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{5}`)
)

// mask replaces time stamps by fixed words.
func mask(s string) string {
	s = taiRE.ReplaceAllString(s, "@TAI64N")
	return ptimeRE.ReplaceAllString(s, "PTIME")
}

// snapshot describes a log directory: each file (names sorted, stamps
// masked) with its mode, then its content with stamps masked.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== %s %o %d\n%s", mask(n), fi.Mode().Perm(), len(data), mask(string(data)))
	}
	return b.String()
}

// logDir makes a log directory with config (none if config is "-").
func logDir(t *testing.T, config string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if config != "-" {
		writeFile(t, filepath.Join(dir, "config"), config, 0o644)
	}
	return dir
}

func writeFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// result is what one run left behind.
type result struct {
	code   int
	stderr string // with the log directory written DIR
	files  string // snapshot of the log directory
}

// runOnce feeds input to bin with args and the log directory dir last.
func runOnce(t *testing.T, bin string, args []string, dir, input string) result {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{}, args...), dir)...)
	cmd.Stdin = strings.NewReader(input)
	_, stderr, code := testenv.Run(t, 60*time.Second, cmd)
	return result{code, strings.ReplaceAll(mask(stderr), dir, "DIR"), snapshot(t, dir)}
}

// interop runs ours and Debian's on the same input in fresh directories
// (config, prepared by setup if not nil) and fails unless they leave the
// same files, stderr and exit code. It returns our result.
func interop(t *testing.T, config string, args []string, input string, setup func(dir string)) result {
	t.Helper()
	var res []result
	for _, im := range impls(t) {
		dir := logDir(t, config)
		if setup != nil {
			setup(dir)
		}
		res = append(res, runOnce(t, im.bin, args, dir, input))
	}
	if res[0] != res[1] {
		t.Errorf("ours and Debian's svlogd differ for config %q args %q:\nours:   exit %d\n%s%s\ndebian: exit %d\n%s%s",
			config, args, res[0].code, res[0].stderr, res[0].files, res[1].code, res[1].stderr, res[1].files)
	}
	return res[0]
}

// rotated lists the names of dir that look like rotated files (.s/.u/.t).
func rotated(t testing.TB, dir, suffix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "@*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range m {
		if n := filepath.Base(p); regexp.MustCompile(`^@[0-9a-f]{24}\.[stu]$`).MatchString(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lines(n int, format string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, format+"\n", i)
	}
	return b.String()
}

// runArgs runs bin with args and no input; it returns stderr and the exit
// code as text.
func runArgs(t *testing.T, bin string, args []string) string {
	t.Helper()
	return runArgsIn(t, bin, args, "")
}

func runArgsIn(t *testing.T, bin string, args []string, input string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(input)
	_, stderr, code := testenv.Run(t, 60*time.Second, cmd)
	return fmt.Sprintf("%sexit %d\n", stderr, code)
}
