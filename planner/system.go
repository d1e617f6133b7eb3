package planner

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"sysconf/config"
	"sysconf/generations"
)

// LogUser is the account every logger runs as when its log block names
// none: one unprivileged account of sysconf's own, as runit's and s6's
// documentation advise, so that a service cannot rewrite its own logs (it
// could if svlogd ran as the service's user) and a log processor holds no
// privilege (it would as root). The name follows Debian's convention for
// system accounts of packages (a leading '_'), and is sysconf's rather than
// Debian's _runit-log, which Debian's runit package owns and may change.
const LogUser = "_sysconf-log"

// logAccount is LogUser's declaration, added to a plan that has a logger
// running as it (unless the description declares the account itself).
func logAccount() generations.User {
	return generations.User{
		Name: LogUser, System: true, Group: LogUser,
		Home: config.DefaultSystemHome, Shell: config.DefaultSystemShell,
		Description: "sysconf loggers (svlogd)",
	}
}

// fileMode turns a permission mode as written ("2770") into Go's.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// system plans the groups, users, directories and mounts of sys into m.
// A user whose primary group is its own name gets that group when no group
// block declares it (as useradd's user private groups), and LogUser is
// added when a logger runs as it.
func system(sys *config.System, m *generations.Manifest) {
	groups := map[string]bool{}
	users := map[string]bool{}
	for _, g := range sys.Groups {
		groups[g.Name] = true
		m.Groups = append(m.Groups, generations.Group{Name: g.Name, System: g.System, GID: g.GID})
	}
	for _, u := range sys.Users {
		users[u.Name] = true
		m.Users = append(m.Users, generations.User{
			Name: u.Name, System: u.System, UID: u.UID, Group: u.Group,
			Groups: append([]string(nil), u.Groups...), Home: u.Home, CreateHome: u.CreateHome,
			Shell: u.Shell, Description: u.Description,
		})
	}
	if !users[LogUser] {
		for _, s := range sys.Services {
			if s.Log != nil && s.Log.User == "" {
				m.Users = append(m.Users, logAccount())
				break
			}
		}
	}
	for _, u := range m.Users {
		if u.Group == u.Name && !groups[u.Name] {
			groups[u.Name] = true
			m.Groups = append(m.Groups, generations.Group{Name: u.Name, System: u.System})
		}
	}
	for _, d := range sys.Directories {
		m.Directories = append(m.Directories, generations.Directory{Path: d.Path, Owner: d.Owner, Group: d.Group, Mode: fileMode(d.Mode)})
	}
	for _, mt := range sys.Mounts {
		gm := generations.Mount{Path: mt.Path, Type: mt.Type, Source: mt.Source, Options: append([]string(nil), mt.Options...), Owner: mt.Owner, Group: mt.Group}
		if mt.Mode != nil {
			mode := fileMode(*mt.Mode)
			gm.Mode = &mode
		}
		m.Mounts = append(m.Mounts, gm)
	}
	sort.Slice(m.Groups, func(i, j int) bool { return m.Groups[i].Name < m.Groups[j].Name })
	sort.Slice(m.Users, func(i, j int) bool { return m.Users[i].Name < m.Users[j].Name })
}

// stageMounts is stage 1's part for the mount blocks: each is mounted
// (unless something mounted it already) and its root given its owner and
// mode, as activation does, so that services find it from the first boot
// on. Empty without mounts.
func stageMounts(mounts []*config.Mount) string {
	if len(mounts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("# The description's mounts, parents first.\n")
	for _, mt := range mounts {
		p := quote(mt.Path)
		opts := ""
		if len(mt.Options) > 0 {
			opts = " -o " + quote(strings.Join(mt.Options, ","))
		}
		fmt.Fprintf(&b, "mkdir -p %[1]s && { mounted %[1]s || mount -t %[2]s%[3]s %[4]s %[1]s; } ||\n\techo %[5]s >&2\n",
			p, quote(mt.Type), opts, quote(mt.Source), quote("stage 1: cannot mount "+mt.Path))
		if mt.Owner != "" || mt.Group != "" {
			fmt.Fprintf(&b, "chown %s %s\n", quote(mt.Owner+":"+mt.Group), p)
		}
		if mt.Mode != nil {
			fmt.Fprintf(&b, "chmod %04o %s\n", *mt.Mode, p)
		}
	}
	return b.String() + "\n"
}
