package svlogd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// FuzzConfig parses a log directory's config, which whoever may write the
// directory controls. parseConfig must not fail on any input, and what it
// keeps must come from the input's lines as runit reads them: a pattern,
// prefix or processor is the rest of one line, up to a NUL. Seeds are in
// testdata/fuzz/FuzzConfig.
func FuzzConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var warnings int
		c := parseConfig(data, func(string, string) { warnings++ })
		lineStart := func(kind byte, arg []byte) bool {
			line := append([]byte{kind}, arg...)
			for rest := data; ; {
				if bytes.HasPrefix(rest, line) && (len(rest) == len(line) || rest[len(line)] == '\n' || rest[len(line)] == 0) {
					return true
				}
				i := bytes.IndexByte(rest, '\n')
				if i < 0 {
					return false
				}
				rest = rest[i+1:]
			}
		}
		for _, p := range c.patterns {
			if bytes.ContainsAny(p.pat, "\n\x00") || !lineStart(p.kind, p.pat) {
				t.Errorf("pattern %c%q is not a line of %q", p.kind, p.pat, data)
			}
		}
		if c.prefix != nil && (bytes.ContainsAny(c.prefix, "\n\x00") || !lineStart('p', c.prefix)) {
			t.Errorf("prefix %q is not a line of %q", c.prefix, data)
		}
		if c.processor != "" && (bytes.ContainsAny([]byte(c.processor), "\n\x00") || !lineStart('!', []byte(c.processor))) {
			t.Errorf("processor %q is not a line of %q", c.processor, data)
		}
		if c.udpOnly && c.udpPort == 0 && warnings == 0 {
			t.Errorf("U without an address or a warning in %q", data)
		}
		if again := parseConfig(data, func(string, string) {}); !configEqual(c, again) {
			t.Errorf("two parses of %q differ: %+v, %+v", data, c, again)
		}
	})
}

func configEqual(a, b config) bool {
	if len(a.patterns) != len(b.patterns) || !bytes.Equal(a.prefix, b.prefix) {
		return false
	}
	for i := range a.patterns {
		if a.patterns[i].kind != b.patterns[i].kind || !bytes.Equal(a.patterns[i].pat, b.patterns[i].pat) {
			return false
		}
	}
	a.patterns, b.patterns, a.prefix, b.prefix = nil, nil, nil, nil
	return a.size == b.size && a.nmax == b.nmax && a.nmin == b.nmin && a.tmax == b.tmax &&
		a.processor == b.processor && a.udpAddr == b.udpAddr && a.udpPort == b.udpPort && a.udpOnly == b.udpOnly
}

// FuzzLines feeds input to svlogd (in-process, one log directory, no
// config) with line length linemax and buffer size linemax+extra, with or
// without -r _, and compares current with the rules of doc.go: each line
// goes to the log whole; only its first linemax bytes are subject to -r,
// which replaces bytes outside 32..126; an incomplete last line is
// discarded, with a warning, unless it reached linemax bytes, in which case
// it is written and ended. Seeds are in testdata/fuzz/FuzzLines.
func FuzzLines(f *testing.F) {
	f.Fuzz(func(t *testing.T, input []byte, linemax, extra uint8, replace bool) {
		l := int(linemax%64) + 1
		b := l + int(extra%64) + 1
		dir := filepath.Join(t.TempDir(), "log")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		args := []string{"svlogd", "-l", strconv.Itoa(l), "-b", strconv.Itoa(b)}
		if replace {
			args = append(args, "-r", "_")
		}
		var stderr bytes.Buffer
		if code := Main(append(args, dir), bytes.NewReader(input), nil, &stderr); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		got, err := os.ReadFile(filepath.Join(dir, "current"))
		if err != nil {
			t.Fatal(err)
		}

		head := func(line []byte) []byte {
			out := append([]byte(nil), line...)
			if replace {
				for i := 0; i < len(out) && i < l; i++ {
					if out[i] < 32 || out[i] > 126 {
						out[i] = '_'
					}
				}
			}
			return out
		}
		var want []byte
		rest := input
		for {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				break
			}
			want = append(append(want, head(rest[:i])...), '\n')
			rest = rest[i+1:]
		}
		wantErr := ""
		if len(rest) >= l {
			want = append(append(want, head(rest)...), '\n')
		} else if len(rest) > 0 {
			wantErr = "svlogd: warning: discarding incomplete last line: " + string(head(rest)) + "\n"
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%q with input %q:\ncurrent %q\nwant    %q", args, input, got, want)
		}
		if stderr.String() != wantErr {
			t.Errorf("%q with input %q: stderr %q, want %q", args, input, stderr.String(), wantErr)
		}
	})
}
