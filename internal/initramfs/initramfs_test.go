package initramfs

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entry is one parsed newc entry.
type entry struct {
	Name         string
	Mode         uint32
	NLink        uint32
	Major, Minor uint32
	Data         string
}

// parse reads a newc archive the way the kernel's init/initramfs.c does,
// checking magic, field syntax and 4-byte alignment, up to TRAILER!!!.
func parse(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	off := 0
	inos := map[uint32]bool{}
	for {
		if off%4 != 0 {
			t.Fatalf("header at %d not aligned", off)
		}
		if off+110 > len(b) {
			t.Fatalf("truncated header at %d", off)
		}
		h := string(b[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("magic %q at %d", h[:6], off)
		}
		f := make([]uint32, 13)
		for i := range f {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("field %d at %d: %v", i, off, err)
			}
			f[i] = uint32(v)
		}
		ino, mode, nlink, size, rmaj, rmin, namesize := f[0], f[1], f[4], f[6], f[9], f[10], f[11]
		name := string(b[off+110 : off+110+int(namesize)])
		if !strings.HasSuffix(name, "\x00") {
			t.Fatalf("name %q not NUL-terminated", name)
		}
		name = strings.TrimSuffix(name, "\x00")
		off += 110 + int(namesize)
		for off%4 != 0 {
			if b[off] != 0 {
				t.Fatalf("non-NUL padding after name %s", name)
			}
			off++
		}
		data := string(b[off : off+int(size)])
		off += int(size)
		for off%4 != 0 {
			off++
		}
		if name == "TRAILER!!!" {
			if off != len(b) {
				t.Errorf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		if inos[ino] {
			t.Errorf("inode %d reused by %s", ino, name)
		}
		inos[ino] = true
		out = append(out, entry{name, mode, nlink, rmaj, rmin, data})
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	steps := []error{
		w.Dir("/dev", 0o755),
		w.Node("dev/console", TypeChar, 0o600, 5, 1),
		w.Dir("sbin", 0o755),
		w.File("/sbin/runit", 0o755, []byte("binary")),
		w.Symlink("sbin/init", "runit"),
		w.File("etc", 0o644|os.ModeSetuid, []byte("abc")),
		w.Close(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []entry{
		{"dev", 0o40755, 2, 0, 0, ""},
		{"dev/console", 0o20600, 1, 5, 1, ""},
		{"sbin", 0o40755, 2, 0, 0, ""},
		{"sbin/runit", 0o100755, 1, 0, 0, "binary"},
		{"sbin/init", 0o120777, 1, 0, 0, "runit"},
		{"etc", 0o104644, 1, 0, 0, "abc"},
	}
	if diff := cmp.Diff(want, parse(t, buf.Bytes())); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	// The first header, byte for byte (ino 1, mode 040755, nlink 2,
	// namesize 4).
	wantHdr := "070701" + "00000001" + "000041ed" + "00000000" + "00000000" + "00000002" +
		"00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000004" + "00000000" + "dev\x00"
	if got := buf.String()[:len(wantHdr)]; got != wantHdr {
		t.Errorf("first header %q, want %q", got, wantHdr)
	}
}

func TestWriterRejectsDuplicates(t *testing.T) {
	w := NewWriter(&bytes.Buffer{})
	if err := w.Dir("etc", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.File("/etc/", 0o644, nil); err == nil {
		t.Error("second etc accepted")
	}
	if err := w.Node("x", 0o100000, 0o644, 0, 0); err == nil {
		t.Error("regular file accepted as a node type")
	}
}

func TestCopyTree(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "etc/sv/a"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "etc/sv/a/run"), []byte("#!/bin/sh\n"), 0o755))
	must(os.Symlink("/etc/sv/a", filepath.Join(dir, "etc/service")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600))
	var buf bytes.Buffer
	w := NewWriter(&buf)
	must(w.Dir("etc", 0o755)) // already there: CopyTree skips it
	must(w.CopyTree("/", dir))
	must(w.CopyTree("opt/x", filepath.Join(dir, "etc/sv")))
	must(w.Close())
	var got []string
	for _, e := range parse(t, buf.Bytes()) {
		got = append(got, e.Name+" "+strconv.FormatUint(uint64(e.Mode), 8)+" "+e.Data)
	}
	want := []string{
		"etc 40755 ",
		"etc/service 120777 /etc/sv/a",
		"etc/sv 40755 ",
		"etc/sv/a 40755 ",
		"etc/sv/a/run 100755 #!/bin/sh\n",
		"fifo 10600 ",
		"opt 40755 ",
		"opt/x 40755 ",
		"opt/x/a 40755 ",
		"opt/x/a/run 100755 #!/bin/sh\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}
