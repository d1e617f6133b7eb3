package sgetopt

import (
	"bytes"
	"strings"
	"testing"
)

type opt struct {
	c   byte
	arg string
}

func parse(args []string, optstring string) (opts []opt, rest []string, stderr string) {
	var buf bytes.Buffer
	p := New("prog", args, optstring, &buf)
	for {
		c, a, done := p.Next()
		if done {
			break
		}
		opts = append(opts, opt{c, a})
	}
	return opts, p.Rest(), buf.String()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		args       string
		optstring  string
		wantOpts   []opt
		wantRest   string
		wantStderr string
	}{
		{"cluster", "-ttv dir", "tvr:", []opt{{'t', ""}, {'t', ""}, {'v', ""}}, "dir", ""},
		{"attached arg", "-w5 up x", "w:v", []opt{{'w', "5"}}, "up x", ""},
		{"separate arg", "-w 5 up", "w:v", []opt{{'w', "5"}}, "up", ""},
		{"arg after cluster", "-vw5 up", "w:v", []opt{{'v', ""}, {'w', "5"}}, "up", ""},
		{"double dash", "-v -- -w x", "w:v", []opt{{'v', ""}}, "-w x", ""},
		{"lone dash operand", "- -v", "v", nil, "- -v", ""},
		{"stops at operand", "up -v", "v", nil, "up -v", ""},
		{"illegal", "-x up", "v", []opt{{'?', ""}}, "up", "prog: illegal option -- x\n"},
		{"missing arg", "-w", "w:", []opt{{'?', ""}}, "", "prog: option requires an argument -- w\n"},
		{"colon is not an option", "-:", "w:", []opt{{'?', ""}}, "", "prog: illegal option -- :\n"},
		// runit prints the byte as given, not as the rune of its value.
		{"non-ASCII byte", "-\xe9", "v", []opt{{'?', ""}}, "", "prog: illegal option -- \xe9\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, rest, stderr := parse(strings.Fields(tt.args), tt.optstring)
			if len(opts) != len(tt.wantOpts) {
				t.Fatalf("opts = %v, want %v", opts, tt.wantOpts)
			}
			for i := range opts {
				if opts[i] != tt.wantOpts[i] {
					t.Errorf("opt %d = %v, want %v", i, opts[i], tt.wantOpts[i])
				}
			}
			if got := strings.Join(rest, " "); got != tt.wantRest {
				t.Errorf("rest = %q, want %q", got, tt.wantRest)
			}
			if stderr != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr, tt.wantStderr)
			}
		})
	}
}
