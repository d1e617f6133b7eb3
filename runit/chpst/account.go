package chpst

import (
	"strings"
	"syscall"
)

// maxGroups is runit's limit on the groups of one -u/-U spec; groups named
// beyond it are ignored, numeric gids beyond it make the spec invalid.
const maxGroups = 60

// accountFiles names the account database. Main always uses
// defaultAccountFiles (/etc/passwd and /etc/group, resolved after -/);
// tests build their own value to parse files in a temporary directory.
type accountFiles struct {
	passwd string
	group  string
}

var defaultAccountFiles = accountFiles{passwd: "/etc/passwd", group: "/etc/group"}

// ids is what a user spec resolves to: the uid and the gid list, the first
// gid being the primary one.
type ids struct {
	uid  uint32
	gids []uint32
}

// lookupKind tells why a lookup found nothing.
type lookupKind int

const (
	lookupOK      lookupKind = iota
	lookupUnknown            // the user or a group does not exist
	lookupInvalid            // a numeric spec is malformed
	lookupError              // reading the files failed; err says why
)

// scanUlong is djb's scan_ulong: it reads the leading decimal digits of s
// into an unsigned long, wrapping on overflow as the C code does, and
// returns the value and how many bytes it consumed.
func scanUlong(s string) (v uint64, n int) {
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		v = v*10 + uint64(s[n]-'0')
		n++
	}
	return v, n
}

// parseNumericIDs parses runit's "uid:gid[:gid...]" (the text after the
// leading ':' of -u/-U). At least one gid is required; an empty number is 0
// and numbers are truncated to 32 bits, as runit's uid_t/gid_t casts do.
func parseNumericIDs(s string) (ids, bool) {
	v, n := scanUlong(s)
	s = s[n:]
	if s == "" || s[0] != ':' {
		return ids{}, false
	}
	u := ids{uid: uint32(v)}
	s = s[1:]
	for i := 0; i < maxGroups; i++ {
		v, n = scanUlong(s)
		s = s[n:]
		u.gids = append(u.gids, uint32(v))
		if s == "" || s[0] != ':' {
			break
		}
		s = s[1:]
	}
	if s != "" {
		return ids{}, false
	}
	return u, true
}

// lookupSpec resolves a chpst -u/-U spec: ":uid:gid..." numerically, or
// "user[:group...]" through the account files. Without groups the gid list
// is the user's passwd gid; with groups it is exactly their gids.
func (f accountFiles) lookupSpec(spec string) (ids, lookupKind, error) {
	if strings.HasPrefix(spec, ":") {
		u, ok := parseNumericIDs(spec[1:])
		if !ok {
			return ids{}, lookupInvalid, nil
		}
		return u, lookupOK, nil
	}
	user, groups, hasGroups := strings.Cut(spec, ":")
	uid, gid, found, err := f.lookupUser(user)
	if err != nil {
		return ids{}, lookupError, err
	}
	if !found {
		return ids{}, lookupUnknown, nil
	}
	if !hasGroups {
		return ids{uid: uid, gids: []uint32{gid}}, lookupOK, nil
	}
	names := strings.SplitN(groups, ":", maxGroups+1)
	if len(names) > maxGroups {
		names = names[:maxGroups]
	}
	gids, kind, err := f.lookupGroups(names)
	if kind != lookupOK {
		return ids{}, kind, err
	}
	return ids{uid: uid, gids: gids}, lookupOK, nil
}

// lookupAccount resolves a personality's account: a user name only, its
// passwd gid being the one group.
func (f accountFiles) lookupAccount(name string) (ids, lookupKind, error) {
	uid, gid, found, err := f.lookupUser(name)
	if err != nil {
		return ids{}, lookupError, err
	}
	if !found {
		return ids{}, lookupUnknown, nil
	}
	return ids{uid: uid, gids: []uint32{gid}}, lookupOK, nil
}

// lookupUser finds name in the passwd file and returns its uid and gid.
func (f accountFiles) lookupUser(name string) (uid, gid uint32, found bool, err error) {
	if name == "" {
		return 0, 0, false, nil
	}
	data, err := readFile(f.passwd)
	if err != nil {
		return 0, 0, false, err
	}
	// name:password:uid:gid:gecos:home:shell
	for line := range dbLines(data) {
		fields := strings.SplitN(line, ":", 7)
		if len(fields) < 7 || fields[0] != name {
			continue
		}
		u, ok1 := parseID(fields[2])
		g, ok2 := parseID(fields[3])
		if ok1 && ok2 {
			return u, g, true, nil
		}
	}
	return 0, 0, false, nil
}

// lookupGroups finds each name in the group file, in order.
func (f accountFiles) lookupGroups(names []string) ([]uint32, lookupKind, error) {
	data, err := readFile(f.group)
	if err != nil {
		return nil, lookupError, err
	}
	gids := make([]uint32, 0, len(names))
	for _, name := range names {
		gid, found := findGroup(data, name)
		if !found {
			return nil, lookupUnknown, nil
		}
		gids = append(gids, gid)
	}
	return gids, lookupOK, nil
}

// findGroup finds name in the contents of a group file.
func findGroup(data []byte, name string) (uint32, bool) {
	if name == "" {
		return 0, false
	}
	// name:password:gid:members
	for line := range dbLines(data) {
		fields := strings.SplitN(line, ":", 4)
		if len(fields) < 4 || fields[0] != name {
			continue
		}
		if g, ok := parseID(fields[2]); ok {
			return g, true
		}
	}
	return 0, false
}

// dbLines yields the entries of a passwd or group file, skipping blank lines
// and '#' comments as glibc's files database does.
func dbLines(data []byte) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for len(data) > 0 {
			var line []byte
			if i := indexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				line, data = data, nil
			}
			for len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
				line = line[1:]
			}
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			if !yield(string(line)) {
				return
			}
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// parseID parses a decimal uid or gid field; a malformed one disqualifies
// the entry, as in glibc.
func parseID(s string) (uint32, bool) {
	v, n := scanUlong(s)
	if n == 0 || n != len(s) || v > 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}

// readFile reads a whole file with plain system calls, so that its errors
// keep their errno (a directory gives EISDIR, as in runit).
func readFile(path string) ([]byte, error) {
	fd, err := open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	return readAll(fd)
}

// open retries syscall.Open on EINTR.
func open(path string, mode int, perm uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, mode, perm)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// readAll reads fd to its end.
func readAll(fd int) ([]byte, error) {
	buf := make([]byte, 0, 4096)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}
