package generations

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// foreign are the account files a machine had before sysconf: every line
// must stay as it is, in its place.
var foreign = map[string]string{
	"etc/passwd":  "root:x:0:0:root:/root:/bin/bash\n# a comment\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsvc999:x:999:999::/nonexistent:/usr/sbin/nologin\njoe:x:1000:1000:Joe:/home/joe:/bin/bash\n",
	"etc/group":   "root:x:0:\ndaemon:x:1:\nsvc999:x:999:\nwheel:x:10:joe\njoe:x:1000:\n",
	"etc/shadow":  "root:$6$abc:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nsvc999:!:19000::::::\njoe:$6$def:19000:0:99999:7:::\n",
	"etc/gshadow": "root:*::\ndaemon:*::\nsvc999:!::\nwheel:*::joe\njoe:!::\n",
}

func writeForeign(t *testing.T, root string) {
	t.Helper()
	for name, content := range foreign {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.Contains(name, "shadow") {
			mode = 0o640
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// accountLine returns the line of the account file name for account, or "".
func accountLine(t *testing.T, root, name, account string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, account+":") {
			return l
		}
	}
	return ""
}

// checkForeign checks that every foreign line is still there, in order.
func checkForeign(t *testing.T, root string, changed ...string) {
	t.Helper()
	skip := map[string]bool{}
	for _, c := range changed {
		skip[c] = true
	}
	for name, content := range foreign {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(string(b), "\n")
		i := 0
		for _, want := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
			acct, _, _ := strings.Cut(want, ":")
			if skip[name+":"+acct] {
				continue
			}
			for i < len(got) && got[i] != want {
				i++
			}
			if i == len(got) {
				t.Errorf("%s lost or reordered %q:\n%s", name, want, b)
				break
			}
		}
	}
}

func u32(n uint32) *uint32 { return &n }

func accountsManifest(users []User, groups []Group, services ...Service) Manifest {
	m := testManifest(services...)
	m.Users, m.Groups = users, groups
	return m
}

func TestAccountsStableAcrossApplyAndRollback(t *testing.T) {
	root := t.TempDir()
	writeForeign(t, root)
	fi, _ := os.Stat(filepath.Join(root, "etc/shadow"))
	pg := User{Name: "postgres", System: true, Group: "postgres", Home: "/var/lib/postgres", CreateHome: true, Shell: "/usr/sbin/nologin", Description: "PostgreSQL"}
	app := User{Name: "app", Group: "app", Groups: []string{"wheel"}, Home: "/home/app", CreateHome: true, Shell: "/bin/sh"}
	m1 := accountsManifest([]User{app, pg}, []Group{{Name: "app"}, {Name: "postgres", System: true}}, svc("web", "1"))
	applyT(t, root, m1, Options{})

	// System ids from 999 down, skipping the one the machine uses; a
	// user's group takes the user's id; others from 1000 up.
	if got, want := accountLine(t, root, "etc/passwd", "postgres"), "postgres:x:998:998:PostgreSQL:/var/lib/postgres:/usr/sbin/nologin"; got != want {
		t.Errorf("passwd: %q, want %q", got, want)
	}
	if got, want := accountLine(t, root, "etc/passwd", "app"), "app:x:1001:1001::/home/app:/bin/sh"; got != want {
		t.Errorf("passwd: %q, want %q", got, want)
	}
	if got, want := accountLine(t, root, "etc/shadow", "postgres"), "postgres:!:::::::"; got != want {
		t.Errorf("shadow: %q, want %q (a locked password)", got, want)
	}
	if got, want := accountLine(t, root, "etc/group", "wheel"), "wheel:x:10:joe,app"; got != want {
		t.Errorf("group: %q, want %q", got, want)
	}
	if got, want := accountLine(t, root, "etc/gshadow", "postgres"), "postgres:!::"; got != want {
		t.Errorf("gshadow: %q, want %q", got, want)
	}
	checkForeign(t, root, "etc/group:wheel", "etc/gshadow:wheel")
	if fi2, _ := os.Stat(filepath.Join(root, "etc/shadow")); fi2.Mode() != fi.Mode() {
		t.Errorf("shadow mode %v, was %v", fi2.Mode(), fi.Mode())
	}
	home, err := os.Stat(filepath.Join(root, "var/lib/postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if st := home.Sys().(*syscall.Stat_t); st.Uid != 998 || st.Gid != 998 || home.Mode().Perm() != 0o700 {
		t.Errorf("home %v %d:%d, want drwx------ 998:998", home.Mode(), st.Uid, st.Gid)
	}

	// A second apply with another service and a new account: the ids
	// stay. postgres is dropped: locked, not deleted.
	batch := User{Name: "batch", System: true, Group: "batch", Home: "/nonexistent", Shell: "/usr/sbin/nologin"}
	m2 := accountsManifest([]User{app, batch}, []Group{{Name: "app"}, {Name: "batch", System: true}}, svc("web", "2"))
	applyT(t, root, m2, Options{})
	if got, want := accountLine(t, root, "etc/passwd", "app"), "app:x:1001:1001::/home/app:/bin/sh"; got != want {
		t.Errorf("second apply: %q, want %q", got, want)
	}
	if got, want := accountLine(t, root, "etc/passwd", "batch"), "batch:x:997:997::/nonexistent:/usr/sbin/nologin"; got != want {
		t.Errorf("second apply: %q, want %q (998 stays postgres's)", got, want)
	}
	if got, want := accountLine(t, root, "etc/passwd", "postgres"), "postgres:x:998:998:PostgreSQL:/var/lib/postgres:/usr/sbin/nologin"; got != want {
		t.Errorf("dropped user: %q, want %q", got, want)
	}
	if got, want := accountLine(t, root, "etc/shadow", "postgres"), "postgres:!::::::1:"; got != want {
		t.Errorf("dropped user's shadow: %q, want %q (locked, expired)", got, want)
	}
	if _, err := os.Stat(filepath.Join(root, "var/lib/postgres")); err != nil {
		t.Errorf("dropped user's home: %v", err)
	}

	// Rollback: postgres comes back with its id and unlocked, batch is
	// locked and keeps 997.
	if _, err := openT(t, root).Rollback(context.Background(), 0, Options{}); err != nil {
		t.Fatal(err)
	}
	if got, want := accountLine(t, root, "etc/shadow", "postgres"), "postgres:!:::::::"; got != want {
		t.Errorf("after rollback: %q, want %q", got, want)
	}
	if got := accountLine(t, root, "etc/shadow", "batch"); got != "batch:!::::::1:" {
		t.Errorf("after rollback, batch: %q", got)
	}
	applyT(t, root, m2, Options{})
	if got, want := accountLine(t, root, "etc/passwd", "batch"), "batch:x:997:997::/nonexistent:/usr/sbin/nologin"; got != want {
		t.Errorf("after rollback and apply: %q, want %q", got, want)
	}
	var ids idMap
	b, err := os.ReadFile(filepath.Join(root, SandboxLayout.IDs()))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ids); err != nil {
		t.Fatal(err)
	}
	if r := ids.Users["postgres"]; r == nil || r.ID != 998 || !r.Created || !r.Locked {
		t.Errorf("ids.json postgres = %+v", r)
	}
	checkForeign(t, root, "etc/group:wheel", "etc/gshadow:wheel")
}

// TestAccountsLockedUserKeepsPassword checks that locking and unlocking
// keep a password someone set with passwd(1) since.
func TestAccountsLockedUserKeepsPassword(t *testing.T) {
	root := t.TempDir()
	writeForeign(t, root)
	ann := User{Name: "ann", Group: "ann", Home: "/home/ann", Shell: "/bin/sh"}
	m1 := accountsManifest([]User{ann}, []Group{{Name: "ann"}}, svc("web", "1"))
	applyT(t, root, m1, Options{})
	p := filepath.Join(root, "etc/shadow")
	b, _ := os.ReadFile(p)
	b = []byte(strings.Replace(string(b), "ann:!:", "ann:$6$secret:", 1))
	if err := os.WriteFile(p, b, 0o640); err != nil {
		t.Fatal(err)
	}
	applyT(t, root, accountsManifest(nil, nil, svc("web", "2")), Options{})
	if got := accountLine(t, root, "etc/shadow", "ann"); got != "ann:!$6$secret::::::1:" {
		t.Errorf("locked: %q", got)
	}
	if got := accountLine(t, root, "etc/passwd", "ann"); !strings.HasSuffix(got, ":/usr/sbin/nologin") {
		t.Errorf("locked: %q", got)
	}
	applyT(t, root, accountsManifest([]User{ann}, []Group{{Name: "ann"}}, svc("web", "3")), Options{})
	if got := accountLine(t, root, "etc/shadow", "ann"); got != "ann:$6$secret:::::::" {
		t.Errorf("unlocked: %q", got)
	}
	if got := accountLine(t, root, "etc/passwd", "ann"); got != "ann:x:1001:1001::/home/ann:/bin/sh" {
		t.Errorf("unlocked: %q", got)
	}
}

// TestAccountsConflict checks that a declared id another account holds,
// or an existing account with another id, stops the apply before anything.
func TestAccountsConflict(t *testing.T) {
	for _, tt := range []struct {
		name string
		u    User
	}{
		{"id of another", User{Name: "x", UID: u32(999), Group: "root", Home: "/", Shell: "/bin/sh"}},
		{"existing with another id", User{Name: "joe", UID: u32(1005), Group: "joe", Home: "/home/joe", Shell: "/bin/sh"}},
		{"unknown group", User{Name: "x", Group: "root", Groups: []string{"wheel", "nosuch"}, Home: "/", Shell: "/bin/sh"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeForeign(t, root)
			_, err := openT(t, root).Apply(context.Background(), accountsManifest([]User{tt.u}, nil, svc("web", "1")), Options{})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Apply: %v, want ErrInvalid", err)
			}
			if _, err := os.Stat(filepath.Join(root, SandboxLayout.Generation(1))); err == nil {
				t.Errorf("a generation was recorded")
			}
			checkForeign(t, root)
		})
	}
}

// TestAccountsHonourPwdLock holds etc/.pwd.lock from another process, as
// useradd or vipw would: the apply waits, then gives up with
// ErrPwdLocked and leaves the files as they are; once the lock is
// released it goes through.
func TestAccountsHonourPwdLock(t *testing.T) {
	if os.Getenv("SYSCONF_HOLD_PWD_LOCK") != "" {
		return
	}
	root := t.TempDir()
	writeForeign(t, root)
	holder := exec.Command(os.Args[0], "-test.run=^TestHoldPwdLock$")
	holder.Env = append(os.Environ(), "SYSCONF_HOLD_PWD_LOCK="+filepath.Join(root, "etc/.pwd.lock"))
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = holder.Process.Kill()
		_ = holder.Wait()
	})
	buf := make([]byte, 6)
	done := make(chan error, 1)
	go func() {
		_, err := out.Read(buf)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil || string(buf) != "locked" {
			t.Fatalf("holder: %q %v", buf, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("holder did not take the lock within 30s")
	}
	old := pwdLockTimeout
	pwdLockTimeout = 300 * time.Millisecond
	t.Cleanup(func() { pwdLockTimeout = old })
	m := accountsManifest([]User{{Name: "svc", System: true, Group: "svc", Home: "/nonexistent", Shell: "/usr/sbin/nologin"}}, []Group{{Name: "svc", System: true}}, svc("web", "1"))
	_, err = openT(t, root).Apply(context.Background(), m, Options{})
	if !errors.Is(err, ErrPwdLocked) {
		t.Fatalf("Apply under a held lock: %v, want ErrPwdLocked", err)
	}
	if accountLine(t, root, "etc/passwd", "svc") != "" {
		t.Errorf("passwd written under another's lock")
	}
	stdin.Close() // the holder exits, releasing the lock
	if err := holder.Wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}
	applyT(t, root, m, Options{})
	if accountLine(t, root, "etc/passwd", "svc") == "" {
		t.Errorf("passwd not written once the lock was released")
	}
}

// TestHoldPwdLock is the helper process of TestAccountsHonourPwdLock: it
// takes lckpwdf's lock on the file it is given, says "locked", and holds
// it until its standard input closes.
func TestHoldPwdLock(t *testing.T) {
	name := os.Getenv("SYSCONF_HOLD_PWD_LOCK")
	if name == "" {
		t.Skip("helper process")
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, &lk); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked")
	_, _ = os.Stdin.Read(make([]byte, 1))
}

// TestCrashAccounts kills an apply that swaps one account for another
// after each of its steps in turn: once the next command has finished or
// undone the switch, the accounts are those of the generation that is
// current, each with the one id it was given, and the foreign lines are
// untouched.
func TestCrashAccounts(t *testing.T) {
	a := User{Name: "svc-a", System: true, Group: "svc-a", Home: "/nonexistent", Shell: "/usr/sbin/nologin"}
	b := User{Name: "svc-b", System: true, Group: "svc-b", Home: "/nonexistent", Shell: "/usr/sbin/nologin"}
	m1 := accountsManifest([]User{a}, []Group{{Name: "svc-a", System: true}}, svc("web", "1"))
	m2 := accountsManifest([]User{b}, []Group{{Name: "svc-b", System: true}}, svc("web", "2"))
	for k := 1; ; k++ {
		root := t.TempDir()
		writeForeign(t, root)
		applyT(t, root, m1, Options{})
		arg, _ := json.Marshal(map[string]any{"Root": root, "Manifest": m2})
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperApply$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(arg), crashEnv+"="+itoa(k))
		_, stderr, code := testenv.Run(t, 60*time.Second, cmd)
		if ps := cmd.ProcessState.Sys().(syscall.WaitStatus); !ps.Signaled() {
			if code != 0 {
				t.Fatalf("k=%d: child failed: %s", k, stderr)
			}
			if k < 4 {
				t.Fatalf("apply finished after only %d steps: the accounts are not steps", k)
			}
			t.Logf("killed after each of the first %d steps", k-1)
			return
		}
		if err := openT(t, root).locked(finishFirst, func(state) error { return nil }); err != nil {
			t.Fatalf("k=%d: recovery: %v", k, err)
		}
		cur, _, _ := openT(t, root).Current()
		active, locked := "svc-a", "svc-b"
		if cur.Hash == m2.Hash() {
			active, locked = locked, active
		}
		if got := accountLine(t, root, "etc/shadow", active); got != active+":!:::::::" {
			t.Errorf("k=%d: generation %d is current, but %s is %q", k, cur.Number, active, got)
		}
		if got := accountLine(t, root, "etc/shadow", locked); got != "" && got != locked+":!::::::1:" {
			t.Errorf("k=%d: generation %d is current, but %s is %q", k, cur.Number, locked, got)
		}
		applyT(t, root, m2, Options{})
		if got := accountLine(t, root, "etc/passwd", "svc-a"); got != "svc-a:x:998:998::/nonexistent:/usr/sbin/nologin" {
			t.Errorf("k=%d: svc-a %q", k, got)
		}
		if got := accountLine(t, root, "etc/passwd", "svc-b"); got != "svc-b:x:997:997::/nonexistent:/usr/sbin/nologin" {
			t.Errorf("k=%d: svc-b %q", k, got)
		}
		checkForeign(t, root)
		if t.Failed() {
			t.Fatalf("k=%d failed", k)
		}
	}
}
