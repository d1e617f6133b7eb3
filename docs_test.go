package sysconf_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsIndexed: every page in docs/ is linked from docs/README.md (the
// index) and named in the README's layout table, and every page either
// of them names exists.
func TestDocsIndexed(t *testing.T) {
	pages, err := filepath.Glob("docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	index, err := os.ReadFile("docs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range pages {
		name := filepath.Base(p)
		have[name] = true
		if name != "README.md" && !strings.Contains(string(index), "("+name+")") {
			t.Errorf("docs/README.md does not link %s", name)
		}
		if !strings.Contains(string(readme), "| `docs/"+name+"` |") {
			t.Errorf("the README's layout table has no row for docs/%s", name)
		}
	}
	for _, f := range strings.Fields(strings.NewReplacer("(", " ", ")", " ", "`", " ").Replace(string(index) + string(readme))) {
		if name, ok := strings.CutPrefix(f, "docs/"); ok && strings.HasSuffix(name, ".md") && !have[name] {
			t.Errorf("%s is named but does not exist", f)
		}
	}
}
