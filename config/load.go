package config

import (
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Options says where the sources are and which variable values to use.
type Options struct {
	// FS holds the sources; Path is a file or folder in it (an fs.FS path,
	// such as "." or "etc/sysconf"). A folder means every *.hcl file in it,
	// in name order. File names in ranges are relative to the folder of
	// Path, so they do not depend on where the sources sit.
	FS   fs.FS
	Path string

	// Modules holds the modules shipped with sysconf, one folder per module
	// (modules.FS). Nil means none.
	Modules fs.FS

	Vars     []string  // -var NAME=VALUE, in command-line order
	VarFiles []VarFile // -var-file contents, in command-line order
	Env      []string  // "KEY=VALUE" entries; SYSCONF_VAR_NAME sets variable NAME
}

// VarFile is the content of one -var-file, read by the caller.
type VarFile struct {
	Name string
	Src  []byte
}

// EnvPrefix starts an environment variable that sets a root variable.
const EnvPrefix = "SYSCONF_VAR_"

// BuiltinPrefix starts the file names of shipped modules in ranges.
const BuiltinPrefix = "<sysconf>/"

// maxModuleDepth bounds module nesting, so a module calling itself is an
// error rather than a hang.
const maxModuleDepth = 16

// Load parses and evaluates the description at o.Path. It reports every
// problem it finds at once; when the diagnostics hold an error the System is
// incomplete and only its Sources are meaningful. It never writes anything.
func Load(o Options) (*System, hcl.Diagnostics) {
	l := &loader{opts: o, sys: &System{Sources: map[string][]byte{}}, serviceAt: map[string]hcl.Range{}, fileAt: map[string]hcl.Range{}}
	l.load()
	return l.sys, dedupe(l.diags)
}

// dedupe drops diagnostics equal to an earlier one: a for_each service
// evaluates its body once per instance, and one mistake in it must read as
// one error, not one per key.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		severity        hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := map[key]bool{}
	var out hcl.Diagnostics
	for _, d := range diags {
		k := key{severity: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

type loader struct {
	opts  Options
	sys   *System
	diags hcl.Diagnostics
	base  string // the root module's folder in opts.FS

	services  []*serviceInst
	serviceAt map[string]hcl.Range
	fileAt    map[string]hcl.Range
	runlevels []*runlevelDecl
	rootVals  map[string]rootValue
	acct      *accountDecls
}

// serviceInst is one decoded service whose references are resolved once
// every module is loaded.
type serviceInst struct {
	svc    *Service
	prefix string
	deps   []nameRef
	depsAt *hcl.Range
}

type runlevelDecl struct {
	rl   *Runlevel
	refs []nameRef
}

// nameRef is a service named by a value, with where it was written.
type nameRef struct {
	name string
	rng  hcl.Range
}

func (l *loader) add(d ...*hcl.Diagnostic) { l.diags = append(l.diags, d...) }

func (l *loader) load() {
	o := l.opts
	if o.FS == nil {
		l.add(errDiag(nil, "No configuration", "No filesystem was given to read the configuration from."))
		return
	}
	p := path.Clean(o.Path)
	if o.Path == "" {
		p = "."
	}
	st, err := fs.Stat(o.FS, p)
	if err != nil {
		l.add(errDiag(nil, "Configuration not found", "Cannot read the configuration at %s: %s.", o.Path, unwrapPathError(err)))
		return
	}
	var files []string
	if st.IsDir() {
		l.base = p
	} else {
		l.base = path.Dir(p)
		files = []string{p}
	}
	root := &module{l: l, fsys: o.FS, dir: l.base, builtin: false}
	if !root.parse(files) {
		return
	}
	root.evaluate(rootInputs{l: l}, nil)
	l.finish(root)
}

// display is the file name a range shows for path p of fsys.
func (l *loader) display(builtin bool, p string) string {
	if builtin {
		return BuiltinPrefix + p
	}
	rel, err := filepath.Rel(l.base, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// finish resolves service names, builds the runlevels and sorts everything.
func (l *loader) finish(root *module) {
	byName := map[string]*serviceInst{}
	for _, s := range l.services {
		byName[s.svc.Name] = s
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	resolve := func(r nameRef, prefix string) (string, bool) {
		if _, ok := byName[prefix+r.name]; ok {
			return prefix + r.name, true
		}
		if _, ok := byName[r.name]; ok {
			return r.name, true
		}
		var local []string
		for _, n := range names {
			if rest, ok := strings.CutPrefix(n, prefix); ok {
				local = append(local, rest)
			}
		}
		rng := r.rng
		l.add(errDiag(&rng, "Unknown service", "There is no service named %q.%s", r.name, didYouMean(r.name, local)))
		return "", false
	}
	for _, s := range l.services {
		seen := map[string]bool{}
		for _, r := range s.deps {
			n, ok := resolve(r, s.prefix)
			if !ok {
				continue
			}
			if !seen[n] {
				seen[n] = true
				s.svc.DependsOn = append(s.svc.DependsOn, n)
			}
		}
		sort.Strings(s.svc.DependsOn)
	}
	l.checkCycles(names, byName)

	for _, rd := range l.runlevels {
		seen := map[string]bool{}
		for _, r := range rd.refs {
			n, ok := resolve(r, "")
			if !ok {
				continue
			}
			if !byName[n].svc.Enabled {
				rng := r.rng
				l.add(errDiag(&rng, "Disabled service in runlevel", "Service %q has enabled = false, so it cannot be linked in runlevel %q. Enable it or leave it out of the runlevel.", n, rd.rl.Name))
				continue
			}
			if !seen[n] {
				seen[n] = true
				rd.rl.Services = append(rd.rl.Services, n)
			}
		}
		sort.Strings(rd.rl.Services)
		l.sys.Runlevels = append(l.sys.Runlevels, rd.rl)
	}
	if len(l.runlevels) == 0 {
		def := &Runlevel{Name: "default", Services: []string{}}
		for _, n := range names {
			if byName[n].svc.Enabled {
				def.Services = append(def.Services, n)
			}
		}
		l.sys.Runlevels = append(l.sys.Runlevels, def)
	}
	sort.Slice(l.sys.Runlevels, func(i, j int) bool { return l.sys.Runlevels[i].Name < l.sys.Runlevels[j].Name })
	for _, n := range names {
		l.sys.Services = append(l.sys.Services, byName[n].svc)
	}
	sort.Slice(l.sys.Files, func(i, j int) bool { return l.sys.Files[i].Path < l.sys.Files[j].Path })
	sort.Slice(l.sys.Outputs, func(i, j int) bool { return l.sys.Outputs[i].Name < l.sys.Outputs[j].Name })
	l.sortAccounts()
}

// checkCycles reports each dependency cycle once, at the depends_on of the
// first service (by name) on it.
func (l *loader) checkCycles(names []string, byName map[string]*serviceInst) {
	deps := func(n string) []string { return byName[n].svc.DependsOn }
	walkDepthFirst(names, deps, func(cyc []string) {
		// Start the cycle at its smallest name, so the report is stable.
		first := 0
		for j := range cyc {
			if cyc[j] < cyc[first] {
				first = j
			}
		}
		cyc = append(cyc[first:], cyc[:first]...)
		s := byName[cyc[0]]
		rng := s.svc.DeclRange
		if s.depsAt != nil {
			rng = *s.depsAt
		}
		l.add(errDiag(&rng, "Dependency cycle", "Services depend on each other in a circle: %s → %s. runit would wait forever; remove one of these depends_on entries.", strings.Join(cyc, " → "), cyc[0]))
	}, nil)
}

// module is one module instance being loaded: the root, or one module call.
type module struct {
	l       *loader
	fsys    fs.FS
	dir     string
	builtin bool
	prefix  string // "" or "console." — prepended to service names
	path    string // "" or "console"
	depth   int

	variables map[string]*variableDecl
	varOrder  []string
	locals    map[string]*hcl.Attribute
	outputs   []*hcl.Block
	services  map[string]*serviceDecl
	svcOrder  []string
	runlevels []*hcl.Block
	boot      *hcl.Block
	machine   *hcl.Block // the system block (system.go)
	files     []*hcl.Block
	system    []*hcl.Block // group, user, directory and mount blocks (accounts.go)
	calls     map[string]*hcl.Block
	callOrder []string

	varVals    map[string]cty.Value
	localVals  map[string]cty.Value
	svcVals    map[string]cty.Value
	modVals    map[string]cty.Value
	fullNames  []string // full names of every service instance this module declares
	outputVals map[string]cty.Value

	funcs map[string]function.Function
	ctx   *hcl.EvalContext // nil when a value changed since it was built
}

type serviceDecl struct {
	block   *hcl.Block
	content *hcl.BodyContent
	forEach *hcl.Attribute

	forEachDone bool
	instances   []instance
	instancesOK bool
}

var topSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "output", LabelNames: []string{"name"}},
		{Type: "service", LabelNames: []string{"name"}},
		{Type: "runlevel", LabelNames: []string{"name"}},
		{Type: "file", LabelNames: []string{"path"}},
		{Type: "module", LabelNames: []string{"name"}},
		{Type: "boot"},
		{Type: "system"},
		{Type: "group", LabelNames: []string{"name"}},
		{Type: "user", LabelNames: []string{"name"}},
		{Type: "directory", LabelNames: []string{"path"}},
		{Type: "mount", LabelNames: []string{"path"}},
	},
}

// parse reads the module's files (every *.hcl of its folder when files is
// nil) and sorts its blocks by kind. It reports false when nothing could be
// read at all.
func (m *module) parse(files []string) bool {
	l := m.l
	if files == nil {
		ents, err := fs.ReadDir(m.fsys, m.dir)
		if err != nil {
			l.add(errDiag(nil, "Configuration not found", "Cannot read the folder %s: %s.", m.display(m.dir), unwrapPathError(err)))
			return false
		}
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, path.Join(m.dir, e.Name()))
			}
		}
		sort.Strings(files)
		if len(files) == 0 {
			l.add(errDiag(nil, "No configuration files", "The folder %s holds no *.hcl file.", m.display(m.dir)))
			return false
		}
	}
	m.variables = map[string]*variableDecl{}
	m.locals = map[string]*hcl.Attribute{}
	m.services = map[string]*serviceDecl{}
	m.calls = map[string]*hcl.Block{}
	outputAt := map[string]hcl.Range{}
	runlevelAt := map[string]hcl.Range{}
	for _, p := range files {
		src, err := fs.ReadFile(m.fsys, p)
		name := m.display(p)
		if err != nil {
			l.add(errDiag(nil, "Unreadable configuration file", "Cannot read %s: %s.", name, unwrapPathError(err)))
			continue
		}
		l.sys.Sources[name] = src
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		l.add(diags...)
		if f == nil || f.Body == nil {
			continue
		}
		content, diags := f.Body.Content(topSchema)
		l.add(diags...)
		for _, b := range content.Blocks {
			switch b.Type {
			case "variable":
				m.declareVariable(b)
			case "locals":
				attrs, diags := b.Body.JustAttributes()
				l.add(diags...)
				for _, a := range sortedAttrs(attrs) {
					if prev, ok := m.locals[a.Name]; ok {
						l.add(errDiag(a.NameRange.Ptr(), "Duplicate local value", "A local value named %q was already defined at %s. Local value names must be unique within a module.", a.Name, Pos(prev.NameRange)))
						continue
					}
					m.locals[a.Name] = a
				}
			case "output":
				name := b.Labels[0]
				if prev, ok := outputAt[name]; ok {
					l.add(errDiag(&b.LabelRanges[0], "Duplicate output block", "An output named %q was already defined at %s.", name, Pos(prev)))
					continue
				}
				if m.depth > 0 && (name == "services" || name == "service") {
					l.add(errDiag(&b.LabelRanges[0], "Reserved output name", "A module output cannot be named %q: module.NAME.services and module.NAME.service are the module's services. Pick another name.", name))
					continue
				}
				outputAt[name] = b.DefRange
				m.outputs = append(m.outputs, b)
			case "service":
				m.declareService(b)
			case "boot":
				m.declareBoot(b)
			case "system":
				m.declareMachine(b)
			case "runlevel":
				name := b.Labels[0]
				if m.depth > 0 {
					l.add(errDiag(&b.DefRange, "Runlevel block in a module", "Runlevels belong to the whole machine: declare them in the root configuration and list the module's services there (module.NAME.services)."))
					continue
				}
				if !validName(name) {
					l.add(errDiag(&b.LabelRanges[0], "Invalid runlevel name", "%q cannot name a runlevel. %s", name, nameRule))
					continue
				}
				if prev, ok := runlevelAt[name]; ok {
					l.add(errDiag(&b.LabelRanges[0], "Duplicate runlevel block", "A runlevel named %q was already declared at %s.", name, Pos(prev)))
					continue
				}
				runlevelAt[name] = b.DefRange
				m.runlevels = append(m.runlevels, b)
			case "file":
				m.files = append(m.files, b)
			case "group", "user", "directory", "mount":
				m.system = append(m.system, b)
			case "module":
				name := b.Labels[0]
				if !validName(name) {
					l.add(errDiag(&b.LabelRanges[0], "Invalid module name", "%q cannot name a module. %s", name, nameRule))
					continue
				}
				if prev, ok := m.calls[name]; ok {
					l.add(errDiag(&b.LabelRanges[0], "Duplicate module block", "A module named %q was already declared at %s.", name, Pos(prev.DefRange)))
					continue
				}
				m.calls[name] = b
				m.callOrder = append(m.callOrder, name)
			}
		}
	}
	sort.Strings(m.varOrder)
	sort.Strings(m.svcOrder)
	sort.Strings(m.callOrder)
	allowed := []string{l.base}
	if m.builtin || m.dir != l.base {
		allowed = append(allowed, m.dir)
	}
	m.funcs = functions(fileReader{
		fsys: m.fsys, dir: m.dir, allowed: allowed,
		display: m.display,
		seen:    func(name string, src []byte) { l.sys.Sources[name] = src },
	})
	return true
}

func (m *module) display(p string) string { return m.l.display(m.builtin, p) }

func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Range.Filename != out[j].Range.Filename {
			return out[i].Range.Filename < out[j].Range.Filename
		}
		return out[i].Range.Start.Byte < out[j].Range.Start.Byte
	})
	return out
}

// inputs gives a module's variables their values: from the command line
// for the root, from the module block for a call.
type inputs interface {
	// value returns the raw value for a variable and where it came from, or
	// ok=false when none was given.
	value(m *module, v *variableDecl) (val cty.Value, rng *hcl.Range, ok bool)
	// check reports values given for variables the module does not declare.
	check(m *module)
	missing(m *module, v *variableDecl)
}

// evaluate computes the module's variables, locals, module calls, services,
// files and outputs. The caller gives in the inputs and, for a call, the
// range of the module block.
func (m *module) evaluate(in inputs, call *hcl.Block) {
	m.varVals = map[string]cty.Value{}
	m.localVals = map[string]cty.Value{}
	m.svcVals = map[string]cty.Value{}
	m.modVals = map[string]cty.Value{}
	in.check(m)
	for _, name := range m.varOrder {
		m.varVals[name] = m.variableValue(m.variables[name], in)
	}
	// A plain service's value is its full name and known at once; a
	// for_each one waits for its for_each expression.
	for _, name := range m.svcOrder {
		if m.services[name].forEach == nil {
			m.svcVals[name] = cty.StringVal(m.prefix + name)
		}
	}
	m.evaluateGraph()
	ctx := m.evalContext()
	for _, name := range m.svcOrder {
		m.decodeServiceInstances(m.services[name], ctx)
	}
	for _, b := range m.files {
		m.decodeFile(b, ctx)
	}
	for _, b := range m.system {
		m.decodeSystemBlock(b, ctx)
	}
	for _, b := range m.runlevels {
		m.decodeRunlevel(b, ctx)
	}
	for _, b := range m.outputs {
		m.decodeOutput(b, ctx)
	}
	if m.depth == 0 {
		m.decodeBoot(ctx)
		m.decodeMachine(ctx)
	}
}

// evalContext returns the context for expressions of this module, building
// it again only when a value changed.
func (m *module) evalContext() *hcl.EvalContext {
	if m.ctx != nil {
		return m.ctx
	}
	obj := func(vals map[string]cty.Value) cty.Value {
		if len(vals) == 0 {
			return cty.EmptyObjectVal
		}
		return cty.ObjectVal(vals)
	}
	m.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":     obj(m.varVals),
			"local":   obj(m.localVals),
			"service": obj(m.svcVals),
			"module":  obj(m.modVals),
		},
		Functions: m.funcs,
	}
	return m.ctx
}

// eval checks expr's references, then evaluates it. ok is false when an
// error was reported (or the value is unknown because of an earlier one).
func (m *module) eval(expr hcl.Expression, ctx *hcl.EvalContext, allowEach bool) (cty.Value, bool) {
	if diags := m.checkRefs(expr, allowEach); diags.HasErrors() {
		m.l.add(diags...)
		return cty.DynamicVal, false
	}
	v, diags := expr.Value(ctx)
	m.l.add(diags...)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.DynamicVal, false
	}
	return v, true
}

// checkRefs reports references to names this module does not declare, with
// a suggestion when one is close.
func (m *module) checkRefs(expr hcl.Expression, allowEach bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		rng := tr.SourceRange()
		var attr string
		var attrRange hcl.Range
		if len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				attr, attrRange = a.Name, a.SrcRange
			}
		}
		switch root {
		case "var":
			if attr != "" && m.variables[attr] == nil {
				diags = append(diags, errDiag(&rng, "Reference to undeclared input variable", "An input variable named %q is not declared in this module.%s", attr, didYouMean(attr, m.varOrder)))
			}
		case "local":
			if attr != "" && m.locals[attr] == nil {
				diags = append(diags, errDiag(&rng, "Reference to undeclared local value", "A local value named %q is not declared in this module.%s", attr, didYouMean(attr, keys(m.locals))))
			}
		case "service":
			if attr != "" && m.services[attr] == nil {
				diags = append(diags, errDiag(&rng, "Reference to undeclared service", "A service named %q is not declared in this module.%s", attr, didYouMean(attr, m.svcOrder)))
			}
		case "module":
			if attr != "" && m.calls[attr] == nil {
				diags = append(diags, errDiag(&rng, "Reference to undeclared module", "No module named %q is called in this module.%s", attr, didYouMean(attr, m.callOrder)))
			}
		case "each":
			if !allowEach {
				diags = append(diags, errDiag(&rng, "Reference to each outside for_each", "each.key and each.value exist only inside a service block that has for_each."))
			} else if attr != "" && attr != "key" && attr != "value" {
				diags = append(diags, errDiag(&attrRange, "Unsupported attribute", "each has only key and value.%s", didYouMean(attr, []string{"key", "value"})))
			}
		default:
			roots := []string{"var", "local", "service", "module"}
			if allowEach {
				roots = append(roots, "each")
			}
			diags = append(diags, errDiag(&rng, "Unknown variable", "There is no variable named %q: a reference starts with var., local., service. or module.%s", root, didYouMean(root, roots)))
		}
	}
	return diags
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
