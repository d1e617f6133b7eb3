package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"sysconf/generations"
)

func TestColor(t *testing.T) {
	tests := []struct {
		name    string
		noColor bool
		env     []string
		want    bool
	}{
		{name: "pipe", want: false},
		{name: "NO_COLOR", env: []string{"NO_COLOR=1"}, want: false},
		{name: "flag", noColor: true, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &app{noColor: tt.noColor, environ: tt.env}
			if got := a.color(&bytes.Buffer{}); got != tt.want {
				t.Errorf("color = %v, want %v", got, tt.want)
			}
		})
	}
	// A regular file is no terminal either.
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if (&app{}).color(f) {
		t.Error("a file counts as a terminal")
	}
}

func TestWritePlanColor(t *testing.T) {
	d := generations.Diff{Added: []string{"web"}, Removed: []string{"old"}}
	var plain, color bytes.Buffer
	from := map[string]string{"web": "system.hcl:1", "old": "old.hcl:7"}
	writePlan(&plain, d, from, false)
	writePlan(&color, d, from, true)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("plain output has escapes: %q", plain.String())
	}
	if !strings.Contains(plain.String(), "+ service web (system.hcl:1)\n") || !strings.Contains(plain.String(), "- service old (old.hcl:7)\n") {
		t.Errorf("plain output = %q", plain.String())
	}
	if !strings.Contains(color.String(), "\x1b[32m+ service web\x1b[0m (system.hcl:1)") || !strings.Contains(color.String(), "\x1b[31m- service old\x1b[0m (old.hcl:7)") {
		t.Errorf("colour output = %q", color.String())
	}
}

// TestDiagnosticsOnTerminal checks that a terminal gets source snippets,
// in colour unless NO_COLOR says otherwise.
func TestDiagnosticsOnTerminal(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/system.hcl"
	if err := os.WriteFile(cfg, []byte("service \"web\" {\n  run         = \"httpd\"\n  restart_sec = 5\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, env := range [][]string{nil, {"NO_COLOR=1"}} {
		var errb bytes.Buffer
		a := &app{root: dir, config: cfg, stdout: &bytes.Buffer{}, stderr: &errb, environ: env, terminal: func(w io.Writer) bool { return true }}
		if _, err := a.load(); err == nil {
			t.Fatal("a bad description loaded")
		}
		out := errb.String()
		if !strings.Contains(out, "on "+cfg+" line 3") || !strings.Contains(out, "restart_sec") || !strings.Contains(out, " = 5") {
			t.Errorf("no snippet:\n%s", out)
		}
		if hasEsc := strings.Contains(out, "\x1b["); hasEsc != (env == nil) {
			t.Errorf("env %v: escapes = %v:\n%q", env, hasEsc, out)
		}
	}
}
