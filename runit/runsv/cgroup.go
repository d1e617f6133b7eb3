package runsv

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// Containment, beyond runit (docs/runsv.md; runit/supervise: cgroup.go).
// Where the machine made the sysconf subtree of a cgroup v2 hierarchy,
// every ./run, ./finish and log/run starts inside its service's cgroup
// (clone3's CLONE_INTO_CGROUP: there is no moment at which it runs
// outside), the service's cgroup/ limits are written there first, and a
// stop that escalates kills the cgroup whole, which also catches what
// left the process group (a daemon that forked twice and called setsid).
// Elsewhere the process group is the only container, as before.

// cgroupBase returns the sysconf subtree when it exists in a cgroup v2
// hierarchy whose kernel can kill a cgroup whole (cgroup.kill, Linux
// 5.14), "" otherwise.
func cgroupBase() string {
	var fs unix.Statfs_t
	if unix.Statfs(supervise.CgroupMount, &fs) != nil || fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return ""
	}
	base := supervise.CgroupMount + "/" + supervise.CgroupSubtree
	if unix.Access(base+"/cgroup.kill", unix.W_OK) != nil {
		return ""
	}
	return base
}

// cgroupName is the name of v's cgroup below the subtree: the service's
// name (its folder's, for a runsv given a path), NAME.log for its log.
func (s *Supervisor) cgroupName(v *svc) string {
	name := filepath.Base(s.cfg.Name)
	if name == "." || name == "/" || name == ".." || name == "" {
		return ""
	}
	if v.islog {
		name += ".log"
	}
	return name
}

// enterCgroup prepares v's cgroup for the process about to start: it
// makes it, writes v's limits when ./run is about to start (limits),
// records its path in supervise/cgroup, and returns a descriptor of it
// for clone3, -1 when the process is to start without one (no subtree,
// or the cgroup cannot be made: a warning says so). The caller closes it.
//
// A cgroup that holds processes of somebody else is never joined: a
// supervisor of another service of the same name (under a temporary
// --root, say) must not share its limits nor its kill. Processes left
// there by this service's own previous process are this service's.
func (s *Supervisor) enterCgroup(v *svc, limits bool) int {
	if s.cgroupBase == "" || s.cgroupName(v) == "" {
		v.cgroup = ""
		unix.Unlinkat(s.dirfd, v.file(supervise.CgroupFile), 0)
		return -1
	}
	path := s.cgroupBase + "/" + s.cgroupName(v)
	if err := unix.Mkdir(path, 0o755); err != nil && err != unix.EEXIST {
		s.warn("unable to create cgroup "+path+", starting without", err)
		v.cgroup = ""
		unix.Unlinkat(s.dirfd, v.file(supervise.CgroupFile), 0)
		return -1
	} else if err == unix.EEXIST && v.cgroup != path && populated(path) {
		s.warnx("cgroup " + path + " holds processes of another supervisor, starting without")
		v.cgroup = ""
		unix.Unlinkat(s.dirfd, v.file(supervise.CgroupFile), 0)
		return -1
	}
	v.cgroup = ""
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		s.warn("unable to open cgroup "+path+", starting without", err)
		unix.Unlinkat(s.dirfd, v.file(supervise.CgroupFile), 0)
		return -1
	}
	if limits {
		s.writeLimits(v, path)
	}
	if err := supervise.WriteState(s.dirfd, v.dir(), supervise.CgroupFile, []byte(path+"\n")); err != nil {
		s.warnState(err)
	}
	v.cgroup = path
	return fd
}

// writeLimits copies the files of v's cgroup/ folder to the cgroup path,
// enabling the controller a file belongs to where it is not yet.
func (s *Supervisor) writeLimits(v *svc, path string) {
	dir := v.prefix + supervise.CgroupLimitsDir
	fd, err := unix.Openat(s.dirfd, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if err != unix.ENOENT {
			s.warn("unable to open "+dir, err)
		}
		return
	}
	f := os.NewFile(uintptr(fd), dir)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		s.warn("unable to read "+dir, err)
		return
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(supervise.CgroupLimitFiles, name) {
			s.warnx("ignoring " + dir + "/" + name + ": not one of " + strings.Join(supervise.CgroupLimitFiles, ", "))
			continue
		}
		b, ok := s.readStopFile(v, supervise.CgroupLimitsDir+"/"+name)
		if !ok {
			continue
		}
		val := bytes.TrimSpace(b)
		err := writeFile(path+"/"+name, val)
		if err == unix.ENOENT {
			// The controller is not enabled for the subtree yet.
			controller, _, _ := strings.Cut(name, ".")
			enable(filepath.Dir(s.cgroupBase), controller)
			enable(s.cgroupBase, controller)
			err = writeFile(path+"/"+name, val)
		}
		if err != nil {
			s.warn("unable to write "+string(val)+" to "+path+"/"+name, err)
		}
	}
}

// populated tells whether the cgroup path holds a process.
func populated(path string) bool {
	b, err := os.ReadFile(path + "/cgroup.procs")
	return err != nil || len(bytes.TrimSpace(b)) > 0
}

// inheritCgroup gives a process taken over from an earlier supervisor the
// cgroup supervise/cgroup names, when the process is in it, so that its
// stop escalation kills the cgroup as the earlier supervisor's would have.
func (s *Supervisor) inheritCgroup(v *svc) {
	if s.cgroupBase == "" || v.pid == 0 {
		return
	}
	b, ok := s.readStopFile(v, supervise.Path("", supervise.CgroupFile))
	if !ok {
		return
	}
	path := strings.TrimSpace(string(b))
	rel, ok := strings.CutPrefix(path, supervise.CgroupMount)
	if !ok || !strings.HasPrefix(path, s.cgroupBase+"/") {
		return
	}
	own, err := os.ReadFile("/proc/" + strconv.Itoa(v.pid) + "/cgroup")
	if err == nil && strings.TrimSpace(string(own)) == "0::"+rel {
		v.cgroup = path
	}
}

// enable turns controller on for the children of cgroup dir.
func enable(dir, controller string) {
	writeFile(dir+"/cgroup.subtree_control", []byte("+"+controller))
}

func writeFile(path string, b []byte) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	_, err = unix.Write(fd, b)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}

// killCgroup kills every process of v's cgroup, where it has one.
func (s *Supervisor) killCgroup(v *svc) {
	if v.cgroup == "" {
		return
	}
	if err := writeFile(v.cgroup+"/cgroup.kill", []byte("1")); err != nil {
		s.warn("unable to kill cgroup "+v.cgroup, err)
	}
}
