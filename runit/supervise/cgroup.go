package supervise

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Containment, beyond runit (docs/runsv.md). Where the machine's boot has
// made CgroupSubtree in a cgroup v2 hierarchy mounted at CgroupMount, our
// supervisors run each service in a cgroup of its own below it, write the
// limits of its service directory's CgroupLimitsDir there, and kill the
// whole cgroup when a stop escalates. Nothing else creates the subtree, so
// supervisors under a temporary --root, in a container without it or on a
// host with other plans for its cgroups never touch them.
const (
	// CgroupMount is where cgroup v2 must be mounted.
	CgroupMount = "/sys/fs/cgroup"
	// CgroupSubtree is the folder below CgroupMount that holds one
	// cgroup per service: NAME, and NAME.log for its log service.
	CgroupSubtree = "sysconf"
	// CgroupFile, in a supervise directory, holds the path of the cgroup
	// of the service's current process (one line); absent when the
	// service runs without one.
	CgroupFile = "cgroup"
	// CgroupLimitsDir is a folder of a service directory whose files
	// are written, at each start, to the same-named files of the
	// service's cgroup: one of CgroupLimitFiles each.
	CgroupLimitsDir = "cgroup"
)

// CgroupLimitFiles are the files of CgroupLimitsDir a supervisor writes;
// any other is ignored with a warning.
var CgroupLimitFiles = []string{"memory.max", "memory.high", "pids.max", "cpu.weight", "cpu.max"}

// CgroupUsage is what a service's cgroup says of what it uses.
type CgroupUsage struct {
	Path   string // the cgroup
	Memory int64  // bytes, memory.current; -1 when unknown
	Tasks  int64  // pids.current, else the lines of cgroup.procs; -1 when unknown
}

// ReadCgroupUsage reads the CgroupFile of the service directory svdir and
// the usage of the cgroup it names; ok is false when the service has no
// cgroup.
func ReadCgroupUsage(svdir string) (u CgroupUsage, ok bool) {
	b, err := os.ReadFile(Path(svdir, CgroupFile))
	if err != nil {
		return CgroupUsage{}, false
	}
	u.Path = strings.TrimSpace(string(b))
	if !strings.HasPrefix(u.Path, CgroupMount+"/"+CgroupSubtree+"/") {
		return CgroupUsage{}, false
	}
	u.Memory, u.Tasks = readInt(u.Path+"/memory.current"), readInt(u.Path+"/pids.current")
	if u.Tasks < 0 {
		if procs, err := os.ReadFile(u.Path + "/cgroup.procs"); err == nil {
			u.Tasks = int64(bytes.Count(procs, []byte("\n")))
		}
	}
	return u, true
}

func readInt(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
