package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A descendant that left the process group and was orphaned is still
// stopped when the test that started its ancestor ends.
func TestCleanupStopsOrphanedDescendants(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	t.Run("starter", func(t *testing.T) {
		p := Start(t, exec.Command("/bin/sh", "-c", "setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "+pidFile))
		if code := p.Wait(t, 10*time.Second); code != 0 {
			t.Fatalf("exit %d", code)
		}
	})
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// Stopped by this test too, should the sweep have missed it.
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	Eventually(t, 10*time.Second, func() string {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return ""
		}
		return "orphaned sleep " + strconv.Itoa(pid) + " still running"
	})
}
