package generations

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func applyT(t *testing.T, root string, m Manifest, o Options) *Result {
	t.Helper()
	res, err := openT(t, root).Apply(context.Background(), m, o)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func readlink(t *testing.T, p string) string {
	t.Helper()
	s, err := os.Readlink(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestApplyActivate(t *testing.T) {
	root := t.TempDir()
	m1 := testManifest(svc("web", "a"), svc("db", "b"))
	m1.Files = []ManagedFile{
		{Path: "/etc/conf.d/web", Mode: 0o644, Content: []byte("one\n")},
		{Path: "/etc/motd", Mode: 0o644, Content: []byte("hi\n")},
	}
	m1.Boot = []Entry{{Path: "etc/runit/2", Mode: 0o755, Content: []byte("#!/bin/sh\nexec runsvdir -P /service\n")}}
	res := applyT(t, root, m1, Options{})
	if res.Generation != 1 || !res.Created || !res.Unsupervised {
		t.Fatalf("first apply %+v", res)
	}
	if got := readlink(t, filepath.Join(root, "etc/runit/runsvdir/current")); got != "../../../var/lib/sysconf/generations/1/runsvdir/default" {
		t.Errorf("current -> %s", got)
	}
	if got := readlink(t, filepath.Join(root, "service")); got != "etc/runit/runsvdir/current" {
		t.Errorf("service -> %s", got)
	}
	if b, err := os.ReadFile(filepath.Join(root, "service/web/env/MSG")); err != nil || string(b) != "a" {
		t.Errorf("service/web/env/MSG = %q %v", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/sv/db/env/MSG")); string(b) != "b" {
		t.Errorf("etc/sv/db = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/conf.d/web")); string(b) != "one\n" {
		t.Errorf("managed file %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/runit/2")); !strings.Contains(string(b), "runsvdir") {
		t.Errorf("stage 2 %q", b)
	}
	if got := readlink(t, filepath.Join(root, SandboxLayout.BootLink())); got != "generations/1" {
		t.Errorf("boot -> %s", got)
	}

	// The same description again: no new generation.
	if res := applyT(t, root, m1, Options{}); res.Created || res.Generation != 1 {
		t.Errorf("identical apply %+v", res)
	}

	// A change: web changes, db goes, cache comes, motd goes.
	m2 := testManifest(svc("web", "a2"), svc("cache", "c"))
	m2.Files = []ManagedFile{{Path: "/etc/conf.d/web", Mode: 0o644, Content: []byte("two\n")}}
	res = applyT(t, root, m2, Options{Test: true})
	if res.Generation != 2 || strings.Join(res.Restarted, ",") != "web" || strings.Join(res.Started, ",") != "cache" || strings.Join(res.Stopped, ",") != "db" {
		t.Errorf("second apply %+v", res)
	}
	if got := readlink(t, filepath.Join(root, "etc/runit/runsvdir/previous")); got != "../../../var/lib/sysconf/generations/1/runsvdir/default" {
		t.Errorf("previous -> %s", got)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/motd")); !os.IsNotExist(err) {
		t.Errorf("dropped /etc/motd still there: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/conf.d/web")); string(b) != "two\n" {
		t.Errorf("managed file %q", b)
	}
	if got := readlink(t, filepath.Join(root, SandboxLayout.BootLink())); got != "generations/1" {
		t.Errorf("--test moved the boot default: boot -> %s", got)
	}
	// Stage scripts follow the boot default, which --test left alone.
	if _, err := os.Stat(filepath.Join(root, "etc/runit/2")); err != nil {
		t.Errorf("stage 2 went with --test: %v", err)
	}

	// Rollback restores generation 1 exactly.
	rb, err := openT(t, root).Rollback(context.Background(), 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Generation != 1 {
		t.Errorf("rollback %+v", rb)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/motd")); string(b) != "hi\n" {
		t.Errorf("rollback /etc/motd %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "service/db/env/MSG")); string(b) != "b" {
		t.Errorf("rollback service/db %q", b)
	}
}

func TestApplyUnmanagedFile(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/motd"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := testManifest(svc("web", "a"))
	m.Files = []ManagedFile{{Path: "/etc/motd", Mode: 0o644, Content: []byte("ours\n")}}
	_, err := openT(t, root).Apply(context.Background(), m, Options{})
	if !errors.Is(err, ErrUnmanaged) || !strings.Contains(err.Error(), "/etc/motd") {
		t.Fatalf("err = %v, want ErrUnmanaged naming /etc/motd", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/motd")); string(b) != "mine\n" {
		t.Errorf("unmanaged file overwritten: %q", b)
	}
	if _, err := os.Lstat(filepath.Join(root, "service")); !os.IsNotExist(err) {
		t.Errorf("refused apply still activated: %v", err)
	}
	applyT(t, root, m, Options{Force: true})
	if b, _ := os.ReadFile(filepath.Join(root, "etc/motd")); string(b) != "ours\n" {
		t.Errorf("--force: %q", b)
	}
	// A user's file that replaced our link is left alone when dropped.
	os.Remove(filepath.Join(root, "etc/motd"))
	os.WriteFile(filepath.Join(root, "etc/motd"), []byte("mine again\n"), 0o644)
	applyT(t, root, testManifest(svc("web", "a")), Options{})
	if b, _ := os.ReadFile(filepath.Join(root, "etc/motd")); string(b) != "mine again\n" {
		t.Errorf("user's file removed: %q", b)
	}
}

func TestApplyLocked(t *testing.T) {
	root := t.TempDir()
	l, err := openT(t, root).lock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = openT(t, root).Apply(context.Background(), testManifest(svc("web", "a")), Options{})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("err = %v, want ErrLocked with a pid", err)
	}
}
