package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"sysconf/config"
	"sysconf/generations"
)

// machineLayout is the layout a description is planned and applied in:
// the system block's (a shipped layout by name, then its per-path
// attributes), else the one recorded by the last apply, else the one
// detected under --root. how says which, for the line plan and apply
// print. A bad system block is a diagnostic at its position.
func (a *app) machineLayout(sys *config.System) (l generations.Layout, how string, err error) {
	return a.machineLayoutAt(sys, a.root)
}

// machineLayoutAt is machineLayout for the machine under root.
func (a *app) machineLayoutAt(sys *config.System, root string) (l generations.Layout, how string, err error) {
	mc := sys.Machine
	if mc != nil && mc.Layout != "" {
		var ok bool
		if l, ok = generations.Layouts[mc.Layout]; !ok {
			names := generations.LayoutNames()
			return l, "", a.layoutError(sys, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown layout",
				Detail:  fmt.Sprintf("sysconf ships the layouts %s; %q is not one. Give one of them, or the paths (definitions, runlevels, service, watch, supervise).", strings.Join(names, ", "), mc.Layout),
				Subject: mc.LayoutRange.Ptr()})
		}
		how = "system block"
	} else {
		g, why, err := generations.OpenMachine(root)
		if err != nil {
			// No root yet (a first apply makes it), or an unreadable record.
			l, why = generations.DetectLayout(root)
			why = "detected: " + why
		} else {
			l = g.Layout()
			g.Close()
		}
		how = why
	}
	if mc == nil || len(mc.Paths) == 0 {
		return l, how, nil
	}
	set := map[string]*string{"definitions": &l.Definitions, "runlevels": &l.Runlevels, "service": &l.Service, "watch": &l.Watch}
	watchGiven := false
	for _, k := range config.MachinePaths {
		p, ok := mc.Paths[k]
		if !ok {
			continue
		}
		p = strings.TrimPrefix(p, "/")
		watchGiven = watchGiven || k == "watch"
		if k != "supervise" {
			*set[k] = p
			continue
		}
		// supervise names each state folder: DIR/supervise.%s (runit-void's
		// names) or DIR/%s (Debian's); the config allows nothing else.
		dir, last := path.Split(p)
		l.Supervise, l.SuperviseStyle = strings.TrimSuffix(dir, "/"), generations.SuperviseBare
		if last == "supervise.%s" {
			l.SuperviseStyle = ""
		}
	}
	if _, ok := mc.Paths["service"]; ok && !watchGiven {
		l.Watch = l.Service
	}
	l.Name = "custom"
	how += ", paths from the system block"
	if cerr := l.Check(); cerr != nil {
		return l, "", a.layoutError(sys, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid layout",
			Detail: fmt.Sprintf("The system block's paths do not make a layout: %v.", cerr), Subject: mc.DeclRange.Ptr()})
	}
	return l, how, nil
}

// layoutError prints d as the loader prints its diagnostics, and returns
// the exit error of a description with errors.
func (a *app) layoutError(sys *config.System, d *hcl.Diagnostic) error {
	prefix := a.configPath()
	if st, err := os.Stat(prefix); err == nil && !st.IsDir() {
		prefix = filepath.Dir(prefix)
	}
	a.printDiags(&loaded{sys: sys, diags: hcl.Diagnostics{d}, prefix: prefix})
	return &exitError{code: 1, msg: fmt.Sprintf("%s: 1 error", a.configPath())}
}

// sayLayout writes the line that says which layout plan or apply uses.
func sayLayout(w io.Writer, l generations.Layout, how string) {
	fmt.Fprintf(w, "layout: %s (%s)\n", l.Name, how)
}
