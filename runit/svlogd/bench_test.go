package svlogd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// benchInput is 1,000,000 lines of 100 bytes (newline included).
func benchInput() []byte {
	const n = 1000000
	b := make([]byte, 0, n*100)
	for i := range n {
		b = fmt.Appendf(b, "%010d the quick brown fox jumps over the lazy dog, logging line after line after line\n", i)
	}
	return b
}

// throughput pipes input into bin -tt with rotation every 1 MB keeping 10
// files, and returns the wall time from start to exit and the child's CPU
// time (user + system, from its rusage).
func throughput(b *testing.B, bin string, input []byte) (wall, cpu time.Duration) {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("s1048576\nn10\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-tt", dir)
	cmd.Stdin = r
	start := time.Now()
	p := testenv.Start(b, cmd)
	r.Close()
	if _, err := w.Write(input); err != nil {
		b.Fatal(err)
	}
	w.Close()
	if code := p.Wait(b, 5*time.Minute); code != 0 {
		b.Fatalf("%s: exit %d: %s", bin, code, p.Stderr)
	}
	wall = time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	if old := rotated(b, dir, ".s"); len(old) != 10 {
		b.Fatalf("%s: %d old files, want 10", bin, len(old))
	}
	return wall, cpu
}

// BenchmarkThroughput is issue 3's svlogd case: ours and Debian's side by
// side on the same 100 MB, MB/s and CPU seconds per MB, with ratios.
// Target: MB/s ratio ≥ 1.5, CPU ratio ≤ 1.
func BenchmarkThroughput(b *testing.B) {
	input := benchInput()
	mb := float64(len(input)) / 1e6
	ours, debian := testenv.Tool(b, "svlogd"), testenv.DebianRunit(b, "svlogd")
	for range b.N {
		ow, oc := throughput(b, ours, input)
		dw, dc := throughput(b, debian, input)
		oRate, dRate := mb/ow.Seconds(), mb/dw.Seconds()
		oCPU, dCPU := oc.Seconds()/mb, dc.Seconds()/mb
		b.ReportMetric(oRate, "ours-MB/s")
		b.ReportMetric(dRate, "debian-MB/s")
		b.ReportMetric(oRate/dRate, "MB/s-ratio")
		b.ReportMetric(oCPU*1000, "ours-CPU-ms/MB")
		b.ReportMetric(dCPU*1000, "debian-CPU-ms/MB")
		b.ReportMetric(oCPU/dCPU, "CPU-ratio")
		fmt.Printf("svlogd -tt, 1,000,000 lines of 100 bytes, s1048576 n10: ours %.1f MB/s %.2f ms CPU/MB; debian %.1f MB/s %.2f ms CPU/MB; ours/debian throughput %.2f, CPU %.2f\n",
			oRate, oCPU*1000, dRate, dCPU*1000, oRate/dRate, oCPU/dCPU)
	}
}
