package svlogd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// Point 58: a full disk. Each svlogd runs in a private mount namespace
// (unshare --mount, root only) on a 64 KiB tmpfs, config s8000 n20 N2, 2500
// lines of about 30 bytes: the N rule deletes the oldest files with a
// warning, svlogd goes on and exits 0, and the lines it kept are the last
// ones, complete and in order.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a tmpfs in a private mount namespace (unshare --mount)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare(1) for a private tmpfs")
	}
	var snaps []string
	for _, im := range impls(t) {
		mnt := t.TempDir()
		script := `set -e
mount -t tmpfs -o size=64k tmpfs "$1"
mkdir "$1/log"
printf 's8000\nn20\nN2\n' >"$1/log/config"
code=0
awk 'BEGIN { for (i = 1; i <= 2500; i++) print i " abcdefghijklmnopqrstuvw" }' | "$2" "$1/log" || code=$?
echo "exit $code"
cd "$1/log"
for f in *; do echo "== $f"; cat "$f"; done
`
		cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", mnt, im.bin)
		stdout, stderr, code := testenv.Run(t, 120*time.Second, cmd)
		if code != 0 {
			t.Fatalf("%s: unshare: exit %d: %s", im.name, code, stderr)
		}
		if !strings.Contains(stdout, "exit 0\n") {
			t.Errorf("%s: svlogd did not exit 0: %s", im.name, stdout[:min(len(stdout), 200)])
		}
		stderr = strings.ReplaceAll(mask(stderr), mnt, "MNT")
		if !strings.Contains(stderr, "svlogd: warning: out of disk space, delete: MNT/log/@TAI64N.s\n") {
			t.Errorf("%s: stderr %q", im.name, stderr)
		}
		checkTail(t, im.name, stdout)
		snaps = append(snaps, stderr+mask(stdout))
	}
	if snaps[0] != snaps[1] {
		t.Logf("ours and Debian's differ (a full disk cuts writes at other points):\nours:\n%s\ndebian:\n%s", snaps[0], snaps[1])
	}
}

// checkTail checks that the logged lines (old files in order, then
// current) are the last ones of 1..2500, each complete, with no gap.
func checkTail(t *testing.T, name, listing string) {
	t.Helper()
	var got []string
	var inLog bool
	for _, line := range strings.Split(listing, "\n") {
		if strings.HasPrefix(line, "== ") {
			f := strings.TrimPrefix(line, "== ")
			inLog = f == "current" || strings.HasPrefix(f, "@")
			continue
		}
		if inLog && line != "" {
			got = append(got, line)
		}
	}
	if len(got) == 0 {
		t.Fatalf("%s: no lines kept", name)
	}
	first := 2500 - len(got) + 1
	for i, line := range got {
		if want := fmt.Sprintf("%d abcdefghijklmnopqrstuvw", first+i); line != want {
			t.Fatalf("%s: line %d is %q, want %q", name, i, line, want)
		}
	}
}

// A full disk with nothing the N rule may delete (N ≥ n): svlogd pauses
// ("pausing: unable to write to current: …: out of disk space"), retries
// every 3 seconds, and once space is freed every line is in current.
func TestDiskFullPausesLosesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a tmpfs in a private mount namespace (unshare --mount)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare(1) for a private tmpfs")
	}
	for _, im := range impls(t) {
		mnt, errFile := t.TempDir(), filepath.Join(t.TempDir(), "stderr")
		script := `set -e
mount -t tmpfs -o size=64k tmpfs "$1"
mkdir "$1/log"
printf 's1000000\nn1\nN5\n' >"$1/log/config"
dd if=/dev/zero of="$1/filler" bs=1k count=60 2>/dev/null
awk 'BEGIN { for (i = 1; i <= 500; i++) print i " abcdefghijklmnopqrstuvw" }' | "$2" "$1/log" 2>"$3" &
pid=$!
n=0; until grep -q pausing "$3"; do n=$((n+1)); [ $n -lt 300 ] || { echo "no pause"; kill $pid; exit 1; }; sleep 0.1; done
rm "$1/filler"
code=0; wait $pid || code=$?
echo "exit $code"
cat "$1/log/current"
`
		cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", mnt, im.bin, errFile)
		stdout, stderr, code := testenv.Run(t, 120*time.Second, cmd)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s%s", im.name, code, stdout, stderr)
		}
		errs := strings.ReplaceAll(readFile(t, errFile), mnt, "MNT")
		if !strings.HasPrefix(errs, "svlogd: pausing: unable to write to current: MNT/log: out of disk space\n") {
			t.Errorf("%s: stderr %q", im.name, errs)
		}
		want := "exit 0\n"
		for i := 1; i <= 500; i++ {
			want += fmt.Sprintf("%d abcdefghijklmnopqrstuvw\n", i)
		}
		if stdout != want {
			t.Errorf("%s: lost lines: got %d bytes, want %d", im.name, len(stdout), len(want))
		}
	}
}
