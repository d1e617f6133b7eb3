package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// variableDecl is a decoded variable block.
type variableDecl struct {
	Name        string
	Type        cty.Type
	Default     *hcl.Attribute
	Description string
	Validations []validation
	DeclRange   hcl.Range
}

type validation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

var reservedVariableNames = map[string]bool{"source": true, "for_each": true, "depends_on": true, "count": true, "providers": true, "version": true}

func (m *module) declareVariable(b *hcl.Block) {
	l := m.l
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.add(errDiag(&b.LabelRanges[0], "Invalid variable name", "%q is not a valid variable name: use letters, digits, '_' and '-', starting with a letter.", name))
		return
	}
	if reservedVariableNames[name] {
		l.add(errDiag(&b.LabelRanges[0], "Reserved variable name", "%q is an argument of the module block itself, so it cannot name a variable.", name))
		return
	}
	if prev, ok := m.variables[name]; ok {
		l.add(errDiag(&b.LabelRanges[0], "Duplicate variable block", "A variable named %q was already declared at %s. Variable names must be unique within a module.", name, Pos(prev.DeclRange)))
		return
	}
	v := &variableDecl{Name: name, Type: cty.DynamicPseudoType, DeclRange: b.DefRange}
	content, diags := b.Body.Content(variableSchema)
	l.add(diags...)
	if a := content.Attributes["type"]; a != nil {
		ty, diags := typeexpr.TypeConstraint(a.Expr)
		l.add(diags...)
		if !diags.HasErrors() {
			v.Type = ty
		}
	}
	if a := content.Attributes["description"]; a != nil {
		if val, diags := a.Expr.Value(nil); !diags.HasErrors() && val.Type() == cty.String && val.IsKnown() && !val.IsNull() {
			v.Description = val.AsString()
		} else {
			l.add(errDiag(a.Expr.Range().Ptr(), "Invalid variable description", "A description must be a literal string."))
		}
	}
	v.Default = content.Attributes["default"]
	for _, vb := range content.Blocks {
		vc, diags := vb.Body.Content(validationSchema)
		l.add(diags...)
		if diags.HasErrors() {
			continue
		}
		v.Validations = append(v.Validations, validation{Condition: vc.Attributes["condition"].Expr, ErrorMessage: vc.Attributes["error_message"].Expr, DeclRange: vb.DefRange})
	}
	m.variables[name] = v
	m.varOrder = append(m.varOrder, name)
}

// variableValue computes one variable's value: the given one, or the
// default, converted to its type and validated.
func (m *module) variableValue(v *variableDecl, in inputs) cty.Value {
	l := m.l
	raw, rng, ok := in.value(m, v)
	summary := "Invalid value for variable"
	if !ok {
		if v.Default == nil {
			in.missing(m, v)
			return cty.DynamicVal
		}
		val, diags := v.Default.Expr.Value(nil)
		if diags.HasErrors() {
			l.add(errDiag(v.Default.Expr.Range().Ptr(), "Invalid default value for variable", "A default must be a literal value: it cannot refer to anything or call functions (%s).", diags[0].Summary))
			return cty.DynamicVal
		}
		raw, rng, summary = val, v.Default.Expr.Range().Ptr(), "Invalid default value for variable"
	}
	if !raw.IsWhollyKnown() {
		return cty.DynamicVal
	}
	val, err := convert.Convert(raw, v.Type)
	if err != nil {
		if summary == "Invalid value for variable" {
			summary = "Incorrect variable type"
		}
		l.add(errDiag(rng, summary, "The value for variable %q does not fit its type %s: %s.", v.Name, typeexpr.TypeString(v.Type), err))
		return cty.DynamicVal
	}
	for _, vd := range v.Validations {
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.Name: val})},
			Functions: m.funcs,
		}
		bad := false
		for _, tr := range vd.Condition.Variables() {
			if tr.RootName() != "var" || len(tr) < 2 || tr[1].(hcl.TraverseAttr).Name != v.Name {
				r := tr.SourceRange()
				l.add(errDiag(&r, "Invalid reference in variable validation", "A validation condition may refer only to var.%s itself.", v.Name))
				bad = true
			}
		}
		if bad {
			continue
		}
		cond, diags := vd.Condition.Value(ctx)
		if diags.HasErrors() {
			l.add(diags...)
			continue
		}
		cond, err := convert.Convert(cond, cty.Bool)
		if err != nil || cond.IsNull() || !cond.IsKnown() {
			l.add(errDiag(vd.Condition.Range().Ptr(), "Invalid validation condition", "A validation condition must give true or false."))
			continue
		}
		if cond.True() {
			continue
		}
		msg := "The value does not pass the validation condition."
		if mv, diags := vd.ErrorMessage.Value(ctx); !diags.HasErrors() && mv.Type() == cty.String && mv.IsKnown() && !mv.IsNull() {
			msg = mv.AsString()
		}
		d := errDiag(rng, "Invalid value for variable", "%s\n\nThis was checked by the validation rule at %s.", msg, Pos(vd.DeclRange))
		if rng == nil {
			d.Detail = fmt.Sprintf("Variable %q: %s\n\nThis was checked by the validation rule at %s.", v.Name, msg, Pos(vd.DeclRange))
		}
		l.add(d)
		return cty.DynamicVal
	}
	return val
}

// rootInputs are the values for the root module's variables: SYSCONF_VAR_*
// from the environment, then -var-file files in order, then -var flags in
// order, each later source winning, as in Terraform.
type rootInputs struct {
	l *loader
}

type rootValue struct {
	val cty.Value
	rng *hcl.Range
	raw string
	has bool // raw is a command-line string still to parse for its type
}

func (r rootInputs) collect(m *module) map[string]rootValue {
	out := map[string]rootValue{}
	env := append([]string(nil), r.l.opts.Env...)
	sort.Strings(env)
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if name, ok := strings.CutPrefix(k, EnvPrefix); ok && m.variables[name] != nil {
				out[name] = rootValue{raw: v, has: true}
			}
		}
	}
	for _, vf := range r.l.opts.VarFiles {
		for name, rv := range r.varFile(vf) {
			out[name] = rv
		}
	}
	for _, kv := range r.l.opts.Vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			r.l.add(errDiag(nil, "Invalid -var option", "The option -var %q is not of the form NAME=VALUE.", kv))
			continue
		}
		out[k] = rootValue{raw: v, has: true}
	}
	return out
}

func (r rootInputs) varFile(vf VarFile) map[string]rootValue {
	out := map[string]rootValue{}
	r.l.sys.Sources[vf.Name] = vf.Src
	f, diags := hclsyntax.ParseConfig(vf.Src, vf.Name, hcl.InitialPos)
	r.l.add(diags...)
	if diags.HasErrors() {
		return out
	}
	attrs, diags := f.Body.JustAttributes()
	r.l.add(diags...)
	for _, a := range sortedAttrs(attrs) {
		v, diags := a.Expr.Value(&hcl.EvalContext{Functions: sharedFunctions})
		r.l.add(diags...)
		if diags.HasErrors() {
			continue
		}
		out[a.Name] = rootValue{val: v, rng: a.Expr.Range().Ptr()}
	}
	return out
}

func (r rootInputs) check(m *module) {
	// The values are collected once per load; check reports the undeclared.
	for _, name := range keys(r.collectCached(m)) {
		if m.variables[name] == nil {
			d := errDiag(nil, "Value for undeclared variable", "A value was given for variable %q, which is not declared.%s Declare it with a variable block or drop the value.", name, didYouMean(name, m.varOrder))
			r.l.add(d)
		}
	}
}

func (r rootInputs) value(m *module, v *variableDecl) (cty.Value, *hcl.Range, bool) {
	rv, ok := r.collectCached(m)[v.Name]
	if !ok {
		return cty.NilVal, nil, false
	}
	if !rv.has {
		return rv.val, rv.rng, true
	}
	// A command-line string is the value itself for a primitive type and
	// for a variable without a type (as in Terraform, which reads such a
	// value as a string: -var greeting=hello), and an HCL expression
	// ("[1, 2]", "{a = 1}") for a collection or structural type.
	if v.Type.IsPrimitiveType() || v.Type == cty.DynamicPseudoType {
		return cty.StringVal(rv.raw), nil, true
	}
	expr, diags := hclsyntax.ParseExpression([]byte(rv.raw), "<value for var."+v.Name+">", hcl.InitialPos)
	if diags.HasErrors() {
		r.l.add(errDiag(nil, "Invalid value for variable", "The value given for variable %q is not a valid expression: %s.", v.Name, diags[0].Detail))
		return cty.DynamicVal, nil, true
	}
	val, diags := expr.Value(&hcl.EvalContext{Functions: sharedFunctions})
	if diags.HasErrors() {
		r.l.add(errDiag(nil, "Invalid value for variable", "The value given for variable %q cannot be evaluated: %s.", v.Name, diags[0].Detail))
		return cty.DynamicVal, nil, true
	}
	return val, nil, true
}

// collectCached keeps the collected values on the loader, so var files are
// parsed (and their errors reported) once.
func (r rootInputs) collectCached(m *module) map[string]rootValue {
	if r.l.rootVals == nil {
		r.l.rootVals = r.collect(m)
	}
	return r.l.rootVals
}

func (r rootInputs) missing(m *module, v *variableDecl) {
	r.l.add(errDiag(&v.DeclRange, "No value for required variable", "Variable %q (declared at %s) has no default, so it needs a value: -var %s=VALUE, a -var-file, or %s%s in the environment.", v.Name, Pos(v.DeclRange), v.Name, EnvPrefix, v.Name))
}

// callInputs are the values a module block gives its module.
type callInputs struct {
	block *hcl.Block
	attrs map[string]*hcl.Attribute
	vals  map[string]cty.Value
}

func (c callInputs) check(m *module) {
	for _, a := range sortedAttrs(c.attrs) {
		if m.variables[a.Name] == nil {
			m.l.add(errDiag(a.NameRange.Ptr(), "Unsupported argument", "The module %q has no input variable named %q.%s", m.path, a.Name, didYouMean(a.Name, m.varOrder)))
		}
	}
}

func (c callInputs) value(m *module, v *variableDecl) (cty.Value, *hcl.Range, bool) {
	a, ok := c.attrs[v.Name]
	if !ok {
		return cty.NilVal, nil, false
	}
	val, ok := c.vals[v.Name]
	if !ok {
		return cty.DynamicVal, nil, true
	}
	return val, a.Expr.Range().Ptr(), true
}

func (c callInputs) missing(m *module, v *variableDecl) {
	m.l.add(errDiag(&c.block.DefRange, "Missing module input", "The module %q needs a value for its input %q (declared at %s), which has no default.", m.path, v.Name, Pos(v.DeclRange)))
}
