package config

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// node is one value of a module that other expressions may refer to and
// that must be computed in dependency order: a local value, a module call,
// or a for_each service (whose value is the map of its instances' names).
type node struct {
	key   string // "local.x", "module.y", "service.z"
	rng   hcl.Range
	exprs []hcl.Expression
	eval  func()
}

// evaluateGraph computes locals, module calls and for_each services in
// dependency order, reporting each reference cycle once.
func (m *module) evaluateGraph() {
	nodes := map[string]*node{}
	for name, a := range m.locals {
		a := a
		name := name
		nodes["local."+name] = &node{key: "local." + name, rng: a.NameRange, exprs: []hcl.Expression{a.Expr}, eval: func() {
			v, _ := m.eval(a.Expr, m.evalContext(), false)
			m.localVals[name] = v
			m.ctx = nil
		}}
	}
	for name, b := range m.calls {
		b := b
		name := name
		attrs, diags := b.Body.JustAttributes()
		m.l.add(diags...)
		var exprs []hcl.Expression
		for _, a := range attrs {
			exprs = append(exprs, a.Expr)
		}
		nodes["module."+name] = &node{key: "module." + name, rng: b.DefRange, exprs: exprs, eval: func() {
			m.modVals[name] = m.callModule(name, b, attrs)
			m.ctx = nil
		}}
	}
	for name, sd := range m.services {
		if sd.forEach == nil {
			continue
		}
		sd := sd
		name := name
		nodes["service."+name] = &node{key: "service." + name, rng: sd.block.DefRange, exprs: []hcl.Expression{sd.forEach.Expr}, eval: func() {
			m.svcVals[name] = m.forEachValue(name, sd)
			m.ctx = nil
		}}
	}
	deps := func(n *node) []string {
		var out []string
		for _, e := range n.exprs {
			for _, tr := range e.Variables() {
				if len(tr) < 2 {
					continue
				}
				a, ok := tr[1].(hcl.TraverseAttr)
				if !ok {
					continue
				}
				k := tr.RootName() + "." + a.Name
				if _, ok := nodes[k]; ok {
					out = append(out, k)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	walkDepthFirst(keys(nodes), func(k string) []string { return deps(nodes[k]) },
		func(cycle []string) {
			rng := nodes[cycle[0]].rng
			m.l.add(errDiag(&rng, "Reference cycle", "These values refer to each other in a circle, so none can be computed: %s.", strings.Join(append(cycle, cycle[0]), " → ")))
		},
		func(k string, cyclic bool) {
			if cyclic {
				m.markUnknown(k)
				return
			}
			nodes[k].eval()
		})
}

func (m *module) markUnknown(k string) {
	root, name, _ := strings.Cut(k, ".")
	switch root {
	case "local":
		m.localVals[name] = cty.DynamicVal
	case "module":
		m.modVals[name] = cty.DynamicVal
	case "service":
		m.svcVals[name] = cty.DynamicVal
	}
	m.ctx = nil
}

// callModule loads the module a module block calls and returns its value:
// services (the full names of all its services), service (label → value)
// and its outputs.
func (m *module) callModule(name string, b *hcl.Block, attrs hcl.Attributes) cty.Value {
	l := m.l
	srcAttr, ok := attrs["source"]
	if !ok {
		l.add(errDiag(&b.DefRange, "Missing module source", "A module block needs source: the name of a module shipped with sysconf, or a local folder starting with ./ or ../."))
		return cty.DynamicVal
	}
	sv, diags := srcAttr.Expr.Value(nil)
	if diags.HasErrors() || sv.Type() != cty.String || sv.IsNull() || !sv.IsKnown() {
		l.add(errDiag(srcAttr.Expr.Range().Ptr(), "Invalid module source", "source must be a literal string, such as \"getty\" or \"./modules/web\"."))
		return cty.DynamicVal
	}
	src := sv.AsString()
	child := &module{l: l, prefix: m.prefix + name + ".", path: m.path + dotted(m.path) + name, depth: m.depth + 1}
	if m.depth+1 > maxModuleDepth {
		l.add(errDiag(srcAttr.Expr.Range().Ptr(), "Module nesting too deep", "Modules are nested more than %d deep here; a module probably calls itself.", maxModuleDepth))
		return cty.DynamicVal
	}
	switch {
	case strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
		child.fsys, child.dir, child.builtin = m.fsys, path.Join(m.dir, src), m.builtin
		if st, err := fs.Stat(child.fsys, child.dir); err != nil || !st.IsDir() || !fs.ValidPath(child.dir) {
			l.add(errDiag(srcAttr.Expr.Range().Ptr(), "Module not found", "There is no folder %s for module %q.", src, name))
			return cty.DynamicVal
		}
	default:
		var shipped []string
		if l.opts.Modules != nil {
			ents, _ := fs.ReadDir(l.opts.Modules, ".")
			for _, e := range ents {
				if e.IsDir() {
					shipped = append(shipped, e.Name())
				}
			}
		}
		found := false
		for _, s := range shipped {
			found = found || s == src
		}
		if !found {
			l.add(errDiag(srcAttr.Expr.Range().Ptr(), "Module not found", "No module named %q is shipped with sysconf (shipped: %s).%s A local folder must start with ./ or ../.", src, strings.Join(shipped, ", "), didYouMean(src, shipped)))
			return cty.DynamicVal
		}
		child.fsys, child.dir, child.builtin = l.opts.Modules, src, true
	}
	in := callInputs{block: b, attrs: map[string]*hcl.Attribute{}, vals: map[string]cty.Value{}}
	ctx := m.evalContext()
	for _, a := range sortedAttrs(attrs) {
		if a.Name == "source" {
			continue
		}
		in.attrs[a.Name] = a
		if v, ok := m.eval(a.Expr, ctx, false); ok {
			in.vals[a.Name] = v
		}
	}
	if !child.parse(nil) {
		return cty.DynamicVal
	}
	child.evaluate(in, b)

	val := map[string]cty.Value{}
	names := append([]string(nil), child.fullNames...)
	sort.Strings(names)
	if len(names) == 0 {
		val["services"] = cty.ListValEmpty(cty.String)
	} else {
		list := make([]cty.Value, len(names))
		for i, n := range names {
			list[i] = cty.StringVal(n)
		}
		val["services"] = cty.ListVal(list)
	}
	if len(child.svcVals) == 0 {
		val["service"] = cty.EmptyObjectVal
	} else {
		val["service"] = cty.ObjectVal(child.svcVals)
	}
	for k, v := range child.outputVals {
		val[k] = v
	}
	return cty.ObjectVal(val)
}

func dotted(p string) string {
	if p == "" {
		return ""
	}
	return "."
}

// forEachValue checks a for_each expression and returns the object of
// instance key → full service name.
func (m *module) forEachValue(label string, sd *serviceDecl) cty.Value {
	inst, ok := m.forEachInstances(label, sd)
	if !ok {
		return cty.DynamicVal
	}
	if len(inst) == 0 {
		return cty.EmptyObjectVal
	}
	obj := map[string]cty.Value{}
	for _, in := range inst {
		obj[in.key] = cty.StringVal(m.prefix + label + "-" + in.key)
	}
	return cty.ObjectVal(obj)
}

type instance struct {
	key   string
	value cty.Value
}

// forEachInstances evaluates for_each: a set or list of strings (key and
// value are the string) or a map or object (key → value), sorted by key.
func (m *module) forEachInstances(label string, sd *serviceDecl) ([]instance, bool) {
	if sd.forEachDone {
		return sd.instances, sd.instancesOK
	}
	sd.forEachDone = true
	a := sd.forEach
	v, ok := m.eval(a.Expr, m.evalContext(), false)
	if !ok {
		return nil, false
	}
	ty := v.Type()
	bad := func() ([]instance, bool) {
		m.l.add(errDiag(a.Expr.Range().Ptr(), "Invalid for_each argument", "for_each must be a set or list of strings, or a map; each key names one instance (%q + \"-\" + key)."+" This value is of type %s.", label, ty.FriendlyName()))
		return nil, false
	}
	if v.IsNull() {
		return bad()
	}
	var out []instance
	seen := map[string]bool{}
	switch {
	case ty.IsSetType() || ty.IsListType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.IsNull() || e.Type() != cty.String {
				return bad()
			}
			k := e.AsString()
			if seen[k] {
				m.l.add(errDiag(a.Expr.Range().Ptr(), "Duplicate for_each key", "The key %q appears twice; each instance needs its own key.", k))
				return nil, false
			}
			seen[k] = true
			out = append(out, instance{key: k, value: e})
		}
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out = append(out, instance{key: k.AsString(), value: e})
		}
	default:
		return bad()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	for _, in := range out {
		if !validName(label + "-" + in.key) {
			m.l.add(errDiag(a.Expr.Range().Ptr(), "Invalid for_each key", "The key %q would name the service %q, which is not a valid name. %s", in.key, label+"-"+in.key, nameRule))
			return nil, false
		}
	}
	sd.instances, sd.instancesOK = out, true
	return out, true
}
