package generations

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"sort"
	"strings"
)

// sortSystem sorts the groups, users, directories and mounts as Manifest
// documents.
func (m *Manifest) sortSystem() {
	sort.Slice(m.Groups, func(i, j int) bool { return m.Groups[i].Name < m.Groups[j].Name })
	sort.Slice(m.Users, func(i, j int) bool { return m.Users[i].Name < m.Users[j].Name })
	sort.Slice(m.Directories, func(i, j int) bool { return m.Directories[i].Path < m.Directories[j].Path })
	sort.Slice(m.Mounts, func(i, j int) bool { return m.Mounts[i].Path < m.Mounts[j].Path })
}

// validAccountName is what the account files can hold as a name: no ':'
// (the field separator), ',' (the member separator), blank or newline,
// not empty, not a number, at most 32 bytes (useradd's limit).
func validAccountName(s string) bool {
	if s == "" || len(s) > 32 || strings.ContainsAny(s, ":,\n\x00 \t/") || s[0] == '-' || s[0] == '+' {
		return false
	}
	return strings.Trim(s, "0123456789") != ""
}

// validSystemPath is an absolute, clean path other than /, without the
// characters mountinfo and the stage scripts would have to escape.
func validSystemPath(p string) bool {
	return path.IsAbs(p) && path.Clean(p) == p && p != "/" && !strings.ContainsAny(p, " \t\n\x00\\:")
}

// checkSystem validates what activation relies on in the groups, users,
// directories and mounts.
func (m Manifest) checkSystem() error {
	bad := func(what, name, why string) error {
		return fmt.Errorf("%s %s: %w: %s", what, name, ErrInvalid, why)
	}
	seen := map[string]bool{}
	for _, g := range m.Groups {
		if !validAccountName(g.Name) || seen[g.Name] {
			return bad("group", g.Name, "an invalid or repeated name")
		}
		seen[g.Name] = true
	}
	seen = map[string]bool{}
	for _, u := range m.Users {
		if !validAccountName(u.Name) || seen[u.Name] {
			return bad("user", u.Name, "an invalid or repeated name")
		}
		seen[u.Name] = true
		if !validAccountName(u.Group) && strings.Trim(u.Group, "0123456789") != "" || u.Group == "" {
			return bad("user", u.Name, "an invalid primary group")
		}
		for _, g := range u.Groups {
			if !validAccountName(g) {
				return bad("user", u.Name, "an invalid group "+g)
			}
		}
		if !path.IsAbs(u.Home) || !path.IsAbs(u.Shell) || strings.ContainsAny(u.Home+u.Shell+u.Description, ":\n\x00") {
			return bad("user", u.Name, "home, shell and description must fit /etc/passwd")
		}
	}
	seen = map[string]bool{}
	for _, d := range m.Directories {
		if !validSystemPath(d.Path) || seen[d.Path] {
			return bad("directory", d.Path, "an invalid or repeated path")
		}
		seen[d.Path] = true
	}
	seen = map[string]bool{}
	for _, mt := range m.Mounts {
		if !validSystemPath(mt.Path) || seen[mt.Path] || mt.Type == "" || mt.Source == "" {
			return bad("mount", mt.Path, "an invalid or repeated path, or no type or source")
		}
		seen[mt.Path] = true
	}
	return nil
}

// keyed returns items by the key each has: their name or path.
func keyed[T any](items []T, key func(T) string) map[string]any {
	out := make(map[string]any, len(items))
	for _, it := range items {
		out[key(it)] = it
	}
	return out
}

// systemChanges lists the groups, users, directories and mounts that
// differ between two manifests.
func systemChanges(old, new Manifest) []Change {
	var out []Change
	diff := func(kind string, olds, news map[string]any) {
		for name, n := range news {
			o, ok := olds[name]
			switch {
			case !ok:
				out = append(out, Change{Op: "+", Name: kind + " " + name})
			case !reflect.DeepEqual(o, n):
				out = append(out, Change{Op: "~", Name: kind + " " + name, Detail: fieldChanges(o, n)})
			}
		}
		for name := range olds {
			if _, ok := news[name]; !ok {
				out = append(out, Change{Op: "-", Name: kind + " " + name})
			}
		}
	}
	groupName := func(g Group) string { return g.Name }
	userName := func(u User) string { return u.Name }
	dirPath := func(d Directory) string { return d.Path }
	mountPath := func(m Mount) string { return m.Path }
	diff("group", keyed(old.Groups, groupName), keyed(new.Groups, groupName))
	diff("user", keyed(old.Users, userName), keyed(new.Users, userName))
	diff("directory", keyed(old.Directories, dirPath), keyed(new.Directories, dirPath))
	diff("mount", keyed(old.Mounts, mountPath), keyed(new.Mounts, mountPath))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ensureSystem is the first part of a switch (DESIGN.md, "Activation
// order"): groups and users, then mounts and directories, each a step of
// its own. Every part brings the machine to the description whatever it
// finds, so recover runs it again after a crash; a directory may lie in a
// mount, so mounts come first.
func (g *Root) ensureSystem(a *activation) error {
	m := a.rec.Manifest
	if err := g.ensureAccounts(m); err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	a.st.step()
	warn := func(msg string) {
		if a.emit != nil {
			a.emit(Event{Kind: "warning", Message: msg})
		}
	}
	if err := g.ensureMounts(m, warn); err != nil {
		return err
	}
	if err := g.ensureDirectories(m); err != nil {
		return err
	}
	a.st.step()
	return nil
}

// fieldChanges lists the fields of two values of one struct type that
// differ, by their JSON names: "shell /bin/sh → /bin/bash".
func fieldChanges(old, new any) []string {
	var o, n map[string]any
	ob, _ := json.Marshal(old)
	nb, _ := json.Marshal(new)
	_ = json.Unmarshal(ob, &o)
	_ = json.Unmarshal(nb, &n)
	keys := map[string]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if !reflect.DeepEqual(o[k], n[k]) {
			show := func(v any) string {
				if v == nil {
					return "(none)"
				}
				if f, ok := v.(float64); ok && k == "mode" {
					return fs.FileMode(uint32(f)).String()
				}
				b, _ := json.Marshal(v)
				return strings.Trim(string(b), `"`)
			}
			out = append(out, k+" "+show(o[k])+" → "+show(n[k]))
		}
	}
	sort.Strings(out)
	return out
}
