package config

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Group is a group block: a group sysconf makes exist in /etc/group.
type Group struct {
	Name   string
	System bool    // its gid comes from the system range (100–999)
	GID    *uint32 // nil: sysconf picks one and keeps it

	Module    string
	DeclRange hcl.Range
}

// User is a user block: an account sysconf makes exist in /etc/passwd
// and /etc/shadow. Defaults are filled in by the decoder and documented
// on each field, so the planner reads plain values.
type User struct {
	Name   string
	System bool    // system range id, locked password, no-login shell by default
	UID    *uint32 // nil: sysconf picks one and keeps it
	// Group is the primary group: the user's own name when not given, a
	// group made for the user when no group block declares it.
	Group  string
	Groups []string // supplementary groups, sorted
	// Home is /nonexistent for a system user and /home/NAME for another
	// when not given (Debian's adduser does the same).
	Home string
	// CreateHome is false for a system user and true for another when
	// not given.
	CreateHome  bool
	Shell       string // DefaultSystemShell for a system user, DefaultShell for another
	Description string // the GECOS field

	Module    string
	DeclRange hcl.Range
}

// Directory is a directory block: a folder created or corrected (owner,
// group, mode) at activation, before services start.
type Directory struct {
	Path  string // absolute and clean
	Owner string // "" is root
	Group string // "" is the owner's primary group (root's for no owner)
	Mode  uint32 // permission bits; 0755 when not given

	Module    string
	DeclRange hcl.Range
}

// Mount is a mount block: a file system mounted at activation and at boot.
type Mount struct {
	Path    string   // absolute and clean: where it is mounted
	Type    string   // the file system type, as mount -t takes it ("tmpfs")
	Source  string   // the device or name; the type when not given
	Options []string // mount -o options, one each ("size=64m"), in the given order
	Owner   string   // of the mounted root; "" leaves it as mounted
	Group   string
	Mode    *uint32 // of the mounted root; nil leaves it as mounted

	Module    string
	DeclRange hcl.Range
}

// Shells and homes a user block gets when it gives none.
const (
	DefaultSystemShell = "/usr/sbin/nologin"
	DefaultShell       = "/bin/sh"
	DefaultSystemHome  = "/nonexistent"
)

var groupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "system"}, {Name: "gid"}},
}

var userSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "system"}, {Name: "uid"}, {Name: "group"}, {Name: "groups"}, {Name: "home"},
		{Name: "create_home"}, {Name: "shell"}, {Name: "description"},
	},
}

var directorySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "owner"}, {Name: "group"}, {Name: "mode"}},
}

var mountSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true}, {Name: "source"}, {Name: "options"},
		{Name: "owner"}, {Name: "group"}, {Name: "mode"},
	},
}

// maxID is the largest uid or gid a block may give: (uid_t)-1 means
// "no change" to chown(2), and 65535 used to mean the same on 16-bit ids.
const maxID = 1<<32 - 2

// accountDecls keeps where each account, folder and mount was declared,
// across every module, so that a second declaration is reported there.
type accountDecls struct {
	userAt, groupAt, dirAt, mountAt map[string]hcl.Range
}

func (l *loader) accountDecls() *accountDecls {
	if l.acct == nil {
		l.acct = &accountDecls{userAt: map[string]hcl.Range{}, groupAt: map[string]hcl.Range{}, dirAt: map[string]hcl.Range{}, mountAt: map[string]hcl.Range{}}
	}
	return l.acct
}

// decodeSystemBlock decodes a group, user, directory or mount block of
// this module (any module may declare them: a recipe brings its account
// and its tmpfs).
func (m *module) decodeSystemBlock(b *hcl.Block, ctx *hcl.EvalContext) {
	switch b.Type {
	case "group":
		m.decodeGroup(b, ctx)
	case "user":
		m.decodeUser(b, ctx)
	case "directory":
		m.decodeDirectory(b, ctx)
	case "mount":
		m.decodeMount(b, ctx)
	}
}

// accountName checks a user or group block's label: the names useradd
// accepts, but never a bare number (a number is an id, not a name).
func (m *module) accountName(b *hcl.Block, what string, at map[string]hcl.Range) (string, bool) {
	name := b.Labels[0]
	if !validAccount(name) || allDigits(name) {
		m.l.add(errDiag(&b.LabelRanges[0], "Invalid "+what+" name", "%q cannot name a %s: use letters, digits, '_', '-' and '.', starting with a letter or '_', at most 32 bytes.", name, what))
		return "", false
	}
	if prev, ok := at[name]; ok {
		m.l.add(errDiag(&b.LabelRanges[0], "Duplicate "+what+" block", "A %s named %q was already declared at %s.", what, name, Pos(prev)))
		return "", false
	}
	at[name] = b.DefRange
	return name, true
}

func (m *module) decodeGroup(b *hcl.Block, ctx *hcl.EvalContext) {
	d := m.l.accountDecls()
	name, ok := m.accountName(b, "group", d.groupAt)
	if !ok {
		return
	}
	content, diags := b.Body.Content(groupSchema)
	m.l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	g := &Group{Name: name, System: a.boolean("system", false), Module: m.path, DeclRange: b.DefRange}
	g.GID = a.id("gid")
	m.l.sys.Groups = append(m.l.sys.Groups, g)
}

func (m *module) decodeUser(b *hcl.Block, ctx *hcl.EvalContext) {
	l := m.l
	d := l.accountDecls()
	name, ok := m.accountName(b, "user", d.userAt)
	if !ok {
		return
	}
	content, diags := b.Body.Content(userSchema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	u := &User{Name: name, System: a.boolean("system", false), Module: m.path, DeclRange: b.DefRange}
	u.UID = a.id("uid")
	u.Group = name
	if g := a.account("group", "group"); g != "" {
		u.Group = g
	}
	if gs, at, ok := a.strList("groups"); ok {
		seen := map[string]bool{}
		for _, g := range gs {
			if !validAccount(g) {
				l.add(errDiag(at.Expr.Range().Ptr(), "Invalid group name", "%q is not a group name: use letters, digits, '_', '-' and '.', starting with a letter or '_' (at most 32), or a number.", g))
				continue
			}
			if !seen[g] {
				seen[g] = true
				u.Groups = append(u.Groups, g)
			}
		}
		sort.Strings(u.Groups)
	}
	u.Home = "/home/" + name
	u.Shell = DefaultShell
	if u.System {
		u.Home, u.Shell = DefaultSystemHome, DefaultSystemShell
	}
	if h, ok := a.absPath("home", "Invalid home"); ok {
		u.Home = h
	}
	if s, ok := a.absPath("shell", "Invalid shell"); ok {
		u.Shell = s
	}
	// A home of /nonexistent or / is never created: by default that is
	// no error, asked for it is one.
	noHome := u.Home == DefaultSystemHome || u.Home == "/"
	u.CreateHome = a.boolean("create_home", !u.System && !noHome)
	if at := content.Attributes["create_home"]; u.CreateHome && noHome {
		l.add(errDiag(at.Expr.Range().Ptr(), "Invalid create_home", "User %q has create_home but its home is %s: give a home to create, or set create_home = false.", name, u.Home))
		u.CreateHome = false
	}
	if s, at, ok := a.str("description"); ok {
		if strings.ContainsAny(s, ":\n\x00") {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid description", "A description is one line of /etc/passwd's GECOS field: it cannot hold ':' or a newline."))
		} else {
			u.Description = s
		}
	}
	for _, p := range []string{u.Home, u.Shell} {
		if strings.ContainsRune(p, ':') {
			l.add(errDiag(&b.DefRange, "Invalid user path", "%q holds ':', which /etc/passwd cannot store.", p))
		}
	}
	l.sys.Users = append(l.sys.Users, u)
}

// id reads a uid or gid.
func (a attrs) id(name string) *uint32 {
	n, _ := a.integer(name, 0, maxID)
	if n == nil {
		return nil
	}
	v := uint32(*n)
	return &v
}

// mode reads a permission mode: octal digits as a string ("0755").
func (a attrs) mode(name string) (uint32, bool) {
	s, at, ok := a.str(name)
	if !ok {
		return 0, false
	}
	t := strings.TrimPrefix(s, "0o")
	n, err := strconv.ParseUint(t, 8, 32)
	if err != nil || n > 0o7777 || len(t) < 3 || len(t) > 5 {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid mode", "%q is not a mode: give octal digits as a string, such as \"0755\" or \"1777\".", s))
		return 0, false
	}
	return uint32(n), true
}

// placePath checks a directory or mount block's label: absolute, clean,
// not / itself, declared once.
func (m *module) placePath(b *hcl.Block, what string, at map[string]hcl.Range) (string, bool) {
	p := b.Labels[0]
	if !path.IsAbs(p) || path.Clean(p) != p || p == "/" || strings.ContainsAny(p, "\n\x00 \t\\") {
		m.l.add(errDiag(&b.LabelRanges[0], "Invalid "+what+" path", "%q must be an absolute, clean path other than /, without blanks or backslashes, such as \"/srv/web\".", p))
		return "", false
	}
	if prev, ok := at[p]; ok {
		m.l.add(errDiag(&b.LabelRanges[0], "Duplicate "+what+" block", "The %s %s was already declared at %s.", what, p, Pos(prev)))
		return "", false
	}
	at[p] = b.DefRange
	return p, true
}

func (m *module) decodeDirectory(b *hcl.Block, ctx *hcl.EvalContext) {
	l := m.l
	p, ok := m.placePath(b, "directory", l.accountDecls().dirAt)
	if !ok {
		return
	}
	content, diags := b.Body.Content(directorySchema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	d := &Directory{Path: p, Mode: 0o755, Module: m.path, DeclRange: b.DefRange}
	d.Owner = a.account("owner", "user")
	d.Group = a.account("group", "group")
	if mode, ok := a.mode("mode"); ok {
		d.Mode = mode
	}
	l.sys.Directories = append(l.sys.Directories, d)
}

func (m *module) decodeMount(b *hcl.Block, ctx *hcl.EvalContext) {
	l := m.l
	p, ok := m.placePath(b, "mount", l.accountDecls().mountAt)
	if !ok {
		return
	}
	content, diags := b.Body.Content(mountSchema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	mt := &Mount{Path: p, Module: m.path, DeclRange: b.DefRange}
	word := func(s string) bool { return s != "" && !strings.ContainsAny(s, " \t\n\x00,\\") }
	if t, at, ok := a.str("type"); ok {
		if word(t) {
			mt.Type = t
		} else {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid mount type", "%q is not a file system type such as \"tmpfs\" or \"ext4\".", t))
		}
	}
	mt.Source = mt.Type
	if s, at, ok := a.str("source"); ok {
		if s != "" && !strings.ContainsAny(s, " \t\n\x00\\") {
			mt.Source = s
		} else {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid mount source", "%q is not a mount source: give a device, a path or a name, without blanks.", s))
		}
	}
	if opts, at, ok := a.strList("options"); ok {
		for _, o := range opts {
			if !word(o) {
				l.add(errDiag(at.Expr.Range().Ptr(), "Invalid mount option", "%q is not one mount option: give each as its own element, such as [\"size=64m\", \"nosuid\"].", o))
				continue
			}
			mt.Options = append(mt.Options, o)
		}
	}
	mt.Owner = a.account("owner", "user")
	mt.Group = a.account("group", "group")
	if mode, ok := a.mode("mode"); ok {
		mt.Mode = &mode
	}
	l.sys.Mounts = append(l.sys.Mounts, mt)
}

// sortAccounts sorts the blocks of this file as System documents.
func (l *loader) sortAccounts() {
	s := l.sys
	sort.Slice(s.Groups, func(i, j int) bool { return s.Groups[i].Name < s.Groups[j].Name })
	sort.Slice(s.Users, func(i, j int) bool { return s.Users[i].Name < s.Users[j].Name })
	sort.Slice(s.Directories, func(i, j int) bool { return s.Directories[i].Path < s.Directories[j].Path })
	sort.Slice(s.Mounts, func(i, j int) bool { return s.Mounts[i].Path < s.Mounts[j].Path })
}

// Accounts is what a machine already has: the names of its users and
// groups (its /etc/passwd and /etc/group), read by the caller.
type Accounts struct {
	Users  map[string]bool
	Groups map[string]bool
}

// CheckAccounts reports every service, log, file, directory and mount
// that names a user or group neither declared in sys nor present on the
// machine (have), each at the attribute that names it. A number is an id
// and always passes, as chpst takes it.
func CheckAccounts(sys *System, have Accounts) hcl.Diagnostics {
	users, groups := map[string]bool{}, map[string]bool{}
	for _, u := range sys.Users {
		users[u.Name] = true
		if u.Group == u.Name {
			// The planner makes the user's own group when none is declared.
			groups[u.Name] = true
		}
	}
	for _, g := range sys.Groups {
		groups[g.Name] = true
	}
	var diags hcl.Diagnostics
	check := func(name, what string, rng hcl.Range, declared, machine map[string]bool) {
		if name == "" || allDigits(name) || declared[name] || machine[name] {
			return
		}
		var known []string
		for n := range declared {
			known = append(known, n)
		}
		for n := range machine {
			known = append(known, n)
		}
		r := rng
		summary := "Unknown user"
		if what == "group" {
			summary = "Unknown group"
		}
		diags = append(diags, errDiag(&r, summary, "No %s named %q is declared, and the machine has none in /etc/%s. Declare it with a %s block, or create it.%s",
			what, name, map[string]string{"user": "passwd", "group": "group"}[what], what, didYouMean(name, known)))
	}
	for _, s := range sys.Services {
		check(s.User, "user", s.UserRange, users, have.Users)
		check(s.Group, "group", s.GroupRange, groups, have.Groups)
		if s.Log != nil {
			check(s.Log.User, "user", s.Log.DeclRange, users, have.Users)
		}
	}
	for _, u := range sys.Users {
		check(u.Group, "group", u.DeclRange, groups, have.Groups)
		for _, g := range u.Groups {
			check(g, "group", u.DeclRange, groups, have.Groups)
		}
	}
	for _, d := range sys.Directories {
		check(d.Owner, "user", d.DeclRange, users, have.Users)
		check(d.Group, "group", d.DeclRange, groups, have.Groups)
	}
	for _, mt := range sys.Mounts {
		check(mt.Owner, "user", mt.DeclRange, users, have.Users)
		check(mt.Group, "group", mt.DeclRange, groups, have.Groups)
	}
	return diags
}
