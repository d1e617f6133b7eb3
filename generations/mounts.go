package generations

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// MountState is the file recording the mounts sysconf made, each with its
// description as mounted: what tells a changed description (remount or
// mount again) from an unchanged one, and a mount sysconf may remove from
// one it must leave alone.
func (l Layout) MountState() string { return l.State + "/mounts.json" }

// mountFlags are the mount -o options that are flags of mount(2) rather
// than file system data: each sets some bits and clears others.
var mountFlags = map[string][2]uintptr{
	"ro":          {syscall.MS_RDONLY, 0},
	"rw":          {0, syscall.MS_RDONLY},
	"nosuid":      {syscall.MS_NOSUID, 0},
	"suid":        {0, syscall.MS_NOSUID},
	"nodev":       {syscall.MS_NODEV, 0},
	"dev":         {0, syscall.MS_NODEV},
	"noexec":      {syscall.MS_NOEXEC, 0},
	"exec":        {0, syscall.MS_NOEXEC},
	"sync":        {syscall.MS_SYNCHRONOUS, 0},
	"async":       {0, syscall.MS_SYNCHRONOUS},
	"dirsync":     {syscall.MS_DIRSYNC, 0},
	"noatime":     {syscall.MS_NOATIME, 0},
	"atime":       {0, syscall.MS_NOATIME},
	"nodiratime":  {syscall.MS_NODIRATIME, 0},
	"diratime":    {0, syscall.MS_NODIRATIME},
	"relatime":    {syscall.MS_RELATIME, 0},
	"norelatime":  {0, syscall.MS_RELATIME},
	"strictatime": {syscall.MS_STRICTATIME, 0},
	"defaults":    {0, 0},
}

// mountArgs splits options into mount(2)'s flags and its data string.
func mountArgs(opts []string) (uintptr, string) {
	var flags uintptr
	var data []string
	for _, o := range opts {
		if f, ok := mountFlags[o]; ok {
			flags = flags&^f[1] | f[0]
			continue
		}
		data = append(data, o)
	}
	return flags, strings.Join(data, ",")
}

// mountInfo is one line of /proc/self/mountinfo.
type mountInfo struct {
	point, fstype, source string
}

// mountAt returns the topmost mount at the absolute path abs, if any.
func mountAt(abs string) (mountInfo, bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return mountInfo{}, false, err
	}
	defer f.Close()
	var found mountInfo
	ok := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, x := range fields {
			if x == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+2 >= len(fields) {
			continue
		}
		if unescapeMount(fields[4]) == abs {
			found, ok = mountInfo{point: abs, fstype: fields[sep+1], source: unescapeMount(fields[sep+2])}, true
		}
	}
	return found, ok, sc.Err()
}

// unescapeMount undoes the kernel's octal escapes (\040 for a blank).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (g *Root) readMountState() (map[string]Mount, error) {
	st := map[string]Mount{}
	b, err := g.r.ReadFile(g.l.MountState())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read %s: %w", g.l.MountState(), err)
	}
	return st, nil
}

func (g *Root) writeMountState(st map[string]Mount) error {
	r := g.r
	b, _ := json.MarshalIndent(st, "", "  ")
	return replaceFile(r, g.l.MountState(), append(b, '\n'), 0o644)
}

// openDir opens the folder rel of the root and returns it with its real
// absolute path on this machine (what mountinfo shows) and the path that
// mount(2) is given: the descriptor's /proc link, so that no link planted
// under the root can lead the mount out of it.
func (g *Root) openDir(rel string) (*os.File, string, string, error) {
	f, err := g.r.Open(rel)
	if err != nil {
		return nil, "", "", err
	}
	proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	abs, err := os.Readlink(proc)
	if err != nil {
		f.Close()
		return nil, "", "", err
	}
	return f, abs, proc, nil
}

// ensureMounts mounts m's mounts under the root, remounts or mounts again
// those whose description changed, and unmounts those sysconf mounted
// that m no longer has. A mount that is busy is reported through warn and
// left as it is, never forced (no lazy unmount): the next apply tries
// again, since mounts.json keeps what is really mounted.
func (g *Root) ensureMounts(m Manifest, warn func(string)) error {
	if _, err := g.r.Stat(g.l.MountState()); errors.Is(err, fs.ErrNotExist) && len(m.Mounts) == 0 {
		return nil
	}
	st, err := g.readMountState()
	if err != nil {
		return err
	}
	want := map[string]Mount{}
	for _, mt := range m.Mounts {
		want[mt.Path] = mt
	}
	// Dropped mounts first, deepest first.
	var gone []string
	for p := range st {
		if _, ok := want[p]; !ok {
			gone = append(gone, p)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(gone)))
	dropped := false
	for _, p := range gone {
		if err := g.unmount(p, "no longer declared"); err != nil {
			warn(err.Error())
			continue
		}
		delete(st, p)
		dropped = true
	}
	if dropped {
		if err := g.writeMountState(st); err != nil {
			return err
		}
	}
	users, groups, err := g.accountIDs()
	if err != nil {
		return err
	}
	for _, mt := range m.Mounts { // sorted by path: parents first
		changed, err := g.mountOne(mt, st)
		if err != nil {
			var busy *busyError
			if errors.As(err, &busy) {
				warn(err.Error())
				continue
			}
			return fmt.Errorf("mount %s: %w", mt.Path, err)
		}
		if changed {
			st[mt.Path] = mt
			if err := g.writeMountState(st); err != nil {
				return err
			}
		}
		if err := g.mountOwner(mt, users, groups); err != nil {
			return fmt.Errorf("mount %s: %w", mt.Path, err)
		}
	}
	return nil
}

// busyError is a mount that cannot change because it is in use.
type busyError struct {
	path, why string
	err       error
}

func (e *busyError) Error() string {
	return fmt.Sprintf("mount %s is busy, left as it is (%s): %v; stop what uses it and apply again", e.path, e.why, e.err)
}

func (e *busyError) Unwrap() error { return e.err }

// unmount unmounts sysconf's mount at p, if it is still mounted.
func (g *Root) unmount(p, why string) error {
	f, abs, _, err := g.openDir(strings.TrimPrefix(p, "/"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unmount %s: %w", p, err)
	}
	f.Close()
	if _, mounted, err := mountAt(abs); err != nil || !mounted {
		return err
	}
	if err := syscall.Unmount(abs, 0); err != nil {
		if errors.Is(err, syscall.EBUSY) {
			return &busyError{path: p, why: why, err: err}
		}
		return fmt.Errorf("unmount %s: %w", p, err)
	}
	return nil
}

// mountOne brings one mount to its description; changed says whether it
// mounted or remounted.
func (g *Root) mountOne(mt Mount, st map[string]Mount) (bool, error) {
	rel := strings.TrimPrefix(mt.Path, "/")
	if err := g.r.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return false, err
	}
	if err := g.r.Mkdir(rel, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return false, err
	}
	f, abs, target, err := g.openDir(rel)
	if err != nil {
		return false, err
	}
	// A descriptor open on a mount's root keeps it busy: closed before
	// any unmount.
	defer func() { f.Close() }()
	info, mounted, err := mountAt(abs)
	if err != nil {
		return false, err
	}
	flags, data := mountArgs(mt.Options)
	rec, recorded := st[mt.Path]
	switch {
	case !mounted:
	case recorded && reflect.DeepEqual(rec, mt):
		return false, nil
	case info.fstype == mt.Type && (!recorded || rec.Source == mt.Source):
		// Same file system, other options (a tmpfs's size): remount in
		// place, which keeps its files and its users.
		if err := syscall.Mount(mt.Source, abs, mt.Type, syscall.MS_REMOUNT|flags, data); err != nil {
			if errors.Is(err, syscall.EBUSY) {
				return false, &busyError{path: mt.Path, why: "remount with " + strings.Join(mt.Options, ","), err: err}
			}
			return false, fmt.Errorf("remount: %w", err)
		}
		return true, nil
	default:
		f.Close()
		if err := g.unmount(mt.Path, "its description changed"); err != nil {
			return false, err
		}
		// The folder under the old mount, now uncovered.
		if f, _, target, err = g.openDir(rel); err != nil {
			return false, err
		}
	}
	if err := syscall.Mount(mt.Source, target, mt.Type, flags, data); err != nil {
		return false, err
	}
	return true, nil
}

// mountOwner sets the owner and mode of a mount's root, as described.
func (g *Root) mountOwner(mt Mount, users map[string][2]uint32, groups map[string]uint32) error {
	if mt.Owner == "" && mt.Group == "" && mt.Mode == nil {
		return nil
	}
	// Opened again: the descriptor taken before mounting is the folder
	// under the mount, not the mount's root.
	f, err := g.r.Open(strings.TrimPrefix(mt.Path, "/"))
	if err != nil {
		return err
	}
	defer f.Close()
	if mt.Owner != "" || mt.Group != "" {
		uid, gid, err := g.owner(mt.Owner, mt.Group, users, groups)
		if err != nil {
			return err
		}
		if mt.Owner == "" {
			uid = -1
		}
		if err := f.Chown(uid, gid); err != nil {
			return err
		}
	}
	if mt.Mode != nil {
		return f.Chmod(*mt.Mode)
	}
	return nil
}
