package generations

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDirectories(t *testing.T) {
	root := t.TempDir()
	writeForeign(t, root)
	if err := os.MkdirAll(filepath.Join(root, "srv/old"), 0o777); err != nil {
		t.Fatal(err)
	}
	m := accountsManifest([]User{{Name: "web", System: true, Group: "web", Home: "/nonexistent", Shell: "/usr/sbin/nologin"}}, []Group{{Name: "web", System: true}}, svc("web", "1"))
	m.Directories = []Directory{
		{Path: "/srv/old", Owner: "daemon", Mode: 0o750},
		{Path: "/srv/web/data", Owner: "web", Mode: 0o700},
		{Path: "/srv/web/shared", Owner: "web", Group: "wheel", Mode: 0o770 | os.ModeSetgid},
		{Path: "/srv/tmp", Mode: 0o777 | os.ModeSticky},
	}
	applyT(t, root, m, Options{})
	for _, tt := range []struct {
		path     string
		uid, gid uint32
		mode     os.FileMode
	}{
		{"srv/old", 1, 1, 0o750},
		{"srv/web/data", 999 - 1, 999 - 1, 0o700},
		{"srv/web/shared", 998, 10, 0o770 | os.ModeSetgid},
		{"srv/tmp", 0, 0, 0o777 | os.ModeSticky},
		{"srv/web", 0, 0, 0o755},
	} {
		fi, err := os.Lstat(filepath.Join(root, tt.path))
		if err != nil {
			t.Error(err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		if !fi.IsDir() || st.Uid != tt.uid || st.Gid != tt.gid || fi.Mode()&(os.ModePerm|os.ModeSetgid|os.ModeSticky) != tt.mode {
			t.Errorf("/%s: %v %d:%d, want %v %d:%d", tt.path, fi.Mode(), st.Uid, st.Gid, tt.mode, tt.uid, tt.gid)
		}
	}
	// Corrected at the next activation.
	if err := os.Chmod(filepath.Join(root, "srv/web/data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(root, "srv/web/data"), 0, 0); err != nil {
		t.Fatal(err)
	}
	m.Services = []Service{svc("web", "2")}
	applyT(t, root, m, Options{})
	fi, _ := os.Stat(filepath.Join(root, "srv/web/data"))
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 998 || fi.Mode().Perm() != 0o700 {
		t.Errorf("not corrected: %v %d", fi.Mode(), st.Uid)
	}
}

// inMountNamespace runs the calling test again in a private mount
// namespace (unshare --mount --propagation private), so that what it
// mounts never reaches the host and goes with the namespace. It reports
// true in the child, where the test goes on; in the parent it waits for
// the child and reports its outcome.
func inMountNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv("SYSCONF_MOUNT_NS") == t.Name() {
		// unshare(1) exec'd this process after unsharing: its parent,
		// the test that started it, must be in another namespace.
		self, err1 := os.Readlink("/proc/self/ns/mnt")
		parent, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", os.Getppid()))
		if err1 != nil || err2 != nil || self == parent {
			t.Fatalf("not in a mount namespace of its own (%s, parent %s; %v %v): refusing to mount", self, parent, err1, err2)
		}
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare(1)")
	}
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "SYSCONF_MOUNT_NS="+t.Name())
	done := make(chan struct{})
	var out []byte
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the test in its mount namespace did not end within 2 minutes:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in a private mount namespace: %v\n%s", err, out)
	}
	return false
}

// mounted returns the type and the options of the mount at abs.
func mounted(t *testing.T, abs string) (string, string) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	typ, opts := "", ""
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 9 && f[4] == abs {
			for i, x := range f {
				if x == "-" {
					typ, opts = f[i+1], f[i+3]
					break
				}
			}
		}
	}
	return typ, opts
}

func TestMountTmpfs(t *testing.T) {
	if !inMountNamespace(t) {
		return
	}
	root := t.TempDir()
	writeForeign(t, root)
	abs := filepath.Join(root, "dev/shm/pg_mem")
	t.Cleanup(func() {
		// Before TempDir's cleanup, which cannot remove a mount point.
		_ = syscall.Unmount(abs, syscall.MNT_DETACH)
	})
	mode := os.FileMode(0o700)
	pg := User{Name: "postgres", System: true, Group: "postgres", Home: "/nonexistent", Shell: "/usr/sbin/nologin"}
	m := accountsManifest([]User{pg}, []Group{{Name: "postgres", System: true}}, svc("web", "1"))
	m.Mounts = []Mount{{Path: "/dev/shm/pg_mem", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "nosuid", "nodev"}, Owner: "postgres", Mode: &mode}}
	var events []Event
	o := Options{Events: func(e Event) { events = append(events, e) }}
	applyT(t, root, m, o)
	typ, opts := mounted(t, abs)
	if typ != "tmpfs" || !strings.Contains(opts, "size=1024k") {
		t.Fatalf("after apply: %q %q, want tmpfs with size=1024k", typ, opts)
	}
	fi, _ := os.Stat(abs)
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 998 || st.Gid != 998 || fi.Mode().Perm() != 0o700 {
		t.Errorf("mount root %v %d:%d, want drwx------ 998:998", fi.Mode(), st.Uid, st.Gid)
	}

	// A bigger size: remounted in place, the files stay.
	if err := os.WriteFile(filepath.Join(abs, "seg"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.Mounts[0].Options = []string{"size=2m", "nosuid", "nodev"}
	m.Services = []Service{svc("web", "2")}
	applyT(t, root, m, o)
	if _, opts := mounted(t, abs); !strings.Contains(opts, "size=2048k") {
		t.Errorf("after a change: %q, want size=2048k", opts)
	}
	if _, err := os.Stat(filepath.Join(abs, "seg")); err != nil {
		t.Errorf("remount lost the files: %v", err)
	}

	// Another source: mounted again, which a process inside it
	// prevents. Apply says so and goes on; the old mount stays.
	f, err := os.Open(filepath.Join(abs, "seg"))
	if err != nil {
		t.Fatal(err)
	}
	m.Mounts[0].Source = "pgshm"
	m.Services = []Service{svc("web", "3")}
	events = nil
	applyT(t, root, m, o)
	var warned bool
	for _, e := range events {
		if e.Kind == "warning" && strings.Contains(e.Message, "mount /dev/shm/pg_mem is busy") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no busy warning in %+v", events)
	}
	if _, err := os.Stat(filepath.Join(abs, "seg")); err != nil {
		t.Errorf("busy mount was changed: %v", err)
	}
	f.Close()
	// Nothing uses it now: the next apply mounts it again.
	m.Services = []Service{svc("web", "4")}
	applyT(t, root, m, o)
	if _, err := os.Stat(filepath.Join(abs, "seg")); err == nil {
		t.Errorf("not mounted again once free")
	}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	if !strings.Contains(string(b), abs+" ") || !strings.Contains(string(b), " pgshm ") {
		t.Errorf("not the new source:\n%s", b)
	}

	// Dropped from the description: unmounted.
	m.Mounts = nil
	m.Services = []Service{svc("web", "5")}
	applyT(t, root, m, o)
	if typ, _ := mounted(t, abs); typ != "" {
		t.Errorf("still mounted after it was dropped: %s", typ)
	}
	_, _ = openT(t, root).Rollback(context.Background(), 0, Options{})
	if typ, _ := mounted(t, abs); typ != "tmpfs" {
		t.Errorf("rollback did not mount it again")
	}
}

func TestCompareSystem(t *testing.T) {
	mode := os.FileMode(0o700)
	m1 := testManifest(svc("web", "1"))
	m1.Users = []User{{Name: "a", Group: "a", Home: "/home/a", Shell: "/bin/sh"}}
	m1.Mounts = []Mount{{Path: "/dev/shm/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}}}
	m2 := testManifest(svc("web", "1"))
	m2.Users = []User{{Name: "b", Group: "b", Home: "/home/b", Shell: "/bin/sh"}}
	m2.Mounts = []Mount{{Path: "/dev/shm/x", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=2m"}, Mode: &mode}}
	m2.Directories = []Directory{{Path: "/srv", Mode: 0o755}}
	d := Compare(&m1, m2)
	var got []string
	for _, c := range d.System {
		got = append(got, c.Op+" "+c.Name+" "+strings.Join(c.Detail, "; "))
	}
	want := []string{
		"+ directory /srv ",
		`~ mount /dev/shm/x mode (none) → -rwx------; options ["size=1m"] → ["size=2m"]`,
		"- user a ",
		"+ user b ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || d.Empty() {
		t.Errorf("Compare system:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !Compare(&m2, m2).Empty() {
		t.Errorf("a manifest differs from itself")
	}
}
