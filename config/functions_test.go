package config

import (
	"testing"
	"testing/fstest"
)

func TestFunctions(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		want    string
		wantErr string
	}{
		{name: "format", expr: `format("%s:%04d", "a", 7)`, want: "a:0007"},
		{name: "join split", expr: `join("+", split(",", "a,b,c"))`, want: "a+b+c"},
		{name: "lookup merge", expr: `lookup(merge({a = "1"}, {b = "2"}), "b", "none")`, want: "2"},
		{name: "concat length", expr: `tostring(length(concat(["a"], ["b", "c"])))`, want: "3"},
		{name: "jsonencode", expr: `jsonencode({b = 1, a = [true]})`, want: `{"a":[true],"b":1}`},
		{name: "yamlencode", expr: `yamlencode({a = "x"})`, want: `{"a":"x"}`},
		{name: "upper lower replace", expr: `replace(upper(lower("AbC")), "B", "-")`, want: "A-C"},
		{name: "file", expr: `trimspace(file("data/motd.txt"))`, want: "hello"},
		{name: "templatefile", expr: `templatefile("data/t.tmpl", {name = "ann"})`, want: "hi ann\n"},
		{name: "sha256", expr: `substr(sha256("a"), 0, 8)`, want: "ca978112"},
		{name: "file outside", expr: `file("../etc/passwd")`, wantErr: "Error in function call"},
		{name: "file absolute", expr: `file("/etc/passwd")`, wantErr: "Error in function call"},
		{name: "template missing var", expr: `templatefile("data/t.tmpl", {})`, wantErr: "Error in function call"},
		{name: "no timestamp", expr: `timestamp()`, wantErr: "Call to unknown function"},
		{name: "no uuid", expr: `uuid()`, wantErr: "Call to unknown function"},
		{name: "no env", expr: `env("HOME")`, wantErr: "Call to unknown function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"cfg/system.hcl":    {Data: []byte("service \"x\" {\n  run = " + tt.expr + "\n}\n")},
				"cfg/data/motd.txt": {Data: []byte("hello\n")},
				"cfg/data/t.tmpl":   {Data: []byte("hi ${name}\n")},
				"etc/passwd":        {Data: []byte("root:x:0:0\n")},
			}
			sys, diags := Load(Options{FS: fsys, Path: "cfg"})
			if tt.wantErr != "" {
				if !diags.HasErrors() || diags[0].Summary != tt.wantErr {
					t.Fatalf("diags = %v, want %q", diags, tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("Load: %v", diags)
			}
			if got := sys.Services[0].Run; got != tt.want {
				t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}
