package svlogd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Main called in-process with a plain io.Reader for input (fed through a
// pipe) and a buffer for stderr.
func TestMainInProcess(t *testing.T) {
	dir := logDir(t, "e*x\npP \n")
	var stderr bytes.Buffer
	code := Main([]string{"svlogd", "-l", "4", dir}, strings.NewReader("one\nabcx\nlonger line x\n"), nil, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got, want := readFile(t, filepath.Join(dir, "current")), "P one\nP abcx\nP longer line x\n"; got != want {
		t.Errorf("current %q, want %q", got, want)
	}
	// "abcx" is exactly -l long, so it ends with "..." on stderr; the long
	// line is cut to "long" and no longer matches *x.
	if got, want := stderr.String(), "P abcx...\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	fi, err := os.Stat(filepath.Join(dir, "current"))
	if err != nil || fi.Mode().Perm() != 0o744 {
		t.Errorf("current: %v %v", fi, err)
	}
}
