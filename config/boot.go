package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Boot is the boot block: what the stage scripts /etc/runit/1, 2, 3 and
// ctrlaltdel do besides their fixed work (see package planner). A System
// without a boot block has the zero Boot, whose defaults are documented on
// each field, so every generation has stage scripts.
type Boot struct {
	// Hostname is set by stage 1; "" means /etc/hostname's when it exists.
	Hostname string
	// Stage1 is sh text run by stage 1 once the file systems are mounted
	// and the hostname set; Stage3 is run by stage 3 once every service has
	// stopped, before the file systems are unmounted. Each comes from a
	// list of command lines (one line each) or a whole script.
	Stage1 string
	Stage3 string
	// CtrlAltDel is what Ctrl-Alt-Del does: CtrlAltDelReboot (the default),
	// CtrlAltDelPowerOff or CtrlAltDelIgnore.
	CtrlAltDel string
	// NoVMConsole is for sysconf build-vm alone: vm_console = false, the
	// VM gets no root shell on its serial console. apply ignores it.
	NoVMConsole bool

	DeclRange hcl.Range // the block's; zero when there is none
}

// What Ctrl-Alt-Del does.
const (
	CtrlAltDelReboot   = "reboot"
	CtrlAltDelPowerOff = "poweroff"
	CtrlAltDelIgnore   = "ignore"
)

var bootSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "hostname"}, {Name: "stage1"}, {Name: "stage3"}, {Name: "ctrlaltdel"}, {Name: "vm_console"},
	},
}

// declareBoot keeps the machine's one boot block.
func (m *module) declareBoot(b *hcl.Block) { m.declareOnce(b, "Boot", "boot", &m.boot) }

// declareOnce keeps b in *slot: a block of the whole machine (title, kind:
// its type's name), which the root configuration declares once.
func (m *module) declareOnce(b *hcl.Block, title, kind string, slot **hcl.Block) {
	l := m.l
	if m.depth > 0 {
		l.add(errDiag(&b.DefRange, title+" block in a module", "The %s block belongs to the whole machine: declare it in the root configuration.", kind))
		return
	}
	if *slot != nil {
		l.add(errDiag(&b.DefRange, "Duplicate "+kind+" block", "A %s block was already declared at %s. A machine has one %s block.", kind, Pos((*slot).DefRange), kind))
		return
	}
	*slot = b
}

// decodeBoot evaluates the boot block into l.sys.Boot.
func (m *module) decodeBoot(ctx *hcl.EvalContext) {
	l := m.l
	bt := &Boot{CtrlAltDel: CtrlAltDelReboot}
	l.sys.Boot = bt
	if m.boot == nil {
		return
	}
	b := m.boot
	bt.DeclRange = b.DefRange
	content, diags := b.Body.Content(bootSchema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	if s, at, ok := a.str("hostname"); ok {
		if validHostname(s) {
			bt.Hostname = s
		} else {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid hostname", "%q cannot be a hostname: use 1–64 letters, digits, '-' and '.', not starting or ending with '-' or '.'.", s))
		}
	}
	bt.NoVMConsole = !a.boolean("vm_console", true)
	bt.Stage1 = m.stageText(a, "stage1")
	bt.Stage3 = m.stageText(a, "stage3")
	if s, at, ok := a.str("ctrlaltdel"); ok {
		switch s {
		case CtrlAltDelReboot, CtrlAltDelPowerOff, CtrlAltDelIgnore:
			bt.CtrlAltDel = s
		default:
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid ctrlaltdel", "ctrlaltdel is %q, %q or %q, not %q.%s", CtrlAltDelReboot, CtrlAltDelPowerOff, CtrlAltDelIgnore, s,
				didYouMean(s, []string{CtrlAltDelReboot, CtrlAltDelPowerOff, CtrlAltDelIgnore})))
		}
	}
}

// stageText reads stage1 or stage3: a list of command lines, or a script.
// The stage scripts are POSIX sh, so a script may start with no #! line
// but "#!/bin/sh".
func (m *module) stageText(a attrs, name string) string {
	v, at, ok := a.value(name, cty.DynamicPseudoType)
	if !ok {
		return ""
	}
	ty := v.Type()
	bad := func(detail string, args ...any) string {
		m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid "+name, detail, args...))
		return ""
	}
	switch {
	case ty == cty.String:
		s := v.AsString()
		if first, rest, _ := strings.Cut(s, "\n"); strings.HasPrefix(first, "#!") {
			if strings.TrimSpace(first) != "#!/bin/sh" {
				return bad("%s is inlined into a POSIX sh stage script, so it cannot start with %q: give sh commands (or run your program from them).", name, first)
			}
			s = rest
		}
		if strings.ContainsRune(s, 0) {
			return bad("%s holds a NUL byte.", name)
		}
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		return s
	case ty.IsTupleType() || ty.IsListType():
		lv, _, ok := a.strList(name)
		if !ok {
			return ""
		}
		var b strings.Builder
		for i, line := range lv {
			if strings.ContainsAny(line, "\n\x00") || strings.TrimSpace(line) == "" {
				return bad("Element %d of %s must be one non-empty command line (no newline): use a heredoc string for a multi-line script.", i, name)
			}
			b.WriteString(line + "\n")
		}
		return b.String()
	default:
		return bad("%s is a list of command lines or a script (a string), not %s.", name, ty.FriendlyName())
	}
}

// validHostname follows RFC 1123 loosely: labels of letters, digits and
// '-', joined by '.', at most 64 bytes (the kernel's limit).
func validHostname(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
