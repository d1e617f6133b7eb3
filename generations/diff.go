package generations

import (
	"bytes"
	"sort"
)

// Diff is what changes from one manifest to the next.
type Diff struct {
	Added     []string        `json:"added"`   // service names
	Removed   []string        `json:"removed"` // service names
	Changed   []ServiceChange `json:"changed"`
	Unchanged int             `json:"unchanged"` // services with the same store path

	Runlevels []Change `json:"runlevels"` // a runlevel added, removed or with other services
	Files     []Change `json:"files"`     // managed files
	// System holds the groups, users, directories and mounts added (+),
	// removed (-) or changed (~), named "user postgres", "mount /dev/shm/x".
	System []Change `json:"system,omitempty"`
}

// ServiceChange is one service whose store path changes, with the tree
// entries that differ.
type ServiceChange struct {
	Name    string   `json:"name"`
	OldPath string   `json:"old"`
	NewPath string   `json:"new"`
	Entries []Change `json:"entries"`
}

// Change is one thing added (+), removed (-) or modified (~).
type Change struct {
	Op     string   `json:"op"`
	Name   string   `json:"name"`
	Detail []string `json:"detail,omitempty"`
}

// Empty reports whether applying the new manifest would change nothing.
func (d Diff) Empty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0 && len(d.Runlevels) == 0 && len(d.Files) == 0 && len(d.System) == 0
}

// Compare returns the changes from old (nil: nothing applied yet) to new:
// what plan shows before an apply, and diff between two generations.
func Compare(old *Manifest, new Manifest) Diff {
	d := Diff{Added: []string{}, Removed: []string{}, Changed: []ServiceChange{}, Runlevels: []Change{}, Files: []Change{}}
	if old == nil {
		old = &Manifest{}
	}
	oldSvc := map[string]Service{}
	for _, s := range old.Services {
		oldSvc[s.Name] = s
	}
	newNames := map[string]bool{}
	for _, s := range new.Services {
		newNames[s.Name] = true
		o, ok := oldSvc[s.Name]
		if !ok {
			d.Added = append(d.Added, s.Name)
			continue
		}
		oh, nh := o.Hash(), s.Hash()
		if oh == nh {
			d.Unchanged++
			continue
		}
		d.Changed = append(d.Changed, ServiceChange{Name: s.Name, OldPath: oh + "-" + s.Name, NewPath: nh + "-" + s.Name, Entries: treeChanges(o.Tree, s.Tree)})
	}
	for _, s := range old.Services {
		if !newNames[s.Name] {
			d.Removed = append(d.Removed, s.Name)
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Removed)
	sort.Slice(d.Changed, func(i, j int) bool { return d.Changed[i].Name < d.Changed[j].Name })

	oldRL := map[string][]string{}
	for _, r := range old.Runlevels {
		oldRL[r.Name] = r.Services
	}
	newRL := map[string]bool{}
	for _, r := range new.Runlevels {
		newRL[r.Name] = true
		o, ok := oldRL[r.Name]
		if !ok {
			d.Runlevels = append(d.Runlevels, Change{Op: "+", Name: r.Name, Detail: r.Services})
			continue
		}
		if det := listChanges(o, r.Services); len(det) > 0 {
			d.Runlevels = append(d.Runlevels, Change{Op: "~", Name: r.Name, Detail: det})
		}
	}
	for _, r := range old.Runlevels {
		if !newRL[r.Name] {
			d.Runlevels = append(d.Runlevels, Change{Op: "-", Name: r.Name})
		}
	}
	sort.Slice(d.Runlevels, func(i, j int) bool { return d.Runlevels[i].Name < d.Runlevels[j].Name })

	oldF := map[string]ManagedFile{}
	for _, f := range old.Files {
		oldF[f.Path] = f
	}
	newF := map[string]bool{}
	for _, f := range new.Files {
		newF[f.Path] = true
		o, ok := oldF[f.Path]
		switch {
		case !ok:
			d.Files = append(d.Files, Change{Op: "+", Name: f.Path})
		default:
			var det []string
			if !bytes.Equal(o.Content, f.Content) {
				det = append(det, "content")
			}
			if o.Mode != f.Mode {
				det = append(det, "mode "+o.Mode.String()+" → "+f.Mode.String())
			}
			if o.Owner != f.Owner || o.Group != f.Group {
				det = append(det, "owner "+o.Owner+":"+o.Group+" → "+f.Owner+":"+f.Group)
			}
			if len(det) > 0 {
				d.Files = append(d.Files, Change{Op: "~", Name: f.Path, Detail: det})
			}
		}
	}
	for _, f := range old.Files {
		if !newF[f.Path] {
			d.Files = append(d.Files, Change{Op: "-", Name: f.Path})
		}
	}
	d.Files = append(d.Files, bootChanges(old.Boot, new.Boot)...)
	sort.Slice(d.Files, func(i, j int) bool { return d.Files[i].Name < d.Files[j].Name })
	d.System = systemChanges(*old, new)
	return d
}

func treeChanges(old, new []Entry) []Change {
	o := map[string]Entry{}
	for _, e := range old {
		o[e.Path] = e
	}
	var out []Change
	seen := map[string]bool{}
	for _, e := range new {
		seen[e.Path] = true
		p, ok := o[e.Path]
		switch {
		case !ok:
			out = append(out, Change{Op: "+", Name: e.Path})
		case p.Mode != e.Mode:
			out = append(out, Change{Op: "~", Name: e.Path, Detail: []string{"mode " + p.Mode.String() + " → " + e.Mode.String()}})
		case !bytes.Equal(p.Content, e.Content):
			out = append(out, Change{Op: "~", Name: e.Path, Detail: lineChanges(p.Content, e.Content)})
		}
	}
	for _, e := range old {
		if !seen[e.Path] {
			out = append(out, Change{Op: "-", Name: e.Path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// onlyIn returns the lines of a that b does not have, counting repeats,
// each after prefix.
func onlyIn(a, b [][]byte, prefix string) []string {
	count := map[string]int{}
	for _, l := range b {
		count[string(l)]++
	}
	var out []string
	for _, l := range a {
		if count[string(l)] > 0 {
			count[string(l)]--
			continue
		}
		out = append(out, prefix+string(l))
	}
	return out
}

// lineChanges lists the lines only in old ("- …") and only in new ("+ …"),
// a short summary rather than a full diff, at most 10 lines.
func lineChanges(old, new []byte) []string {
	ol := bytes.Split(old, []byte("\n"))
	nl := bytes.Split(new, []byte("\n"))
	out := append(onlyIn(ol, nl, "- "), onlyIn(nl, ol, "+ ")...)
	if len(out) > 10 {
		out = append(out[:10], "…")
	}
	return out
}

func listChanges(old, new []string) []string {
	o := map[string]bool{}
	for _, s := range old {
		o[s] = true
	}
	n := map[string]bool{}
	var out []string
	for _, s := range new {
		n[s] = true
		if !o[s] {
			out = append(out, "+ "+s)
		}
	}
	for _, s := range old {
		if !n[s] {
			out = append(out, "- "+s)
		}
	}
	return out
}

// bootChanges lists the stage scripts that differ between two manifests,
// as file changes (/etc/runit/1), so that plan shows a boot block change.
func bootChanges(old, new []Entry) []Change {
	var out []Change
	for _, c := range treeChanges(old, new) {
		c.Name = "/" + c.Name
		out = append(out, c)
	}
	return out
}
