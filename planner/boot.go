package planner

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"sysconf/config"
	"sysconf/generations"
	"sysconf/runit/pid1"
)

// stagePath is the stage scripts' PATH.
const stagePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// runit's flag files, which the stage scripts set and clear.
var (
	stopitFile = pid1.StopitFile
	rebootFile = pid1.RebootFile
)

// runsvdirLog is runsvdir's readproctitle argument: room for the last
// messages of the services, shown by ps (the length of Debian's).
var runsvdirLog = "log: " + strings.Repeat(".", 395)

// Boot renders the stage scripts etc/runit/1, 2, 3 and ctrlaltdel from b
// (nil is a description without a boot block) and the description's
// mounts, which stage 1 mounts, sorted by path. They are POSIX sh and
// depend on nothing but their arguments, so the same blocks give the same
// bytes.
func Boot(b *config.Boot, mounts ...*config.Mount) []generations.Entry {
	return BootIn(b, generations.SandboxLayout, mounts...)
}

// BootIn renders the stage scripts for a machine in layout l: they reach
// the runlevels, the watched folder and the supervise state where l puts
// them.
func BootIn(b *config.Boot, l generations.Layout, mounts ...*config.Mount) []generations.Entry {
	if b == nil {
		b = &config.Boot{CtrlAltDel: config.CtrlAltDelReboot}
	}
	file := func(name, body string) generations.Entry {
		return generations.Entry{Path: "etc/runit/" + name, Mode: 0o755, Content: []byte(body)}
	}
	return []generations.Entry{
		file("1", stage1(b, l, mounts)),
		file("2", stage2(b, l)),
		file("3", stage3(b, l)),
		file("ctrlaltdel", ctrlAltDel(b)),
	}
}

// bootScripts are the stage scripts of sys: the generated ones, each
// replaced by the system block's stage of the same name, as it is.
func bootScripts(sys *config.System, l generations.Layout) []generations.Entry {
	out := BootIn(sys.Boot, l, sys.Mounts...)
	if sys.Machine == nil {
		return out
	}
	for _, st := range sys.Machine.Stages {
		for i := range out {
			if out[i].Path == "etc/runit/"+st.Path {
				out[i] = generations.Entry{Path: out[i].Path, Mode: fs.FileMode(st.Mode), Content: append([]byte{}, st.Content...)}
			}
		}
	}
	return out
}

// bootHeader is the comment that says what a stage script is. Like a
// service's header it never says where the boot block was written, nor
// whether there is one (an empty boot block means the defaults): the stage
// scripts are part of the generation hash, which depends only on what the
// description means.
func bootHeader(what string) string {
	return fmt.Sprintf("#!/bin/sh\n# sysconf: %s.\n# Generated: edit the description, not this file.\n\nPATH=%s\nexport PATH\n", what, stagePath)
}

func stage1(b *config.Boot, layout generations.Layout, mounts []*config.Mount) string {
	var s strings.Builder
	s.WriteString(bootHeader("runit stage 1 (one-time boot tasks)"))
	s.WriteString(`
# The kernel's file systems, unless something mounted them already.
mounted() { grep -q "^[^ ]* $1 " /proc/mounts 2>/dev/null; }
mounted /proc || mount -t proc -o nosuid,nodev,noexec proc /proc
mounted /sys || mount -t sysfs -o nosuid,nodev,noexec sys /sys
mounted /dev || mount -t devtmpfs -o nosuid,mode=0755 dev /dev
mkdir -p /dev/pts /dev/shm
mounted /dev/pts || mount -t devpts -o nosuid,noexec,gid=5,mode=0620 devpts /dev/pts
mounted /run || mount -t tmpfs -o nosuid,nodev,mode=0755 run /run

# cgroup v2 and the subtree in which our supervisors give each service a
# cgroup of its own (containment, docs/runsv.md). A kernel without cgroup
# v2 boots as well, without containment.
if [ -d /sys/fs/cgroup ]; then
	mounted /sys/fs/cgroup || mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup 2>/dev/null
	mkdir -p /sys/fs/cgroup/sysconf 2>/dev/null
fi

# The root file system read-write (kernels usually mount it read-only
# for fsck), then what /etc/fstab lists.
if grep -q '^[^ ]* / [^ ]* ro[, ]' /proc/mounts; then
	mount -o remount,rw /
fi
if [ -s /etc/fstab ]; then
	mount -a
fi

# Supervise state of every service (its supervise link points here), and
# runit's flag files, not yet set: runit-init 0 and 6 set them.
mkdir -p /` + layout.SuperviseParent() + `
for f in ` + stopitFile + ` ` + rebootFile + `; do
	: >"$f" && chmod 000 "$f"
done

`)
	s.WriteString(stageMounts(mounts))
	if b.Hostname != "" {
		s.WriteString("hostname " + quote(b.Hostname) + "\n")
	} else {
		s.WriteString("if [ -s /etc/hostname ]; then\n\thostname -F /etc/hostname\nfi\n")
	}
	if b.Stage1 != "" {
		s.WriteString("\n# The boot block's stage1.\n" + b.Stage1)
	}
	return s.String()
}

func stage2(b *config.Boot, layout generations.Layout) string {
	var s strings.Builder
	s.WriteString(bootHeader("runit stage 2 (supervision)"))
	fmt.Fprintf(&s, `
# Run the boot default generation: apply --boot may have left another
# generation current. sysconf switches the machine to it whole (runlevel,
# /etc/sv, managed files, these stage scripts) before anything runs.
boot=$(readlink /%[1]s)
cur=$(readlink /%[2]s/current)
gen=${cur%%/%[6]s/*}
if [ -n "$boot" ] && [ -n "$cur" ] && [ "${boot##*/}" != "${gen##*/}" ] && command -v sysconf >/dev/null 2>&1; then
	sysconf rollback --to "${boot##*/}" ||
		echo "stage 2: sysconf cannot switch to the boot default $boot" >&2
	cur=$(readlink /%[2]s/current)
fi
# The runlevel: one the kernel command line names (single, or any
# runlevel's name, as Void's stage 2 reads it, or runlevel=NAME), else the
# one that ran last, else default.
level= cmdline=
[ -r /proc/cmdline ] && read -r cmdline </proc/cmdline
for arg in $cmdline; do
	arg=${arg#runlevel=}
	case $arg in
	'' | .* | */* | current | previous | *.new) ;;
	*) [ -d "/%[2]s/$arg" ] && level=$arg ;;
	esac
done
# Then the boot default's runlevel, with sysconf or without (if it failed),
# as runsvchdir does, but with the relative link sysconf writes
# (runsvchdir takes no name starting with a dot): previous becomes the old
# current, and one rename switches current.
if [ -n "$boot" ] && [ -n "$cur" ]; then
	want=%[3]s/$boot/%[6]s
	if [ -n "$level" ] && [ -d "/%[2]s/$want/$level" ]; then
		want=$want/$level
	elif [ -d "/%[2]s/$want/${cur##*/}" ]; then
		want=$want/${cur##*/}
	else
		want=$want/default
	fi
	if [ "$cur" != "$want" ] && [ -d "/%[2]s/$want" ]; then
		d=/%[2]s
		rm -f "$d/current.new" "$d/previous.new"
		ln -s "$cur" "$d/previous.new" && mv -fT "$d/previous.new" "$d/previous"
		ln -s "$want" "$d/current.new" && mv -fT "$d/current.new" "$d/current" ||
			echo "stage 2: cannot switch to $want; running $cur" >&2
	fi
fi

# The folder runsvdir watches: made at boot where it lives under /run.
if [ ! -L /%[4]s ] && [ ! -d /%[4]s ]; then
	mkdir -p /%[7]s && ln -s /%[2]s/current /%[4]s
fi
exec env - PATH="$PATH" runsvdir -P /%[4]s '%[5]s'
`, layout.BootLink(), layout.Runlevels, generations.Link(layout.Current(), layout.State), layout.Watch, runsvdirLog,
		generations.GenerationRunlevels, path.Dir(layout.Watch))
	return s.String()
}

func stage3(b *config.Boot, layout generations.Layout) string {
	var s strings.Builder
	s.WriteString(bootHeader("runit stage 3 (shutdown)"))
	s.WriteString(`
echo 'Waiting for services to stop...'
set -- /` + layout.Watch + `/*
if [ -e "$1" ]; then
	sv -w 10 force-stop "$@"
	sv exit "$@"
fi
`)
	if b.Stage3 != "" {
		s.WriteString("\n# The boot block's stage3.\n" + b.Stage3)
	}
	s.WriteString(`
# Unmount what the machine mounted, deepest first, then make / read-only.
# /proc, /sys, /dev and /run stay: runit reads ` + rebootFile + ` after this.
echo 'Unmounting file systems...'
sync
mounts=
while read -r _ dir _; do
	case $dir in
	/ | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/*) ;;
	*) mounts="$dir $mounts" ;;
	esac
done </proc/mounts
for dir in $mounts; do
	umount "$dir" 2>/dev/null || umount -r "$dir" 2>/dev/null
done
mount -o remount,ro / 2>/dev/null
sync
exit 0
`)
	return s.String()
}

func ctrlAltDel(b *config.Boot) string {
	var s strings.Builder
	s.WriteString(bootHeader("Ctrl-Alt-Del (runit runs it on SIGINT)"))
	s.WriteString("\n")
	switch b.CtrlAltDel {
	case config.CtrlAltDelIgnore:
		s.WriteString("# Ignored: the stopit file stays unset, so runit goes on.\necho 'Ctrl-Alt-Del ignored.'\n")
		return s.String()
	case config.CtrlAltDelPowerOff:
		s.WriteString("# As runit's: set the stopit file, so runit shuts down when this ends;\n# the reboot file unset means power off.\n")
		s.WriteString("echo 'System is going down (power off)...'\n")
		fmt.Fprintf(&s, "chmod 000 %s 2>/dev/null\n", rebootFile)
	default:
		s.WriteString("# As runit's: set the stopit file, so runit shuts down when this ends;\n# the reboot file set means reboot.\n")
		s.WriteString("echo 'System is going down (reboot)...'\n")
		fmt.Fprintf(&s, ": >%s && chmod 100 %s\n", rebootFile, rebootFile)
	}
	fmt.Fprintf(&s, ": >%s && chmod 100 %s\n", stopitFile, stopitFile)
	return s.String()
}
