// Package initramfs writes the archives the Linux kernel unpacks as its
// initial root file system: cpio in the "newc" format (magic 070701),
// usually wrapped in compress/gzip, which the kernel also unpacks. It writes directories, regular
// files, symlinks and device nodes, and copies whole directory trees; it
// does not read archives (the kernel does) and needs no external cpio.
//
// Start with NewWriter, add entries with Dir, File, Symlink, Node or
// CopyTree, and finish with Close, which writes the TRAILER!!! entry.
// Parents must be written before their children, as the kernel creates
// each entry in archive order; CopyTree does that.
package initramfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Mode bits of the cpio header (the st_mode of the entry).
const (
	typeDir     = 0o040000
	typeFile    = 0o100000
	typeSymlink = 0o120000
	// TypeChar and TypeBlock are the node types for Node.
	TypeChar  = 0o020000
	TypeBlock = 0o060000
	TypeFIFO  = 0o010000
)

// Writer writes one newc archive. It is not safe for concurrent use.
type Writer struct {
	w    io.Writer
	ino  uint32
	off  int64
	seen map[string]bool
	err  error
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, ino: 1, seen: make(map[string]bool)}
}

// header is one newc header's fields, in order.
type header struct {
	mode, uid, gid, nlink, mtime, rdevMajor, rdevMinor uint32
}

func (w *Writer) entry(name string, h header, data []byte) error {
	if w.err != nil {
		return w.err
	}
	name = clean(name)
	if name == "" {
		return fmt.Errorf("initramfs: empty entry name")
	}
	if name != "TRAILER!!!" {
		if w.seen[name] {
			return fmt.Errorf("initramfs: %s written twice", name)
		}
		w.seen[name] = true
	}
	ino := w.ino
	w.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		ino, h.mode, h.uid, h.gid, h.nlink, h.mtime, uint32(len(data)),
		0, 0, h.rdevMajor, h.rdevMinor, len(name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(name)+4)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = w.pad(buf)
	if err := w.write(buf); err != nil {
		return err
	}
	if len(data) > 0 {
		if err := w.write(data); err != nil {
			return err
		}
		if err := w.write(w.pad(nil)); err != nil {
			return err
		}
	}
	return nil
}

// pad appends to buf, which is to be written at w.off, the NULs that end
// it on a multiple of 4 in the archive.
func (w *Writer) pad(buf []byte) []byte {
	for (w.off+int64(len(buf)))%4 != 0 {
		buf = append(buf, 0)
	}
	return buf
}

func (w *Writer) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	k, err := w.w.Write(b)
	w.off += int64(k)
	if err != nil {
		w.err = err
	}
	return err
}

// clean makes name relative, as the kernel expects ("etc/runit/1").
func clean(name string) string {
	name = strings.TrimLeft(path.Clean("/"+name), "/")
	return name
}

// Dir writes a directory entry.
func (w *Writer) Dir(name string, perm fs.FileMode) error {
	return w.entry(name, header{mode: typeDir | uint32(perm.Perm()), nlink: 2}, nil)
}

// File writes a regular file with the given permission bits (setuid,
// setgid and sticky included).
func (w *Writer) File(name string, perm fs.FileMode, data []byte) error {
	return w.entry(name, header{mode: typeFile | unixPerm(perm), nlink: 1}, data)
}

// Symlink writes a symbolic link name pointing at target.
func (w *Writer) Symlink(name, target string) error {
	return w.entry(name, header{mode: typeSymlink | 0o777, nlink: 1}, []byte(target))
}

// Node writes a device node or FIFO: typ is TypeChar, TypeBlock or
// TypeFIFO.
func (w *Writer) Node(name string, typ uint32, perm fs.FileMode, major, minor uint32) error {
	if typ != TypeChar && typ != TypeBlock && typ != TypeFIFO {
		return fmt.Errorf("initramfs: %s: bad node type %o", name, typ)
	}
	return w.entry(name, header{mode: typ | uint32(perm.Perm()), nlink: 1, rdevMajor: major, rdevMinor: minor}, nil)
}

// Close writes the trailer. It does not close the underlying writer.
func (w *Writer) Close() error {
	return w.entry("TRAILER!!!", header{nlink: 1}, nil)
}

// parents writes the missing ancestors of name as directories.
func (w *Writer) parents(name string) error {
	if name == "" || name == "." {
		return nil
	}
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		if !w.Has(p) {
			if err := w.Dir(p, 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

// Has reports whether name has been written.
func (w *Writer) Has(name string) bool { return w.seen[clean(name)] }

func unixPerm(m fs.FileMode) uint32 {
	p := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}

// CopyTree writes the tree at dir under the archive path prefix (""
// for the root), in lexical order with every directory before its
// contents: directories, regular files, symlinks (as links), FIFOs and
// device nodes. Ownership is not kept: everything belongs to root, as the
// tree is assembled by an unprivileged build. Entries already written
// (such as standard directories) are skipped if they are directories and
// are an error otherwise. Missing parents of prefix are written as
// directories with mode 0755.
func (w *Writer) CopyTree(prefix, dir string) error {
	if err := w.parents(clean(prefix)); err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := clean(path.Join(prefix, filepath.ToSlash(rel)))
		if name == "" {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		m := fi.Mode()
		switch {
		case m.IsDir():
			if w.Has(name) {
				return nil
			}
			return w.Dir(name, m)
		case m.IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return w.File(name, m, data)
		case m&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return w.Symlink(name, t)
		case m&fs.ModeNamedPipe != 0:
			return w.Node(name, TypeFIFO, m, 0, 0)
		case m&fs.ModeDevice != 0:
			st, ok := fi.Sys().(*syscall.Stat_t)
			if !ok {
				return errors.New("initramfs: " + p + ": no device number")
			}
			typ := uint32(TypeBlock)
			if m&fs.ModeCharDevice != 0 {
				typ = TypeChar
			}
			return w.Node(name, typ, m, uint32(st.Rdev>>8&0xfff), uint32(st.Rdev&0xff|st.Rdev>>12&0xfff00))
		default:
			return fmt.Errorf("initramfs: %s: cannot archive mode %v", p, m)
		}
	})
}
