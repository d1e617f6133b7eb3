package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sysconf/config"
	"sysconf/generations"
	"sysconf/internal/runitnames"
	"sysconf/internal/vm"
	"sysconf/planner"
)

type buildVMOptions struct {
	out      string
	kernel   string
	runit    string
	busybox  string
	runlevel string
}

// vmApplets are busybox's applets linked in the image: the ones the VM
// tests rely on, plus what the generated scripts use (readlink in stage 2;
// cp, mv and chown in log/run) and a few for a person at the console.
var vmApplets = append(append([]string{}, vm.BusyboxApplets...),
	"readlink", "cp", "mv", "chown", "touch", "id", "ln", "find", "vi", "less", "du", "df", "free", "top", "awk", "sort", "uniq", "xargs", "basename", "dirname", "mktemp", "which")

func newBuildVMCmd(a *app) *cobra.Command {
	var o buildVMOptions
	cmd := &cobra.Command{
		Use:   "build-vm -o DIR",
		Short: "Build the description into a VM image that boots with qemu",
		Long: `build-vm plans the description, builds its generation into a fresh machine
tree DIR/root and makes it the boot default there (so DIR/root/etc/runit/1, 2,
3 and DIR/root/service exist), then packs that tree, the static runit (every
runit program and /sbin/init), sysconf itself when static, and the host's
static busybox (a shell and the tools the scripts use) into DIR/initramfs.gz,
a gzip-compressed newc archive written by sysconf. DIR/run-vm boots it with
qemu-system-x86_64 (TCG: no KVM needed) on the serial console; 'runit-init 0'
inside powers the VM off and ends qemu, and so does qemu's Ctrl-a x.

The VM's serial console has a root shell without a password (the service
console, busybox getty running sh): the VM is a throw-away machine that
only its user reaches. 'sysconf status', 'sv status /service/*' and
'sysconf timeline --boot' work there. A description leaves it out with
boot { vm_console = false }, or brings its own service named console.

The kernel is --kernel, else $SYSCONF_VM_KERNEL, else the host's newest
/boot/vmlinuz-*; run-vm takes another one from $KERNEL. The runit binary is
--runit, else the runit beside the sysconf program (make build puts both in
bin/); the other runit programs (runsv, runsvdir, sv, chpst, svlogd,
runsvchdir) are taken from beside it. With $SOURCE_DATE_EPOCH set, the
generation is dated then, and the same description and binaries give the
same initramfs bytes.`,
		Example: `  sysconf build-vm -c examples/ -o /tmp/vm --kernel /boot/vmlinuz-6.1.0-27-amd64
  /tmp/vm/run-vm`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.buildVM(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "the folder to write root/, initramfs.gz and run-vm into (required)")
	f.StringVar(&o.kernel, "kernel", "", "the kernel run-vm boots (default: $SYSCONF_VM_KERNEL, else the newest /boot/vmlinuz-*)")
	f.StringVar(&o.runit, "runit", "", "the static runit binary, with the other runit programs beside it (default: runit beside this program)")
	f.StringVar(&o.busybox, "busybox", "", "a static busybox (default: the host's /bin/busybox when static)")
	f.StringVar(&o.runlevel, "runlevel", "", "the runlevel the VM boots into (default: default)")
	return cmd
}

func (a *app) buildVM(ctx context.Context, o buildVMOptions, stdout, stderr io.Writer) error {
	if o.out == "" {
		return &usageError{errors.New("build-vm needs -o DIR")}
	}
	kernel := o.kernel
	if kernel == "" {
		if kernel = vm.FindKernel(); kernel == "" {
			return errors.New("no kernel to boot: give --kernel FILE (there is no /boot/vmlinuz-* on this host and SYSCONF_VM_KERNEL is unset)")
		}
	}
	if st, err := os.Stat(kernel); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("kernel %s: not a readable file", kernel)
	}
	kernel, _ = filepath.Abs(kernel)
	runit, err := findRunit(o.runit)
	if err != nil {
		return err
	}
	busybox := o.busybox
	if busybox == "" {
		busybox = vm.FindBusybox()
	}
	if busybox != "" {
		if static, err := vm.IsStatic(busybox); err != nil || !static {
			return fmt.Errorf("busybox %s: not a static ELF program", busybox)
		}
	} else {
		fmt.Fprintf(stderr, "sysconf: warning: no static busybox on this host (apt-get install busybox-static): the image has no /bin/sh, so its scripts cannot run\n")
	}

	sys, err := a.load()
	if err != nil {
		return err
	}
	console := addVMConsole(sys)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	out, err := filepath.Abs(o.out)
	if err != nil {
		return err
	}
	root, err := freshRoot(out)
	if err != nil {
		return err
	}
	// The image is a fresh machine: the system block's layout, else the
	// sandbox's (nothing to detect in an empty root).
	l, _, err := a.machineLayoutAt(sys, root)
	if err != nil {
		return err
	}
	m := planner.PlanIn(sys, l)
	now, err := a.sourceDate()
	if err != nil {
		return err
	}
	// The accounts first: Apply adds the description's own to them.
	if err := writeAccounts(root, sys); err != nil {
		return err
	}
	// Nothing supervises the tree, so Apply builds and links the generation
	// and returns at once, without a health check.
	g, err := generations.CreateLayout(root, l)
	if err != nil {
		return err
	}
	res, err := g.Apply(ctx, m, generations.Options{
		Sources: sys.Sources, Version: version, Level: o.runlevel, Now: now,
	})
	g.Close()
	if err != nil {
		return fmt.Errorf("build the generation in %s: %w", root, err)
	}

	img := vm.Image{Trees: []string{root}}
	// Every runit program with the links make build makes in bin/.
	vm.RunitLinks(&img, filepath.Dir(runit), runitnames.Programs)
	img.Files["bin/runit"] = runit // --runit may name it otherwise
	if self := selfSysconf(); self != "" {
		img.Files["bin/sysconf"] = self
	}
	if busybox != "" {
		vm.BusyboxLinks(&img, busybox, append(vmApplets, vmConsoleApplets...))
	}
	initrd := filepath.Join(out, "initramfs.gz")
	if err := writeImage(initrd, img); err != nil {
		return err
	}
	if err := vm.WriteRunVM(out, kernel); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Built generation %d in %s (%d services).\n", res.Generation, root, len(m.Services))
	fmt.Fprintf(stdout, "Wrote %s and %s, which boots it with %s.\n", initrd, filepath.Join(out, "run-vm"), kernel)
	if console {
		fmt.Fprintf(stdout, "The serial console has a root shell (service %s). Leave with 'runit-init 0' inside, or Ctrl-a x.\n", vmConsoleService)
	}
	return nil
}

// sourceDate is $SOURCE_DATE_EPOCH (reproducible-builds.org) as the
// generation's creation time, so the same description, binaries and date
// give the same initramfs bytes; zero (now) when unset.
func (a *app) sourceDate() (time.Time, error) {
	for _, kv := range a.environ {
		if v, ok := strings.CutPrefix(kv, "SOURCE_DATE_EPOCH="); ok && v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return time.Time{}, &usageError{fmt.Errorf("SOURCE_DATE_EPOCH=%s: not a number of seconds", v)}
			}
			return time.Unix(n, 0).UTC(), nil
		}
	}
	return time.Time{}, nil
}

// findRunit returns the runit binary to put in the image: the given one,
// else runit beside this program. The other runit programs
// (internal/runitnames) must be beside it, as make build puts them in
// bin/. Each must be static: the image has no dynamic loader.
func findRunit(given string) (string, error) {
	p := given
	if p == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("no runit binary: give --runit FILE (%v)", err)
		}
		p = filepath.Join(filepath.Dir(exe), "runit")
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("no runit binary beside %s: give --runit FILE, or run make build and use bin/sysconf", exe)
		}
	}
	if err := static(p); err != nil {
		return "", err
	}
	for _, prog := range runitnames.Programs {
		if prog.Name == "runit" {
			continue // p, under whatever name it was given
		}
		other := filepath.Join(filepath.Dir(p), prog.Name)
		if _, err := os.Stat(other); err != nil {
			return "", fmt.Errorf("no %s beside the runit binary %s: build every runit program (make build)", prog.Name, p)
		}
		if err := static(other); err != nil {
			return "", err
		}
	}
	return filepath.Abs(p)
}

// static fails unless the runit program at p is statically linked.
func static(p string) error {
	ok, err := vm.IsStatic(p)
	if err != nil {
		return fmt.Errorf("runit %s: %v", p, err)
	}
	if !ok {
		return fmt.Errorf("runit %s is dynamically linked: build it with CGO_ENABLED=0 (make build)", p)
	}
	return nil
}

// selfSysconf is this program when it is a static sysconf, for the image's
// /bin/sysconf; "" otherwise (a test binary, a dynamic build).
func selfSysconf() string {
	exe, err := os.Executable()
	if err != nil || filepath.Base(exe) != "sysconf" {
		return ""
	}
	if static, err := vm.IsStatic(exe); err != nil || !static {
		return ""
	}
	return exe
}

// freshRoot returns out/root, empty: a root left by an earlier build-vm
// (it holds the layout's generations folder) is removed first; anything else
// there is refused.
func freshRoot(out string) (string, error) {
	root := filepath.Join(out, "root")
	if _, err := os.Lstat(root); err == nil {
		if st, err := os.Stat(filepath.Join(root, generations.SandboxLayout.Generations())); err != nil || !st.IsDir() {
			return "", fmt.Errorf("%s exists and is not a tree made by build-vm: move it away or pick another -o", root)
		}
		if err := os.RemoveAll(root); err != nil {
			return "", fmt.Errorf("remove the old %s: %w", root, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		return "", err
	}
	return root, nil
}

// writeImage writes the archive next to path and renames it there, so a
// failed build leaves no half archive for run-vm.
func writeImage(path string, img vm.Image) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".initramfs-*.gz")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := vm.Build(f, img); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// writeAccounts gives the image an /etc/passwd and /etc/group, unless the
// description manages them: root, and every user and group the
// description names (services, their logs, managed files' owners) but does
// not declare (activation adds those), each user with a group of its name,
// numbered from 1000 in name order, so the same description gives the same
// files. Numeric ids need no entry.
func writeAccounts(root string, sys *config.System) error {
	users, groups := map[string]bool{}, map[string]bool{}
	declared := map[string]bool{}
	for _, u := range sys.Users {
		declared[u.Name] = true
	}
	for _, g := range sys.Groups {
		declared[g.Name] = true
	}
	add := func(set map[string]bool, name string) {
		if name != "" && name != "root" && !declared[name] && strings.Trim(name, "0123456789") != "" {
			set[name] = true
		}
	}
	managed := map[string]bool{}
	for _, f := range sys.Files {
		managed[f.Path] = true
	}
	for _, s := range sys.Services {
		add(users, s.User)
		add(groups, s.Group)
		if s.Log != nil {
			add(users, s.Log.User)
		}
	}
	for _, f := range sys.Files {
		add(users, f.Owner)
		add(groups, f.Group)
	}
	for u := range users {
		groups[u] = true
	}
	sorted := func(set map[string]bool) []string {
		out := make([]string, 0, len(set))
		for k := range set {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	gid := map[string]int{"root": 0}
	group := "root:x:0:\n"
	for i, g := range sorted(groups) {
		gid[g] = 1000 + i
		group += fmt.Sprintf("%s:x:%d:\n", g, gid[g])
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\n"
	for i, u := range sorted(users) {
		passwd += fmt.Sprintf("%s:x:%d:%d:%s:/:/bin/false\n", u, 1000+i, gid[u], u)
	}
	for name, content := range map[string]string{"etc/passwd": passwd, "etc/group": group} {
		p := filepath.Join(root, name)
		if managed["/"+name] {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
