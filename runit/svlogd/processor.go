package svlogd

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// processor is a running !processor of a log directory. svlogd is its own
// process and its only children are processors, so each is waited for by
// os.Process.Wait (waitid on its pid) in a goroutine that reports the exit
// code on done and wakes the main loop; nothing else waits for children.
type processor struct {
	pid  int
	done chan int // runit's wait_exitcode: 0 when killed by a signal
}

// processorStart runs the processor on d.fnsave (an @….u file) as §6.8 of
// the spec says: fd 0 the .u file, fd 1 the .t file, fd 2 svlogd's stderr,
// fd 4 state (created empty if missing), fd 5 newstate; cwd the log
// directory; /bin/sh -c PROCESSOR with svlogd's environment. A file that
// cannot be opened, or a fork that fails, pauses 3 seconds and is retried
// (runit's child would die with exit 111 and be restarted at once).
func (d *logdir) processorStart() {
	if d.cfg.processor == "" {
		return
	}
	if d.proc != nil {
		d.l.warnx("processor already running", d.name)
		return
	}
	d.l.info("processing: ", d.name, "/", d.fnsave)
	tname := d.fnsave[:26] + "t"
	for {
		files, what, err := d.processorFiles(tname)
		if err != nil {
			d.l.pause2(what, d.name, err)
			continue
		}
		p, err := os.StartProcess("/bin/sh", []string{"sh", "-c", d.cfg.processor}, &os.ProcAttr{
			Dir:   d.name,
			Env:   os.Environ(),
			Files: files,
		})
		for _, f := range files {
			if f != nil && f != d.l.errFile {
				f.Close()
			}
		}
		if err != nil {
			d.l.pause2("unable to fork for processor", d.name, err)
			continue
		}
		pr := &processor{pid: p.Pid, done: make(chan int, 1)}
		d.proc = pr
		wake := d.l.wakeW
		d.l.waiters.Add(1)
		go func() {
			code := 0
			if st, err := p.Wait(); err == nil {
				if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Exited() {
					code = ws.ExitStatus()
				}
			} else {
				code = 111
			}
			// Report, then wake the loop (the other order could let the
			// loop look for done too early and sleep). svlogd waits for
			// this goroutine before it closes the pipe.
			pr.done <- code
			unix.Write(wake, []byte{0})
			d.l.waiters.Done()
		}()
		return
	}
}

// processorFiles opens the processor's descriptors.
func (d *logdir) processorFiles(tname string) ([]*os.File, string, error) {
	open := func(name string, flags int, mode uint32) (*os.File, error) {
		fd, err := unix.Openat(d.fd, name, flags|unix.O_CLOEXEC, mode)
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), name), nil
	}
	const rd = unix.O_RDONLY | unix.O_NONBLOCK
	const trunc = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_TRUNC | unix.O_CREAT
	var files []*os.File
	fail := func(what string, err error) ([]*os.File, string, error) {
		for _, f := range files {
			f.Close()
		}
		return nil, what, err
	}
	in, err := open(d.fnsave, rd, 0)
	if err != nil {
		return fail("unable to open input for processor", err)
	}
	files = append(files, in)
	out, err := open(tname, trunc, 0644)
	if err != nil {
		return fail("unable to open output for processor", err)
	}
	files = append(files, out)
	state, err := open("state", rd, 0)
	if err != nil && err == unix.ENOENT {
		var f *os.File
		if f, err = open("state", trunc, 0644); err == nil {
			f.Close()
			state, err = open("state", rd, 0)
		}
	}
	if err != nil {
		return fail("unable to open state for processor", err)
	}
	files = append(files, state)
	newstate, err := open("newstate", trunc, 0644)
	if err != nil {
		return fail("unable to open newstate for processor", err)
	}
	return []*os.File{in, out, d.l.errFile, nil, state, newstate}, "", nil
}

// processorWait blocks until the running processor exits and finishes it.
func (d *logdir) processorWait() {
	code := <-d.proc.done
	d.processorStop(code)
}

// processorStop finishes a processor that exited with code (runit's
// processorstop): on failure delete its .t and start it again on the same
// .u; on success .t becomes .s (mode 0744), the .u goes, newstate becomes
// state.
func (d *logdir) processorStop(code int) {
	d.proc = nil
	if !d.isOpen() {
		return
	}
	tname := d.fnsave[:26] + "t"
	if code != 0 {
		d.l.warnx("processor failed, restart", d.name)
		unix.Unlinkat(d.fd, tname, 0)
		d.processorStart()
		return
	}
	sname := d.fnsave[:26] + "s"
	for {
		err := unix.Renameat(d.fd, tname, d.fd, sname)
		if err == nil {
			break
		}
		d.l.pause2("unable to rename processed", d.name, err)
	}
	for {
		err := unix.Fchmodat(d.fd, sname, 0744, 0)
		if err == nil {
			break
		}
		d.l.pause2("unable to set mode of processed", d.name, err)
	}
	if err := unix.Unlinkat(d.fd, d.fnsave, 0); err != nil {
		d.l.warn("unable to unlink: ", d.name, "/", d.fnsave)
	}
	for {
		err := unix.Renameat(d.fd, "newstate", d.fd, "state")
		if err == nil {
			break
		}
		d.l.pause2("unable to rename state", d.name, err)
	}
	d.l.info("processed: ", d.name, "/", sname)
}
