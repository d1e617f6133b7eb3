package config

import (
	"math/big"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var serviceSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "command"}, {Name: "run"}, {Name: "user"}, {Name: "group"}, {Name: "env"},
		{Name: "chdir"}, {Name: "nice"}, {Name: "finish"}, {Name: "check"}, {Name: "down"},
		{Name: "control"}, {Name: "depends_on"}, {Name: "enabled"}, {Name: "for_each"},
		{Name: "stop_timeout"}, {Name: "stop_signal"}, {Name: "notification_fd"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "limits"}, {Type: "log"}, {Type: "restart"}, {Type: "file", LabelNames: []string{"path"}}},
}

var restartSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "delay"}, {Name: "max_delay"}, {Name: "reset_after"}},
}

var limitsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "memory"}, {Name: "data"}, {Name: "stack"}, {Name: "open_files"},
		{Name: "processes"}, {Name: "file_size"}, {Name: "core"}, {Name: "cpu_seconds"},
		{Name: "memory_max"}, {Name: "pids_max"}, {Name: "cpu_weight"},
	},
}

var logSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "dir"}, {Name: "size"}, {Name: "keep"}, {Name: "min_keep"}, {Name: "timeout"},
		{Name: "prefix"}, {Name: "filters"}, {Name: "timestamps"}, {Name: "processor"}, {Name: "user"},
	},
}

// controlLetters are the sv commands runsv runs a control/<c> hook for.
const controlLetters = "udxtkpcahiq12"

func (m *module) declareService(b *hcl.Block) {
	l := m.l
	name := b.Labels[0]
	if !validName(name) {
		l.add(errDiag(&b.LabelRanges[0], "Invalid service name", "%q cannot name a service. %s", name, nameRule))
		return
	}
	if prev, ok := m.services[name]; ok {
		l.add(errDiag(&b.LabelRanges[0], "Duplicate service block", "A service named %q was already declared at %s. Service names must be unique.", name, Pos(prev.block.DefRange)))
		return
	}
	content, diags := b.Body.Content(serviceSchema)
	l.add(diags...)
	sd := &serviceDecl{block: b, content: content, forEach: content.Attributes["for_each"]}
	m.services[name] = sd
	m.svcOrder = append(m.svcOrder, name)
}

// decodeServiceInstances decodes a service block once, or once per for_each
// instance with each.key and each.value set.
func (m *module) decodeServiceInstances(sd *serviceDecl, ctx *hcl.EvalContext) {
	label := sd.block.Labels[0]
	if sd.forEach == nil {
		m.decodeService(label, sd, ctx, false)
		return
	}
	inst, ok := m.forEachInstances(label, sd)
	if !ok {
		return
	}
	for _, in := range inst {
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(in.key), "value": in.value})}
		m.decodeService(label+"-"+in.key, sd, child, true)
	}
}

// attrs evaluates attributes of one block into Go values; every method
// reports its own errors and returns ok=false for absent, null or bad values.
type attrs struct {
	m         *module
	attrs     hcl.Attributes
	ctx       *hcl.EvalContext
	allowEach bool
}

func (a attrs) value(name string, ty cty.Type) (cty.Value, *hcl.Attribute, bool) {
	at, ok := a.attrs[name]
	if !ok {
		return cty.NilVal, nil, false
	}
	v, ok := a.m.eval(at.Expr, a.ctx, a.allowEach)
	if !ok || v.IsNull() {
		return cty.NilVal, at, false
	}
	if ty != cty.DynamicPseudoType {
		v = wholeNumbersToStrings(v, ty)
		cv, err := convert.Convert(v, ty)
		if err != nil {
			a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Incorrect attribute value type", "Inappropriate value for attribute %q: %s.", name, err))
			return cty.NilVal, at, false
		}
		v = cv
	}
	return v, at, true
}

// wholeNumbersToStrings turns whole numbers that are about to become
// strings into strings directly: the same text cty's conversion gives
// ("5432"), without its arbitrary-precision formatting, which dominated the
// evaluation of large descriptions.
func wholeNumbersToStrings(v cty.Value, ty cty.Type) cty.Value {
	conv := func(e cty.Value) cty.Value {
		if e.Type() != cty.Number || e.IsNull() || !e.IsKnown() {
			return e
		}
		bf := e.AsBigFloat()
		if i, acc := bf.Int64(); acc == big.Exact && bf.IsInt() {
			return cty.StringVal(strconv.FormatInt(i, 10))
		}
		return e
	}
	switch {
	case ty == cty.String:
		return conv(v)
	case (ty.IsListType() || ty.IsMapType()) && ty.ElementType() == cty.String && !v.IsNull() && v.IsKnown():
		vt := v.Type()
		switch {
		case vt.IsTupleType():
			elems := make([]cty.Value, 0, v.LengthInt())
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				elems = append(elems, conv(e))
			}
			if len(elems) == 0 {
				return v
			}
			return cty.TupleVal(elems)
		case vt.IsObjectType():
			attrs := map[string]cty.Value{}
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				attrs[k.AsString()] = conv(e)
			}
			if len(attrs) == 0 {
				return v
			}
			return cty.ObjectVal(attrs)
		}
	}
	return v
}

func (a attrs) str(name string) (string, *hcl.Attribute, bool) {
	v, at, ok := a.value(name, cty.String)
	if !ok {
		return "", at, false
	}
	return v.AsString(), at, true
}

func (a attrs) boolean(name string, def bool) bool {
	v, _, ok := a.value(name, cty.Bool)
	if !ok {
		return def
	}
	return v.True()
}

func (a attrs) strList(name string) ([]string, *hcl.Attribute, bool) {
	v, at, ok := a.value(name, cty.List(cty.String))
	if !ok {
		return nil, at, false
	}
	out := []string{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Incorrect attribute value type", "Inappropriate value for attribute %q: an element is null.", name))
			return nil, at, false
		}
		out = append(out, e.AsString())
	}
	return out, at, true
}

func (a attrs) strMap(name string) (map[string]string, *hcl.Attribute, bool) {
	v, at, ok := a.value(name, cty.Map(cty.String))
	if !ok {
		return nil, at, false
	}
	out := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Incorrect attribute value type", "Inappropriate value for attribute %q: the value of %q is null.", name, k.AsString()))
			return nil, at, false
		}
		out[k.AsString()] = e.AsString()
	}
	return out, at, true
}

// integer reads a whole number in [lo, hi].
func (a attrs) integer(name string, lo, hi int64) (*int64, bool) {
	v, at, ok := a.value(name, cty.Number)
	if !ok {
		return nil, at == nil
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if acc != big.Exact || !bf.IsInt() || i < lo || i > hi {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid number", "%s must be a whole number from %d to %d.", name, lo, hi))
		return nil, false
	}
	return &i, true
}

// size reads a byte count: a number, or a string such as "512MB" or "64k".
func (a attrs) size(name string) *int64 {
	v, at, ok := a.value(name, cty.DynamicPseudoType)
	if !ok {
		return nil
	}
	bad := func() *int64 {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid size", "%s must be a number of bytes or a string such as \"512MB\", \"64k\" or \"1GiB\" (K, M, G and T are powers of 1024).", name))
		return nil
	}
	switch v.Type() {
	case cty.Number:
		bf := v.AsBigFloat()
		i, acc := bf.Int64()
		if acc != big.Exact || !bf.IsInt() || i < 0 {
			return bad()
		}
		return &i
	case cty.String:
		n, ok := parseSize(v.AsString())
		if !ok {
			return bad()
		}
		return &n
	}
	return bad()
}

// duration reads seconds: a number, or a string such as "90s", "15m", "1d".
func (a attrs) duration(name string) *int64 {
	v, at, ok := a.value(name, cty.DynamicPseudoType)
	if !ok {
		return nil
	}
	s := ""
	switch v.Type() {
	case cty.Number:
		s = v.AsBigFloat().Text('f', -1)
	case cty.String:
		s = v.AsString()
	}
	n, ok := parseDuration(s)
	if !ok {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid duration", "%s must be a number of seconds or a string such as \"90s\", \"15m\", \"2h\" or \"1d\".", name))
		return nil
	}
	return &n
}

// stopTimeout reads stop_timeout: a Go duration string ("3s", "1m30s",
// "500ms") of whole milliseconds, or "0" (wait forever). A bare number
// other than 0 is refused: "3" could mean seconds or milliseconds.
func (a attrs) stopTimeout(name string) (time.Duration, bool) {
	s, at, ok := a.str(name)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 || d%time.Millisecond != 0 || d/time.Millisecond > 1<<40 {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid stop timeout", "%s must be a duration with its unit, in whole milliseconds, such as \"3s\", \"1m30s\" or \"500ms\", or \"0\" to wait forever; %q is not.", name, s))
		return 0, false
	}
	return d, true
}

// restartDelay reads a duration of the restart block: like stop_timeout,
// with its unit and in whole milliseconds, but never 0 (a service
// restarted without any wait would spin).
func (a attrs) restartDelay(name string) (time.Duration, bool) {
	s, at, ok := a.str(name)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d <= 0 || d%time.Millisecond != 0 || d/time.Millisecond > 1<<40 {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid restart delay", "%s must be a duration with its unit, in whole milliseconds and above 0, such as \"200ms\", \"30s\" or \"1m\"; %q is not.", name, s))
		return 0, false
	}
	return d, true
}

// decodeRestart reads a restart block; what it leaves out takes
// DefaultRestart's values, and max_delay at least delay's.
func (m *module) decodeRestart(b *hcl.Block, ctx *hcl.EvalContext, allowEach bool) *Restart {
	content, diags := b.Body.Content(restartSchema)
	m.l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx, allowEach: allowEach}
	r := DefaultRestart
	if d, ok := a.restartDelay("delay"); ok {
		r.Delay = d
	}
	r.MaxDelay = max(r.MaxDelay, r.Delay)
	if d, ok := a.restartDelay("max_delay"); ok {
		if d < r.Delay {
			m.l.add(errDiag(content.Attributes["max_delay"].Expr.Range().Ptr(), "Invalid restart delay", "max_delay (%s) is shorter than delay (%s): the delay only grows from delay up to max_delay.", d, r.Delay))
		}
		r.MaxDelay = d
	}
	if d, ok := a.restartDelay("reset_after"); ok {
		r.ResetAfter = d
	}
	return &r
}

// stopSignal reads stop_signal: a name of StopSignals, with or without
// SIG and in any case, returned as written in down-signal ("INT").
func (a attrs) stopSignal(name string) (string, bool) {
	s, at, ok := a.str(name)
	if !ok {
		return "", false
	}
	n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG")
	for _, sig := range StopSignals {
		if n == sig {
			return sig, true
		}
	}
	a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Unknown stop signal", "%q is not a signal that stops a service: use one of %s (SIG may be added: \"SIGINT\").%s", s, strings.Join(StopSignals, ", "), didYouMean(n, StopSignals)))
	return "", false
}

// script reads a shell script attribute, which may not be empty.
func (a attrs) script(name string) string {
	s, at, ok := a.str(name)
	if !ok {
		return ""
	}
	if strings.TrimSpace(s) == "" {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Empty script", "%s is empty; give the script or leave the attribute out.", name))
		return ""
	}
	if strings.IndexByte(s, 0) >= 0 {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), "Invalid script", "%s holds a NUL byte, which no shell script can.", name))
		return ""
	}
	return s
}

// account reads a user or group name.
func (a attrs) account(name, what string) string {
	s, at, ok := a.str(name)
	if !ok {
		return ""
	}
	if !validAccount(s) {
		summary := "Invalid user name"
		if what == "group" {
			summary = "Invalid group name"
		}
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), summary, "%q is not a %s name: use letters, digits, '_', '-' and '.', starting with a letter or '_' (at most 32), or a number.", s, what))
		return ""
	}
	return s
}

// absPath reads an absolute, clean path.
func (a attrs) absPath(name, summary string) (string, bool) {
	s, at, ok := a.str(name)
	if !ok {
		return "", false
	}
	if !path.IsAbs(s) || path.Clean(s) != s || strings.ContainsAny(s, "\n\x00") {
		a.m.l.add(errDiag(at.Expr.Range().Ptr(), summary, "%q must be an absolute, clean path such as \"/srv/web\".", s))
		return "", false
	}
	return s, true
}

func (m *module) decodeService(name string, sd *serviceDecl, ctx *hcl.EvalContext, allowEach bool) {
	l := m.l
	b := sd.block
	full := m.prefix + name
	if prev, ok := l.serviceAt[full]; ok {
		l.add(errDiag(&b.LabelRanges[0], "Duplicate service block", "A service named %q was already declared at %s. Service names must be unique.", full, Pos(prev)))
		return
	}
	l.serviceAt[full] = b.DefRange
	m.fullNames = append(m.fullNames, full)
	a := attrs{m: m, attrs: sd.content.Attributes, ctx: ctx, allowEach: allowEach}
	s := &Service{Name: full, Module: m.path, DeclRange: b.DefRange}

	cmd, cmdAttr, hasCmd := a.strList("command")
	_, runAttr, hasRun := a.str("run")
	switch {
	case cmdAttr != nil && runAttr != nil:
		l.add(errDiag(runAttr.NameRange.Ptr(), "Conflicting command and run", "Service %q gives both command (at %s) and run; give one: command is exec'd as a list, run is a whole script.", full, Pos(cmdAttr.NameRange)))
	case cmdAttr == nil && runAttr == nil && !hasFileBlocks(sd):
		l.add(errDiag(&b.DefRange, "Missing command or run", "Service %q needs command (a list, exec'd) or run (a whole script).", full))
	case hasCmd:
		if len(cmd) == 0 || cmd[0] == "" || strings.HasPrefix(cmd[0], "-") {
			l.add(errDiag(cmdAttr.Expr.Range().Ptr(), "Invalid command", "command must be a list whose first element is the program to run, such as [\"/usr/bin/httpd\", \"-f\"]."))
		}
		for _, c := range cmd {
			if strings.IndexByte(c, 0) >= 0 {
				l.add(errDiag(cmdAttr.Expr.Range().Ptr(), "Invalid command", "An argument holds a NUL byte."))
				break
			}
		}
		s.Command = cmd
	case hasRun:
		s.Run = a.script("run")
	}
	s.User = a.account("user", "user")
	s.Group = a.account("group", "group")
	if at := a.attrs["user"]; at != nil {
		s.UserRange = at.Expr.Range()
	}
	if at := a.attrs["group"]; at != nil {
		s.GroupRange = at.Expr.Range()
	}
	if s.Group != "" && s.User == "" {
		l.add(errDiag(a.attrs["group"].NameRange.Ptr(), "Group without user", "chpst -u sets the user and group together: give user as well as group."))
	}
	if env, at, ok := a.strMap("env"); ok {
		for _, k := range keys(env) {
			if !validEnvName(k) {
				l.add(errDiag(at.Expr.Range().Ptr(), "Invalid environment variable name", "%q cannot name an environment variable: use letters, digits and '_', not starting with a digit.%s", k, ""))
				continue
			}
			if strings.ContainsAny(env[k], "\n\x00") {
				l.add(errDiag(at.Expr.Range().Ptr(), "Invalid environment value", "The value of %s holds a newline or NUL byte; an envdir file carries one line only.", k))
				continue
			}
		}
		s.Env = env
	}
	if d, ok := a.absPath("chdir", "Invalid chdir"); ok {
		s.Chdir = d
	}
	if n, _ := a.integer("nice", -20, 19); n != nil {
		i := int(*n)
		s.Nice = &i
	}
	s.Finish = a.script("finish")
	s.Check = a.script("check")
	s.Down = a.boolean("down", false)
	s.Enabled = a.boolean("enabled", true)
	s.StopTimeout = DefaultStopTimeout
	if d, ok := a.stopTimeout("stop_timeout"); ok {
		s.StopTimeout = d
	}
	s.StopSignal = DefaultStopSignal
	if sig, ok := a.stopSignal("stop_signal"); ok {
		s.StopSignal = sig
	}
	if n, _ := a.integer("notification_fd", 3, 1023); n != nil {
		s.NotificationFD = int(*n)
	}
	if ctl, at, ok := a.strMap("control"); ok {
		for _, k := range keys(ctl) {
			if len(k) != 1 || !strings.Contains(controlLetters, k) {
				l.add(errDiag(at.Expr.Range().Ptr(), "Invalid control letter", "%q is not a command runsv runs a control hook for; use one of %s.", k, strings.Join(strings.Split(controlLetters, ""), " ")))
				continue
			}
			if strings.TrimSpace(ctl[k]) == "" {
				l.add(errDiag(at.Expr.Range().Ptr(), "Empty script", "control %q is empty.", k))
			}
		}
		s.Control = ctl
	}
	inst := &serviceInst{svc: s, prefix: m.prefix}
	if at, ok := sd.content.Attributes["depends_on"]; ok {
		inst.depsAt = at.Expr.Range().Ptr()
		inst.deps = m.serviceRefs(at, ctx, allowEach)
		for _, r := range inst.deps {
			if r.name == name && m.prefix+r.name == full {
				rng := r.rng
				l.add(errDiag(&rng, "Self-dependency", "Service %q depends on itself, so it would never start.", full))
			}
		}
		var keep []nameRef
		for _, r := range inst.deps {
			if m.prefix+r.name != full {
				keep = append(keep, r)
			}
		}
		inst.deps = keep
	}
	blockAt := map[string]hcl.Range{}
	for _, blk := range sd.content.Blocks {
		if blk.Type == "file" {
			continue // serviceFileBlocks
		}
		if prev, ok := blockAt[blk.Type]; ok {
			l.add(errDiag(&blk.DefRange, "Duplicate "+blk.Type+" block", "Service %q already has a %s block at %s.", full, blk.Type, Pos(prev)))
			continue
		}
		blockAt[blk.Type] = blk.DefRange
		switch blk.Type {
		case "limits":
			s.Limits = m.decodeLimits(blk, ctx, allowEach)
		case "log":
			s.Log = m.decodeLog(blk, full, ctx, allowEach)
		case "restart":
			s.Restart = m.decodeRestart(blk, ctx, allowEach)
		}
	}
	m.serviceFileBlocks(s, sd, ctx, allowEach)
	l.services = append(l.services, inst)
}

// hasFileBlocks reports whether a service gives its files as they are.
func hasFileBlocks(sd *serviceDecl) bool {
	for _, blk := range sd.content.Blocks {
		if blk.Type == "file" {
			return true
		}
	}
	return false
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (m *module) decodeLimits(b *hcl.Block, ctx *hcl.EvalContext, allowEach bool) Limits {
	content, diags := b.Body.Content(limitsSchema)
	m.l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx, allowEach: allowEach}
	var lim Limits
	lim.Memory = a.size("memory")
	lim.Data = a.size("data")
	lim.Stack = a.size("stack")
	lim.OpenFiles, _ = a.integer("open_files", 0, 1<<31)
	lim.Processes, _ = a.integer("processes", 0, 1<<31)
	lim.FileSize = a.size("file_size")
	lim.Core = a.size("core")
	lim.CPUSeconds = a.duration("cpu_seconds")
	lim.MemoryMax = a.size("memory_max")
	lim.PidsMax, _ = a.integer("pids_max", 1, 1<<31)
	lim.CPUWeight, _ = a.integer("cpu_weight", 1, 10000)
	return lim
}

func (m *module) decodeLog(b *hcl.Block, full string, ctx *hcl.EvalContext, allowEach bool) *Log {
	l := m.l
	content, diags := b.Body.Content(logSchema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx, allowEach: allowEach}
	lg := &Log{Dir: DefaultLogDir + "/" + full, Timestamps: TimestampsUTC, DeclRange: b.DefRange}
	if d, ok := a.absPath("dir", "Invalid log directory"); ok {
		if d == "/" {
			l.add(errDiag(a.attrs["dir"].Expr.Range().Ptr(), "Invalid log directory", "The log directory cannot be / itself."))
		} else {
			lg.Dir = d
		}
	}
	lg.Size = a.size("size")
	lg.Keep, _ = a.integer("keep", 0, 1<<31)
	lg.MinKeep, _ = a.integer("min_keep", 0, 1<<31)
	lg.Timeout = a.duration("timeout")
	if p, at, ok := a.str("prefix"); ok {
		if strings.ContainsAny(p, "\n\x00") {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid log prefix", "A prefix is one line."))
		}
		lg.Prefix = p
	}
	if fs, at, ok := a.strList("filters"); ok {
		for _, f := range fs {
			if f == "" || !strings.ContainsRune("+-eE", rune(f[0])) || strings.ContainsAny(f, "\n\x00") {
				l.add(errDiag(at.Expr.Range().Ptr(), "Invalid log filter", "%q is not an svlogd pattern line: start it with + (select), - (deselect), e or E (for standard error), as in \"-*debug*\".", f))
			}
		}
		lg.Filters = fs
	}
	if t, at, ok := a.str("timestamps"); ok {
		switch t {
		case TimestampsUTC, TimestampsISO8601, TimestampsTAI64N, TimestampsNone:
			lg.Timestamps = t
		default:
			opts := []string{TimestampsUTC, TimestampsISO8601, TimestampsTAI64N, TimestampsNone}
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid timestamps", "timestamps is one of %s, not %q.%s", strings.Join(opts, ", "), t, didYouMean(t, opts)))
		}
	}
	if p, at, ok := a.str("processor"); ok {
		if strings.TrimSpace(p) == "" || strings.ContainsAny(p, "\n\x00") {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid log processor", "A processor is one non-empty shell command line."))
		}
		lg.Processor = p
	}
	if u := a.account("user", "user"); u != "" {
		lg.User = u
	}
	return lg
}

// serviceRefs reads a list of services: strings or service references,
// nested lists flattened, each with the range it was written at.
func (m *module) serviceRefs(at *hcl.Attribute, ctx *hcl.EvalContext, allowEach bool) []nameRef {
	v, ok := m.eval(at.Expr, ctx, allowEach)
	if !ok || v.IsNull() {
		return nil
	}
	var elems []hcl.Expression
	if t, ok := at.Expr.(*hclsyntax.TupleConsExpr); ok {
		for _, e := range t.Exprs {
			elems = append(elems, e)
		}
	}
	var out []nameRef
	bad := false
	var walk func(v cty.Value, rng hcl.Range)
	walk = func(v cty.Value, rng hcl.Range) {
		ty := v.Type()
		switch {
		case v.IsNull():
			bad = true
		case ty == cty.String:
			out = append(out, nameRef{name: v.AsString(), rng: rng})
		case ty.IsListType() || ty.IsTupleType() || ty.IsSetType() || ty.IsMapType() || ty.IsObjectType():
			// An object is a for_each service or module.NAME.service: its
			// values are the names.
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				walk(e, rng)
			}
		default:
			bad = true
		}
	}
	if ty := v.Type(); (ty.IsTupleType() || ty.IsListType()) && len(elems) == v.LengthInt() {
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			walk(e, elems[i].Range())
		}
	} else {
		walk(v, at.Expr.Range())
	}
	if bad {
		m.l.add(errDiag(at.Expr.Range().Ptr(), "Incorrect attribute value type", "%s must be a list of services: service.NAME, module.NAME.services, module.NAME.service, or names as strings.", at.Name))
		return nil
	}
	return out
}

var fileSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "content"}, {Name: "source"}, {Name: "mode"}, {Name: "owner"}, {Name: "group"}},
}

func (m *module) decodeFile(b *hcl.Block, ctx *hcl.EvalContext) {
	l := m.l
	p := b.Labels[0]
	if !path.IsAbs(p) || path.Clean(p) != p || p == "/" || strings.ContainsAny(p, "\n\x00") {
		l.add(errDiag(&b.LabelRanges[0], "Invalid file path", "%q must be an absolute, clean path of a file, such as \"/etc/conf.d/pg_shm\".", p))
		return
	}
	if prev, ok := l.fileAt[p]; ok {
		l.add(errDiag(&b.LabelRanges[0], "Duplicate file block", "The file %s is already managed by the block at %s.", p, Pos(prev)))
		return
	}
	l.fileAt[p] = b.DefRange
	content, diags := b.Body.Content(fileSchema)
	l.add(diags...)
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	f := &File{Path: p, Mode: 0o644, Module: m.path, DeclRange: b.DefRange}
	cAttr, sAttr := content.Attributes["content"], content.Attributes["source"]
	switch {
	case cAttr != nil && sAttr != nil:
		l.add(errDiag(sAttr.NameRange.Ptr(), "Conflicting content and source", "File %s gives both content and source; give one.", p))
	case cAttr == nil && sAttr == nil:
		l.add(errDiag(&b.DefRange, "Missing content or source", "File %s needs content (a string) or source (a file beside the configuration).", p))
	case cAttr != nil:
		if s, _, ok := a.str("content"); ok {
			f.Content = []byte(s)
		}
	default:
		if s, at, ok := a.str("source"); ok {
			r := fileReader{fsys: m.fsys, dir: m.dir, allowed: []string{l.base, m.dir}, display: m.display, seen: func(string, []byte) {}}
			_, src, err := r.read(s)
			if err != nil {
				l.add(errDiag(at.Expr.Range().Ptr(), "Source file not found", "Cannot read the source of %s: %s.", p, err))
			}
			f.Content = src
		}
	}
	if s, at, ok := a.str("mode"); ok {
		t := strings.TrimPrefix(s, "0o")
		n, err := strconv.ParseUint(t, 8, 32)
		if err != nil || n > 0o7777 || len(t) < 3 || len(t) > 5 {
			l.add(errDiag(at.Expr.Range().Ptr(), "Invalid file mode", "%q is not a file mode: give octal digits as a string, such as \"0644\" or \"0600\".", s))
		} else {
			f.Mode = uint32(n)
		}
	} else if at := content.Attributes["mode"]; at == nil {
		f.Mode = 0o644
	}
	f.Owner = a.account("owner", "user")
	f.Group = a.account("group", "group")
	if f.Content == nil {
		f.Content = []byte{}
	}
	l.sys.Files = append(l.sys.Files, f)
}

var runlevelSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "services", Required: true}}}

func (m *module) decodeRunlevel(b *hcl.Block, ctx *hcl.EvalContext) {
	content, diags := b.Body.Content(runlevelSchema)
	m.l.add(diags...)
	rd := &runlevelDecl{rl: &Runlevel{Name: b.Labels[0], Services: []string{}, DeclRange: b.DefRange}}
	if at, ok := content.Attributes["services"]; ok {
		rd.refs = m.serviceRefs(at, ctx, false)
	}
	m.l.runlevels = append(m.l.runlevels, rd)
}

var outputSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "value", Required: true}, {Name: "description"}}}

func (m *module) decodeOutput(b *hcl.Block, ctx *hcl.EvalContext) {
	content, diags := b.Body.Content(outputSchema)
	m.l.add(diags...)
	o := &Output{Name: b.Labels[0], Value: cty.DynamicVal, DeclRange: b.DefRange}
	a := attrs{m: m, attrs: content.Attributes, ctx: ctx}
	if v, _, ok := a.value("value", cty.DynamicPseudoType); ok {
		o.Value = v
	} else if at := content.Attributes["value"]; at != nil {
		o.Value = cty.NullVal(cty.DynamicPseudoType)
	}
	if d, _, ok := a.str("description"); ok {
		o.Description = d
	}
	if m.outputVals == nil {
		m.outputVals = map[string]cty.Value{}
	}
	m.outputVals[o.Name] = o.Value
	if m.depth == 0 {
		m.l.sys.Outputs = append(m.l.sys.Outputs, o)
	}
}
