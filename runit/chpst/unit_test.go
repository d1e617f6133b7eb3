package chpst

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvValue(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{name: "empty file removes", in: "", wantOK: false},
		{name: "first line only", in: "v1\nline2\n", want: "v1", wantOK: true},
		{name: "no newline", in: "whole", want: "whole", wantOK: true},
		{name: "trailing blanks", in: "tr  \t\n", want: "tr", wantOK: true},
		{name: "leading blanks kept", in: "  a b \n", want: "  a b", wantOK: true},
		{name: "NUL becomes newline", in: "x\x00y\n", want: "x\ny", wantOK: true},
		{name: "just newline is empty", in: "\n", want: "", wantOK: true},
		{name: "blanks then newline is empty", in: "   \n", want: "", wantOK: true},
		{name: "trailing blank after NUL", in: "a\x00 \n", want: "a\n", wantOK: true},
		{name: "CR kept", in: "a\r\n", want: "a\r", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := envValue([]byte(tt.in))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("envValue(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		changes []string
		want    []string // sorted
	}{
		{name: "set new", env: []string{"A=1"}, changes: []string{"B=2"}, want: []string{"A=1", "B=2"}},
		{name: "replace", env: []string{"A=1", "B=1"}, changes: []string{"A=2"}, want: []string{"A=2", "B=1"}},
		{name: "remove", env: []string{"A=1", "C=gone"}, changes: []string{"C"}, want: []string{"A=1"}},
		{name: "remove absent", env: []string{"A=1"}, changes: []string{"C"}, want: []string{"A=1"}},
		{name: "prefix is not the name", env: []string{"AB=1"}, changes: []string{"A"}, want: []string{"AB=1"}},
		{name: "later change wins", env: nil, changes: []string{"A=1", "A=2"}, want: []string{"A=2"}},
		{name: "set then remove", env: nil, changes: []string{"A=1", "A"}, want: []string{}},
		{name: "empty value", env: []string{"A=1"}, changes: []string{"A="}, want: []string{"A="}},
		// runit removes only the first of duplicate entries.
		{name: "duplicates", env: []string{"A=1", "A=2"}, changes: []string{"A=3"}, want: []string{"A=2", "A=3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := applyEnv(slices.Clone(tt.env), tt.changes)
			slices.Sort(got)
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("applyEnv(%q, %q) (-want +got):\n%s", tt.env, tt.changes, diff)
			}
		})
	}
}

func TestGetenv(t *testing.T) {
	env := []string{"PATHX=no", "PATH=/a", "PATH=/b"}
	if v, ok := getenv(env, "PATH"); !ok || v != "/a" {
		t.Errorf("getenv = %q, %v; want the first PATH, /a", v, ok)
	}
	if _, ok := getenv(env, "HOME"); ok {
		t.Error("getenv found an absent HOME")
	}
}

func TestReadEnvdir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"A": "v1\nline2\n", "B": "tr  \t\n", "C": "", "D": "x\x00y\n", ".dot": "."}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "E")); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	var warnings []string
	got, f := readEnvdir(dir, true, true, func(s string) { warnings = append(warnings, s) })
	if f != nil {
		t.Fatalf("readEnvdir: %s", f.msg)
	}
	if now, _ := os.Getwd(); now != wd {
		t.Errorf("cwd after readEnvdir = %s, want %s", now, wd)
	}
	slices.Sort(got)
	want := []string{"A=v1", "B=tr", "C", "D=x\ny", "E"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q, want none", warnings)
	}
}

func TestReadEnvdirSubdir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name             string
		lenient, verbose bool
		wantWarn, wantF  string
	}{
		{name: "lenient quiet", lenient: true},
		{name: "lenient verbose", lenient: true, verbose: true, wantWarn: "unable to read " + dir + "/sub: is a directory"},
		{name: "strict", wantF: "unable to read " + dir + "/sub: is a directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var warn string
			_, f := readEnvdir(dir, tt.lenient, tt.verbose, func(s string) { warn += s })
			if warn != tt.wantWarn {
				t.Errorf("warning %q, want %q", warn, tt.wantWarn)
			}
			var msg string
			if f != nil {
				msg = f.msg
			}
			if msg != tt.wantF {
				t.Errorf("fatal %q, want %q", msg, tt.wantF)
			}
		})
	}
}

func TestReadEnvdirErrors(t *testing.T) {
	dir := t.TempDir()
	eq := filepath.Join(dir, "eq")
	if err := os.Mkdir(eq, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(eq, "A=B"), []byte("v\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dir, want string }{
		{eq, "invalid variable name: " + eq + "/A=B"},
		{filepath.Join(dir, "none"), "unable to switch to directory: " + dir + "/none: file does not exist"},
		{file, "unable to switch to directory: " + file + ": not a directory"},
	} {
		_, f := readEnvdir(tt.dir, true, false, func(string) {})
		if f == nil || f.msg != tt.want {
			t.Errorf("readEnvdir(%s) = %v, want fatal %q", tt.dir, f, tt.want)
		}
	}
}

func TestParseNumericIDs(t *testing.T) {
	tests := []struct {
		in     string
		want   ids
		wantOK bool
	}{
		{in: "1234:5678", want: ids{uid: 1234, gids: []uint32{5678}}, wantOK: true},
		{in: "1234:5678:91", want: ids{uid: 1234, gids: []uint32{5678, 91}}, wantOK: true},
		{in: "1234", wantOK: false},
		{in: "", wantOK: false},
		{in: ":5", want: ids{uid: 0, gids: []uint32{5}}, wantOK: true},
		{in: "1:", want: ids{uid: 1, gids: []uint32{0}}, wantOK: true},
		{in: "1:2x", wantOK: false},
		{in: "x:2", wantOK: false},
		{in: "4294967296:1", want: ids{uid: 0, gids: []uint32{1}}, wantOK: true}, // uid_t truncation
		{in: "1:" + strings.Repeat("2:", 59) + "3", want: ids{uid: 1, gids: append(slices.Repeat([]uint32{2}, 59), 3)}, wantOK: true},
		{in: "1:" + strings.Repeat("2:", 60) + "3", wantOK: false}, // 61 gids
	}
	for _, tt := range tests {
		got, ok := parseNumericIDs(tt.in)
		if ok != tt.wantOK {
			t.Errorf("parseNumericIDs(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
			continue
		}
		if ok {
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ids{})); diff != "" {
				t.Errorf("parseNumericIDs(%q) (-want +got):\n%s", tt.in, diff)
			}
		}
	}
}

func testAccounts(t *testing.T) accountFiles {
	t.Helper()
	dir := t.TempDir()
	passwd := "# comment\n\nroot:x:0:0:root:/root:/bin/sh\n  daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
		"broken:x:abc:1:b:/:/bin/sh\nshort:x:5:5\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"
	group := "root:x:0:\ndaemon:x:1:\nadm:x:4:syslog\nbad:x:zz:\nnogroup:x:65534:"
	f := accountFiles{passwd: filepath.Join(dir, "passwd"), group: filepath.Join(dir, "group")}
	if err := os.WriteFile(f.passwd, []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.group, []byte(group), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLookupSpec(t *testing.T) {
	f := testAccounts(t)
	tests := []struct {
		spec     string
		want     ids
		wantKind lookupKind
	}{
		{spec: "nobody", want: ids{uid: 65534, gids: []uint32{65534}}},
		{spec: "daemon", want: ids{uid: 1, gids: []uint32{1}}},
		{spec: "nobody:adm:daemon", want: ids{uid: 65534, gids: []uint32{4, 1}}},
		{spec: "root:nogroup", want: ids{uid: 0, gids: []uint32{65534}}},
		{spec: ":1234:5678", want: ids{uid: 1234, gids: []uint32{5678}}},
		{spec: ":1234", wantKind: lookupInvalid},
		{spec: "nosuch", wantKind: lookupUnknown},
		{spec: "nobody:nosuch", wantKind: lookupUnknown},
		{spec: "nobody:adm:", wantKind: lookupUnknown},
		{spec: "nobody:bad", wantKind: lookupUnknown},
		{spec: "broken", wantKind: lookupUnknown},
		{spec: "short", wantKind: lookupUnknown},
		{spec: "", wantKind: lookupUnknown},
		{spec: "#", wantKind: lookupUnknown},
		{spec: "nobody:" + strings.Repeat("adm:", 60) + "nosuch", want: ids{uid: 65534, gids: slices.Repeat([]uint32{4}, 60)}}, // runit reads 60 groups at most
	}
	for _, tt := range tests {
		got, kind, err := f.lookupSpec(tt.spec)
		if err != nil || kind != tt.wantKind {
			t.Errorf("lookupSpec(%q) = kind %v, err %v; want kind %v", tt.spec, kind, err, tt.wantKind)
			continue
		}
		if kind == lookupOK {
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(ids{})); diff != "" {
				t.Errorf("lookupSpec(%q) (-want +got):\n%s", tt.spec, diff)
			}
		}
	}
	// A personality's account has no group syntax.
	if _, kind, _ := f.lookupAccount("nobody:adm"); kind != lookupUnknown {
		t.Errorf("lookupAccount(nobody:adm) kind %v, want unknown", kind)
	}
	if u, kind, _ := f.lookupAccount("nobody"); kind != lookupOK || u.uid != 65534 || !slices.Equal(u.gids, []uint32{65534}) {
		t.Errorf("lookupAccount(nobody) = %v, %v", u, kind)
	}
}

func TestLookupErrors(t *testing.T) {
	dir := t.TempDir()
	f := accountFiles{passwd: filepath.Join(dir, "none"), group: dir}
	if _, kind, err := f.lookupSpec("nobody"); kind != lookupError || err != syscall.ENOENT {
		t.Errorf("missing passwd: kind %v, err %v; want error ENOENT", kind, err)
	}
	good := testAccounts(t)
	good.group = dir
	if _, kind, err := good.lookupSpec("nobody:adm"); kind != lookupError || err != syscall.EISDIR {
		t.Errorf("group file a directory: kind %v, err %v; want error EISDIR", kind, err)
	}
	if _, kind, err := good.lookupSpec("nobody"); kind != lookupOK || err != nil {
		t.Errorf("no group needed: kind %v, err %v; want ok", kind, err)
	}
}

func TestDefaultAccountFiles(t *testing.T) {
	if defaultAccountFiles.passwd != "/etc/passwd" || defaultAccountFiles.group != "/etc/group" {
		t.Errorf("defaultAccountFiles = %+v, want /etc/passwd and /etc/group", defaultAccountFiles)
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in     string
		soft   bool // softlimit's syntax
		want   int64
		wantOK bool
	}{
		{in: "17", want: 17, wantOK: true},
		{in: "0", want: 0, wantOK: true},
		{in: "", want: 0, wantOK: true}, // scan_ulong reads nothing and the string is over
		{in: "abc", wantOK: false},
		{in: "12k", wantOK: false},
		{in: "-1", wantOK: false},
		{in: "=", wantOK: false},
		{in: "=", soft: true, want: toHard, wantOK: true},
		{in: "==", soft: true, wantOK: false},
		{in: "9223372036854775808", want: -9223372036854775808, wantOK: true}, // C long wraps
		{in: "18446744073709551615", want: -1, wantOK: true},
	}
	for _, tt := range tests {
		parse := parseLimit
		if tt.soft {
			parse = parseSoftlimit
		}
		got, ok := parse(tt.in)
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("parse(%q, soft %v) = %d, %v; want %d, %v", tt.in, tt.soft, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseNice(t *testing.T) {
	tests := []struct {
		in     string
		want   int64
		wantOK bool
	}{
		{"3", 3, true}, {"+3", 3, true}, {"-3", -3, true}, {"0", 0, true},
		{"", 0, true}, {"-", 0, true}, {"x", 0, false}, {"--3", 0, false}, {"3-", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseNice(tt.in)
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("parseNice(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestLimitsApplyOrderAndMarkers(t *testing.T) {
	l := newLimits()
	l.setAll(5)
	if l.data != 5 || l.stack != 5 || l.memlock != 5 || l.as != 5 || l.nofile != notSet {
		t.Errorf("setAll(5) = %+v", l)
	}
	// Nothing set: nothing to change.
	n := newLimits()
	if c, f := n.plan(); f != nil || len(c) != 0 {
		t.Errorf("plan of no limits = %+v, %v", c, f)
	}
	// The order is runit's, and "=" or a value above the hard limit gives
	// the hard limit; hard limits never change.
	l = newLimits()
	l.nofile, l.data, l.core = math.MaxInt64, toHard, 0 // NOFILE's hard limit is finite
	c, f := l.plan()
	if f != nil {
		t.Fatal(f.msg)
	}
	wantRes := []uintptr{syscall.RLIMIT_DATA, syscall.RLIMIT_NOFILE, syscall.RLIMIT_CORE}
	if len(c) != len(wantRes) {
		t.Fatalf("plan = %+v, want resources %v", c, wantRes)
	}
	for i, ch := range c {
		if ch.res != wantRes[i] || ch.new.Max != ch.old.Max {
			t.Errorf("change %d = %+v, want resource %d with its hard limit kept", i, ch, wantRes[i])
		}
	}
	if c[0].new.Cur != c[0].old.Max || c[1].new.Cur != c[1].old.Max || c[2].new.Cur != 0 {
		t.Errorf("plan = %+v, want DATA and NOFILE soft at hard, CORE soft 0", c)
	}
}

// TestExecPlanAllocatesNothing: between the first setrlimit and the last
// execve nothing may allocate, or a small memory limit can kill chpst
// before the program runs. A plan whose candidates do not exist and whose
// limits are the current ones runs here without side effects.
func TestExecPlanAllocatesNothing(t *testing.T) {
	dir := t.TempDir()
	l := newLimits()
	l.nofile, l.data = toHard, toHard
	limits, f := l.plan()
	if f != nil {
		t.Fatal(f.msg)
	}
	for i := range limits {
		limits[i].new = limits[i].old // set what is already there
	}
	p, err := newExecPlan("prog", dir+"/a:"+dir+"/b", []string{"prog", "x"}, []string{"A=1"}, limits)
	if err != nil {
		t.Fatal(err)
	}
	var set int
	var errno syscall.Errno
	allocs := testing.AllocsPerRun(100, func() { set, errno = p.run() })
	if allocs != 0 {
		t.Errorf("execPlan.run allocates %v times per run, want 0", allocs)
	}
	if set != len(limits) || errno != syscall.ENOENT {
		t.Errorf("execPlan.run = %d, %v; want %d, ENOENT", set, errno, len(limits))
	}
}

func TestSearchPath(t *testing.T) {
	tests := []struct {
		file, path string
		want       []string
	}{
		{"sh", "/bin:/usr/bin", []string{"/bin/sh", "/usr/bin/sh"}},
		{"sh", ":/bin:", []string{"./sh", "/bin/sh", "./sh"}},
		{"sh", "", []string{"./sh"}},
		{"./sh", "/bin", []string{"./sh"}},
		{"/bin/sh", "/usr/bin", []string{"/bin/sh"}},
	}
	for _, tt := range tests {
		if got := searchPath(tt.file, tt.path); !slices.Equal(got, tt.want) {
			t.Errorf("searchPath(%q, %q) = %q, want %q", tt.file, tt.path, got, tt.want)
		}
	}
}
