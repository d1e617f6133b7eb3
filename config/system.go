package config

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Machine is the system block: how the machine's runit is laid out, and
// stage scripts taken as they are. A System without a system block has a
// nil Machine: the layout is detected from the machine, and the stage
// scripts are generated from the boot block.
//
//	system {
//	  layout = "void"            # or definitions, runlevels, service, watch, supervise
//	  stage "2" {
//	    source = "runit/2"       # or content; mode "0755" when not given
//	  }
//	}
type Machine struct {
	// Layout names one of the layouts sysconf ships ("void", "debian",
	// "artix", "sandbox"); the config does not know the list, the CLI
	// checks it at LayoutRange.
	Layout      string
	LayoutRange hcl.Range
	// Paths are the per-path attributes, absolute ("/etc/sv"), keyed by
	// attribute name (MachinePaths); each overrides the named (or
	// detected) layout's. PathRanges holds their expressions' ranges.
	Paths      map[string]string
	PathRanges map[string]hcl.Range
	// Stages are the stage scripts given as they are ("1", "2", "3",
	// "ctrlaltdel"), sorted by Path; each replaces the generated one.
	Stages []*TreeFile

	DeclRange hcl.Range
}

// MachinePaths are the system block's per-path attributes, in the order
// a layout lists them.
var MachinePaths = []string{"definitions", "runlevels", "service", "watch", "supervise"}

// StageNames are the stage scripts runit runs, as stage blocks name them.
var StageNames = []string{"1", "2", "3", "ctrlaltdel"}

// TreeFile is one file, link or folder given as it is: a service's file
// block or a system block's stage block. Its content is written byte for
// byte, with no header.
type TreeFile struct {
	Path    string // relative, clean: "run", "log/run", "env/PGPORT"
	Mode    uint32 // permission bits
	Content []byte // a regular file's bytes
	Link    string // a symbolic link's target, when IsLink
	IsLink  bool
	IsDir   bool

	DeclRange hcl.Range
}

var systemSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "layout"}, {Name: "definitions"}, {Name: "runlevels"}, {Name: "service"}, {Name: "watch"}, {Name: "supervise"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "stage", LabelNames: []string{"name"}}},
}

var treeFileSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "content"}, {Name: "source"}, {Name: "link"}, {Name: "directory"}, {Name: "mode"}},
}

// stageSchema is a stage block's: a file, never a link or a folder.
var stageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "content"}, {Name: "source"}, {Name: "mode"}},
}

// declareMachine keeps the machine's one system block.
func (m *module) declareMachine(b *hcl.Block) { m.declareOnce(b, "System", "system", &m.machine) }

// decodeMachine evaluates the system block into l.sys.Machine.
func (m *module) decodeMachine(ctx *hcl.EvalContext) {
	l := m.l
	if m.machine == nil {
		return
	}
	b := m.machine
	content, diags := b.Body.Content(systemSchema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	mc := &Machine{Paths: map[string]string{}, PathRanges: map[string]hcl.Range{}, DeclRange: b.DefRange}
	if s, at, ok := a.str("layout"); ok {
		mc.Layout, mc.LayoutRange = s, at.Expr.Range()
	}
	for _, name := range MachinePaths {
		if p, ok := a.absPath(name, "Invalid layout path"); ok {
			if p == "/" {
				l.add(errDiag(a.attrs[name].Expr.Range().Ptr(), "Invalid layout path", "%s cannot be / itself.", name))
				continue
			}
			if base := path.Base(p); name == "supervise" && (base != "supervise.%s" && base != "%s" || strings.Count(p, "%") != 1 || path.Dir(p) == "/") {
				l.add(errDiag(a.attrs[name].Expr.Range().Ptr(), "Invalid layout path", "supervise names each service's supervise folder, %%s being the service's name: DIR/supervise.%%s (runit-void's names, the log's supervise.NAME-log) or DIR/%%s (Debian's, the log's NAME.log), such as \"/run/runit/supervise.%%s\"; %q is neither.", p))
				continue
			}
			mc.Paths[name], mc.PathRanges[name] = p, a.attrs[name].Expr.Range()
		}
	}
	seen := map[string]hcl.Range{}
	for _, sb := range content.Blocks {
		name := sb.Labels[0]
		if !contains(StageNames, name) {
			l.add(errDiag(&sb.LabelRanges[0], "Unknown stage script", "runit runs the stage scripts %s; %q is not one.%s", strings.Join(StageNames, ", "), name, didYouMean(name, StageNames)))
			continue
		}
		if prev, ok := seen[name]; ok {
			l.add(errDiag(&sb.LabelRanges[0], "Duplicate stage block", "Stage %s was already given at %s.", name, Pos(prev)))
			continue
		}
		seen[name] = sb.DefRange
		if f := m.decodeTreeFile(sb, stageSchema, name, 0o755, ctx, false); f != nil {
			mc.Stages = append(mc.Stages, f)
		}
	}
	sort.Slice(mc.Stages, func(i, j int) bool { return mc.Stages[i].Path < mc.Stages[j].Path })
	l.sys.Machine = mc
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// decodeTreeFile decodes a file given as it is (a service's file block, a
// stage block) at path p, with schema: exactly one of content, source (a file beside
// the configuration, read as bytes), link or directory, and mode (octal
// in a string; def when not given). It returns nil after reporting an
// error.
func (m *module) decodeTreeFile(b *hcl.Block, schema *hcl.BodySchema, p string, def uint32, ctx *hcl.EvalContext, allowEach bool) *TreeFile {
	l := m.l
	content, diags := b.Body.Content(schema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx, allowEach: allowEach}
	f := &TreeFile{Path: p, Mode: def, DeclRange: b.DefRange}
	var given []*hcl.Attribute
	for _, k := range []string{"content", "source", "link", "directory"} {
		if at := content.Attributes[k]; at != nil {
			given = append(given, at)
		}
	}
	switch {
	case len(given) > 1:
		l.add(errDiag(given[1].NameRange.Ptr(), "Conflicting file contents", "%s gives both %s (at %s) and %s; give one of content, source, link and directory.", p, given[0].Name, Pos(given[0].NameRange), given[1].Name))
		return nil
	case len(given) == 0:
		if schema == stageSchema {
			l.add(errDiag(&b.DefRange, "Missing file content", "Stage %s needs content (a string) or source (a file beside the configuration).", p))
			return nil
		}
		l.add(errDiag(&b.DefRange, "Missing file content", "%s needs content (a string), source (a file beside the configuration), link (a symbolic link's target) or directory = true.", p))
		return nil
	}
	switch given[0].Name {
	case "content":
		s, _, ok := a.str("content")
		if !ok {
			return nil
		}
		f.Content = []byte(s)
	case "source":
		s, at, ok := a.str("source")
		if !ok {
			return nil
		}
		r := fileReader{fsys: m.fsys, dir: m.dir, allowed: []string{l.base, m.dir}, display: m.display, seen: func(string, []byte) {}}
		_, src, err := r.read(s)
		if err != nil {
			l.add(errDiag(at.Expr.Range().Ptr(), "Source file not found", "Cannot read the source of %s: %s.", p, err))
			return nil
		}
		f.Content = src
	case "link":
		s, at, ok := a.str("link")
		if !ok {
			return nil
		}
		if s == "" || strings.IndexByte(s, 0) >= 0 {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid link", "A link's target is a non-empty path."))
			return nil
		}
		f.Link, f.IsLink = s, true
	case "directory":
		if !a.boolean("directory", false) {
			l.add(errDiag(given[0].Expr.Range().Ptr(), "Invalid directory", "directory is true (a folder) or left out."))
			return nil
		}
		f.IsDir = true
		if def == 0o644 {
			f.Mode = 0o755
		}
	}
	if s, at, ok := a.str("mode"); ok {
		t := strings.TrimPrefix(s, "0o")
		n, err := strconv.ParseUint(t, 8, 32)
		if err != nil || n > 0o777 || len(t) < 3 || len(t) > 4 {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid file mode", "%q is not a file mode: give octal digits as a string, such as \"0755\" or \"0644\".", s))
			return nil
		}
		if f.IsLink {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid file mode", "A symbolic link has no mode of its own; leave mode out."))
			return nil
		}
		f.Mode = uint32(n)
	}
	return f
}

// serviceFileBlocks decodes a service's file blocks: the service's whole
// tree, given as it is (what sysconf import writes for a service found on
// a machine). They exclude the attributes that generate files.
func (m *module) serviceFileBlocks(s *Service, sd *serviceDecl, ctx *hcl.EvalContext, allowEach bool) {
	l := m.l
	at := map[string]hcl.Range{}
	for _, blk := range sd.content.Blocks {
		if blk.Type != "file" {
			continue
		}
		p := blk.Labels[0]
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.ContainsAny(p, "\n\x00") {
			l.add(errDiag(&blk.LabelRanges[0], "Invalid service file path", "%q must be a clean path inside the service folder, such as \"run\" or \"log/run\".", p))
			continue
		}
		if p == "supervise" || p == "log/supervise" {
			l.add(errDiag(&blk.LabelRanges[0], "Invalid service file path", "%s is the supervisor's state: sysconf links it itself.", p))
			continue
		}
		if prev, ok := at[p]; ok {
			l.add(errDiag(&blk.LabelRanges[0], "Duplicate file block", "Service %q already has a file %s at %s.", s.Name, p, Pos(prev)))
			continue
		}
		at[p] = blk.DefRange
		if f := m.decodeTreeFile(blk, treeFileSchema, p, 0o644, ctx, allowEach); f != nil {
			s.Files = append(s.Files, f)
		}
	}
	if len(at) == 0 {
		return
	}
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	if _, ok := at["run"]; !ok {
		l.add(errDiag(&sd.block.DefRange, "Missing run file", "Service %q gives its files as they are, and needs a file \"run\" among them.", s.Name))
	}
	for _, name := range []string{"command", "run", "user", "group", "env", "chdir", "nice", "finish", "check", "down", "control", "depends_on", "stop_timeout", "stop_signal", "notification_fd"} {
		if a := sd.content.Attributes[name]; a != nil {
			l.add(errDiag(a.NameRange.Ptr(), "Conflicting file blocks", "Service %q gives its files as they are (file blocks), so %s, which generates files, cannot be given too: put what it says in the files.", s.Name, name))
		}
	}
	for _, blk := range sd.content.Blocks {
		if blk.Type == "limits" || blk.Type == "log" || blk.Type == "restart" {
			l.add(errDiag(&blk.DefRange, "Conflicting file blocks", "Service %q gives its files as they are (file blocks), so a %s block, which generates files, cannot be given too.", s.Name, blk.Type))
		}
	}
	// Its files are as given: no stop timeout or signal file is added.
	s.StopTimeout, s.StopSignal = 0, ""
}

// ValidName reports whether s can name a service, runlevel or module in a
// description (nameRule).
func ValidName(s string) bool { return validName(s) }
