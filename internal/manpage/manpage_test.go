package manpage

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"use --no-color or -v", `use \%\-\-no\-color or \%\-v`},
		{"content-addressed", `\%content-addressed`},
		{"see sysconf-apply(8)", `see \%sysconf-apply(8)`},
		{`a\b`, `a\eb`},
		{"e… → x", `e\[u2026] \[u2192] x`},
		{"[-w sec]", `\%[\-w sec]`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFromDoc(t *testing.T) {
	doc := "Package x is Go's view.\n\n# Synopsis\n\n\tx [-v] dir\n\n# Description\n\nx does things.\n.dot at the start.\n\n# Use as a library\n\nCall Main.\n"
	secs, err := FromDoc(doc, "Use as a library")
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 || secs[0].Title != "Synopsis" || secs[1].Title != "Description" {
		t.Fatalf("sections %+v, want Synopsis and Description only", secs)
	}
	var b strings.Builder
	if err := Write(&b, Page{Name: "x", Section: 8, Title: "do x", Source: "sysconf", Manual: "M", Sections: secs}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{".SH \"SYNOPSIS\"\n.PP\n.RS 4\n.nf\nx [\\-v] dir\n.fi\n.RE\n", ".nh\n", "x does things. .dot at the start.\n", "x \\- do x\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("page lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "Package x") || strings.Contains(out, "Call Main") {
		t.Errorf("page keeps the Go introduction or a skipped section:\n%s", out)
	}
	if _, err := FromDoc("Package x.\n\n# Description\n\nNo synopsis.\n"); err == nil {
		t.Error("FromDoc accepted a comment without a Synopsis")
	}
}
