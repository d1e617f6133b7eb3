package runsvdir

import (
	"errors"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"sysconf/internal/hexbytes"
)

// The scanner and the host talk over a SOCK_SEQPACKET unix socket in the
// abstract namespace, one message per packet, fields separated by NUL:
//
//	scanner → host   hello            (carries the scanner's fd 2 as SCM_RIGHTS)
//	                 start DEV INO NAME PATH
//	                 exit DEV INO
//	                 hup
//	                 take DEV INO NAME PATH (start, keeping the wanted state
//	                                  in supervise/status: a handover)
//	                 sync             (answered by synced once every Open
//	                                  asked for so far has returned)
//	                 yield            (a successor answers yieldok, detaches
//	                                  its supervisors, sends held … for each
//	                                  and yielded with the listening socket,
//	                                  and exits; any other host answers stay)
//	host → scanner   have DEV INO NAME (a living supervisor, answer to hello)
//	                 ready            (end of the have list)
//	                 gone DEV INO     (that supervisor has exited)
const (
	msgHello  = "hello"
	msgStart  = "start"
	msgExit   = "exit"
	msgHup    = "hup"
	msgHave   = "have"
	msgReady  = "ready"
	msgGone   = "gone"
	msgTake   = "take"
	msgSync   = "sync"
	msgSynced = "synced"
	// A runsvdir that finds a successor host takes its supervisors back.
	msgYield   = "yield"   // to the host: hand over your supervisors
	msgStay    = "stay"    // not a successor: attach as usual
	msgYieldOK = "yieldok" // a successor's first answer: held and yielded follow
	msgHeld    = "held"    // held DEV INO NAME PATH EXITING(0|1)
	msgYielded = "yielded" // carries the listening socket; the host exits
)

// HostName is the program name the supervisor host runs under; cmd/runit
// maps it to HostMain.
const HostName = "runsvdir-host"

// key identifies a service directory, as runit's runsvdir does.
type key struct{ dev, ino uint64 }

func (k key) fields() []string {
	return []string{strconv.FormatUint(k.dev, 10), strconv.FormatUint(k.ino, 10)}
}

func parseKey(f []string) (key, error) {
	if len(f) < 2 {
		return key{}, errors.New("short message")
	}
	dev, err1 := strconv.ParseUint(f[0], 10, 64)
	ino, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return key{}, errors.New("bad device or inode")
	}
	return key{dev, ino}, nil
}

// socketName is the abstract socket address of the host for the absolute
// (lexical, symlinks not resolved) path of DIR: runsvchdir may swap what DIR
// resolves to, the host stays the same.
func socketName(absDir string) string {
	// FNV, not a cryptographic hash: the name needs no secrecy (both ends
	// check each other's uid), and crypto/sha256 would add its FIPS
	// self-test set-up to the start of every runit program.
	h := fnv.New128a()
	h.Write([]byte(absDir))
	return "@sysconf-runsvdir-" + hexbytes.Encode(h.Sum(nil))
}

func encode(fields ...string) []byte { return []byte(strings.Join(fields, "\x00")) }

func decode(b []byte) []string { return strings.Split(string(b), "\x00") }

// conn is one end of a scanner–host connection. Sends never block the
// caller: they queue, and a goroutine writes them in order, so neither side
// can deadlock the other by not reading.
type conn struct {
	fd   int
	rc   syscall.RawConn // fd through Go's poller: a blocked read holds no thread
	file *os.File        // owns fd once polled

	// The reader's buffers, made by its first recv: one reader per conn,
	// and a buffer per message would be 8 kB of garbage for each start.
	buf, oob []byte

	mu     sync.Mutex
	queue  [][]byte
	wake   chan struct{}
	closed bool
}

func newConn(fd int) *conn {
	c := &conn{fd: fd, wake: make(chan struct{}, 1)}
	c.poll()
	go c.writer()
	return c
}

// poll registers a non-blocking fd with Go's poller.
func (c *conn) poll() {
	if c.rc != nil {
		return
	}
	syscall.SetNonblock(c.fd, true)
	c.file = os.NewFile(uintptr(c.fd), "socket")
	if rc, err := c.file.SyscallConn(); err == nil {
		c.rc = rc
	}
}

func (c *conn) send(fields ...string) {
	c.mu.Lock()
	if !c.closed {
		c.queue = append(c.queue, encode(fields...))
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) writer() {
	for range c.wake {
		for {
			c.mu.Lock()
			if len(c.queue) == 0 || c.closed {
				c.mu.Unlock()
				break
			}
			m := c.queue[0]
			c.queue = c.queue[1:]
			c.mu.Unlock()
			if err := c.sendPacket(m); err != nil {
				return
			}
		}
	}
}

// flush waits until everything queued has been written (or the peer is
// gone), at most about one second.
func (c *conn) flush() {
	for range 1000 {
		c.mu.Lock()
		n := len(c.queue)
		c.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// recv reads one message; io errors and EOF end the connection. Only one
// goroutine reads a conn.
func (c *conn) recv() ([]string, int, error) {
	if c.buf == nil {
		c.buf, c.oob = make([]byte, 8192), make([]byte, syscall.CmsgSpace(4))
	}
	buf, oob := c.buf, c.oob
	for {
		var n, oobn int
		var err error
		if c.rc != nil {
			rerr := c.rc.Read(func(fd uintptr) bool {
				n, oobn, _, _, err = syscall.Recvmsg(int(fd), buf, oob, syscall.MSG_CMSG_CLOEXEC)
				return err != syscall.EAGAIN
			})
			if rerr != nil {
				err = rerr
			}
		} else {
			n, oobn, _, _, err = syscall.Recvmsg(c.fd, buf, oob, syscall.MSG_CMSG_CLOEXEC)
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, -1, err
		}
		if n == 0 && oobn == 0 {
			return nil, -1, errors.New("connection closed")
		}
		fd := -1
		if oobn > 0 {
			if msgs, err := syscall.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for _, m := range msgs {
					if fds, err := syscall.ParseUnixRights(&m); err == nil {
						for _, f := range fds {
							if fd < 0 {
								fd = f
							} else {
								syscall.Close(f)
							}
						}
					}
				}
			}
		}
		return decode(buf[:n]), fd, nil
	}
}

// closeFD releases the descriptor, after close.
func (c *conn) closeFD() {
	if c.file != nil {
		c.file.Close()
	} else {
		syscall.Close(c.fd)
	}
}

func (c *conn) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) sendPacket(m []byte) error {
	var err error
	if werr := c.rc.Write(func(fd uintptr) bool {
		err = syscall.Sendmsg(int(fd), m, nil, nil, syscall.MSG_NOSIGNAL)
		return err != syscall.EAGAIN
	}); werr != nil {
		return werr
	}
	return err
}

// sendPacketFD writes m with passFD attached (-1: none) through the
// poller, in order with the other direct writes (not with the queue).
func (c *conn) sendPacketFD(m []byte, passFD int) error {
	var oob []byte
	if passFD >= 0 {
		oob = syscall.UnixRights(passFD)
	}
	var err error
	if werr := c.rc.Write(func(fd uintptr) bool {
		err = syscall.Sendmsg(int(fd), m, oob, nil, syscall.MSG_NOSIGNAL)
		return err != syscall.EAGAIN
	}); werr != nil {
		return werr
	}
	return err
}

func sendPacket(fd int, m []byte, passFD int) error {
	var oob []byte
	if passFD >= 0 {
		oob = syscall.UnixRights(passFD)
	}
	for {
		err := syscall.Sendmsg(fd, m, oob, nil, syscall.MSG_NOSIGNAL)
		if err != syscall.EINTR {
			return err
		}
	}
}

func fstatat(dirfd int, name string, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(dirfd, name, st, 0)
		if err != syscall.EINTR {
			return err
		}
	}
}
