package generations

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogTail finds the log folder the way the planner writes log/run
// (d='…' relative to the log folder, then svlogd "$d") and returns the last
// lines of its current file.
func TestLogTail(t *testing.T) {
	root := t.TempDir()
	s := Service{Name: "web", Tree: []Entry{
		{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\nexec false\n")},
		{Path: "log/run", Mode: 0o755, Content: []byte("#!/bin/sh\nd='../../../../../../var/log/web'\nmkdir -p \"$d\" || exit 1\nexec svlogd -tt \"$d\"\n")},
	}}
	rec := &Record{Manifest: Manifest{Services: []Service{s}}, StorePaths: map[string]string{"web": SandboxLayout.StorePath(s)}}
	dir := filepath.Join(root, "var/log/web")
	os.MkdirAll(dir, 0o755)
	var b strings.Builder
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	os.WriteFile(filepath.Join(dir, "current"), []byte(b.String()), 0o644)
	got := logTail(root, rec, "web", 10)
	if len(got) != 10 || got[0] != "line 6" || got[9] != "line 15" {
		t.Errorf("logTail = %q", got)
	}
}
