// Package vm builds bootable initramfs images for sysconf's VMs and the
// run-vm script that boots them with qemu (TCG: no KVM needed).
//
// An Image lists what goes into the archive: host files copied at archive
// paths (static binaries, or dynamic ones with their libraries), symlinks,
// and directory trees laid over the root (stage scripts, service
// directories). Build adds the skeleton every boot needs (/dev/console and
// /dev/null nodes for process no. 1 to start with a console, and the mount
// points proc, sys, dev, run, tmp) and writes the gzip-compressed newc
// archive with internal/initramfs. RunitLinks (every runit program and its
// links) and BusyboxLinks fill in the usual files and links; WriteRunVM
// writes the boot script. The kernel command line (Append) runs /sbin/init on the serial console and turns a panic into an
// immediate exit, so that qemu, started with -no-reboot, ends when the
// system powers off, reboots or panics.
package vm

import (
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"sysconf/internal/initramfs"
	"sysconf/internal/runitnames"
)

// Append is the kernel command line of every sysconf VM.
const Append = "console=ttyS0 rdinit=/sbin/init panic=-1"

// Image is the content of an initramfs.
type Image struct {
	// Files maps an archive path to the host file copied there (mode kept).
	Files map[string]string
	// Links maps an archive path to a symlink target.
	Links map[string]string
	// Trees are host directories copied over the root, in order.
	Trees []string
}

// skeleton is written first: the directories and nodes a boot needs before
// stage 1 has mounted anything.
var skeleton = []string{"bin", "sbin", "etc", "dev", "proc", "sys", "run", "tmp", "root", "usr", "usr/bin", "usr/sbin", "var", "lib"}

// Build writes img as a gzip-compressed newc archive to out.
func Build(out io.Writer, img Image) error {
	zw := gzip.NewWriter(out)
	w := initramfs.NewWriter(zw)
	if err := build(w, img); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("build initramfs: %w", err)
	}
	return nil
}

func build(w *initramfs.Writer, img Image) error {
	for _, d := range skeleton {
		perm := os.FileMode(0o755)
		if d == "tmp" {
			perm = 0o777 | os.ModeSticky
		}
		if err := w.Dir(d, perm); err != nil {
			return err
		}
	}
	if err := w.Node("dev/console", initramfs.TypeChar, 0o600, 5, 1); err != nil {
		return err
	}
	if err := w.Node("dev/null", initramfs.TypeChar, 0o666, 1, 3); err != nil {
		return err
	}
	for _, tree := range img.Trees {
		if err := w.CopyTree("/", tree); err != nil {
			return err
		}
	}
	for _, name := range sorted(img.Files) {
		data, err := os.ReadFile(img.Files[name])
		if err != nil {
			return err
		}
		fi, err := os.Stat(img.Files[name])
		if err != nil {
			return err
		}
		if err := mkParents(w, name); err != nil {
			return err
		}
		if err := w.File(name, fi.Mode(), data); err != nil {
			return err
		}
	}
	for _, name := range sorted(img.Links) {
		if err := mkParents(w, name); err != nil {
			return err
		}
		if err := w.Symlink(name, img.Links[name]); err != nil {
			return err
		}
	}
	return nil
}

func mkParents(w *initramfs.Writer, name string) error {
	dir := path.Dir(strings.TrimLeft(path.Clean("/"+name), "/"))
	if dir == "." || w.Has(dir) {
		return nil
	}
	if err := mkParents(w, dir); err != nil {
		return err
	}
	return w.Dir(dir, 0o755)
}

func sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// RunitLinks puts each runit program of programs, the file of its name in
// dir, in /bin with its links beside it (internal/runitnames), and makes
// /sbin/init, /sbin/runit-init and /sbin/runit lead to /bin/runit (the
// kernel execs /sbin/init as process no. 1).
func RunitLinks(img *Image, dir string, programs []runitnames.Program) {
	if img.Files == nil {
		img.Files = map[string]string{}
	}
	if img.Links == nil {
		img.Links = map[string]string{}
	}
	for _, p := range programs {
		img.Files["bin/"+p.Name] = filepath.Join(dir, p.Name)
		for _, n := range p.Links {
			img.Links["bin/"+n] = p.Name
		}
	}
	for _, n := range []string{"init", "runit-init", "runit"} {
		img.Links["sbin/"+n] = "../bin/runit"
	}
}

// BusyboxApplets are the busybox applets a VM's stage scripts and services
// rely on.
var BusyboxApplets = []string{
	"sh", "mount", "umount", "mkdir", "echo", "cat", "sleep", "sync", "ls", "ps", "grep",
	"true", "false", "test", "[", "printf", "rm", "ln", "chmod", "seq", "stat", "wc",
	"uname", "hostname", "env", "kill", "dmesg", "date", "tr", "head", "tail", "sed",
}

// BusyboxLinks puts a static busybox at /bin/busybox with links in /bin for
// applets, skipping names the image already has (runit's programs win over
// busybox's runit applets).
func BusyboxLinks(img *Image, busybox string, applets []string) {
	if img.Files == nil {
		img.Files = map[string]string{}
	}
	if img.Links == nil {
		img.Links = map[string]string{}
	}
	img.Files["bin/busybox"] = busybox
	for _, a := range applets {
		p := "bin/" + a
		if _, ok := img.Links[p]; ok {
			continue
		}
		if _, ok := img.Files[p]; ok {
			continue
		}
		img.Links[p] = "busybox"
	}
}

// IsStatic reports whether the ELF file at p has no program interpreter,
// i.e. runs without a dynamic loader in the initramfs.
func IsStatic(p string) (bool, error) {
	f, err := elf.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

// FindBusybox returns the path of a static busybox on the host (Debian's
// busybox-static package), or "" if there is none.
func FindBusybox() string {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if ok, err := IsStatic(p); err == nil && ok {
			return p
		}
	}
	return ""
}

// FindKernel returns the kernel to boot: $SYSCONF_VM_KERNEL if set, else the
// host's newest /boot/vmlinuz-*, else "".
func FindKernel() string {
	if k := os.Getenv("SYSCONF_VM_KERNEL"); k != "" {
		return k
	}
	ks, _ := filepath.Glob("/boot/vmlinuz-*")
	sort.Strings(ks)
	if len(ks) == 0 {
		return ""
	}
	return ks[len(ks)-1]
}

// QemuArgs returns qemu-system-x86_64's arguments (without the program
// name) to boot kernel with initrd on the serial console, on stdio.
func QemuArgs(kernel, initrd string) []string {
	return []string{"-kernel", kernel, "-initrd", initrd, "-append", Append,
		"-nographic", "-no-reboot", "-m", "512"}
}

// WriteRunVM writes dir/run-vm, a script that boots dir/initramfs.gz with
// kernel (the KERNEL environment variable overrides it) and passes its
// arguments on to qemu.
func WriteRunVM(dir, kernel string) error {
	script := `#!/bin/sh
# Boots the sysconf VM in this directory: serial console on stdio, TCG (no
# KVM needed). Shutting it down from inside (runit-init 0) ends qemu.
here=$(cd "$(dirname "$0")" && pwd)
echo "run-vm: booting; leave with 'runit-init 0' inside the VM, or Ctrl-a x (qemu's escape, then x)." >&2
exec qemu-system-x86_64 -kernel "${KERNEL:-` + shellQuoteInner(kernel) + `}" -initrd "$here/initramfs.gz" \
	-append '` + Append + `' -nographic -no-reboot -m 512 "$@"
`
	return os.WriteFile(filepath.Join(dir, "run-vm"), []byte(script), 0o755)
}

// shellQuoteInner escapes s for use inside double quotes.
func shellQuoteInner(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return r.Replace(s)
}
