package runsv

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"sysconf/internal/testenv"
)

// snapshot is what sv and other tools can see of a supervise/ directory,
// with pids and times left out.
func snapshot(dir string) string {
	var b strings.Builder
	for _, d := range []string{"supervise", "log/supervise"} {
		ents, err := os.ReadDir(filepath.Join(dir, d))
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", d, err)
			continue
		}
		var names []string
		for _, e := range ents {
			// *.new files come and go during an update.
			if strings.HasSuffix(e.Name(), ".new") {
				continue
			}
			mode := "gone"
			if fi, err := e.Info(); err == nil {
				mode = fi.Mode().String()
			}
			names = append(names, e.Name()+" "+mode)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "%s: %s\n", d, strings.Join(names, ", "))
		stat, _ := os.ReadFile(filepath.Join(dir, d, "stat"))
		fmt.Fprintf(&b, "  stat %q\n", stat)
		st, _ := os.ReadFile(filepath.Join(dir, d, "status"))
		if len(st) == 20 {
			pid := "0"
			if st[12]|st[13]|st[14]|st[15] != 0 {
				pid = "P"
			}
			fmt.Fprintf(&b, "  status pid %s flags % x\n", pid, st[16:20])
		} else {
			fmt.Fprintf(&b, "  status %d bytes\n", len(st))
		}
		pid, err := os.ReadFile(filepath.Join(dir, d, "pid"))
		switch {
		case err != nil:
			fmt.Fprintf(&b, "  pid missing\n")
		case len(pid) == 0:
			fmt.Fprintf(&b, "  pid empty\n")
		default:
			fmt.Fprintf(&b, "  pid set\n")
		}
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	hooks, _ := os.ReadFile(filepath.Join(dir, "hooks"))
	out, _ := os.ReadFile(filepath.Join(dir, "log", "out"))
	fmt.Fprintf(&b, "finish %q hooks %q log %q\n", args, hooks, out)
	return b.String()
}

// TestSameAsDebian drives Debian's runsv and ours through the same steps
// on identical directories (with finish, hooks and a log service) and
// compares what the supervise/ directories show after each step.
func TestSameAsDebian(t *testing.T) {
	steps := [][]string{
		{"start"},
		{"pause"},
		{"cont"},
		{"hup"},
		{"once"},
		{"-v", "down"},
		{"-v", "up"},
		{"-v", "restart"},
		{"exit"},
	}
	runs := map[string][]string{}
	for _, im := range impls(t) {
		s := filepath.Join(t.TempDir(), "s")
		mkrun(t, s, "echo out; exec sleep 1000")
		testenv.WriteScript(t, filepath.Join(s, "finish"), `echo "$1 $2" >> args`)
		testenv.WriteScript(t, filepath.Join(s, "control", "h"), `echo h >> hooks; exit 0`)
		testenv.WriteScript(t, filepath.Join(s, "control", "d"), `echo d >> hooks; exit 1`)
		testenv.WriteScript(t, filepath.Join(s, "control", "u"), `echo u >> hooks`)
		testenv.WriteScript(t, filepath.Join(s, "log", "run"), "exec cat > out")
		p := startRunsv(t, im.runsv, s)
		var snaps []string
		for _, step := range steps {
			if step[0] != "start" {
				// More than a second after the last start, so that runit's
				// restart throttle (a timing matter) never applies.
				time.Sleep(1100 * time.Millisecond)
				sv(t, append(step, s)...)
			}
			prev := ""
			if len(snaps) > 0 {
				prev = snaps[len(snaps)-1]
			}
			// Let the supervisor act: until the picture changes, at most 3 s,
			// then until it stays the same for 600 ms.
			cur := snapshot(s)
			for end := time.Now().Add(3 * time.Second); cur == prev && time.Now().Before(end); cur = snapshot(s) {
				time.Sleep(20 * time.Millisecond)
			}
			for {
				time.Sleep(600 * time.Millisecond)
				next := snapshot(s)
				if next == cur {
					break
				}
				cur = next
			}
			snaps = append(snaps, strings.Join(step, " ")+":\n"+cur)
		}
		if code := p.Wait(t, 10*time.Second); code != 0 {
			t.Errorf("%s: exit %d", im.name, code)
		}
		runs[im.name] = snaps
	}
	if diff := cmp.Diff(runs["debian"], runs["ours"]); diff != "" {
		t.Errorf("supervise/ differs from Debian's runsv (-debian +ours):\n%s", diff)
	}
}
