package vm

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"sysconf/internal/testenv"
)

// unpackDebianRunit fetches Debian's runit and runit-init packages with
// apt-get download and unpacks them with dpkg -x into a temp folder (never
// installing runit-init on the host).
func unpackDebianRunit(b testing.TB) string {
	b.Helper()
	dl := b.TempDir()
	deb := filepath.Join(dl, "root")
	cmd := exec.Command("apt-get", "download", "runit", "runit-init")
	cmd.Dir = dl
	if out, stderr, code := testenv.Run(b, 120*time.Second, cmd); code != 0 {
		b.Fatalf("apt-get download runit runit-init: exit %d\n%s%s", code, out, stderr)
	}
	debs, _ := filepath.Glob(filepath.Join(dl, "*.deb"))
	if len(debs) != 2 {
		b.Fatalf("downloaded %v, want runit and runit-init", debs)
	}
	for _, d := range debs {
		if _, stderr, code := testenv.Run(b, 60*time.Second, exec.Command("dpkg", "-x", d, deb)); code != 0 {
			b.Fatalf("dpkg -x %s: %s", d, stderr)
		}
	}
	return deb
}

// BenchmarkBootToAllUp boots the same kernel and stage scripts with 20 and
// 200 logged services under our runit and under Debian's runit-init +
// runit (dynamic, with the host's libc in the image), and reports the time
// from stage 1 to every service up (kernel uptime, inside the VM) and the
// ours/runit ratio. Needs SYSCONF_VM_TEST=1, as TestBoot does.
func BenchmarkBootToAllUp(b *testing.B) {
	qemu, kernel, busybox := requireVM(b)
	deb := unpackDebianRunit(b)
	for _, n := range []int{20, 200} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			// TCG on a shared 2-core machine: 200 services can take a minute.
			limit := 90*time.Second + time.Duration(n)*time.Second
			var ours, theirs float64
			for i := 0; i < b.N; i++ {
				img := Image{Trees: []string{tree(b, n, "/bin:/sbin", watchStat)}}
				ourRunit(b, &img, busybox)
				o := boot(b, qemu, kernel, img, limit)
				img = Image{Trees: []string{tree(b, n, "/usr/bin:/bin:/sbin", watchStat)}}
				debianRunit(b, &img, deb, busybox)
				d := boot(b, qemu, kernel, img, limit)
				if o.allUp == 0 || d.allUp == 0 {
					b.Fatalf("a boot did not report all services up\nours:\n%s\ndebian:\n%s", o.console, d.console)
				}
				ours += o.allUp - o.stage1
				theirs += d.allUp - d.stage1
			}
			ours /= float64(b.N)
			theirs /= float64(b.N)
			b.ReportMetric(ours, "ours-s")
			b.ReportMetric(theirs, "runit-s")
			b.ReportMetric(ours/theirs, "ours/runit")
			fmt.Fprintf(os.Stdout, "boot to all %d services up (after stage 1): ours %.2fs, runit %.2fs, ours/runit %.2f\n", n, ours, theirs, ours/theirs)
		})
	}
}
