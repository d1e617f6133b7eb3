package sysconf_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCheckSetup holds the one list of what the tests need: CI (.ci/run)
// runs make check, make check runs .ci/check, and every package a test's
// failure message tells to install ("apt-get install -y NAME") is in
// .ci/check's list, which installs it.
func TestCheckSetup(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if !regexp.MustCompile(`(?m)^exec make check$`).MatchString(read(".ci/run")) {
		t.Errorf(".ci/run does not run make check")
	}
	if !regexp.MustCompile(`(?m)^check:\n\t\./\.ci/check$`).MatchString(read("Makefile")) {
		t.Errorf("make check does not run .ci/check")
	}
	check := read(".ci/check")
	m := regexp.MustCompile(`(?s)\npackages=\((.*?)\n\)`).FindStringSubmatch(check)
	if m == nil {
		t.Fatal(".ci/check has no packages=( ... ) list")
	}
	listed := map[string]bool{}
	for _, l := range strings.Split(m[1], "\n") {
		if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			listed[f[0]] = true
		}
	}
	hint := regexp.MustCompile(`apt-get install -y ([a-z0-9][a-z0-9.+-]*(?: [a-z0-9][a-z0-9.+-]*)*)`)
	found := 0
	for _, pat := range []string{"*_test.go", "*/*_test.go", "*/*/*_test.go", "*/*/*/*_test.go", "internal/testenv/*.go"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			for _, h := range hint.FindAllStringSubmatch(read(f), -1) {
				for _, p := range strings.Fields(h[1]) {
					found++
					if !listed[p] {
						t.Errorf("%s tells to install %s, which .ci/check does not install", f, p)
					}
				}
			}
		}
	}
	if found == 0 {
		t.Errorf("no test names a package to install: the pattern has rotted")
	}
}
