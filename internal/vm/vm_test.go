package vm

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sysconf/internal/runitnames"
	"sysconf/internal/testenv"
)

// names lists the entry names of a gzip'd newc archive, with a "->
// target" suffix for symlinks, by walking the headers.
func names(t *testing.T, gz []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for off := 0; ; {
		h := string(b[off : off+110])
		var f [13]uint64
		for i := range f {
			for _, c := range h[6+8*i : 14+8*i] {
				f[i] = f[i]<<4 | uint64(strings.IndexRune("0123456789abcdef", c))
			}
		}
		nameLen, size, mode := int(f[11]), int(f[6]), f[1]
		name := string(b[off+110 : off+110+nameLen-1])
		off = (off + 110 + nameLen + 3) &^ 3
		data := string(b[off : off+size])
		off = (off + size + 3) &^ 3
		if name == "TRAILER!!!" {
			return out
		}
		if mode&0o170000 == 0o120000 {
			name += " -> " + data
		}
		out = append(out, name)
	}
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteScript(t, filepath.Join(dir, "etc/runit/1"), "true\n")
	bin := t.TempDir() // beside the tree, not in it
	programs := []runitnames.Program{{Name: "runit", Links: []string{"runit-init"}}, {Name: "sv"}, {Name: "chpst", Links: []string{"envdir"}}}
	for _, p := range append(programs, runitnames.Program{Name: "busybox"}) {
		testenv.WriteScript(t, filepath.Join(bin, p.Name), "fake "+p.Name+"\n")
	}
	img := Image{Trees: []string{dir}}
	RunitLinks(&img, bin, programs)
	BusyboxLinks(&img, filepath.Join(bin, "busybox"), []string{"sh", "sv"})
	img.Files["lib64/ld-linux-x86-64.so.2"] = filepath.Join(bin, "busybox")
	var buf bytes.Buffer
	if err := Build(&buf, img); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(names(t, buf.Bytes()), "\n")
	for _, want := range []string{
		"dev/console", "dev/null", "proc", "run", "tmp",
		"etc/runit/1", "bin/runit", "bin/sv", "bin/chpst", "bin/busybox", "lib64", "lib64/ld-linux-x86-64.so.2",
		"bin/runit-init -> runit", "bin/envdir -> chpst", "bin/sh -> busybox",
		"sbin/init -> ../bin/runit", "sbin/runit-init -> ../bin/runit",
	} {
		if !strings.Contains("\n"+got+"\n", "\n"+want+"\n") {
			t.Errorf("archive lacks %q; has:\n%s", want, got)
		}
	}
	if strings.Contains(got, "bin/sv -> busybox") {
		t.Error("busybox's sv replaced runit's")
	}
}

func TestWriteRunVM(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRunVM(dir, `/boot/vmlinuz-"odd"$x`); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "run-vm")
	// Run it with a fake qemu that prints its arguments.
	fake := t.TempDir()
	testenv.WriteScript(t, filepath.Join(fake, "qemu-system-x86_64"), `for a in "$@"; do echo "$a"; done`+"\n")
	cmd := exec.Command(script, "-smp", "2")
	cmd.Env = append(os.Environ(), "PATH="+fake+":"+os.Getenv("PATH"))
	stdout, stderr, code := testenv.Run(t, 10*time.Second, cmd)
	if code != 0 {
		t.Fatalf("run-vm exit %d: %s", code, stderr)
	}
	want := append(QemuArgs(`/boot/vmlinuz-"odd"$x`, filepath.Join(dir, "initramfs.gz")), "-smp", "2")
	if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("qemu args\n%q\nwant\n%q", got, want)
	}
}
