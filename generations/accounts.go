package generations

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The id ranges, as Debian's adduser and useradd use them: system
// accounts get the highest free id from 999 down (as useradd -r and NixOS
// do), others the lowest free one from 1000 up.
const (
	FirstSystemID = 100
	LastSystemID  = 999
	FirstUserID   = 1000
	LastUserID    = 59999
)

// Paths of the account database, relative to the root.
const (
	passwdFile  = "etc/passwd"
	groupFile   = "etc/group"
	shadowFile  = "etc/shadow"
	gshadowFile = "etc/gshadow"
	pwdLockFile = "etc/.pwd.lock"
)

// nologin is the shell of a locked account.
const nologin = "/usr/sbin/nologin"

// IDs is the file recording the uid and gid sysconf gave each account, so
// that an account keeps its id across applies, rollbacks, and being
// dropped from the description and declared again (NixOS keeps the same
// record in /var/lib/nixos/uid-map).
func (l Layout) IDs() string { return l.State + "/ids.json" }

// idRecord is what ids.json says about one account.
type idRecord struct {
	ID uint32 `json:"id"`
	// Created: sysconf added the account. Only such an account is
	// sysconf's: its lines are rewritten from the description, and it is
	// locked when no longer declared. Another declared account (one the
	// machine had) is used as it is.
	Created bool `json:"created,omitempty"`
	// Locked: sysconf locked the user because no generation declares it;
	// Banged: the lock added the "!" before its password; Expire: the
	// expiry field the lock replaced. Declaring it again undoes all three.
	Locked bool   `json:"locked,omitempty"`
	Banged bool   `json:"banged,omitempty"`
	Expire string `json:"expire,omitempty"`
}

type idMap struct {
	Users  map[string]*idRecord `json:"users"`
	Groups map[string]*idRecord `json:"groups"`
}

func (g *Root) readIDs() (*idMap, error) {
	ids := &idMap{Users: map[string]*idRecord{}, Groups: map[string]*idRecord{}}
	b, err := g.r.ReadFile(g.l.IDs())
	if errors.Is(err, fs.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, ids); err != nil {
		return nil, fmt.Errorf("read %s: %w", g.l.IDs(), err)
	}
	if ids.Users == nil {
		ids.Users = map[string]*idRecord{}
	}
	if ids.Groups == nil {
		ids.Groups = map[string]*idRecord{}
	}
	return ids, nil
}

// acctFile is one file of the account database: its lines in order, each
// kept byte for byte unless sysconf owns it.
type acctFile struct {
	name   string
	lines  []string
	exists bool
	orig   []byte
	mode   fs.FileMode
	uid    int
	gid    int
}

func (g *Root) readAcctFile(name string, mode fs.FileMode) (*acctFile, error) {
	f := &acctFile{name: name, mode: mode, uid: -1, gid: -1}
	b, err := g.r.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	fi, err := g.r.Stat(name)
	if err != nil {
		return nil, err
	}
	f.exists, f.orig, f.mode = true, b, fi.Mode().Perm()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		f.uid, f.gid = int(st.Uid), int(st.Gid)
	}
	if s := strings.TrimSuffix(string(b), "\n"); s != "" {
		f.lines = strings.Split(s, "\n")
	}
	return f, nil
}

// find returns the index of the line for name, or -1.
func (f *acctFile) find(name string) int {
	for i, l := range f.lines {
		if n, _, _ := strings.Cut(l, ":"); n == name {
			return i
		}
	}
	return -1
}

// fields returns line i's fields, padded to n.
func (f *acctFile) fields(i, n int) []string {
	fs := strings.Split(f.lines[i], ":")
	for len(fs) < n {
		fs = append(fs, "")
	}
	return fs
}

// set replaces the line for name (appending it when there is none).
func (f *acctFile) set(name string, fields []string) {
	line := strings.Join(fields, ":")
	if i := f.find(name); i >= 0 {
		f.lines[i] = line
		return
	}
	f.lines = append(f.lines, line)
}

func (f *acctFile) content() []byte {
	if len(f.lines) == 0 {
		return []byte{}
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

// write replaces the file, when its content changed, as shadow's tools
// do: a temporary file beside it (name+), with the old file's mode and
// owner, fsynced, renamed over it, and the folder fsynced.
func (g *Root) writeAcctFile(f *acctFile) error {
	b := f.content()
	if f.exists && string(b) == string(f.orig) {
		return nil
	}
	r := g.r
	tmp := f.name + "+"
	if err := r.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	w, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
	if err != nil {
		return err
	}
	_, werr := w.Write(b)
	if werr == nil {
		werr = w.Chmod(f.mode)
	}
	if werr == nil && f.uid >= 0 {
		werr = w.Chown(f.uid, f.gid)
	}
	if werr == nil {
		werr = w.Sync()
	}
	if cerr := w.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = r.Rename(tmp, f.name)
	}
	if werr != nil {
		_ = r.Remove(tmp)
		return fmt.Errorf("write /%s: %w", f.name, werr)
	}
	return syncDir(r, path.Dir(f.name))
}

// pwdLockTimeout is how long lockPwd waits for another holder, as
// lckpwdf(3) does.
var pwdLockTimeout = 15 * time.Second

// ErrPwdLocked is returned when another program (useradd, passwd, vipw)
// holds the account database's lock for longer than lckpwdf would wait.
var ErrPwdLocked = errors.New("the account files are locked by another program")

// lockPwd takes the account database's lock as lckpwdf(3) does: a write
// lock (fcntl, so that shadow's tools and glibc see it) on etc/.pwd.lock.
// The lock goes with the returned file's closing.
func (g *Root) lockPwd() (*os.File, error) {
	if err := g.r.MkdirAll("etc", 0o755); err != nil {
		return nil, err
	}
	f, err := g.r.OpenFile(pwdLockFile, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock /%s: %w", pwdLockFile, err)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
	deadline := time.Now().Add(pwdLockTimeout)
	for {
		err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock /%s: %w", pwdLockFile, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock /%s: %w (waited %s)", pwdLockFile, ErrPwdLocked, pwdLockTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accountDB is the four files, read together.
type accountDB struct {
	passwd, group, shadow, gshadow *acctFile
}

func (g *Root) readAccountDB() (*accountDB, error) {
	var db accountDB
	var err error
	if db.passwd, err = g.readAcctFile(passwdFile, 0o644); err != nil {
		return nil, err
	}
	if db.group, err = g.readAcctFile(groupFile, 0o644); err != nil {
		return nil, err
	}
	if db.shadow, err = g.readAcctFile(shadowFile, 0o600); err != nil {
		return nil, err
	}
	if db.gshadow, err = g.readAcctFile(gshadowFile, 0o600); err != nil {
		return nil, err
	}
	return &db, nil
}

// ids returns the ids field 2 of f's lines holds, by name.
func (f *acctFile) ids() map[string]uint32 {
	out := map[string]uint32{}
	for i := range f.lines {
		fs := f.fields(i, 3)
		if n, err := strconv.ParseUint(fs[2], 10, 32); err == nil {
			out[fs[0]] = uint32(n)
		}
	}
	return out
}

// checkAccounts finds, before anything changes, the declared accounts
// that the machine already has with another id than the description
// gives, ids the description gives that another account holds, and the
// users and groups that users, directories and mounts name but that
// neither the description nor the machine has.
func (g *Root) checkAccounts(m Manifest) error {
	if len(m.Users) == 0 && len(m.Groups) == 0 && len(m.Directories) == 0 && len(m.Mounts) == 0 {
		return nil
	}
	db, err := g.readAccountDB()
	if err != nil {
		return err
	}
	check := func(what, name string, want *uint32, have map[string]uint32) error {
		if want == nil {
			return nil
		}
		if id, ok := have[name]; ok && id != *want {
			return fmt.Errorf("%s %s: %w: the machine has it with id %d, the description says %d", what, name, ErrInvalid, id, *want)
		}
		for other, id := range have {
			if id == *want && other != name {
				return fmt.Errorf("%s %s: %w: id %d belongs to %s %s", what, name, ErrInvalid, *want, what, other)
			}
		}
		return nil
	}
	uids, gids := db.passwd.ids(), db.group.ids()
	users, groups := map[string]bool{}, map[string]bool{}
	for n := range uids {
		users[n] = true
	}
	for n := range gids {
		groups[n] = true
	}
	for _, u := range m.Users {
		if err := check("user", u.Name, u.UID, uids); err != nil {
			return err
		}
		users[u.Name] = true
	}
	for _, gr := range m.Groups {
		if err := check("group", gr.Name, gr.GID, gids); err != nil {
			return err
		}
		groups[gr.Name] = true
	}
	known := func(what, name, of string, set map[string]bool) error {
		if name == "" || set[name] || strings.Trim(name, "0123456789") == "" {
			return nil
		}
		return fmt.Errorf("%s: %w: no %s %s, in the description or in /%s", of, ErrInvalid, what, name, map[string]string{"user": passwdFile, "group": groupFile}[what])
	}
	for _, u := range m.Users {
		for _, gr := range append([]string{u.Group}, u.Groups...) {
			if err := known("group", gr, "user "+u.Name, groups); err != nil {
				return err
			}
		}
	}
	for _, d := range m.Directories {
		if err := errors.Join(known("user", d.Owner, "directory "+d.Path, users), known("group", d.Group, "directory "+d.Path, groups)); err != nil {
			return err
		}
	}
	for _, mt := range m.Mounts {
		if err := errors.Join(known("user", mt.Owner, "mount "+mt.Path, users), known("group", mt.Group, "mount "+mt.Path, groups)); err != nil {
			return err
		}
	}
	return nil
}

// pickID returns the id for a new account: the highest free one of the
// system range, or the lowest free one from FirstUserID; prefer is tried
// first when it is free and in range (a user's own group takes the
// user's uid, as useradd does).
func pickID(system bool, used map[uint32]bool, prefer *uint32) (uint32, error) {
	lo, hi := uint32(FirstUserID), uint32(LastUserID)
	if system {
		lo, hi = FirstSystemID, LastSystemID
	}
	if prefer != nil && *prefer >= lo && *prefer <= hi && !used[*prefer] {
		return *prefer, nil
	}
	if system {
		for id := hi; id >= lo; id-- {
			if !used[id] {
				return id, nil
			}
		}
	} else {
		for id := lo; id <= hi; id++ {
			if !used[id] {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("no free id from %d to %d", lo, hi)
}

// ensureAccounts makes the account database hold m's groups and users,
// under lckpwdf's lock, and locks the users sysconf created that m no
// longer declares. Every line it does not own stays as it is, in its
// place; the ids it gives are recorded (ids.json) before any account
// file is written, so a crash between the two gives the same ids again.
func (g *Root) ensureAccounts(m Manifest) error {
	if _, err := g.r.Stat(g.l.IDs()); errors.Is(err, fs.ErrNotExist) && len(m.Users) == 0 && len(m.Groups) == 0 {
		// sysconf never made an account here: the machine's files stay
		// as they are (and a sandbox without them gets none).
		return nil
	}
	lock, err := g.lockPwd()
	if err != nil {
		return err
	}
	defer lock.Close()
	ids, err := g.readIDs()
	if err != nil {
		return err
	}
	db, err := g.readAccountDB()
	if err != nil {
		return err
	}

	// Ids first: what the files hold, then what ids.json holds (an id
	// once given is never given to another account, even a dropped one).
	uidUsed, gidUsed := map[uint32]bool{}, map[uint32]bool{}
	have := db.passwd.ids()
	for _, id := range have {
		uidUsed[id] = true
	}
	for _, r := range ids.Users {
		uidUsed[r.ID] = true
	}
	haveG := db.group.ids()
	for _, id := range haveG {
		gidUsed[id] = true
	}
	for _, r := range ids.Groups {
		gidUsed[r.ID] = true
	}
	uidOf := map[string]uint32{}
	for _, u := range m.Users {
		rec := ids.Users[u.Name]
		switch id, ok := have[u.Name]; {
		case ok:
			if rec == nil {
				rec = &idRecord{}
				ids.Users[u.Name] = rec
			}
			rec.ID = id
		case rec != nil:
			// Recorded: the account is sysconf's, even if someone
			// removed its line (it comes back with its id).
			rec.Created = true
		default:
			id := uint32(0)
			if u.UID != nil {
				id = *u.UID
			} else if id, err = pickID(u.System, uidUsed, nil); err != nil {
				return fmt.Errorf("user %s: %w", u.Name, err)
			}
			rec = &idRecord{ID: id, Created: true}
			ids.Users[u.Name] = rec
			uidUsed[id] = true
		}
		uidOf[u.Name] = rec.ID
	}
	for _, gr := range m.Groups {
		rec := ids.Groups[gr.Name]
		switch id, ok := haveG[gr.Name]; {
		case ok:
			if rec == nil {
				rec = &idRecord{}
				ids.Groups[gr.Name] = rec
			}
			rec.ID = id
		case rec != nil:
			rec.Created = true
		default:
			id := uint32(0)
			if gr.GID != nil {
				id = *gr.GID
			} else {
				var prefer *uint32
				if uid, ok := uidOf[gr.Name]; ok {
					prefer = &uid
				}
				if id, err = pickID(gr.System, gidUsed, prefer); err != nil {
					return fmt.Errorf("group %s: %w", gr.Name, err)
				}
			}
			rec = &idRecord{ID: id, Created: true}
			ids.Groups[gr.Name] = rec
			gidUsed[id] = true
		}
	}
	if err := g.writeIDs(ids); err != nil {
		return err
	}

	// The groups sysconf owns, then every group's members: sysconf adds
	// the declared users to the groups they name and takes the users it
	// created out of the others; members it did not put there stay.
	for _, gr := range m.Groups {
		rec := ids.Groups[gr.Name]
		if !rec.Created {
			continue
		}
		gid := strconv.FormatUint(uint64(rec.ID), 10)
		if i := db.group.find(gr.Name); i >= 0 {
			fs := db.group.fields(i, 4)
			fs[2] = gid
			db.group.set(gr.Name, fs)
		} else {
			db.group.set(gr.Name, []string{gr.Name, "x", gid, ""})
		}
		if db.gshadow.find(gr.Name) < 0 {
			db.gshadow.set(gr.Name, []string{gr.Name, "!", "", ""})
		}
	}
	wants := map[string]map[string]bool{} // group → declared users naming it
	for _, u := range m.Users {
		for _, gr := range u.Groups {
			if wants[gr] == nil {
				wants[gr] = map[string]bool{}
			}
			wants[gr][u.Name] = true
		}
	}
	for gr := range wants {
		if db.group.find(gr) < 0 {
			return fmt.Errorf("user %s: no group %s (declare it with a group block)", firstUser(wants[gr]), gr)
		}
	}
	members := func(f *acctFile, field int) {
		for i := range f.lines {
			fs := f.fields(i, field+1)
			if strings.HasPrefix(fs[0], "+") || strings.HasPrefix(fs[0], "-") || len(strings.Split(f.lines[i], ":")) < field+1 {
				continue // NIS compat lines and malformed ones stay as they are
			}
			var out []string
			seen := map[string]bool{}
			for _, mem := range strings.Split(fs[field], ",") {
				if mem == "" || seen[mem] {
					continue
				}
				if r := ids.Users[mem]; r != nil && r.Created && !wants[fs[0]][mem] {
					continue
				}
				seen[mem] = true
				out = append(out, mem)
			}
			var add []string
			for mem := range wants[fs[0]] {
				if !seen[mem] {
					add = append(add, mem)
				}
			}
			sort.Strings(add)
			out = append(out, add...)
			if joined := strings.Join(out, ","); joined != fs[field] {
				fs[field] = joined
				f.lines[i] = strings.Join(fs, ":")
			}
		}
	}
	members(db.group, 3)
	members(db.gshadow, 3)
	gids := db.group.ids()

	declared := map[string]bool{}
	for _, u := range m.Users {
		declared[u.Name] = true
		rec := ids.Users[u.Name]
		if !rec.Created {
			continue
		}
		gid, ok := gids[u.Group]
		if n, err := strconv.ParseUint(u.Group, 10, 32); err == nil {
			gid, ok = uint32(n), true
		}
		if !ok {
			return fmt.Errorf("user %s: no group %s (declare it with a group block)", u.Name, u.Group)
		}
		db.passwd.set(u.Name, []string{u.Name, "x", strconv.FormatUint(uint64(rec.ID), 10), strconv.FormatUint(uint64(gid), 10), u.Description, u.Home, u.Shell})
		if i := db.shadow.find(u.Name); i >= 0 {
			fs := db.shadow.fields(i, 9)
			if rec.Locked {
				if rec.Banged {
					fs[1] = strings.TrimPrefix(fs[1], "!")
				}
				fs[7] = rec.Expire
				db.shadow.set(u.Name, fs)
			}
		} else {
			// No password: "!" locks password logins (useradd's
			// default); keys or su still work for a service account.
			db.shadow.set(u.Name, []string{u.Name, "!", "", "", "", "", "", "", ""})
		}
		rec.Locked, rec.Banged, rec.Expire = false, false, ""
	}
	var names []string
	for name := range ids.Users {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rec := ids.Users[name]
		if declared[name] || !rec.Created || rec.Locked || db.passwd.find(name) < 0 {
			continue
		}
		// Locked, never deleted: the files it owns keep an owner that
		// no new account can become.
		fs := db.passwd.fields(db.passwd.find(name), 7)
		fs[6] = nologin
		db.passwd.set(name, fs)
		if i := db.shadow.find(name); i >= 0 {
			sf := db.shadow.fields(i, 9)
			if !strings.HasPrefix(sf[1], "!") {
				sf[1] = "!" + sf[1]
				rec.Banged = true
			}
			rec.Expire = sf[7]
			sf[7] = "1" // expired since 1970-01-02: no login of any kind (usermod -e 1)
			db.shadow.set(name, sf)
		}
		rec.Locked = true
	}
	if err := g.writeIDs(ids); err != nil {
		return err
	}
	for _, f := range []*acctFile{db.group, db.gshadow, db.passwd, db.shadow} {
		if err := g.writeAcctFile(f); err != nil {
			return err
		}
	}
	return g.createHomes(m, ids, gids)
}

func firstUser(set map[string]bool) string {
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names[0]
}

// createHomes makes the missing homes of users with create_home, owned
// by the user and private to it. An existing home is left as it is.
func (g *Root) createHomes(m Manifest, ids *idMap, gids map[string]uint32) error {
	r := g.r
	for _, u := range m.Users {
		if !u.CreateHome {
			continue
		}
		rel := strings.TrimPrefix(u.Home, "/")
		if _, err := r.Lstat(rel); err == nil {
			continue
		}
		if err := r.MkdirAll(path.Dir(rel), 0o755); err != nil {
			return fmt.Errorf("user %s: home: %w", u.Name, err)
		}
		if err := r.Mkdir(rel, 0o700); err != nil {
			return fmt.Errorf("user %s: home: %w", u.Name, err)
		}
		gid, ok := gids[u.Group]
		if !ok {
			gid = ids.Users[u.Name].ID
		}
		if err := r.Lchown(rel, int(ids.Users[u.Name].ID), int(gid)); err != nil {
			return fmt.Errorf("user %s: home: %w", u.Name, err)
		}
		if err := r.Chmod(rel, 0o700); err != nil {
			return fmt.Errorf("user %s: home: %w", u.Name, err)
		}
	}
	return nil
}

func (g *Root) writeIDs(ids *idMap) error {
	r := g.r
	b, err := json.MarshalIndent(ids, "", "  ")
	if err != nil {
		panic("BUG: an idMap always marshals: " + err.Error())
	}
	if old, err := r.ReadFile(g.l.IDs()); err == nil && string(old) == string(b)+"\n" {
		return nil
	}
	if err := r.MkdirAll(g.l.State, 0o755); err != nil {
		return err
	}
	return replaceFile(r, g.l.IDs(), append(b, '\n'), 0o644)
}

// accountIDs reads the root's users (uid and primary gid) and groups, to
// resolve the owners of directories and mounts.
func (g *Root) accountIDs() (users map[string][2]uint32, groups map[string]uint32, err error) {
	db, err := g.readAccountDB()
	if err != nil {
		return nil, nil, err
	}
	users = map[string][2]uint32{}
	for i := range db.passwd.lines {
		fs := db.passwd.fields(i, 4)
		u, err1 := strconv.ParseUint(fs[2], 10, 32)
		gr, err2 := strconv.ParseUint(fs[3], 10, 32)
		if err1 == nil && err2 == nil {
			users[fs[0]] = [2]uint32{uint32(u), uint32(gr)}
		}
	}
	return users, db.group.ids(), nil
}

// owner resolves an owner and group (names or numbers; "" is root, and
// the owner's primary group) to ids.
func (g *Root) owner(owner, group string, users map[string][2]uint32, groups map[string]uint32) (uid, gid int, err error) {
	if owner != "" {
		if n, perr := strconv.ParseUint(owner, 10, 32); perr == nil {
			uid = int(n)
		} else if u, ok := users[owner]; ok {
			uid, gid = int(u[0]), int(u[1])
		} else {
			return 0, 0, fmt.Errorf("no user %s in /%s", owner, passwdFile)
		}
	}
	if group != "" {
		if n, perr := strconv.ParseUint(group, 10, 32); perr == nil {
			gid = int(n)
		} else if gr, ok := groups[group]; ok {
			gid = int(gr)
		} else {
			return 0, 0, fmt.Errorf("no group %s in /%s", group, groupFile)
		}
	}
	return uid, gid, nil
}

// AccountNames returns the names of the root's users (etc/passwd) and
// groups (etc/group); a missing file has none.
func (g *Root) AccountNames() (users, groups map[string]bool, err error) {
	db, err := g.readAccountDB()
	if err != nil {
		return nil, nil, err
	}
	users, groups = map[string]bool{}, map[string]bool{}
	for name := range db.passwd.ids() {
		users[name] = true
	}
	for name := range db.group.ids() {
		groups[name] = true
	}
	return users, groups, nil
}
