package svlogd

import (
	"bytes"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/errtext"
	"sysconf/internal/sgetopt"
)

const (
	usageSynopsis = " [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n\n"
	version       = "$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $\n"
	// inMin is the least svlogd reads at once, whatever -b says: reading
	// more than BUFLEN changes nothing but the number of reads.
	inMin = 128 << 10
	// maxLen bounds -l and -b (runit would die "out of memory").
	maxLen = 1 << 30
)

// logger is one svlogd run.
type logger struct {
	stderr  io.Writer
	errFile *os.File // fd 2 of processors
	verbose bool
	stamps  *stamper // nil without -t
	linemax int
	buflen  int
	repl    bool
	table   [256]byte // byte replacement for -r/-R
	dirs    []*logdir
	sleep   func(time.Duration)

	in           int // standard input
	wakeR, wakeW int // self-pipe: signals and processor exits
	events       chan os.Signal
	waiters      sync.WaitGroup // processor waiters, which write to wakeW

	exitasap, rotateasap, reopenasap bool

	// The line being read.
	inLine bool     // a line has begun (its stamp is taken)
	tail   bool     // its first linemax bytes are done; the rest is copied
	head   []byte   // its first bytes, while the line spans reads
	stamp  [26]byte // its stamp
	msg    []byte   // scratch for stderr and udp copies
	// mem mirrors runit's line buffer, whose stale bytes its pattern
	// matching can read (see pmatch); kept only when a config has patterns.
	mem []byte
}

// Main runs svlogd. args[0] is the program name.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	l := &logger{stderr: stderr, linemax: 1000, buflen: 1024, sleep: time.Sleep}
	usage := func() int {
		io.WriteString(stderr, "usage: "+args[0]+usageSynopsis)
		return 111
	}
	var repl byte
	replace := ""
	timestamp := 0
	p := sgetopt.New(filepath.Base(args[0]), args[1:], "R:r:l:b:tvV", stderr)
	for {
		opt, arg, done := p.Next()
		if done {
			break
		}
		switch opt {
		case 'R':
			replace = arg
			if repl == 0 {
				repl = '_'
			}
		case 'r':
			if len(arg) != 1 || arg[0] == 0 {
				return usage()
			}
			repl = arg[0]
		case 'l':
			v, _ := scanUlong([]byte(arg))
			if v == 0 {
				v = 1000
			}
			l.linemax = int(min(v, maxLen))
		case 'b':
			v, _ := scanUlong([]byte(arg))
			if v == 0 {
				v = 1024
			}
			l.buflen = int(min(v, maxLen+1))
		case 't':
			timestamp = min(timestamp+1, stampISO)
		case 'v':
			l.verbose = true
		case 'V':
			io.WriteString(stderr, version)
			return usage()
		default:
			return usage()
		}
	}
	names := p.Rest()
	if len(names) == 0 || l.buflen <= l.linemax {
		return usage()
	}
	if timestamp != stampNone {
		l.stamps = newStamper(timestamp)
	}
	if repl != 0 {
		l.repl = true
		for c := range 256 {
			l.table[c] = byte(c)
			if int8(c) < 32 || c > 126 {
				l.table[c] = repl
			}
		}
		for i := 0; i < len(replace) && replace[i] != 0; i++ {
			l.table[replace[i]] = repl
		}
	}
	l.errFile = os.Stderr
	if f, ok := stderr.(*os.File); ok {
		l.errFile = f
	}
	for _, n := range names {
		l.dirs = append(l.dirs, &logdir{l: l, name: n, fd: -1, lock: -1, cur: -1})
	}
	l.head = make([]byte, 0, l.linemax)
	return l.run(stdin)
}

// run sets up input, signals and the self-pipe, then loops over input.
func (l *logger) run(stdin io.Reader) int {
	f, ok := stdin.(*os.File)
	if !ok {
		r, w, err := os.Pipe()
		if err != nil {
			l.fatal("unable to create pipe for standard input", err)
			return 111
		}
		defer r.Close()
		go func() {
			io.Copy(w, stdin)
			w.Close()
		}()
		f = r
	}
	rc, err := f.SyscallConn()
	if err != nil {
		l.fatal("unable to read standard input", err)
		return 111
	}
	rc.Control(func(fd uintptr) { l.in = int(fd) })
	unix.SetNonblock(l.in, true)

	var pfd [2]int
	if err := unix.Pipe2(pfd[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		l.fatal("unable to create selfpipe", err)
		return 111
	}
	l.wakeR, l.wakeW = pfd[0], pfd[1]
	defer unix.Close(l.wakeR)
	defer unix.Close(l.wakeW)
	defer l.waiters.Wait()

	sigs := make(chan os.Signal, 16)
	l.events = make(chan os.Signal, 64)
	forwarded := make(chan struct{})
	signal.Notify(sigs, unix.SIGTERM, unix.SIGHUP, unix.SIGALRM)
	go func() {
		defer close(forwarded)
		for s := range sigs {
			select {
			case l.events <- s:
			default: // a signal already pending: they coalesce
			}
			unix.Write(l.wakeW, []byte{0})
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(sigs)
		<-forwarded
	}()

	if !l.reopen() {
		return 111
	}
	buf := make([]byte, max(l.buflen, inMin))
	for {
		n, st := l.fill(buf)
		if st == readFatal {
			return 111
		}
		if st == readEOF {
			break
		}
		l.process(buf[:n])
	}
	if l.tail {
		l.endLine() // runit ends a long last line with a newline
	} else if l.inLine && len(l.head) > 0 {
		l.warn("discarding incomplete last line: ", string(l.head))
	}
	for _, d := range l.dirs {
		for d.proc != nil {
			d.processorWait()
		}
		d.close()
	}
	return 0
}

const (
	readData = iota
	readEOF
	readFatal
)

// fill is runit's buffer_pread: it writes out the directories' buffers,
// acts on signals (rotate, finish, reopen) and t deadlines, then waits for
// input and reads it. With SIGTERM pending it reads one byte at a time until
// the line in progress is complete, and then reports the end.
func (l *logger) fill(buf []byte) (int, int) {
	for {
		for _, d := range l.dirs {
			if d.isOpen() {
				d.flush()
				d.writeOut()
			}
		}
		l.drainEvents()
		if l.rotateasap {
			for _, d := range l.dirs {
				d.rotate()
			}
			l.rotateasap = false
		}
		want := len(buf)
		if l.exitasap {
			if !l.inLine {
				return 0, readEOF
			}
			want = 1
		}
		if l.reopenasap {
			l.reopenasap = false
			if !l.reopen() {
				return 0, readFatal
			}
		}
		now := time.Now()
		deadline := now.Add(2744 * time.Second)
		for _, d := range l.dirs {
			if d.isOpen() && d.cfg.tmax > 0 {
				if d.trotate.Before(now) {
					d.rotate()
				}
				if d.trotate.Before(deadline) {
					deadline = d.trotate
				}
			}
		}
		timeout := int((deadline.Sub(now) + time.Millisecond - 1) / time.Millisecond)
		fds := []unix.PollFd{{Fd: int32(l.in), Events: unix.POLLIN}, {Fd: int32(l.wakeR), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, max(timeout, 0)); err != nil {
			continue // EINTR
		}
		if fds[1].Revents != 0 {
			var junk [64]byte
			unix.Read(l.wakeR, junk[:])
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(l.in, buf[:want])
		switch {
		case n > 0:
			return n, readData
		case err == nil:
			return 0, readEOF
		case err == unix.EAGAIN || err == unix.EINTR:
			continue
		}
		l.warn("unable to read standard input: ", errtext.Text(err))
		return 0, readEOF
	}
}

// drainEvents takes in the signals and processor exits that arrived.
func (l *logger) drainEvents() {
	for {
		select {
		case s := <-l.events:
			switch s {
			case unix.SIGTERM:
				l.info("sigterm received.")
				l.exitasap = true
			case unix.SIGHUP:
				l.info("sighangup received.")
				l.reopenasap = true
			case unix.SIGALRM:
				l.info("sigalarm received.")
				l.rotateasap = true
			}
			continue
		default:
		}
		break
	}
	for _, d := range l.dirs {
		if d.proc == nil {
			continue
		}
		select {
		case code := <-d.proc.done:
			l.info("sigchild received.")
			d.processorStop(code)
		default:
		}
	}
}

// reopen closes and opens every directory (logdirs_reopen); false when
// none could be opened.
func (l *logger) reopen() bool {
	now := time.Now()
	ok := false
	for _, d := range l.dirs {
		for d.proc != nil {
			d.processorWait()
		}
		d.close()
		if d.open(now) {
			ok = true
		}
	}
	if !ok {
		io.WriteString(l.stderr, "svlogd: fatal: no functional log directories.\n")
	}
	return ok
}

// process splits freshly read input into lines.
func (l *logger) process(b []byte) {
	for len(b) > 0 {
		if l.tail {
			j := bytes.IndexByte(b, '\n')
			if j < 0 {
				l.tailBytes(b)
				return
			}
			l.tailBytes(b[:j])
			l.endLine()
			b = b[j+1:]
			continue
		}
		if !l.inLine {
			l.inLine = true
			if l.stamps != nil {
				l.stamp = [26]byte(l.stamps.stamp(time.Now()))
			}
		}
		need := l.linemax - len(l.head)
		seg := b
		if len(seg) > need {
			seg = seg[:need]
		}
		if j := bytes.IndexByte(seg, '\n'); j >= 0 {
			l.doHead(l.headOf(b[:j]), false)
			l.endLine()
			b = b[j+1:]
			continue
		}
		if len(b) >= need {
			l.doHead(l.headOf(b[:need]), true)
			l.tail = true
			b = b[need:]
			continue
		}
		l.head = l.appendReplaced(l.head, b)
		return
	}
}

// headOf returns the line's first bytes ending with part, replaced as -r
// and -R say.
func (l *logger) headOf(part []byte) []byte {
	if len(l.head) == 0 && !l.repl {
		return part
	}
	l.head = l.appendReplaced(l.head, part)
	return l.head
}

func (l *logger) appendReplaced(dst, b []byte) []byte {
	if !l.repl {
		return append(dst, b...)
	}
	for _, c := range b {
		dst = append(dst, l.table[c])
	}
	return dst
}

// doHead matches the line's first bytes against each directory's patterns
// and sends it to stderr, udp and the log buffers (the body of runit's
// main loop). full says the line reached linemax bytes.
func (l *logger) doHead(line []byte, full bool) {
	after := byte(0)
	if len(l.mem) > len(line) {
		after = l.mem[len(line)]
	}
	patterns := false
	for _, d := range l.dirs {
		if !d.isOpen() {
			continue
		}
		if len(d.cfg.patterns) > 0 {
			d.logmatch(line, after)
			patterns = true
		}
		if d.matcherr == 'e' {
			m := l.record(d, line, full)
			l.stderr.Write(m)
		}
		if d.match != '+' {
			continue
		}
		if d.cfg.udpPort != 0 {
			l.sendUDP(d, line, full)
		}
		if !d.cfg.udpOnly {
			if l.stamps != nil {
				d.put(l.stamp[:])
			}
			if len(d.cfg.prefix) > 0 {
				d.put(d.cfg.prefix)
			}
			d.put(line)
		}
	}
	if patterns {
		if l.mem == nil {
			l.mem = make([]byte, l.linemax)
		}
		copy(l.mem, line)
	}
}

// record builds [stamp][prefix]LINE[...]\n in l.msg.
func (l *logger) record(d *logdir, line []byte, full bool) []byte {
	m := l.msg[:0]
	if l.stamps != nil {
		m = append(m, l.stamp[:]...)
	}
	m = append(m, d.cfg.prefix...)
	m = append(m, line...)
	if full {
		m = append(m, "..."...)
	}
	m = append(m, '\n')
	l.msg = m
	return m
}

// sendUDP sends one line as a datagram from a fresh socket; when that
// fails the line goes into the log with a warning instead.
func (l *logger) sendUDP(d *logdir, line []byte, full bool) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		d.put([]byte("warning: no udp socket available: "))
		if l.stamps != nil {
			d.put(l.stamp[:])
		}
		d.put(d.cfg.prefix)
		d.put(line)
		d.put([]byte{'\n'})
		d.flush()
		return
	}
	m := l.record(d, line, full)
	if err := unix.Sendto(fd, m, 0, &unix.SockaddrInet4{Port: int(d.cfg.udpPort), Addr: d.cfg.udpAddr}); err != nil {
		d.put([]byte("warning: failure sending through udp: "))
		d.put(m)
		d.flush()
	}
	unix.Close(fd)
}

// tailBytes copies the bytes of a long line past linemax to the logs.
func (l *logger) tailBytes(b []byte) {
	for _, d := range l.dirs {
		if d.isOpen() && d.match == '+' && !d.cfg.udpOnly {
			d.putBytes(b)
		}
	}
}

// endLine ends the line in every log that took it.
func (l *logger) endLine() {
	nl := [1]byte{'\n'}
	for _, d := range l.dirs {
		if d.isOpen() && d.match == '+' && !d.cfg.udpOnly {
			d.putBytes(nl[:])
			d.flush()
		}
	}
	l.head = l.head[:0]
	l.inLine = false
	l.tail = false
}

// logmatch sets the directory's selections for line: all patterns in
// order, the last match winning.
func (d *logdir) logmatch(line []byte, after byte) {
	d.match = '+'
	d.matcherr = 'E'
	for _, p := range d.cfg.patterns {
		if !pmatch(p.pat, line, after) {
			continue
		}
		switch p.kind {
		case '+', '-':
			d.match = p.kind
		default:
			d.matcherr = p.kind
		}
	}
}

func (l *logger) warn(parts ...string) { l.say("svlogd: warning: ", parts) }

func (l *logger) warnx(m0, m1 string) { l.warn(m0, ": ", m1) }

func (l *logger) warn2(m0, m1 string, err error) { l.warn(m0, ": ", m1, ": ", errtext.Text(err)) }

func (l *logger) info(parts ...string) {
	if l.verbose {
		l.say("svlogd: info: ", parts)
	}
}

func (l *logger) fatal(m0 string, err error) {
	l.say("svlogd: fatal: ", []string{m0, ": ", errtext.Text(err)})
}

// pause2 reports a failing operation and waits 3 seconds before the caller
// tries it again.
func (l *logger) pause2(m0, m1 string, err error) {
	l.say("svlogd: pausing: ", []string{m0, ": ", m1, ": ", errtext.Text(err)})
	l.sleep(3 * time.Second)
}

// say writes one message in one write.
func (l *logger) say(kind string, parts []string) {
	b := []byte(kind)
	for _, p := range parts {
		b = append(b, p...)
	}
	b = append(b, '\n')
	l.stderr.Write(b)
}
