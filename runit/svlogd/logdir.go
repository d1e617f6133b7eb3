package svlogd

import (
	"errors"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/runit/supervise"
)

// physMax is how many bytes a log directory gathers before it writes them to
// current in one write(2). runit writes after every line; the files come out
// the same because rotation is decided on runit's own chunk boundaries (see
// logdir.pwrite), not on when the bytes reach the disk.
const physMax = 128 << 10

// djbOutSize is BUFFER_OUTSIZE of djb's buffer_put: the chunk in which data
// larger than the buffer is written past it.
const djbOutSize = 8192

// logdir is one log directory given on the command line.
type logdir struct {
	l    *logger
	name string // as given on the command line
	fd   int    // the directory, -1 while closed
	lock int
	cur  int // current, opened for appending
	cfg  config

	// size is what runit's size would be: the bytes handed to current,
	// whether or not they have reached the disk yet.
	size uint64
	// out holds bytes not yet written to current. out[:commit] has passed
	// runit's write routine (pwrite) and is counted in size; out[commit:] is
	// what still sits in runit's BUFLEN-byte buffer.
	out    []byte
	commit int

	trotate  time.Time // next t rotation
	fnsave   string    // name of the last rotated file (the processor's input)
	proc     *processor
	match    byte // '+' or '-': log the current line
	matcherr byte // 'e' or 'E': copy the current line to stderr
}

func (d *logdir) isOpen() bool { return d.fd != -1 }

// open opens the directory as runit's logdir_open does (§6.3): lock, config,
// an unclean current renamed to .u, current opened for appending.
func (d *logdir) open(now time.Time) bool {
	l := d.l
	fd, err := unix.Open(d.name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		l.warn2("unable to open log directory", d.name, err)
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		unix.Close(fd)
		l.info("close: ", d.name)
		l.warn2("unable to change directory", d.name, unix.ENOTDIR)
		return false
	}
	lock, err := unix.Openat(fd, "lock", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0600)
	if err == nil {
		if err = unix.Flock(lock, unix.LOCK_EX|unix.LOCK_NB); err != nil {
			unix.Close(lock)
		}
	}
	if err != nil {
		unix.Close(fd)
		l.info("close: ", d.name)
		l.warn2("unable to lock directory", d.name, err)
		return false
	}
	d.fd, d.lock = fd, lock
	d.size = 0
	d.proc = nil
	d.match = '+'
	d.matcherr = 'E'
	d.cfg = defaultConfig()

	data, err := readFileAt(fd, "config")
	switch {
	case err == nil:
		l.info("read: ", d.name, "/config")
		d.cfg = parseConfig(data, func(m0, m1 string) { l.warnx(m0, m1) })
	case !errors.Is(err, unix.ENOENT):
		l.warn2("unable to read config", d.name, err)
	}
	if d.cfg.tmax > 0 {
		d.trotate = now.Add(time.Duration(d.cfg.tmax) * time.Second)
	}

	appended := false
	err = unix.Fstatat(fd, "current", &st, 0)
	switch {
	case err == nil && st.Size > 0 && st.Mode&unix.S_IXUSR == 0:
		// svlogd died without closing current: keep it as an old file.
		d.fnsave = d.freshName('u')
		for {
			err := unix.Renameat(fd, "current", fd, d.fnsave)
			if err == nil {
				break
			}
			l.pause2("unable to rename current", d.name, err)
		}
		d.rmoldest()
	case err == nil:
		d.size = uint64(st.Size)
		appended = true
	case !errors.Is(err, unix.ENOENT):
		d.closeFds()
		l.info("close: ", d.name)
		l.warn2("unable to stat current", d.name, err)
		return false
	}
	d.openCurrent("unable to open current")
	if appended {
		l.info("append: ", d.name, "/current")
	} else {
		l.info("new: ", d.name, "/current")
	}
	return true
}

// openCurrent opens current for appending (created 0600, then made 0644),
// retrying every 3 seconds until it works.
func (d *logdir) openCurrent(what string) {
	for {
		cur, err := unix.Openat(d.fd, "current", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0600)
		if err == nil {
			d.cur = cur
			break
		}
		d.l.pause2(what, d.name, err)
	}
	for {
		err := unix.Fchmod(d.cur, 0644)
		if err == nil {
			break
		}
		d.l.pause2("unable to set mode of current", d.name, err)
	}
}

func (d *logdir) closeFds() {
	unix.Close(d.fd)
	unix.Close(d.lock)
	d.fd, d.lock = -1, -1
}

// close flushes current, marks it complete (mode 0744) and releases the
// directory (logdir_close).
func (d *logdir) close() {
	if !d.isOpen() {
		return
	}
	d.l.info("close: ", d.name)
	d.flush()
	d.writeOut()
	d.syncAndSeal()
	unix.Close(d.cur)
	d.cur = -1
	d.closeFds()
	d.cfg.processor = ""
}

// syncAndSeal fsyncs current and sets its owner-x bit, the mark of a
// complete file.
func (d *logdir) syncAndSeal() {
	for {
		err := unix.Fsync(d.cur)
		if err == nil || errors.Is(err, unix.EINVAL) {
			break
		}
		d.l.pause2("unable to fsync current logfile", d.name, err)
	}
	for {
		err := unix.Fchmod(d.cur, 0744)
		if err == nil {
			break
		}
		d.l.pause2("unable to set mode of current", d.name, err)
	}
}

// freshName returns "@<TAI64N>.<suffix>" for a name not yet in the
// directory, taking new time stamps until one is free.
func (d *logdir) freshName(suffix byte) string {
	var st unix.Stat_t
	for {
		name := supervise.Now().Label() + "." + string(suffix)
		if err := unix.Fstatat(d.fd, name, &st, 0); errors.Is(err, unix.ENOENT) {
			return name
		}
	}
}

// put appends b as djb's buffer_put does to a buffer of BUFLEN bytes: what
// does not fit makes the buffer go out first, and data longer than the
// buffer goes straight through pwrite in chunks of max(BUFLEN, 8192).
func (d *logdir) put(b []byte) {
	n := d.l.buflen
	if len(b) <= n-(len(d.out)-d.commit) {
		d.out = append(d.out, b...)
		return
	}
	d.flush()
	m := max(n, djbOutSize)
	for len(b) > n {
		m = min(m, len(b))
		d.out = append(d.out, b[:m]...)
		d.allwrite(m)
		b = b[m:]
	}
	d.out = append(d.out, b...)
}

// putBytes appends b byte by byte as buffer_PUTC does: a full buffer goes
// out when the next byte comes.
func (d *logdir) putBytes(b []byte) {
	n := d.l.buflen
	for len(b) > 0 {
		space := n - (len(d.out) - d.commit)
		if space <= 0 {
			d.flush()
			space = n
		}
		k := min(space, len(b))
		d.out = append(d.out, b[:k]...)
		b = b[k:]
	}
}

// flush is buffer_flush: the buffered bytes go through pwrite.
func (d *logdir) flush() {
	if p := len(d.out) - d.commit; p > 0 {
		d.allwrite(p)
	}
}

// allwrite hands the k bytes at out[commit:] to pwrite until it took them
// all, then writes to the disk once enough has gathered.
func (d *logdir) allwrite(k int) {
	for k > 0 {
		k -= d.pwrite(k)
	}
	if d.commit >= physMax {
		d.writeOut()
	}
}

// pwrite is runit's buffer_pwrite for the k bytes at out[commit:], except
// that the bytes are only marked as written (commit) and reach the disk
// later in one write: rotate first if current is full, cut the chunk to what
// fits, and rotate after a chunk that ends a line within LEN of the size
// limit. So files end where runit's end, byte for byte.
func (d *logdir) pwrite(k int) int {
	lim := d.cfg.size
	if lim > 0 {
		if d.size >= lim {
			d.rotate()
		}
		if room := lim - d.size; uint64(k) > room && room > 0 {
			k = int(room)
		}
	}
	d.commit += k
	d.size += uint64(k)
	linemax := uint64(d.l.linemax)
	if lim > 0 && d.out[d.commit-1] == '\n' && lim >= linemax && d.size >= lim-linemax {
		d.rotate()
	}
	return k
}

// writeOut writes out[:commit] to current. A full disk makes it delete the
// oldest old file while more than N are left (if N < n); any other failure
// pauses 3 seconds and tries again, for ever: no byte is dropped.
func (d *logdir) writeOut() {
	b := d.out[:d.commit]
	for len(b) > 0 {
		n, err := unix.Write(d.cur, b)
		if n > 0 {
			b = b[n:]
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == nil {
			err = unix.EIO
		}
		if err == unix.ENOSPC && d.cfg.nmin < d.cfg.nmax && d.deleteForSpace() {
			continue
		}
		d.l.pause2("unable to write to current", d.name, err)
	}
	rest := copy(d.out, d.out[d.commit:])
	d.out = d.out[:rest]
	d.commit = 0
}

// deleteForSpace is the N rule: with more than N old files (of any
// suffix), delete the oldest. It reports whether one was deleted.
func (d *logdir) deleteForSpace() bool {
	names, err := d.oldNames()
	if err != nil {
		d.l.warn2("unable to read directory, want remove old logfile", d.name, err)
	}
	oldest := ""
	for _, n := range names {
		if oldest == "" || n < oldest {
			oldest = n
		}
	}
	if uint64(len(names)) <= d.cfg.nmin || oldest == "" {
		return false
	}
	d.l.warn("out of disk space, delete: ", d.name, "/", oldest)
	if err := unix.Unlinkat(d.fd, oldest, 0); err != nil {
		d.l.warn2("unable to unlink oldest logfile", d.name, err)
		return false
	}
	return true
}

// oldNames lists the names in the directory that are 27 bytes long and
// start with '@'.
func (d *logdir) oldNames() ([]string, error) {
	var names []string
	var err error
	for {
		var fd int
		fd, err = unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			f := os.NewFile(uintptr(fd), d.name)
			var all []string
			all, err = f.Readdirnames(-1)
			f.Close()
			for _, n := range all {
				if len(n) == 27 && n[0] == '@' {
					names = append(names, n)
				}
			}
			return names, err
		}
		d.l.pause2("unable to open directory, want rotate", d.name, err)
	}
}

// rmoldest is the n rule after a rotation (Debian's): delete processor
// leftovers (.t), ignore .u files, and if more than n others remain delete
// the oldest one (only one per rotation).
func (d *logdir) rmoldest() {
	names, err := d.oldNames()
	if err != nil {
		d.l.warn2("unable to read directory", d.name, err)
	}
	count := uint64(0)
	oldest := ""
	for _, n := range names {
		switch n[26] {
		case 't':
			if err := unix.Unlinkat(d.fd, n, 0); err != nil {
				d.l.warn2("unable to unlink processor leftover", n, err)
			}
		case 'u':
		default:
			count++
			if oldest == "" || n < oldest {
				oldest = n
			}
		}
	}
	if d.cfg.nmax > 0 && count > d.cfg.nmax {
		d.l.info("delete: ", d.name, "/", oldest)
		if err := unix.Unlinkat(d.fd, oldest, 0); err != nil {
			d.l.warn2("unable to unlink oldest logfile", d.name, err)
		}
	}
}

// rotate is runit's rotate (§6.6): wait for a running processor, then, if
// current is not empty, seal it, rename it to @<TAI64N>.s (.u with a
// processor), start a new current, prune and start the processor.
func (d *logdir) rotate() {
	if !d.isOpen() {
		d.cfg.tmax = 0
		return
	}
	for d.proc != nil {
		d.processorWait()
	}
	suffix := byte('s')
	if d.cfg.processor != "" {
		suffix = 'u'
	}
	d.fnsave = d.freshName(suffix)
	if now := time.Now(); d.cfg.tmax > 0 && d.trotate.Before(now) {
		d.trotate = now.Add(time.Duration(d.cfg.tmax) * time.Second)
	}
	if d.size == 0 {
		return
	}
	d.writeOut()
	d.syncAndSeal()
	unix.Close(d.cur)
	d.cur = -1
	d.l.info("rename: ", d.name, "/current ", d.fnsave, " ", strconv.FormatUint(d.size, 10))
	for {
		err := unix.Renameat(d.fd, "current", d.fd, d.fnsave)
		if err == nil {
			break
		}
		d.l.pause2("unable to rename current", d.name, err)
	}
	d.openCurrent("unable to create new current")
	d.size = 0
	d.rmoldest()
	d.processorStart()
}

// readFileAt reads a whole file relative to a directory descriptor.
func readFileAt(dirfd int, name string) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	return io.ReadAll(f)
}
