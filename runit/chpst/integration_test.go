package chpst

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// Each test runs the same call with Debian's chpst and ours (compare) and
// checks the point of runit.md §10 on our result too, so that two equal
// wrong answers do not pass.

func TestUsage(t *testing.T) { // point 4 and §5.6
	const mainUsage = "usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog\n\n"
	tests := []struct {
		name string
		c    call
		want string
	}{
		{"no prog", call{prog: "chpst"}, mainUsage},
		{"version", call{prog: "chpst", args: []string{"-V", "true"}}, "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $\n" + mainUsage},
		{"illegal", call{prog: "chpst", args: []string{"-C", "/", "true"}}, "chpst: illegal option -- C\n" + mainUsage},
		{"missing arg", call{prog: "chpst", args: []string{"-l"}}, "chpst: option requires an argument -- l\n" + mainUsage},
		{"two locks", call{prog: "chpst", args: []string{"-l", "a", "-L", "b", "true"}}, mainUsage},
		{"bad number", call{prog: "chpst", args: []string{"-o", "1x", "true"}}, mainUsage},
		{"bad nice", call{prog: "chpst", args: []string{"-n", "+-1", "true"}}, mainUsage},
		{"options only", call{prog: "chpst", args: []string{"-v", "--"}}, mainUsage},
		{"setuidgid", call{prog: "setuidgid", args: []string{"nobody"}}, "usage: setuidgid account child\n\n"},
		{"envuidgid", call{prog: "envuidgid"}, "usage: envuidgid account child\n\n"},
		{"envdir", call{prog: "envdir", args: []string{"/"}}, "usage: envdir dir child\n\n"},
		{"pgrphack", call{prog: "pgrphack"}, "usage: pgrphack child\n\n"},
		{"setlock", call{prog: "setlock", args: []string{"f"}}, "usage: setlock [ -nNxX ] file program [ arg ... ]\n\n"},
		{"setlock illegal", call{prog: "setlock", args: []string{"-z", "f", "true"}}, "setlock: illegal option -- z\nusage: setlock [ -nNxX ] file program [ arg ... ]\n\n"},
		{"softlimit", call{prog: "softlimit", args: []string{"-m", "="}}, "usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child\n\n"},
		{"softlimit illegal", call{prog: "softlimit", args: []string{"-x", "1", "true"}}, "softlimit: illegal option -- x\nusage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compare(t, tt.c, nil)
			if r.code != 100 || r.stderr != tt.want || r.stdout != "" {
				t.Errorf("got %+v, want exit 100 and stderr %q", r, tt.want)
			}
		})
	}
}

func TestEnvdir(t *testing.T) { // point 40
	dir := t.TempDir()
	e := filepath.Join(dir, "E")
	for n, c := range map[string]string{"A": "v1\nline2\n", "B": "tr  \t\n", "C": "", "D": "x\x00y\n", ".dot": ".", "F": "\n", "G": "  lead"} {
		writeFile(t, filepath.Join(e, n), c)
	}
	for _, prog := range []string{"chpst", "envdir"} {
		t.Run(prog, func(t *testing.T) {
			c := call{prog: "chpst", args: []string{"-e", e, "env"}, env: []string{"C=gone", "A=old"}}
			if prog == "envdir" {
				c = call{prog: "envdir", args: []string{e, "env"}, env: c.env}
			}
			r := compare(t, c, sortedLines)
			for _, want := range []string{"A=v1\n", "B=tr\n", "D=x\n", "F=\n", "G=  lead"} {
				if !strings.Contains(r.stdout+"\n", want) {
					t.Errorf("env lacks %q:\n%s", want, r.stdout)
				}
			}
			for _, bad := range []string{"C=", ".dot=", "line2", "A=old"} {
				if strings.Contains(r.stdout, bad) {
					t.Errorf("env has %q:\n%s", bad, r.stdout)
				}
			}
			if !strings.Contains("\n"+r.stdout+"\n", "\ny\n") || r.code != 0 {
				t.Errorf("D's NUL did not become a newline, or exit %d:\n%s", r.code, r.stdout)
			}
		})
	}
}

func TestEnvdirErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "file"), "")
	for _, c := range []call{
		{prog: "chpst", args: []string{"-e", filepath.Join(dir, "none"), "true"}},
		{prog: "chpst", args: []string{"-e", filepath.Join(dir, "file"), "true"}},
		{prog: "envdir", args: []string{filepath.Join(dir, "none"), "true"}},
	} {
		r := compare(t, c, nil)
		if r.code != 111 || !strings.HasPrefix(r.stderr, "chpst: fatal: unable to switch to directory: ") {
			t.Errorf("%q: %+v", c.args, r)
		}
	}
}

// TestEnvdirEqualsRefused is ours only: runit would set A to "B=v".
func TestEnvdirEqualsRefused(t *testing.T) {
	e := filepath.Join(t.TempDir(), "E")
	writeFile(t, filepath.Join(e, "A=B"), "v\n")
	marker := filepath.Join(t.TempDir(), "ran")
	for _, prog := range []string{"chpst", "envdir"} {
		args := []string{"-e", e, "touch", marker}
		if prog == "envdir" {
			args = args[1:]
		}
		r := call{prog: prog, args: args}.run(t, impl{"ours", testenv.RunitBin(t)})
		if want := "chpst: fatal: invalid variable name: " + e + "/A=B\n"; r.code != 111 || r.stderr != want {
			t.Errorf("%s: %+v, want exit 111, %q", prog, r, want)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("%s ran the program", prog)
		}
	}
}

func TestUsers(t *testing.T) { // point 41
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-u", "nobody:adm:daemon", "id"}, "uid=65534(nobody) gid=4(adm) groups=4(adm),1(daemon)\n"},
		{[]string{"-u", "nobody", "id"}, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"},
		{[]string{"-u", ":1234:5678", "id", "-u"}, "1234\n"},
		{[]string{"-u", ":1234:5678", "id", "-g"}, "5678\n"},
		{[]string{"-u", ":1234:5678:91", "id"}, "uid=1234 gid=5678 groups=5678,91\n"},
		{[]string{"-u", "::5", "id"}, "uid=0(root) gid=5(tty) groups=5(tty)\n"},
		{[]string{"-u", "daemon", "-U", "nobody:adm", "sh", "-c", "echo $UID $GID; id -u"}, "65534 4\n1\n"},
	}
	for _, tt := range tests {
		r := compare(t, call{prog: "chpst", args: tt.args}, nil)
		if r.stdout != tt.want || r.code != 0 {
			t.Errorf("chpst %q = %+v, want %q", tt.args, r, tt.want)
		}
	}
	r := compare(t, call{prog: "chpst", args: []string{"-U", "nobody:adm", "env"}}, sortedLines)
	if !strings.Contains(r.stdout, "GID=4\n") || !strings.Contains(r.stdout, "UID=65534") {
		t.Errorf("chpst -U nobody:adm env:\n%s", r.stdout)
	}
	// The personalities.
	r = compare(t, call{prog: "setuidgid", args: []string{"daemon", "id"}}, nil)
	if r.stdout != "uid=1(daemon) gid=1(daemon) groups=1(daemon)\n" {
		t.Errorf("setuidgid daemon id: %+v", r)
	}
	r = compare(t, call{prog: "envuidgid", args: []string{"daemon", "sh", "-c", "echo $UID $GID; id -u"}}, nil)
	if r.stdout != "1 1\n0\n" {
		t.Errorf("envuidgid daemon: %+v", r)
	}
}

// TestPrivilegeDrop checks that every uid and gid (real, effective, saved,
// filesystem) and the supplementary groups changed.
func TestPrivilegeDrop(t *testing.T) {
	status := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "Uid:") || strings.HasPrefix(l, "Gid:") || strings.HasPrefix(l, "Groups:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	r := compare(t, call{prog: "chpst", args: []string{"-u", "nobody:adm:daemon", "cat", "/proc/self/status"}}, status)
	if want := "Uid:\t65534\t65534\t65534\t65534\nGid:\t4\t4\t4\t4\nGroups:\t1 4 "; r.stdout != want {
		t.Errorf("status %q, want %q", r.stdout, want)
	}
}

// TestLookupFailuresAreFatal: an unknown user or group, a bad numeric spec
// or a failing set*id call stops chpst before anything runs.
func TestLookupFailuresAreFatal(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc", "passwd"), 0o755); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	tests := []struct {
		c    call
		want string
	}{
		{call{prog: "chpst", args: []string{"-u", "nosuch", "touch", marker}}, "chpst: fatal: unknown user/group: nosuch\n"},
		{call{prog: "chpst", args: []string{"-u", "nobody:nosuch", "touch", marker}}, "chpst: fatal: unknown user/group: nobody:nosuch\n"},
		{call{prog: "chpst", args: []string{"-u", "nobody:adm:", "touch", marker}}, "chpst: fatal: unknown user/group: nobody:adm:\n"},
		{call{prog: "chpst", args: []string{"-U", "nosuch", "touch", marker}}, "chpst: fatal: unknown user/group: nosuch\n"},
		{call{prog: "chpst", args: []string{"-u", ":1234", "touch", marker}}, "chpst: fatal: invalid uid/gids: 1234\n"},
		{call{prog: "chpst", args: []string{"-u", ":1:2x", "touch", marker}}, "chpst: fatal: invalid uid/gids: 1:2x\n"},
		{call{prog: "chpst", args: []string{"-u", ":4294967295:0", "touch", marker}}, "chpst: fatal: unable to setuid: invalid argument\n"},
		{call{prog: "chpst", args: []string{"-u", ":0:4294967295", "touch", marker}}, "chpst: fatal: unable to setgroups: invalid argument\n"},
		{call{prog: "chpst", args: []string{"-/", root, "-u", "nobody", "/x"}}, "chpst: fatal: unable to get password/group file entry: is a directory\n"},
		{call{prog: "chpst", args: []string{"-/", t.TempDir(), "-u", "nobody", "/x"}}, "chpst: fatal: unable to get password/group file entry: file does not exist\n"},
		{call{prog: "setuidgid", args: []string{"nobody:adm", "touch", marker}}, "chpst: fatal: unknown account: nobody:adm\n"},
		{call{prog: "envuidgid", args: []string{"nosuch", "touch", marker}}, "chpst: fatal: unknown account: nosuch\n"},
		{call{prog: "setuidgid", args: []string{"-/", "touch", marker}}, "chpst: fatal: unknown account: -/\n"},
	}
	for _, tt := range tests {
		r := compare(t, tt.c, nil)
		if r.code != 111 || r.stderr != tt.want {
			t.Errorf("%s %q = %+v, want 111, %q", tt.c.prog, tt.c.args, r, tt.want)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%s %q ran the program", tt.c.prog, tt.c.args)
		}
	}
}

// TestSetgroupsFailsAsNobody: chpst run by an unprivileged user cannot
// drop to another one; setgroups fails and nothing runs.
func TestSetgroupsFailsAsNobody(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("this test runs as root (it drops to nobody first)")
	}
	dir := t.TempDir()
	// nobody must reach the copied binaries: open up the temp directories.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ours, err := os.ReadFile(testenv.Tool(t, "chpst"))
	if err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(dir, "chpst")
	if err := os.WriteFile(inner, ours, 0o755); err != nil {
		t.Fatal(err)
	}
	deb := testenv.DebianRunit(t, "chpst")
	for _, in := range []string{inner, deb} {
		cmd := exec.Command(deb, "-u", "nobody", in, "-u", "daemon", "id")
		out, errOut, code := testenv.Run(t, 30*time.Second, cmd)
		if code != 111 || out != "" || errOut != "chpst: fatal: unable to setgroups: permission denied\n" {
			t.Errorf("%s as nobody: exit %d, stdout %q, stderr %q", in, code, out, errOut)
		}
	}
}

func TestLock(t *testing.T) { // point 42
	lock := filepath.Join(t.TempDir(), "lk")
	holdLock(t, lock, "6")
	r := compare(t, call{prog: "chpst", args: []string{"-L", lock, "true"}}, nil)
	if want := "chpst: fatal: unable to lock: " + lock + ": temporary failure\n"; r.code != 111 || r.stderr != want {
		t.Errorf("chpst -L held lock: %+v, want 111, %q", r, want)
	}
	start := time.Now()
	r = call{prog: "chpst", args: []string{"-l", lock, "true"}}.run(t, impl{"ours", testenv.RunitBin(t)})
	if d := time.Since(start); r.code != 0 || d < time.Second {
		t.Errorf("chpst -l held lock: %+v after %v, want exit 0 after ≥ 1s", r, d)
	}
	fi, err := os.Stat(lock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file %v, %v; want mode 0600", fi, err)
	}
	r = compare(t, call{prog: "chpst", args: []string{"-l", filepath.Join(lock, "x"), "true"}}, nil)
	if r.code != 111 || !strings.HasPrefix(r.stderr, "chpst: fatal: unable to open lock: ") {
		t.Errorf("lock in a file: %+v", r)
	}
}

// TestLockSurvivesExec: the program itself holds the lock (the descriptor
// was not close-on-exec) and is the chpst process (same pid).
func TestLockSurvivesExec(t *testing.T) {
	lock := filepath.Join(t.TempDir(), "lk")
	p := holdLock(t, lock, "5")
	// chpst takes the lock before it execs sleep.
	testenv.Eventually(t, 10*time.Second, func() string {
		comm, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID()) + "/comm")
		if err != nil || string(comm) != "sleep\n" {
			return fmt.Sprintf("pid %d is %q (%v), want sleep", p.PID(), comm, err)
		}
		return ""
	})
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(p.PID()) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, fd := range fds {
		if target, _ := os.Readlink("/proc/" + strconv.Itoa(p.PID()) + "/fd/" + fd.Name()); target == lock {
			found = true
		}
	}
	if !found {
		t.Errorf("sleep has no descriptor of %s", lock)
	}
	p.Kill()
	testenv.Eventually(t, 10*time.Second, func() string {
		if lockHeld(lock) {
			return "lock still held after the holder died"
		}
		return ""
	})
}

func TestSetlock(t *testing.T) { // point 43
	lock := filepath.Join(t.TempDir(), "lk")
	holdLock(t, lock, "6")
	r := compare(t, call{prog: "setlock", args: []string{lock, "true"}}, nil)
	if r.code != 111 || r.stderr != "chpst: fatal: unable to lock: "+lock+": temporary failure\n" {
		t.Errorf("setlock held: %+v", r)
	}
	r = compare(t, call{prog: "setlock", args: []string{"-x", lock, "true"}}, nil)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("setlock -x held: %+v", r)
	}
	r = compare(t, call{prog: "setlock", args: []string{"-xX", lock, "true"}}, nil)
	if r.code != 111 {
		t.Errorf("setlock -xX held: %+v", r)
	}
	r = compare(t, call{prog: "setlock", args: []string{"-x", lock + "-free", "nosuchprog"}}, nil)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("setlock -x, exec fails: %+v", r)
	}
	r = compare(t, call{prog: "setlock", args: []string{lock + "-free", "nosuchprog"}}, nil)
	if r.code != 111 || r.stderr != "chpst: fatal: unable to run: nosuchprog: file does not exist\n" {
		t.Errorf("setlock, exec fails: %+v", r)
	}
	start := time.Now()
	r = call{prog: "setlock", args: []string{"-n", lock, "true"}}.run(t, impl{"ours", testenv.RunitBin(t)})
	if d := time.Since(start); r.code != 0 || d < 500*time.Millisecond {
		t.Errorf("setlock -n held: %+v after %v, want 0 after waiting", r, d)
	}
}

func TestPathFromOwnEnvironment(t *testing.T) { // point 44
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	testenv.WriteScript(t, filepath.Join(bin, "myprog"), "echo ran $PATH\n")
	e2 := filepath.Join(dir, "E2")
	writeFile(t, filepath.Join(e2, "PATH"), bin+"\n")
	r := compare(t, call{prog: "chpst", args: []string{"-e", e2, "myprog"}}, nil)
	if r.code != 111 || r.stderr != "chpst: fatal: unable to run: myprog: file does not exist\n" {
		t.Errorf("PATH only in the envdir: %+v", r)
	}
	r = compare(t, call{prog: "chpst", args: []string{"-e", e2, "myprog"}, env: []string{"PATH=" + bin + ":/usr/bin:/bin"}}, nil)
	if r.code != 0 || r.stdout != "ran "+bin+"\n" {
		t.Errorf("PATH in chpst's environment: %+v", r)
	}
	// The search: an empty element is ".", EACCES is remembered, a name
	// with '/' is not searched.
	testenv.WriteScript(t, filepath.Join(dir, "dot", "dotprog"), "echo dot\n")
	noexec := filepath.Join(dir, "noexec")
	writeFile(t, filepath.Join(noexec, "np"), "#!/bin/sh\n")
	for _, tt := range []struct {
		c         call
		out, errs string
		code      int
	}{
		{call{prog: "chpst", args: []string{"dotprog"}, env: []string{"PATH=/nonexistent::/bin"}, dir: filepath.Join(dir, "dot")}, "dot\n", "", 0},
		{call{prog: "chpst", args: []string{"np"}, env: []string{"PATH=" + noexec + ":/bin"}}, "", "chpst: fatal: unable to run: np: access denied\n", 111},
		{call{prog: "chpst", args: []string{"-b", "alias", "np"}, env: []string{"PATH=" + noexec}}, "", "chpst: fatal: unable to run: alias: access denied\n", 111},
		{call{prog: "chpst", args: []string{"./nosuch"}}, "", "chpst: fatal: unable to run: ./nosuch: file does not exist\n", 111},
		{call{prog: "chpst", args: []string{"dir"}, env: []string{"PATH=" + dir}}, "", "chpst: fatal: unable to run: dir: access denied\n", 111},
		{call{prog: "pgrphack", args: []string{"nosuch"}}, "", "chpst: fatal: unable to run: nosuch: file does not exist\n", 111},
	} {
		if tt.c.args[0] == "dir" {
			if err := os.Mkdir(filepath.Join(dir, "dir"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		r := compare(t, tt.c, nil)
		if r.stdout != tt.out || r.stderr != tt.errs || r.code != tt.code {
			t.Errorf("%q (%q): %+v, want %q %q %d", tt.c.args, tt.c.env, r, tt.out, tt.errs, tt.code)
		}
	}
}

func TestProcessState(t *testing.T) { // point 45 and the other options
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-b", "foo", "sh", "-c", "echo $0"}, "foo\n"},
		{[]string{"-n", "3", "nice"}, "3\n"},
		{[]string{"-n", "+2", "-n", "5", "nice"}, "5\n"},
		{[]string{"-n", "100", "nice"}, "19\n"},
		{[]string{"-o", "17", "sh", "-c", "ulimit -n"}, "17\n"},
		{[]string{"-o", "99999999999", "sh", "-c", "ulimit -Hn; ulimit -n"}, ""},
		{[]string{"-d", "300000000", "-f", "12345", "-c", "0", "-t", "77", "-p", "500", "-r", "99999", "sh", "-c", "ulimit -d; ulimit -f; ulimit -c; ulimit -t; ulimit -p; ulimit -m"}, "292968\n24\n0\n77\n500\n97\n"},
		{[]string{"-m", "400000000", "sh", "-c", "ulimit -d; ulimit -s; ulimit -v"}, "390625\n390625\n390625\n"},
		{[]string{"-m", "400000000", "sh", "-c", "[ $(ulimit -l) = $(ulimit -Hl) ] || ulimit -l"}, ""}, // memlock's hard limit may be lower
		{[]string{"-P", "sh", "-c", "read -r _ _ _ _ pg sid _ < /proc/$$/stat; [ $pg = $$ ] && [ $sid = $$ ] && echo leader"}, "leader\n"},
		{[]string{"-/", "/", "pwd"}, "/\n"},
		{[]string{"-1", "echo", "hidden"}, ""},
	}
	for _, tt := range tests {
		r := compare(t, call{prog: "chpst", args: tt.args}, nil)
		if tt.want != "" && r.stdout != tt.want || r.code != 0 && tt.args[0] != "-1" {
			t.Errorf("chpst %q = %+v, want %q", tt.args, r, tt.want)
		}
	}
	r := compare(t, call{prog: "chpst", args: []string{"-0", "sh", "-c", "read x; echo $?"}, stdin: "hi\n"}, nil)
	if r.stdout != "1\n" && r.stdout != "2\n" {
		t.Errorf("chpst -0: %+v", r)
	}
	r = compare(t, call{prog: "chpst", args: []string{"-2", "sh", "-c", "echo x >&2 || echo closed"}}, nil)
	if r.stderr != "" {
		t.Errorf("chpst -2: %+v", r)
	}
	r = compare(t, call{prog: "pgrphack", args: []string{"sh", "-c", "read -r _ _ _ _ pg _ < /proc/$$/stat; [ $pg = $$ ] && echo leader"}}, nil)
	if r.stdout != "leader\n" {
		t.Errorf("pgrphack: %+v", r)
	}
	r = compare(t, call{prog: "chpst", args: []string{"-/", filepath.Join(t.TempDir(), "none"), "true"}}, nil)
	if r.code != 111 || !strings.HasPrefix(r.stderr, "chpst: fatal: unable to change directory: ") {
		t.Errorf("chroot to nothing: %+v", r)
	}
}

func TestSoftlimit(t *testing.T) { // point 46
	r := compare(t, call{prog: "softlimit", args: []string{"-m", "abc", "true"}}, nil)
	if r.code != 100 || !strings.HasPrefix(r.stderr, "usage: softlimit [-v") {
		t.Errorf("softlimit -m abc: %+v", r)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "20", "-d", "300000000", "sh", "-c", "ulimit -n; ulimit -d"}, "20\n292968\n"},
		{[]string{"-o", "20", "-o", "=", "sh", "-c", "[ $(ulimit -n) = $(ulimit -Hn) ] && echo hard"}, "hard\n"},
		{[]string{"-m", "400000000", "-s", "=", "sh", "-c", "ulimit -d; ulimit -v; [ $(ulimit -s) = $(ulimit -Hs) ] && echo hard"}, "390625\n390625\nhard\n"},
		{[]string{"-a", "500000000", "-l", "65536", "-c", "0", "-f", "2048", "-p", "300", "-r", "4096", "-t", "9", "sh", "-c", "ulimit -v; ulimit -l; ulimit -c; ulimit -f; ulimit -p; ulimit -m; ulimit -t"}, "488281\n64\n0\n4\n300\n4\n9\n"},
	} {
		r := compare(t, call{prog: "softlimit", args: tt.args}, nil)
		if r.stdout != tt.want || r.code != 0 {
			t.Errorf("softlimit %q = %+v, want %q", tt.args, r, tt.want)
		}
	}
}

func TestEnvdirSubdirectory(t *testing.T) { // point 47
	e := filepath.Join(t.TempDir(), "E")
	writeFile(t, filepath.Join(e, "A"), "1\n")
	if err := os.Mkdir(filepath.Join(e, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := compare(t, call{prog: "chpst", args: []string{"-e", e, "true"}}, nil)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("chpst -e: %+v", r)
	}
	r = compare(t, call{prog: "chpst", args: []string{"-v", "-e", e, "true"}}, nil)
	if want := "chpst: warning: unable to read " + e + "/sub: is a directory\n"; r.code != 0 || r.stderr != want {
		t.Errorf("chpst -v -e: %+v, want %q", r, want)
	}
	r = compare(t, call{prog: "envdir", args: []string{e, "true"}}, nil)
	if want := "chpst: fatal: unable to read " + e + "/sub: is a directory\n"; r.code != 111 || r.stderr != want {
		t.Errorf("envdir: %+v, want %q", r, want)
	}
}

// TestExecKeepsPid: chpst replaces itself; the program has chpst's pid.
func TestExecKeepsPid(t *testing.T) {
	e := filepath.Join(t.TempDir(), "E")
	writeFile(t, filepath.Join(e, "A"), "1\n")
	for _, args := range [][]string{
		{"sh", "-c", "echo $$"},
		{"-u", "nobody", "-e", e, "-n", "1", "-o", "50", "sh", "-c", "echo $$"},
	} {
		cmd := exec.Command(testenv.Tool(t, "chpst"), args...)
		p := testenv.Start(t, cmd)
		if code := p.Wait(t, 30*time.Second); code != 0 {
			t.Fatalf("chpst %q: exit %d, %s", args, code, p.Stderr)
		}
		if got, want := p.Stdout.String(), strconv.Itoa(p.PID())+"\n"; got != want {
			t.Errorf("chpst %q: program's pid %q, chpst's %q", args, got, want)
		}
	}
}

// TestOrderOfApplication: -u is looked up in the new root, and the lock is
// opened after the uid change and relative to the new root.
func TestOrderOfApplication(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc", "passwd"), "alt:x:4321:8765:alt:/:/bin/sh\n")
	writeFile(t, filepath.Join(root, "etc", "group"), "altg:x:999:\n")
	// A static program inside the new root: our own binary as pgrphack
	// running "chpst", which prints its usage.
	ours, err := os.ReadFile(testenv.Tool(t, "chpst"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "pgrphack"), ours, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "locks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "locks"), 0o1777); err != nil {
		t.Fatal(err)
	}
	for _, im := range impls(t) {
		lock := "/locks/" + im.name
		r := call{prog: "chpst", args: []string{"-/", root, "-u", "alt:altg", "-l", lock, "/pgrphack"}}.run(t, im)
		if r.code != 100 || r.stderr != "usage: pgrphack child\n\n" {
			t.Errorf("%s: %+v", im.name, r)
		}
		fi, err := os.Stat(filepath.Join(root, lock))
		if err != nil {
			t.Fatalf("%s: lock not created in the new root: %v", im.name, err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		uid, gid := st.Uid, st.Gid
		if uid != 4321 || gid != 999 {
			t.Errorf("%s: lock owned by %d:%d, want 4321:999 (created after the uid change)", im.name, uid, gid)
		}
	}
}

// TestEdgeCases compares odd but legal command lines with Debian's chpst.
func TestEdgeCases(t *testing.T) {
	dir := t.TempDir()
	e := filepath.Join(dir, "E")
	writeFile(t, filepath.Join(e, "A"), "1\n")
	if err := syscall.Mkfifo(filepath.Join(e, "FIFO"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []call{
		{prog: "chpst", args: []string{"-e", e, "env"}, env: []string{"FIFO=x"}}, // a FIFO without writer reads as empty
		{prog: "chpst", args: []string{"-n", "-5", "nice"}},
		{prog: "chpst", args: []string{"-n", "99999999999", "nice"}},
		{prog: "chpst", args: []string{"-b", "", "sh", "-c", "echo [$0]"}},
		{prog: "chpst", args: []string{"--", "true"}},
		{prog: "chpst", args: []string{"-", "true"}},
		{prog: "chpst", args: []string{"-012", "true"}},
		{prog: "chpst", args: []string{"-vV"}},
		{prog: "chpst", args: []string{"-e"}},
		{prog: "chpst", args: []string{"-U", ":12:34:56", "sh", "-c", "echo $UID $GID"}},
		{prog: "chpst", args: []string{"-u", ":", "true"}},
		{prog: "chpst", args: []string{"-u", "", "true"}},
		{prog: "chpst", args: []string{"-t", "18446744073709551614", "sh", "-c", "ulimit -t"}}, // wraps below -1: not applied
		{prog: "softlimit", args: []string{"-m", "=", "sh", "-c", "[ $(ulimit -d) = $(ulimit -Hd) ] && echo hard"}},
		{prog: "setlock", args: []string{"-nx", filepath.Join(dir, "lk"), "true"}},
		{prog: "envuidgid", args: []string{":0:0", "true"}},
		{prog: "setuidgid", args: []string{"", "true"}},
	} {
		compare(t, c, sortedLines)
	}
}

// TestEnvdirDanglingSymlink is ours only: a dangling symlink removes its
// variable (runit would give it the value of the entry read before it).
func TestEnvdirDanglingSymlink(t *testing.T) {
	e := filepath.Join(t.TempDir(), "E")
	writeFile(t, filepath.Join(e, "Z"), "v\n")
	if err := os.Symlink("nowhere", filepath.Join(e, "DANG")); err != nil {
		t.Fatal(err)
	}
	r := call{prog: "chpst", args: []string{"-e", e, "env"}, env: []string{"DANG=old"}}.run(t, impl{"ours", testenv.RunitBin(t)})
	if r.code != 0 || strings.Contains(r.stdout, "DANG=") || !strings.Contains(r.stdout, "Z=v\n") {
		t.Errorf("dangling symlink: %+v", r)
	}
}

// TestSmallMemoryLimitNeverFails: with -m small enough that the Go runtime
// has no room left, chpst must still reach the program every time. It used
// to fail a few times in a thousand ("fatal error: runtime: out of memory",
// exit 2) when the runtime allocated between the setrlimit and the execve;
// only many runs show a failure that rare. A large environment (150
// variables here) gave the runtime more to allocate: 16 failures in 1,000
// before the fix, none with PATH alone.
func TestSmallMemoryLimitNeverFails(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 100
	}
	chpst := testenv.Tool(t, "chpst")
	errFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	env := []string{"PATH=/usr/bin:/bin"}
	for i := range 150 {
		env = append(env, fmt.Sprintf("V%d=%040d", i, i))
	}
	failed := 0
	for i := range runs {
		cmd := exec.Command(chpst, "-m", "8000000", "-o", "64", "true")
		cmd.Env = env
		cmd.Stderr = errFile // a file, not a pipe: no copying goroutine per run
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Bounded: a chpst still running after 10 s is killed (by its pid).
		timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		if err != nil {
			failed++
			if failed == 1 {
				t.Errorf("run %d: %v", i, err)
			}
		}
	}
	if failed > 0 {
		out, _ := os.ReadFile(errFile.Name())
		if len(out) > 2000 {
			out = out[:2000]
		}
		t.Errorf("chpst -m 8000000 -o 64 true failed %d times in %d; stderr:\n%s", failed, runs, out)
	}
}

// TestNofileRestored: the Go runtime raises its own soft NOFILE limit at
// start-up; without -o the program must get the limit chpst was given.
func TestNofileRestored(t *testing.T) {
	deb := testenv.DebianRunit(t, "chpst")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"sh", "-c", "ulimit -n"}, "100\n"},
		{[]string{"-o", "50", "sh", "-c", "ulimit -n"}, "50\n"},
		{[]string{"-m", "100000000", "sh", "-c", "ulimit -n"}, "100\n"},
	} {
		// Debian's chpst starts ours with a soft limit of 100.
		args := append([]string{"-o", "100", testenv.Tool(t, "chpst")}, tt.args...)
		out, errOut, code := testenv.Run(t, 30*time.Second, exec.Command(deb, args...))
		if out != tt.want || code != 0 {
			t.Errorf("chpst %q under a soft NOFILE of 100: %q (exit %d, %s), want %q", tt.args, out, code, errOut, tt.want)
		}
	}
}
