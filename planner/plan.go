package planner

import (
	"io/fs"
	"sort"
	"strconv"

	"sysconf/config"
	"sysconf/generations"
	"sysconf/runit/supervise"
)

// Plan turns sys into a manifest. It needs nothing but sys, reads no clock,
// environment or disk, and sorts everything, so the same System always
// gives the same bytes.
func Plan(sys *config.System) generations.Manifest { return PlanIn(sys, generations.SandboxLayout) }

// PlanIn is Plan for a machine in layout l: the scripts reach the root,
// the watched folder and the supervise state where l puts them.
func PlanIn(sys *config.System, l generations.Layout) generations.Manifest {
	m := generations.Manifest{
		Services:  make([]generations.Service, 0, len(sys.Services)),
		Runlevels: make([]generations.Runlevel, 0, len(sys.Runlevels)),
		Files:     make([]generations.ManagedFile, 0, len(sys.Files)),
		Boot:      bootScripts(sys, l),
	}
	for _, s := range sys.Services {
		m.Services = append(m.Services, ServiceIn(s, l))
	}
	sort.Slice(m.Services, func(i, j int) bool { return m.Services[i].Name < m.Services[j].Name })
	for _, r := range sys.Runlevels {
		names := append([]string{}, r.Services...)
		sort.Strings(names)
		m.Runlevels = append(m.Runlevels, generations.Runlevel{Name: r.Name, Services: names})
	}
	sort.Slice(m.Runlevels, func(i, j int) bool { return m.Runlevels[i].Name < m.Runlevels[j].Name })
	for _, f := range sys.Files {
		m.Files = append(m.Files, generations.ManagedFile{Path: f.Path, Mode: fs.FileMode(f.Mode), Owner: f.Owner, Group: f.Group, Content: append([]byte{}, f.Content...)})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	system(sys, &m)
	return m
}

// Origin is where s was declared, "FILE:LINE" with FILE relative to the
// configuration folder (or "<sysconf>/MODULE/FILE" for a shipped module), as
// recorded beside the tree. Empty for a service built without a range.
func Origin(s *config.Service) string {
	if s.DeclRange.Filename == "" {
		return ""
	}
	return s.DeclRange.Filename + ":" + strconv.Itoa(s.DeclRange.Start.Line)
}

// stopTimeout is the content of timeout-kill: milliseconds, decimal, one line.
func stopTimeout(s *config.Service) []byte {
	return []byte(strconv.FormatInt(s.StopTimeout.Milliseconds(), 10) + "\n")
}

// Service renders one service's tree. The store adds the folders and the
// supervise links itself.
func Service(s *config.Service) generations.Service { return ServiceIn(s, generations.SandboxLayout) }

// ServiceIn renders one service's tree for a machine in layout l.
func ServiceIn(s *config.Service, l generations.Layout) generations.Service {
	if len(s.Files) > 0 {
		return generations.Service{Name: s.Name, Tree: verbatim(s.Files), Origin: Origin(s)}
	}
	var tree []generations.Entry
	file := func(p string, mode fs.FileMode, b []byte) {
		tree = append(tree, generations.Entry{Path: p, Mode: mode, Content: b})
	}
	if len(s.Command) > 0 {
		file("run", 0o755, runScript(s, s.Command, l))
	} else if needsWrapper(s) {
		file("run.script", 0o755, script("run.script", s, s.Run))
		file("run", 0o755, runScript(s, []string{"./run.script"}, l))
	} else {
		file("run", 0o755, script("run", s, s.Run))
	}
	if s.Finish != "" {
		file("finish", 0o755, script("finish", s, s.Finish))
	}
	if s.Check != "" {
		file("check", 0o755, script("check", s, s.Check))
	}
	if s.Down {
		file("down", 0o644, []byte{})
	}
	for _, k := range sortedKeys(s.Control) {
		file("control/"+k, 0o755, script("control/"+k, s, s.Control[k]))
	}
	for _, k := range sortedKeys(s.Env) {
		// envdir takes the first line; a lone newline sets an empty value
		// where an empty file would unset the variable.
		file("env/"+k, 0o644, []byte(s.Env[k]+"\n"))
	}
	// s6's names, which our supervisors read and runit's runsv ignores
	// (docs/transitions.md): milliseconds before SIGKILL, and the stop
	// signal. TERM, runsv's own, is written nowhere, so that saying it or
	// not is the same service.
	if s.StopTimeout > 0 {
		file("timeout-kill", 0o644, stopTimeout(s))
	}
	if s.StopSignal != "" && s.StopSignal != config.DefaultStopSignal {
		file("down-signal", 0o644, []byte(s.StopSignal+"\n"))
	}
	// Beyond runit (docs/runsv.md): the descriptor of the readiness
	// newline (s6's file), and the restart backoff (ours).
	if s.NotificationFD > 0 {
		file(supervise.NotificationFDFile, 0o644, []byte(strconv.Itoa(s.NotificationFD)+"\n"))
	}
	if r := s.Restart; r != nil {
		file(supervise.RestartBackoffFile, 0o644, []byte(supervise.Backoff{Delay: r.Delay, MaxDelay: r.MaxDelay, ResetAfter: r.ResetAfter}.Line()))
	}
	for _, lim := range []struct {
		name string
		v    *int64
	}{{"memory.max", s.Limits.MemoryMax}, {"pids.max", s.Limits.PidsMax}, {"cpu.weight", s.Limits.CPUWeight}} {
		if lim.v != nil {
			file(supervise.CgroupLimitsDir+"/"+lim.name, 0o644, []byte(strconv.FormatInt(*lim.v, 10)+"\n"))
		}
	}
	if s.Log != nil {
		file("log/config", 0o644, logConfig(s))
		file("log/run", 0o755, logRun(s, l))
		// svlogd stops on TERM at once, flushing; the bound only matters
		// for a log processor that hangs.
		if s.StopTimeout > 0 {
			file("log/timeout-kill", 0o644, stopTimeout(s))
		}
	}
	sort.Slice(tree, func(i, j int) bool { return tree[i].Path < tree[j].Path })
	return generations.Service{Name: s.Name, Tree: tree, Origin: Origin(s)}
}

// verbatim is the tree of files given as they are: each byte for byte
// with its mode, links and folders as given.
func verbatim(files []*config.TreeFile) []generations.Entry {
	tree := make([]generations.Entry, 0, len(files))
	for _, f := range files {
		e := generations.Entry{Path: f.Path, Mode: fs.FileMode(f.Mode), Content: append([]byte{}, f.Content...)}
		switch {
		case f.IsLink:
			e.Mode, e.Content = fs.ModeSymlink, []byte(f.Link)
		case f.IsDir:
			e.Mode, e.Content = fs.ModeDir|fs.FileMode(f.Mode), nil
		}
		tree = append(tree, e)
	}
	sort.Slice(tree, func(i, j int) bool { return tree[i].Path < tree[j].Path })
	return tree
}
