package svlogd

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Point 48: two lines, a clean current (0744) and an empty 0600 lock.
func TestBasic(t *testing.T) {
	r := interop(t, "-", nil, "a\nb\n", nil)
	want := "== current 744 4\na\nb\n== lock 600 0\n"
	if r.code != 0 || r.files != want {
		t.Errorf("exit %d, files:\n%s\nwant:\n%s", r.code, r.files, want)
	}
}

// Point 49: the three stamp formats.
func TestStamps(t *testing.T) {
	for _, tc := range []struct {
		opt, re string
	}{
		{"-t", `^@[0-9a-f]{24} x$`},
		{"-tt", `^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{5} x$`},
		{"-ttt", `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{5} x$`},
		{"-tttt", `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{5} x$`},
	} {
		interop(t, "-", []string{tc.opt}, "x\n", nil)
		dir := logDir(t, "-")
		runOnce(t, impls(t)[0].bin, []string{tc.opt}, dir, "x\n")
		got := strings.TrimSuffix(readFile(t, filepath.Join(dir, "current")), "\n")
		if !regexp.MustCompile(tc.re).MatchString(got) {
			t.Errorf("%s: current %q, want %s", tc.opt, got, tc.re)
		}
	}
}

// Point 50: size rotation and the n rule.
func TestRotation(t *testing.T) {
	interop(t, "s100\nn3\n", nil, lines(40, "message number %d"), nil)
	dir := logDir(t, "s100\nn3\n")
	runOnce(t, impls(t)[0].bin, nil, dir, lines(40, "message number %d"))
	old := rotated(t, dir, ".s")
	if len(old) != 3 {
		t.Fatalf("rotated files %q, want 3", old)
	}
	for _, n := range old {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o744 || fi.Size() > 100 {
			t.Errorf("%s: mode %o size %d", n, fi.Mode().Perm(), fi.Size())
		}
	}
}

// Rotation decided on runit's chunk boundaries, in the corners: a size
// below LEN, lines split across files, buffers smaller than a line, long
// lines and stamps, several files of a long run.
func TestRotationChunks(t *testing.T) {
	for _, tc := range []struct {
		config string
		args   []string
		input  string
	}{
		{"s100\nn30\n", []string{"-l", "10"}, lines(40, "0123456789abc%03d")},
		{"s8000\nn30\n", nil, lines(5000, "%d")},
		{"s300\nn50\npPFX: \n", []string{"-l", "20", "-b", "21"}, lines(300, "%d") + strings.Repeat("x", 3000) + "\n" + lines(10, "%d")},
		{"s1k\nn50\n", []string{"-b", "30", "-l", "5"}, strings.Repeat("y", 5000) + "\n" + lines(100, "%d")},
		{"s5000\nn50\n", []string{"-tt", "-b", "100", "-l", "50"}, lines(2000, "line %d of a run with stamps")},
		{"s1\nn50\n", nil, lines(20, "%d")},
		{"s0\n", nil, lines(2000, "%d")},
		{"s100000\nn10\n", []string{"-tt"}, lines(20000, "%010d the quick brown fox jumps over the lazy dog, logging line after line after line")},
		{"s20000\nn50\n", []string{"-b", "20000", "-l", "9000"}, strings.Repeat("z", 30000) + "\n" + lines(100, "%d")},
	} {
		interop(t, tc.config, tc.args, tc.input, nil)
	}
}

// Point 52: replacement, a long line's verbatim tail, stderr copy with "...".
func TestReplaceAndLongLine(t *testing.T) {
	r := interop(t, "e*\n", []string{"-r", "#", "-R", "b", "-l", "10"}, "ab\001c\nabcdefghijklmnopqrstuvwxyz\001Z\n", nil)
	cur := "a##c\na#cdefghijklmnopqrstuvwxyz\001Z\n"
	if !strings.Contains(r.files, "== current 744 "+strconv.Itoa(len(cur))+"\n"+cur) {
		t.Errorf("files:\n%s", r.files)
	}
	if !strings.HasSuffix(r.stderr, "a#cdefghij...\n") {
		t.Errorf("stderr %q", r.stderr)
	}
	// Every byte ≥ 0x80 and 0x7f is non-printable; -R alone replaces by _.
	interop(t, "-", []string{"-r", "."}, "\x7f\x80\xffok\t\n", nil)
	interop(t, "-", []string{"-R", "xy"}, "axbyc\n", nil)
}

// Point 53: an incomplete last line is not logged (we report it on stderr).
func TestIncompleteLastLine(t *testing.T) {
	for _, im := range impls(t) {
		dir := logDir(t, "-")
		r := runOnce(t, im.bin, nil, dir, "one\ntwo-no-newline")
		if got := readFile(t, filepath.Join(dir, "current")); got != "one\n" || r.code != 0 {
			t.Errorf("%s: exit %d, current %q", im.name, r.code, got)
		}
		if im.name == "ours" && r.stderr != "svlogd: warning: discarding incomplete last line: two-no-newline\n" {
			t.Errorf("ours: stderr %q", r.stderr)
		}
	}
	// A long line (≥ -l) without newline is logged with one, as runit does.
	interop(t, "-", []string{"-l", "5"}, "one\nlong-line-no-newline", nil)
}

// Point 54: an unclean current becomes a .u file.
func TestUncleanCurrent(t *testing.T) {
	r := interop(t, "-", nil, "new\n", func(dir string) {
		writeFile(t, filepath.Join(dir, "current"), "old\n", 0o644)
	})
	if !strings.Contains(r.files, "== @TAI64N.u 644 4\nold\n") || !strings.Contains(r.files, "== current 744 4\nnew\n") {
		t.Errorf("files:\n%s", r.files)
	}
	// A clean current (owner-x) is appended to.
	r = interop(t, "-", nil, "new\n", func(dir string) {
		writeFile(t, filepath.Join(dir, "current"), "old\n", 0o744)
	})
	if !strings.Contains(r.files, "== current 744 8\nold\nnew\n") {
		t.Errorf("files:\n%s", r.files)
	}
	// Appending counts the old size: s10 rotates at once.
	interop(t, "s10\n", nil, "new\nnew\nnew\n", func(dir string) {
		writeFile(t, filepath.Join(dir, "current"), "old old\n", 0o744)
	})
}

// Point 56: a line of exactly LEN bytes gets "..." on stderr.
func TestExactlyLen(t *testing.T) {
	r := interop(t, "e*\n", []string{"-l", "10"}, "abcdefghij\n", nil)
	if r.stderr != "abcdefghij...\n" {
		t.Errorf("stderr %q", r.stderr)
	}
}

// Point 57: Debian's n rule leaves .u files alone.
func TestPruneKeepsU(t *testing.T) {
	const u = "@400000006b00000000000000.u"
	const s1 = "@400000006b00000000000001.s"
	const s2 = "@400000006b00000000000002.s"
	for _, im := range impls(t) {
		dir := logDir(t, "s50\nn2\n")
		for _, n := range []string{u, s1, s2} {
			writeFile(t, filepath.Join(dir, n), "x\n", 0o744)
		}
		var in strings.Builder
		for i := 1; i <= 20; i++ {
			in.WriteString(strconv.Itoa(i) + "\n")
		}
		runOnce(t, im.bin, nil, dir, in.String())
		got := rotated(t, dir, "")
		if len(got) != 3 || got[0] != u || got[1] != s2 || !strings.HasSuffix(got[2], ".s") {
			t.Errorf("%s: old files %q, want %s %s and one new .s", im.name, got, u, s2)
		}
	}
}

// Patterns, prefix and stderr selection in file order, last match winning.
func TestPatterns(t *testing.T) {
	in := "abc\nbbc\nb\nccc\nbb\n\ntcpsvd: info: pid 1977 from 1.2.3.4\n"
	interop(t, "-*\n+a*\nE*\ne+b*\npP\n", nil, in, nil)
	interop(t, "-*pid*\n", nil, in, nil)
	interop(t, "-*: *: pid *\ne*c\n", []string{"-t"}, in, nil)
	interop(t, "e*\n-*\n", []string{"-l", "2"}, in, nil)
}

// Config warnings and usage errors.
func TestConfigWarningsAndUsage(t *testing.T) {
	interop(t, "u1.2.3\nuabc\nu127.0.0.1:0\nu127.0.0.1:x\n", nil, "x\n", nil)
	// A U line that cannot be scanned still makes the directory udp-only.
	interop(t, "Ubad\n", nil, "x\n", nil)
	for _, args := range [][]string{{"-V"}, {"-r", "ab"}, {"-r", ""}, {"-l", "5", "-b", "5"}, {"-x"}, {"-l"}, {}} {
		var got []string
		for _, im := range impls(t) {
			res := runArgs(t, im.bin, args)
			got = append(got, strings.ReplaceAll(res, im.bin, "PROG"))
		}
		if got[0] != got[1] {
			t.Errorf("args %q: ours %q, debian %q", args, got[0], got[1])
		}
		if !strings.Contains(got[0], "usage: PROG [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n\n") {
			t.Errorf("args %q: %q", args, got[0])
		}
	}
}

// Verbose messages (those that do not depend on timing).
func TestVerbose(t *testing.T) {
	r := interop(t, "s10\nn1\n", []string{"-v"}, "0123456789\nabc\n", nil)
	for _, m := range []string{
		"svlogd: info: read: DIR/config\n",
		"svlogd: info: new: DIR/current\n",
		"svlogd: info: rename: DIR/current @TAI64N.s 10\n",
		"svlogd: info: close: DIR\n",
	} {
		if !strings.Contains(r.stderr, m) {
			t.Errorf("stderr lacks %q:\n%s", m, r.stderr)
		}
	}
}

// Several directories at once, one of them unusable.
func TestSeveralDirs(t *testing.T) {
	var res []string
	for _, im := range impls(t) {
		a := logDir(t, "-a*\n")
		b := logDir(t, "+a*\n-b*\npB:\n")
		missing := filepath.Join(t.TempDir(), "missing")
		cmd := []string{a, missing, b}
		out := runArgsIn(t, im.bin, cmd, "a1\nb1\nc1\n")
		out = strings.NewReplacer(a, "A", b, "B", missing, "MISSING").Replace(out)
		res = append(res, out+snapshot(t, a)+snapshot(t, b))
	}
	if res[0] != res[1] {
		t.Errorf("ours:\n%s\ndebian:\n%s", res[0], res[1])
	}
	if !strings.Contains(res[0], "unable to open log directory: MISSING: file does not exist") {
		t.Errorf("missing warning:\n%s", res[0])
	}
	// No usable directory at all.
	for _, im := range impls(t) {
		out := runArgsIn(t, im.bin, []string{filepath.Join(t.TempDir(), "x")}, "")
		if !strings.HasSuffix(out, "svlogd: fatal: no functional log directories.\nexit 111\n") {
			t.Errorf("%s: %q", im.name, out)
		}
	}
}

// A line longer than the buffer (-b) and than -l is never truncated in the
// log: the first -l bytes are matched, copied to stderr with "...", the
// rest follows verbatim; with a size limit the line is split across files.
func TestLongerThanBuffer(t *testing.T) {
	long := strings.Repeat("0123456789", 5000) // 50,000 bytes, -b is 1024
	r := interop(t, "s0\ne*\n", nil, long+"\nshort\n", nil)
	if !strings.Contains(r.files, "== current 744 50007\n"+long+"\nshort\n") {
		t.Errorf("the long line is not whole in current")
	}
	if want := long[:1000] + "...\nshort\n"; r.stderr != want {
		t.Errorf("stderr %d bytes, want %d", len(r.stderr), len(want))
	}
	r = interop(t, "s20000\nn10\n", nil, long+"\nshort\n", nil)
	var joined strings.Builder
	for _, part := range strings.Split(r.files, "== ")[1:] {
		head, body, _ := strings.Cut(part, "\n")
		if strings.HasPrefix(head, "@TAI64N.s") || strings.HasPrefix(head, "current") {
			joined.WriteString(body)
		}
	}
	if joined.String() != long+"\nshort\n" {
		t.Errorf("the parts do not add up to the input:\n%s", r.files[:200])
	}
}
