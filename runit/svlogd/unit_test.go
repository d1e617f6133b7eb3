package svlogd

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	var warnings []string
	warn := func(m0, m1 string) { warnings = append(warnings, m0+": "+m1) }
	got := parseConfig([]byte("# comment\n\ns2k\nn3\nN1\nt2m\n!gzip\n!\np\npPFX \n+a*\n-*b\neE*\nE+x\nu10.0.0.1:5140\nzunknown\n"), warn)
	want := config{
		size: 2048, nmax: 3, nmin: 1, tmax: 120, processor: "gzip",
		udpAddr: [4]byte{10, 0, 0, 1}, udpPort: 5140,
		prefix: []byte("PFX "),
		patterns: []pattern{
			{'+', []byte("a*")}, {'-', []byte("*b")}, {'e', []byte("E*")}, {'E', []byte("+x")},
		},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(config{}, pattern{})); diff != "" {
		t.Errorf("parseConfig (-want +got):\n%s", diff)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}
}

func TestParseConfigDetails(t *testing.T) {
	for _, tc := range []struct {
		in    string
		check func(c config) bool
		warn  string
	}{
		{"s1m\n", func(c config) bool { return c.size == 1<<20 }, ""},
		{"s\n", func(c config) bool { return c.size == 0 }, ""},     // no digits: 0, as scan_ulong
		{"s12x\n", func(c config) bool { return c.size == 12 }, ""}, // unknown suffix ignored
		{"t1h\n", func(c config) bool { return c.tmax == 3600 }, ""},
		{"t5\n", func(c config) bool { return c.tmax == 5 }, ""},
		{"n0", func(c config) bool { return c.nmax == 0 }, ""},                    // last line without newline
		{"s5\nn", func(c config) bool { return c.size == 5 && c.nmax == 10 }, ""}, // final 1-byte line skipped
		{"u1.2.3.4\n", func(c config) bool { return c.udpPort == 514 && !c.udpOnly }, ""},
		{"U1.2.3.260:70000\n", func(c config) bool {
			return c.udpOnly && c.udpAddr == [4]byte{1, 2, 3, 4} && c.udpPort == uint16(70000&0xffff)
		}, ""},
		{"Ux\n", func(c config) bool { return c.udpOnly && c.udpPort == 0 }, "unable to scan ip address: x"},
		{"u1.2.3.4:\n", func(c config) bool { return c.udpPort == 0 }, "unable to scan port number: "},
		{"u1.2.3.4:abc\n", func(c config) bool { return c.udpPort == 0 }, "unable to scan port number: abc"},
		{"-a\x00b\n", func(c config) bool { return string(c.patterns[0].pat) == "a" }, ""},
	} {
		var warn string
		c := parseConfig([]byte(tc.in), func(m0, m1 string) { warn = m0 + ": " + m1 })
		if !tc.check(c) {
			t.Errorf("parseConfig(%q) = %+v", tc.in, c)
		}
		if warn != tc.warn {
			t.Errorf("parseConfig(%q) warned %q, want %q", tc.in, warn, tc.warn)
		}
	}
}

func TestPmatch(t *testing.T) {
	for _, tc := range []struct {
		pat, line string
		after     byte
		want      bool
	}{
		{"abc", "abc", 0, true},
		{"abc", "abcd", 0, false},
		{"abc", "ab", 0, false},
		{"", "", 0, true},
		{"", "x", 0, false},
		{"*", "", 0, true},
		{"*", "anything", 0, true},
		{"a*", "abc", 0, true},
		{"*c", "abc", 0, true},
		{"*c", "abcd", 0, false},
		{"*b*", "abc", 0, true},
		// The first * stops at the first p (of tcpsvd): no backtracking.
		{"*pid*", "tcpsvd: info: pid 1977", 0, false},
		{"*: *: pid *", "tcpsvd: info: pid 1977", 0, true},
		{"*x", "abc", 0, false},
		{"+a", "aaa", 0, true},
		{"+ab", "aaab", 0, true},
		{"+ab", "b", 0, false},
		// A '+' that uses up the line matches whatever the pattern says next.
		{"+azzz", "aaa", 0, true},
		// On an empty line '+' looks at the stale byte after it.
		{"+b*", "", 'b', true},
		{"+b*", "", 'c', false},
		{"+", "x", 0, false},
		{"a?c", "abc", 0, false}, // no '?'
	} {
		if got := pmatch([]byte(tc.pat), []byte(tc.line), tc.after); got != tc.want {
			t.Errorf("pmatch(%q, %q) = %v, want %v", tc.pat, tc.line, got, tc.want)
		}
	}
}

func TestStamper(t *testing.T) {
	ts := time.Date(2026, 11, 25, 21, 3, 38, 972261999, time.UTC)
	for _, tc := range []struct {
		kind int
		want string
	}{
		{stampTAI, "@400000006b074d3439f3887c "},
		{stampPT, "2026-11-25_21:03:38.97226 "},
		{stampISO, "2026-11-25T21:03:38.97226 "},
	} {
		s := newStamper(tc.kind)
		if got := string(s.stamp(ts)); got != tc.want {
			t.Errorf("kind %d: stamp = %q, want %q", tc.kind, got, tc.want)
		}
		// Cached second, new fraction; then a new second.
		later := ts.Add(10 * time.Millisecond)
		got := string(s.stamp(later))
		if tc.kind != stampTAI && got != strings.Replace(tc.want, "97226", "98226", 1) {
			t.Errorf("kind %d: later stamp = %q", tc.kind, got)
		}
		next := time.Date(2027, 1, 2, 3, 4, 5, 6000, time.UTC)
		got = string(s.stamp(next))
		re := map[int]string{
			stampTAI: `^@400000006b38692f00001964 $`,
			stampPT:  `^2027-01-02_03:04:05\.00000 $`,
			stampISO: `^2027-01-02T03:04:05\.00000 $`,
		}[tc.kind]
		if !regexp.MustCompile(re).MatchString(got) {
			t.Errorf("kind %d: stamp of next = %q, want %s", tc.kind, got, re)
		}
	}
}

// TestStamperTAINanos: the nanoseconds are microseconds*1000+500, in hex.
func TestStamperTAINanos(t *testing.T) {
	ts := time.Unix(0x69261a1c, 123456789)
	got := string(newStamper(stampTAI).stamp(ts))
	// 2^62 + 10 + sec; 123456*1000+500 = 123456500 = 0x075bcbf4.
	want := "@4000000069261a26" + "075bcbf4 "
	if got != want {
		t.Errorf("stamp = %q, want %q", got, want)
	}
}

func TestScanIP4(t *testing.T) {
	for _, tc := range []struct {
		in string
		ip [4]byte
		n  int
	}{
		{"127.0.0.1", [4]byte{127, 0, 0, 1}, 9},
		{"127.0.0.1:514", [4]byte{127, 0, 0, 1}, 9},
		{"1.2.3", [4]byte{}, 0},
		{"a.b.c.d", [4]byte{}, 0},
	} {
		ip, n := scanIP4([]byte(tc.in))
		if n != tc.n || (n > 0 && ip != tc.ip) {
			t.Errorf("scanIP4(%q) = %v, %d", tc.in, ip, n)
		}
	}
}
