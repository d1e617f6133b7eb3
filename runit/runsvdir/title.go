package runsvdir

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

// title is runit's readproctitle: the LOG argument's bytes in the process's
// original argv memory, which ps and /proc/PID/cmdline show. The first five
// bytes stay; the rest is a window that scrolls left, one byte per byte read.
type title struct {
	mem  *os.File // /proc/self/mem, opened read-write
	addr int64    // address of the LOG argument in argv memory
	buf  []byte   // the LOG argument's current bytes
}

// openTitle locates the argument log (os.Args[index]) in the argv area
// given by /proc/self/stat's arg_start and arg_end.
func openTitle(index int, log string) (*title, error) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return nil, err
	}
	// Fields after the command name, which may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, errors.New("unexpected /proc/self/stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); arg_start and arg_end are fields 48 and 49.
	if len(f) < 47 {
		return nil, errors.New("unexpected /proc/self/stat")
	}
	start, err1 := strconv.ParseInt(f[45], 10, 64)
	end, err2 := strconv.ParseInt(f[46], 10, 64)
	if err1 != nil || err2 != nil || end <= start {
		return nil, errors.New("unexpected /proc/self/stat")
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	area := make([]byte, end-start)
	if _, err := mem.ReadAt(area, start); err != nil {
		mem.Close()
		return nil, err
	}
	args := bytes.Split(bytes.TrimSuffix(area, []byte{0}), []byte{0})
	if index >= len(args) || string(args[index]) != log {
		mem.Close()
		return nil, errors.New("argument not found in argv memory")
	}
	off := int64(0)
	for _, a := range args[:index] {
		off += int64(len(a)) + 1
	}
	return &title{mem: mem, addr: start + off, buf: []byte(log)}, nil
}

// feed scrolls b into the window, skipping NUL bytes, and writes it back.
func (t *title) feed(b []byte) {
	w := t.buf[5:]
	for _, c := range b {
		if c == 0 || len(w) == 0 {
			continue
		}
		copy(w, w[1:])
		w[len(w)-1] = c
	}
	// Best effort: nothing else can show a failure here.
	t.mem.WriteAt(t.buf, t.addr)
}
