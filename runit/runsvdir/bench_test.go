package runsvdir_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/testenv"
	"sysconf/runit/supervise"
)

// The benchmarks run ours and Debian's runsvdir+runsv on the same shape of
// tree in one run and print ours/runit ratios (make bench). Services are
// "exec sleep 3600"; their memory is not counted.

type tree struct {
	dir      string
	names    []string
	runsvdir int
	ours     bool
}

func makeServices(b *testing.B, dir string, n int) []string {
	b.Helper()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("s%05d", i)
		sd := filepath.Join(dir, names[i])
		if err := os.MkdirAll(sd, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sd, "run"), []byte("#!/bin/sh\nexec sleep 3600\n"), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	return names
}

// startTree starts ours or Debian's runsvdir on dir in a process group that
// the cleanup kills (runsvdir, supervisors and services alike).
func startTree(b *testing.B, ours bool, dir string, names []string) *tree {
	b.Helper()
	prog := testenv.DebianRunit(b, "runsvdir")
	if ours {
		prog = testenv.Tool(b, "runsvdir")
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	cmd := exec.Command(prog, dir)
	cmd.Stdout, cmd.Stderr = devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Debian's runsvdir finds runsv through PATH.
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin")
	p := testenv.Start(b, cmd)
	pgid := p.PID()
	b.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	return &tree{dir: dir, names: names, runsvdir: p.PID(), ours: ours}
}

// waitRun waits until every service reports run.
func (tr *tree) waitRun(b *testing.B, d time.Duration) {
	b.Helper()
	deadline := time.Now().Add(d)
	pending := append([]string(nil), tr.names...)
	for len(pending) > 0 {
		left := pending[:0]
		for _, n := range pending {
			st, err := supervise.ReadStatusFile(filepath.Join(tr.dir, n))
			if err != nil || st.State != supervise.StateRun || st.PID == 0 {
				left = append(left, n)
			}
		}
		pending = left
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d services not running after %v", len(pending), len(tr.names), d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// mem sums the PSS and the page tables (kB) of runsvdir and its supervisor
// processes: a successor host if any for ours, every runsv child for
// Debian's. Services are not counted.
func (tr *tree) mem(b *testing.B) (kB int, procs int) {
	b.Helper()
	pids := []int{tr.runsvdir}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) < 2 || f[1] != strconv.Itoa(tr.runsvdir) {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.HasPrefix(string(cmd), "runsvdir-host\x00") || strings.HasPrefix(string(cmd), "runsv\x00") {
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		kB += procKB(b, fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
		kB += procKB(b, fmt.Sprintf("/proc/%d/status", pid), "VmPTE:")
	}
	return kB, len(pids)
}

// procKB returns the kB figure of the line starting with field in a /proc file.
func procKB(b *testing.B, path, field string) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func report(b *testing.B, what string, ours, runit float64, unit string) {
	ratio := ours / runit
	b.ReportMetric(ours, "ours-"+unit)
	b.ReportMetric(runit, "runit-"+unit)
	b.ReportMetric(ratio, "ours/runit")
	fmt.Printf("runsvdir %s: ours %.3f %s, runit %.3f %s, ours/runit %.3f\n", what, ours, unit, runit, unit, ratio)
}

// BenchmarkMemory is the memory rows: PSS plus page tables of the
// supervision processes (runsvdir and its supervisors, not the services) at
// each size, ours and Debian's in one run.
func BenchmarkMemory(b *testing.B) {
	for _, n := range []int{10, 20, 50, 100, 500} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			var total [2]float64
			for i, ours := range []bool{true, false} {
				dir := b.TempDir()
				tr := startTree(b, ours, dir, makeServices(b, dir, n))
				tr.waitRun(b, 60*time.Second)
				// Not a wait for an event: the host gives the garbage of a
				// burst of starts back 500 ms after the last one, and the
				// memory is measured once that is done.
				time.Sleep(time.Second)
				kB, procs := tr.mem(b)
				total[i] = float64(kB) / 1000
				fmt.Printf("runsvdir memory, %s, %d services: %d kB PSS+page tables in %d processes\n", map[bool]string{true: "ours", false: "runit"}[ours], n, kB, procs)
			}
			report(b, fmt.Sprintf("memory at %d services", n), total[0], total[1], "MB")
		})
	}
	kB := idleGoFloor(b)
	b.ReportMetric(float64(kB)/1000, "go-floor-MB")
	fmt.Printf("runsvdir memory floor: a Go program that only waits for a signal, %d kB PSS+page tables\n", kB)
}

// idleGoFloor starts a Go program that does nothing but wait for SIGTERM
// (built here, as small as Go makes it) and returns its PSS plus page
// tables in kB, once its start-up is a second past: what any Go
// supervision process costs before it supervises anything.
func idleGoFloor(b *testing.B) int {
	dir := b.TempDir()
	src := "package main\n\nimport (\n\t\"os\"\n\t\"os/signal\"\n\t\"syscall\"\n)\n\nfunc main() {\n\tc := make(chan os.Signal, 1)\n\tsignal.Notify(c, syscall.SIGTERM)\n\t<-c\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module idle\n\ngo 1.22\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "idle", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build idle: %v\n%s", err, out)
	}
	p := testenv.Start(b, exec.Command(filepath.Join(dir, "idle")))
	time.Sleep(time.Second) // not a wait for an event: past the runtime's start-up
	pid := p.PID()
	return procKB(b, fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:") + procKB(b, fmt.Sprintf("/proc/%d/status", pid), "VmPTE:")
}

func BenchmarkPickup100(b *testing.B) {
	pickup(b, "")
}

// BenchmarkPickup100Tmpfs is BenchmarkPickup100 with every supervise/ a
// symlink into a tmpfs folder, as on a booted machine, where supervise
// state lives in /run/runit/supervise.<name> (DESIGN.md's layouts). On the
// disk the other benchmarks use, creating the files of runit's status
// protocol is most of the pickup (docs/benchmarks.md).
func BenchmarkPickup100Tmpfs(b *testing.B) {
	var fs unix.Statfs_t
	if unix.Statfs("/dev/shm", &fs) != nil || fs.Type != unix.TMPFS_MAGIC {
		b.Skip("no tmpfs at /dev/shm")
	}
	pickup(b, "/dev/shm")
}

// pickup times 100 services linked into an idle tree until all run, ours
// then Debian's, and the two floors. With shm set, supervise/ of each
// service is a symlink to a folder made below shm.
func pickup(b *testing.B, shm string) {
	var took [2]float64
	for i, ours := range []bool{true, false} {
		root := b.TempDir()
		dir := filepath.Join(root, "service")
		os.Mkdir(dir, 0o755)
		store := filepath.Join(root, "store")
		names := makeServices(b, store, 100)
		if shm != "" {
			linkSupervise(b, shm, store, names)
		}
		tr := startTree(b, ours, dir, names)
		// Not a wait for an event: the pickup is timed from an idle tree,
		// past the first scan and the rescan a second later.
		time.Sleep(1500 * time.Millisecond)
		t0 := time.Now()
		for _, n := range names {
			if err := os.Symlink(filepath.Join(store, n), filepath.Join(dir, n)); err != nil {
				b.Fatal(err)
			}
		}
		tr.waitRun(b, 30*time.Second)
		took[i] = time.Since(t0).Seconds()
	}
	where := ""
	if shm != "" {
		where = ", supervise/ on tmpfs"
	}
	report(b, "pickup of 100 new services"+where, took[0], took[1], "s")
	floor := execFloor(b, 100, "", false)
	b.ReportMetric(floor, "floor-s")
	proto := execFloor(b, 100, shm, true)
	b.ReportMetric(proto, "protocol-floor-s")
	fmt.Printf("runsvdir pickup floor%s: 100 concurrent fork+exec of the same ./run from one Go process %.3f s, ours/floor %.2f; with runit's supervise/ files per start %.3f s, ours/floor %.2f\n", where, floor, took[0]/floor, proto, took[0]/proto)
}

// linkSupervise makes supervise/ of each service a symlink to a fresh
// folder below shm, removed at the end.
func linkSupervise(b *testing.B, shm, store string, names []string) {
	b.Helper()
	state, err := os.MkdirTemp(shm, "pickup")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(state) })
	for _, n := range names {
		if err := os.Symlink(filepath.Join(state, "supervise."+n), filepath.Join(store, n, "supervise")); err != nil {
			b.Fatal(err)
		}
	}
}

// execFloor times n concurrent syscall.ForkExec of a fresh service's
// ./run (#!/bin/sh, exec sleep) from this Go process, which is what any Go
// supervisor host pays to start them: each start waits until its vforked
// child has exec'd, so the exec cost of the machine sets the pace. The
// processes are killed and reaped by PID.
//
// With files set, each start also does what runit's order of supervise/
// files requires of any supervisor (spec/runit.md §2.2, §1.5), with direct
// system calls and nothing else: mkdir supervise, open and flock lock,
// mkfifo and open control, the first status update (pid, stat, status,
// each written to a .new file and renamed), the ok link, and after the
// fork the second update. That is the floor for a runit-compatible
// pickup; shm, if set, holds supervise/ as in BenchmarkPickup100Tmpfs.
func execFloor(b *testing.B, n int, shm string, files bool) float64 {
	b.Helper()
	store := b.TempDir()
	names := makeServices(b, store, n)
	if shm != "" {
		linkSupervise(b, shm, store, names)
	}
	pids := make(chan int, n)
	errs := make(chan error, n)
	t0 := time.Now()
	for _, name := range names {
		go func() {
			dir := filepath.Join(store, name)
			var fds []int
			defer func() {
				for _, fd := range fds {
					unix.Close(fd)
				}
			}()
			if files {
				var err error
				if fds, err = protocolOpen(dir); err != nil {
					errs <- err
					return
				}
			}
			pid, err := syscall.ForkExec("./run", []string{"./run"}, &syscall.ProcAttr{
				Dir: dir, Env: os.Environ(),
				Sys: &syscall.SysProcAttr{Setsid: true}})
			if err != nil {
				errs <- err
				return
			}
			if files {
				if err := protocolUpdate(dir, pid); err != nil {
					errs <- err
				}
			}
			pids <- pid
		}()
	}
	var err error
	for range names {
		select {
		case pid := <-pids:
			b.Cleanup(func() {
				syscall.Kill(pid, syscall.SIGKILL)
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
			})
		case err = <-errs:
		}
	}
	took := time.Since(t0)
	if err != nil {
		b.Fatalf("fork+exec of ./run: %v", err)
	}
	return took.Seconds()
}

// protocolOpen is runsv's start-up on dir's supervise/ in direct system
// calls; it returns the descriptors it keeps open (lock, control, ok).
func protocolOpen(dir string) ([]int, error) {
	sv := filepath.Join(dir, "supervise")
	if err := unix.Mkdir(sv, 0o700); err != nil {
		// A symlink to a folder yet to be made, as runsv handles it.
		target, lerr := os.Readlink(sv)
		if lerr != nil {
			return nil, err
		}
		if err := unix.Mkdir(target, 0o700); err != nil {
			return nil, err
		}
	}
	var fds []int
	lock, err := unix.Open(sv+"/lock", unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fds, err
	}
	fds = append(fds, lock)
	if err := unix.Flock(lock, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fds, err
	}
	if err := unix.Mkfifo(sv+"/control", 0o600); err != nil {
		return fds, err
	}
	ctl, err := unix.Open(sv+"/control", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fds, err
	}
	fds = append(fds, ctl)
	if err := protocolUpdate(dir, 0); err != nil {
		return fds, err
	}
	if err := unix.Link(sv+"/control", sv+"/ok"); err != nil {
		return fds, err
	}
	return fds, nil
}

// protocolUpdate is one status update: pid, stat and status, each a .new
// file renamed over the old one (runit's update_status).
func protocolUpdate(dir string, pid int) error {
	st := supervise.Status{PID: pid, Want: supervise.WantUp}
	pidLine, stat := "", "down\n"
	if pid != 0 {
		st.State = supervise.StateRun
		pidLine, stat = strconv.Itoa(pid)+"\n", "run\n"
	}
	rec, _ := st.MarshalBinary()
	for _, f := range []struct {
		name string
		data []byte
	}{{"pid", []byte(pidLine)}, {"stat", []byte(stat)}, {"status", rec}} {
		// unix, not os: os.WriteFile adds an fstat, os.Rename an lstat.
		p := filepath.Join(dir, "supervise", f.name)
		fd, err := unix.Open(p+".new", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_TRUNC|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return err
		}
		_, err = unix.Write(fd, f.data)
		unix.Close(fd)
		if err != nil {
			return err
		}
		if err := unix.Rename(p+".new", p); err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkColdStart500(b *testing.B) {
	var took [2]float64
	for i, ours := range []bool{true, false} {
		dir := b.TempDir()
		names := makeServices(b, dir, 500)
		t0 := time.Now()
		tr := startTree(b, ours, dir, names)
		tr.waitRun(b, 60*time.Second)
		took[i] = time.Since(t0).Seconds()
	}
	report(b, "cold start of 500", took[0], took[1], "s")
}

func BenchmarkSvStatus500(b *testing.B) {
	var took [2]float64
	for i, ours := range []bool{true, false} {
		dir := b.TempDir()
		names := makeServices(b, dir, 500)
		tr := startTree(b, ours, dir, names)
		tr.waitRun(b, 60*time.Second)
		sv := testenv.DebianRunit(b, "sv")
		if ours {
			sv = testenv.Tool(b, "sv")
		}
		args := []string{"status"}
		for _, n := range names {
			args = append(args, filepath.Join(dir, n))
		}
		const rounds = 5
		t0 := time.Now()
		for range rounds {
			out, err := exec.Command(sv, args...).Output()
			if err != nil || strings.Count(string(out), "run: ") != 500 {
				b.Fatalf("%s status: %v\n%.300s", sv, err, out)
			}
		}
		took[i] = time.Since(t0).Seconds() / rounds
	}
	report(b, "sv status over 500", took[0], took[1], "s")
}

// BenchmarkScale5000 is ours only: runit's runsvdir stops at 1,000. One
// host needs about four descriptors per service; where RLIMIT_NOFILE's hard
// limit is below that and cannot be raised (an unprivileged container), it
// reports how many came up instead of failing.
func BenchmarkScale5000(b *testing.B) {
	const n = 5000
	dir := b.TempDir()
	names := makeServices(b, dir, n)
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	capped := lim.Max < n*5 && syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Cur, Max: n * 10}) != nil
	t0 := time.Now()
	tr := startTree(b, true, dir, names)
	deadline := t0.Add(120 * time.Second)
	up, lastGrow := 0, t0
	for time.Now().Before(deadline) {
		count := 0
		for _, name := range names {
			if st, err := supervise.ReadStatusFile(filepath.Join(dir, name)); err == nil && st.State == supervise.StateRun {
				count++
			}
		}
		if count > up {
			up, lastGrow = count, time.Now()
		}
		// Done, or stuck for 30 s (a descriptor cap).
		if up == n || time.Since(lastGrow) > 30*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := lastGrow.Sub(t0).Seconds()
	time.Sleep(time.Second) // the host's garbage trim, as in BenchmarkMemory

	kB, procs := tr.mem(b)
	b.ReportMetric(float64(up), "running")
	b.ReportMetric(took, "cold-start-s")
	b.ReportMetric(float64(kB)/float64(max(up, 1)), "kB/service")
	fmt.Printf("runsvdir scale, ours, %d services: %d running after %.2f s, %d kB PSS in %d processes (%.1f kB/service), RLIMIT_NOFILE hard %d%s\n",
		n, up, took, kB, procs, float64(kB)/float64(max(up, 1)), lim.Max, map[bool]string{true: " (cannot be raised here)", false: ""}[capped])
	if up < n && !capped {
		b.Errorf("only %d of %d services running", up, n)
	}
}
