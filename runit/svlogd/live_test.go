package svlogd

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// live is an svlogd running on a pipe the test writes to.
type live struct {
	p  *testenv.Proc
	in io.WriteCloser
}

func startLive(t *testing.T, bin string, args ...string) *live {
	t.Helper()
	cmd := exec.Command(bin, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	return &live{testenv.Start(t, cmd), in}
}

func (l *live) write(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(l.in, s); err != nil {
		t.Fatal(err)
	}
}

// finish closes the input and waits for a clean exit.
func (l *live) finish(t *testing.T) {
	t.Helper()
	l.in.Close()
	if code := l.p.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, l.p.Stderr)
	}
}

func fileHas(path, want string) func() string {
	return func() string {
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), want) {
			return fmt.Sprintf("%s is %q, want it to contain %q", path, b, want)
		}
		return ""
	}
}

// Point 51: a processor run on ALRM, with state and no leftovers.
func TestProcessorOnAlarm(t *testing.T) {
	var snaps []string
	for _, im := range impls(t) {
		dir := logDir(t, "!tr a-z A-Z; echo st >&5\n")
		l := startLive(t, im.bin, dir)
		l.write(t, "hello\n")
		testenv.Eventually(t, 10*time.Second, fileHas(filepath.Join(dir, "current"), "hello\n"))
		l.p.Signal(syscall.SIGALRM)
		testenv.Eventually(t, 10*time.Second, func() string {
			if s := rotated(t, dir, ".s"); len(s) != 1 {
				return fmt.Sprintf("%s: rotated .s %q", im.name, s)
			}
			return fileHas(filepath.Join(dir, "state"), "st\n")()
		})
		l.finish(t)
		s := rotated(t, dir, ".s")
		if got := readFile(t, filepath.Join(dir, s[0])); got != "HELLO\n" {
			t.Errorf("%s: %s is %q", im.name, s[0], got)
		}
		if left := append(rotated(t, dir, ".u"), rotated(t, dir, ".t")...); len(left) != 0 {
			t.Errorf("%s: left over %q", im.name, left)
		}
		snaps = append(snaps, snapshot(t, dir))
	}
	if snaps[0] != snaps[1] {
		t.Errorf("ours:\n%s\ndebian:\n%s", snaps[0], snaps[1])
	}
}

// A failing processor is restarted on the same .u; the processor sees the
// previous state on fd 4; nothing is lost.
func TestProcessorFailsThenState(t *testing.T) {
	var snaps []string
	for _, im := range impls(t) {
		dir := logDir(t, "s20\nn100\n!if [ -e failed ]; then rm failed; cat; echo \"prev state: $(cat <&4)\"; echo \"state of a run\" >&5; else touch failed; echo JUNKOUT; exit 1; fi\n")
		l := startLive(t, im.bin, dir)
		l.write(t, "first line of the log\n")
		testenv.Eventually(t, 10*time.Second, func() string {
			if s := rotated(t, dir, ".s"); len(s) != 1 {
				return fmt.Sprintf("%s: .s files %q", im.name, s)
			}
			return ""
		})
		l.write(t, "second line of the log\n")
		testenv.Eventually(t, 10*time.Second, func() string {
			if s := rotated(t, dir, ".s"); len(s) != 2 {
				return fmt.Sprintf("%s: .s files %q", im.name, s)
			}
			return ""
		})
		l.finish(t)
		stderr := strings.ReplaceAll(l.p.Stderr.String(), dir, "DIR")
		if strings.Count(stderr, "svlogd: warning: processor failed, restart: DIR\n") != 2 {
			t.Errorf("%s: stderr %q", im.name, stderr)
		}
		snaps = append(snaps, snapshot(t, dir))
	}
	if snaps[0] != snaps[1] {
		t.Errorf("ours:\n%s\ndebian:\n%s", snaps[0], snaps[1])
	}
	if !strings.Contains(snaps[0], "first line of the loprev state: \n") ||
		!strings.Contains(snaps[0], "second line of theprev state: state of a run\n") ||
		strings.Contains(snaps[0], "JUNKOUT\n") {
		t.Errorf("files:\n%s", snaps[0])
	}
}

// Point 55: a locked directory is refused, across implementations (both
// use flock).
func TestLocked(t *testing.T) {
	all := impls(t)
	for i, holder := range all {
		other := all[1-i]
		dir := logDir(t, "-")
		l := startLive(t, holder.bin, dir)
		l.write(t, "x\n")
		testenv.Eventually(t, 10*time.Second, fileHas(filepath.Join(dir, "current"), "x\n"))
		got := strings.ReplaceAll(runArgsIn(t, other.bin, []string{dir}, "y\n"), dir, "$L")
		want := "svlogd: warning: unable to lock directory: $L: temporary failure\nsvlogd: fatal: no functional log directories.\nexit 111\n"
		if got != want {
			t.Errorf("%s holding, %s: %q, want %q", holder.name, other.name, got, want)
		}
		l.finish(t)
	}
}

// HUP re-reads the config and reopens current.
func TestHupRereadsConfig(t *testing.T) {
	var snaps []string
	for _, im := range impls(t) {
		dir := logDir(t, "pA:\n")
		l := startLive(t, im.bin, "-v", dir)
		l.write(t, "x\n")
		testenv.Eventually(t, 10*time.Second, fileHas(filepath.Join(dir, "current"), "A:x\n"))
		writeFile(t, filepath.Join(dir, "config"), "pB:\n", 0o644)
		l.p.Signal(syscall.SIGHUP)
		// The first open says "new", the reopen "append".
		testenv.Eventually(t, 10*time.Second, func() string {
			if e := l.p.Stderr.String(); !strings.Contains(e, "svlogd: info: append: ") {
				return fmt.Sprintf("%s: no reopen yet: %q", im.name, e)
			}
			return ""
		})
		l.write(t, "y\n")
		l.finish(t)
		snaps = append(snaps, snapshot(t, dir))
	}
	if snaps[0] != snaps[1] || !strings.Contains(snaps[0], "A:x\nB:y\n") {
		t.Errorf("ours:\n%s\ndebian:\n%s", snaps[0], snaps[1])
	}
}

// t: rotation by time, only of a non-empty current.
func TestTimeRotation(t *testing.T) {
	for _, im := range impls(t) {
		dir := logDir(t, "t1\n")
		l := startLive(t, im.bin, dir)
		l.write(t, "tick\n")
		testenv.Eventually(t, 10*time.Second, func() string {
			if s := rotated(t, dir, ".s"); len(s) != 1 {
				return fmt.Sprintf("%s: .s files %q", im.name, s)
			}
			return ""
		})
		// A check of absence: past another t1 period, current is empty and
		// must not be rotated.
		time.Sleep(1500 * time.Millisecond)
		l.finish(t)
		s := rotated(t, dir, ".s")
		if len(s) != 1 || readFile(t, filepath.Join(dir, s[0])) != "tick\n" {
			t.Errorf("%s: .s files %q", im.name, s)
		}
	}
}

// SIGTERM in the middle of a line: the line is finished and written. (Debian's
// svlogd loses it: see the package doc.)
func TestTermFinishesLine(t *testing.T) {
	dir := logDir(t, "-")
	l := startLive(t, impls(t)[0].bin, "-v", dir)
	l.write(t, "complete\npart")
	testenv.Eventually(t, 10*time.Second, fileHas(filepath.Join(dir, "current"), "complete\n"))
	l.p.Signal(syscall.SIGTERM)
	testenv.Eventually(t, 10*time.Second, func() string {
		if e := l.p.Stderr.String(); !strings.Contains(e, "svlogd: info: sigterm received.\n") {
			return fmt.Sprintf("no TERM yet: %q", e)
		}
		return ""
	})
	// A check of absence: svlogd waits for the end of the line and must
	// not exit meanwhile.
	time.Sleep(100 * time.Millisecond)
	if l.p.Exited() {
		t.Fatal("exited before the line was complete")
	}
	l.write(t, "ial\nnot read\n")
	if code := l.p.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := readFile(t, filepath.Join(dir, "current")); got != "complete\npartial\n" {
		t.Errorf("current %q", got)
	}
}

// A steady writer while HUP, ALRM and finally TERM arrive: every line read
// is in the files, once, in order.
func TestSignalsLoseNothing(t *testing.T) {
	dir := logDir(t, "s3000\nn0\n")
	l := startLive(t, impls(t)[0].bin, "-tt", dir)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := bufio.NewWriterSize(l.in, 256)
		for i := 1; ; i++ {
			select {
			case <-stop:
				w.Flush()
				return
			default:
			}
			if _, err := fmt.Fprintf(w, "line %d of the steady writer\n", i); err != nil {
				return // svlogd has exited
			}
			if i%50 == 0 {
				time.Sleep(time.Millisecond) // a pace, not a wait: steady, not flat out
			}
		}
	}()
	// Each signal comes once svlogd has logged another 2,000 bytes since
	// the one before: signals and lines interleave.
	logged := 0
	progress := func() {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, func() string {
			if n := dirBytes(t, dir); n < logged+2000 {
				return fmt.Sprintf("%d bytes logged, waiting for %d", n, logged+2000)
			}
			return ""
		})
		logged = dirBytes(t, dir)
	}
	for i := 0; i < 6; i++ {
		progress()
		sig := syscall.SIGHUP
		if i%2 == 1 {
			sig = syscall.SIGALRM
		}
		l.p.Signal(sig)
	}
	progress()
	l.p.Signal(syscall.SIGTERM)
	code := l.p.Wait(t, 30*time.Second)
	close(stop)
	l.in.Close()
	wg.Wait()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, l.p.Stderr)
	}
	names := rotated(t, dir, ".s")
	sort.Strings(names)
	names = append(names, "current")
	next := 1
	for _, n := range names {
		for _, line := range strings.SplitAfter(readFile(t, filepath.Join(dir, n)), "\n") {
			if line == "" {
				continue
			}
			want := fmt.Sprintf(" line %d of the steady writer\n", next)
			if !strings.HasSuffix(line, want) || len(line) != 26+len(want)-1 {
				t.Fatalf("%s: got %q, want line %d", n, line, next)
			}
			next++
		}
	}
	if next < 100 || len(names) < 4 {
		t.Errorf("only %d lines in %d files", next-1, len(names))
	}
	t.Logf("%d lines in %d files, none lost", next-1, len(names))
}

// u and U: lines sent to a udp listener on 127.0.0.1, with prefix, stamps
// and "..." for long lines.
func TestUDP(t *testing.T) {
	for _, only := range []bool{false, true} {
		var got []string
		for _, im := range impls(t) {
			pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			port := pc.LocalAddr().(*net.UDPAddr).Port
			kind := "u"
			if only {
				kind = "U"
			}
			dir := logDir(t, kind+"127.0.0.1:"+strconv.Itoa(port)+"\npP:\n-skip*\n")
			runOnce(t, im.bin, []string{"-l", "8"}, dir, "one\nskip me\ntwo 0123456789\n")
			var msgs []string
			buf := make([]byte, 2000)
			for len(msgs) < 2 {
				pc.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, _, err := pc.ReadFrom(buf)
				if err != nil {
					t.Fatalf("%s: %v after %q", im.name, err, msgs)
				}
				msgs = append(msgs, string(buf[:n]))
			}
			snap := strings.ReplaceAll(snapshot(t, dir), ":"+strconv.Itoa(port), ":PORT")
			got = append(got, fmt.Sprintf("%q\n%s", msgs, snap))
		}
		if got[0] != got[1] {
			t.Errorf("U=%v ours:\n%s\ndebian:\n%s", only, got[0], got[1])
		}
		if !strings.Contains(got[0], `["P:one\n" "P:two 0123...\n"]`) {
			t.Errorf("datagrams: %s", got[0])
		}
	}
}

// A processor killed by a signal counts as a success, as in runit (its
// wait_exitcode is 0).
func TestProcessorKilledIsSuccess(t *testing.T) {
	var snaps []string
	for _, im := range impls(t) {
		dir := logDir(t, "!cat; echo st >&5; kill -KILL $$\n")
		l := startLive(t, im.bin, dir)
		l.write(t, "killed\n")
		testenv.Eventually(t, 10*time.Second, fileHas(filepath.Join(dir, "current"), "killed\n"))
		l.p.Signal(syscall.SIGALRM)
		testenv.Eventually(t, 10*time.Second, func() string {
			if s := rotated(t, dir, ".s"); len(s) != 1 {
				return fmt.Sprintf("%s: .s files %q", im.name, s)
			}
			return ""
		})
		l.finish(t)
		if strings.Contains(l.p.Stderr.String(), "processor failed") {
			t.Errorf("%s: %s", im.name, l.p.Stderr)
		}
		snaps = append(snaps, snapshot(t, dir))
	}
	if snaps[0] != snaps[1] {
		t.Errorf("ours:\n%s\ndebian:\n%s", snaps[0], snaps[1])
	}
}

// HUP while a processor runs: ours waits for it, so its .u is processed
// (runit would forget it and leave the .u behind).
func TestHupWaitsForProcessor(t *testing.T) {
	dir := logDir(t, "!sleep 1; tr a-z A-Z\n")
	l := startLive(t, impls(t)[0].bin, dir)
	l.write(t, "slow\n")
	testenv.Eventually(t, 10*time.Second, fileHas(filepath.Join(dir, "current"), "slow\n"))
	l.p.Signal(syscall.SIGALRM)
	testenv.Eventually(t, 10*time.Second, func() string {
		if u := rotated(t, dir, ".u"); len(u) != 1 {
			return fmt.Sprintf(".u files %q", u)
		}
		return ""
	})
	l.p.Signal(syscall.SIGHUP)
	l.write(t, "after\n")
	l.finish(t)
	s := rotated(t, dir, ".s")
	if len(s) != 1 || readFile(t, filepath.Join(dir, s[0])) != "SLOW\n" {
		t.Errorf(".s files %q", s)
	}
	if u := rotated(t, dir, ".u"); len(u) != 0 {
		t.Errorf(".u left: %q", u)
	}
	if got := readFile(t, filepath.Join(dir, "current")); got != "after\n" {
		t.Errorf("current %q", got)
	}
}

// dirBytes sums the sizes of a log directory's current and rotated files.
func dirBytes(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if e.Name() != "current" && !strings.HasPrefix(e.Name(), "@") {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n += int(fi.Size())
		}
	}
	return n
}
