package chpst

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// TestInteropDebianRunsv runs our chpst in the run script of a service
// supervised by Debian's runsv and checked with Debian's sv: the service's
// pid (runsv's child) is the program itself, running as nobody with the
// envdir's variables.
func TestInteropDebianRunsv(t *testing.T) {
	runsv := testenv.DebianRunit(t, "runsv")
	sv := testenv.DebianRunit(t, "sv")
	base := t.TempDir()
	// nobody writes under base: open up the temporary directories.
	for d := base; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	svc := filepath.Join(base, "svc")
	env := filepath.Join(base, "env")
	writeFile(t, filepath.Join(env, "GREETING"), "hello  \n")
	out := filepath.Join(base, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o1777); err != nil {
		t.Fatal(err)
	}
	testenv.WriteScript(t, filepath.Join(svc, "run"),
		"exec 2>&1\nexec "+testenv.Tool(t, "chpst")+" -u nobody -e "+env+
			" sh -c 'echo \"$GREETING $(id -un)\" > "+out+"/said; exec sleep 1000'\n")

	p := testenv.Start(t, exec.Command(runsv, svc))
	svRun := func(args ...string) (string, int) {
		o, e, code := testenv.Run(t, 20*time.Second, exec.Command(sv, append(args, svc)...))
		return o + e, code
	}
	statusRe := regexp.MustCompile(`^run: \S+: \(pid ([0-9]+)\) [0-9]+s\n$`)
	var pid int
	testenv.Eventually(t, 10*time.Second, func() string {
		o, code := svRun("status")
		m := statusRe.FindStringSubmatch(o)
		if code != 0 || m == nil {
			return "sv status: " + o
		}
		said, err := os.ReadFile(filepath.Join(out, "said"))
		if err != nil {
			return "the service has not spoken yet; runsv's stderr: " + p.Stderr.String()
		}
		if string(said) != "hello nobody\n" {
			t.Fatalf("service said %q, want %q", said, "hello nobody\n")
		}
		pid, _ = strconv.Atoi(m[1])
		comm, _ := os.ReadFile("/proc/" + m[1] + "/comm")
		if string(comm) != "sleep\n" {
			return "pid " + m[1] + " is " + strings.TrimSpace(string(comm)) + ", not sleep yet"
		}
		return ""
	})
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nUid:\t65534\t65534\t65534\t65534\n") {
		t.Errorf("service pid %d does not run as nobody:\n%s", pid, status)
	}
	if o, code := svRun("-v", "down"); code != 0 || !strings.HasPrefix(o, "ok: down: ") {
		t.Errorf("sv -v down: exit %d, %q", code, o)
	}
	if o, code := svRun("exit"); code != 0 {
		t.Errorf("sv exit: exit %d, %q", code, o)
	}
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Errorf("runsv exited %d, want 0; stderr %s", code, p.Stderr)
	}
}
