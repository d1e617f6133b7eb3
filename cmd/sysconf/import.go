package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"sysconf/config"
	"sysconf/generations"
	"sysconf/planner"
)

type importOptions struct {
	out string // -o: a folder for system.hcl and the files beside it; "" is stdout
}

func newImportCmd(a *app) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Describe the machine as it is, in HCL",
		Long: `import reads the runit machine under --root as it is, in its layout (detected
as apply detects it): every service folder with all its files and their modes
(run, finish, check, conf, env/, control/, log/, down, any other), the
runlevels and which one is current, and the stage scripts /etc/runit/1, 2, 3
and ctrlaltdel. It writes a description that gives each file as it is (file
blocks, stage blocks), so that applying it reproduces every file byte for byte
and mode for mode (the store keeps no write permission). Links that point to
absolute paths are read inside --root, never on the host.

With -o DIR it writes DIR/system.hcl, and beside it (DIR/files/…) the files
a heredoc cannot show as they are; without, one file on stdout. What it
cannot express (a device file, a setuid bit) it reports on stderr.`,
		Example: `  sysconf import --root /tmp/machine -o /etc/sysconf
  sysconf import > system.hcl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.importMachine(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write DIR/system.hcl and the files beside it (default: stdout)")
	return cmd
}

func (a *app) importMachine(_ context.Context, o importOptions, stdout, stderr io.Writer) error {
	g, how, err := generations.OpenMachine(a.root)
	if err != nil {
		return err
	}
	defer g.Close()
	l := g.Layout()
	sayLayout(stderr, l, how)
	found, err := g.Survey()
	if err != nil {
		return err
	}
	if found == nil {
		return &exitError{code: 1, msg: fmt.Sprintf("nothing to import under %s: no runit service folders in /%s with runlevels in /%s that sysconf does not manage already", a.root, l.Definitions, l.Runlevels)}
	}
	for _, p := range found.Found.Problems {
		fmt.Fprintf(stderr, "sysconf import: warning: %s\n", p)
	}
	for _, p := range expressible(found) {
		fmt.Fprintf(stderr, "sysconf import: warning: %s\n", p)
	}
	w := &hclWriter{beside: o.out != "", files: map[string][]byte{}}
	src := w.description(a.root, l, how, found)
	if w.err != nil {
		return w.err
	}
	// Check the round trip: the description must give back every file
	// as it was found. A difference is a bug of import, never silent.
	if err := checkImport(src, w.files, l, found); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if o.out == "" {
		_, err := stdout.Write(src)
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(w.files))
	for n := range w.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(o.out, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFileAtomic(p, w.files[n], 0o644); err != nil {
			return err
		}
	}
	if err := writeFileAtomic(filepath.Join(o.out, "system.hcl"), src, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %s, %s, %d stage scripts; %d files beside it\n", filepath.Join(o.out, "system.hcl"),
		count(len(found.Manifest.Services), "service"), count(len(found.Manifest.Runlevels), "runlevel"), len(found.Manifest.Boot), len(names))
	return nil
}

// hclWriter writes the imported description.
type hclWriter struct {
	b      bytes.Buffer
	beside bool              // files a heredoc cannot show go beside the description
	files  map[string][]byte // those files, by slash path relative to the description
	err    error
}

func (w *hclWriter) line(format string, args ...any) { fmt.Fprintf(&w.b, format+"\n", args...) }

// description renders found as HCL, formatted as sysconf fmt leaves it.
func (w *hclWriter) description(root string, l generations.Layout, how string, found *generations.Record) []byte {
	w.line("# The machine under %s as sysconf import found it (layout %s, %s).", root, l.Name, how)
	w.line("# Each file is given as it is: applying this reproduces every service")
	w.line("# folder, runlevel and stage script. The current runlevel is %s.", found.Found.Level)
	w.line("")
	w.line("system {")
	w.line("  layout = %s", quoted(l.Name))
	for _, e := range found.Manifest.Boot {
		name := strings.TrimPrefix(e.Path, "etc/runit/")
		w.line("")
		w.line("  stage %s {", quoted(name))
		w.contents("runit/"+name, e)
		w.line("  }")
	}
	w.line("}")
	for _, s := range found.Manifest.Services {
		w.line("")
		w.line("service %s {", quoted(s.Name))
		inLevel := false
		for _, names := range found.Runlevels {
			for _, n := range names {
				inLevel = inLevel || n == s.Name
			}
		}
		if !inLevel {
			w.line("  enabled = false")
			w.line("")
		}
		for i, e := range s.Tree {
			if i > 0 {
				w.line("")
			}
			w.line("  file %s {", quoted(e.Path))
			w.contents("files/"+s.Name+"/"+e.Path, e)
			w.line("  }")
		}
		w.line("}")
	}
	levels := make([]string, 0, len(found.Runlevels))
	for level := range found.Runlevels {
		levels = append(levels, level)
	}
	sort.Strings(levels)
	for _, level := range levels {
		refs := make([]string, 0, len(found.Runlevels[level]))
		for _, n := range found.Runlevels[level] {
			refs = append(refs, "service."+n)
		}
		w.line("")
		w.line("runlevel %s {", quoted(level))
		w.line("  services = [%s]", strings.Join(refs, ", "))
		w.line("}")
	}
	return hclwrite.Format(w.b.Bytes())
}

// contents writes the attributes of one file: a link's text, a folder, or
// a file's mode and content, in a heredoc when it reads as text, else
// (-o) from a file beside the description at rel.
func (w *hclWriter) contents(rel string, e generations.Entry) {
	switch {
	case e.Mode&fs.ModeSymlink != 0:
		w.line("    link = %s", quoted(string(e.Content)))
		return
	case e.Mode.IsDir():
		w.line("    directory = true")
		w.line("    mode      = \"%04o\"", e.Mode.Perm())
		return
	}
	w.line("    mode    = \"%04o\"", e.Mode.Perm())
	switch {
	case oneLine(e.Content):
		w.line("    content = %s", quoted(string(e.Content)))
	case heredocable(e.Content):
		text := strings.ReplaceAll(strings.ReplaceAll(string(e.Content), "${", "$${"), "%{", "%%{")
		w.line("    content = <<-EOT")
		for _, ln := range strings.SplitAfter(text, "\n") {
			if ln == "" {
				continue
			}
			if ln == "\n" {
				w.b.WriteString("\n")
				continue
			}
			w.b.WriteString("      " + ln)
		}
		w.line("    EOT")
	case len(e.Content) == 0:
		w.line("    content = \"\"")
	case w.beside:
		w.files[rel] = e.Content
		w.line("    source  = %s", quoted(rel))
	case utf8.Valid(e.Content) && !bytes.ContainsRune(e.Content, 0):
		w.line("    content = %s", quoted(string(e.Content)))
	default:
		if w.err == nil {
			w.err = &exitError{code: 1, msg: fmt.Sprintf("import: %s is not text: give -o DIR to write it beside the description", rel)}
		}
	}
}

// heredocable reports whether b reads well in an indented heredoc: text
// lines, each ending in a newline, with no control characters but tabs,
// and whose indentation the heredoc cannot take for its own (no line that
// starts with a space, or the closing marker).
func heredocable(b []byte) bool {
	if len(b) == 0 || len(b) > 64<<10 || !utf8.Valid(b) || b[len(b)-1] != '\n' {
		return false
	}
	flush := false // a line at the margin, so that the heredoc strips its own indentation only
	for _, ln := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if strings.HasPrefix(ln, " ") || strings.TrimSpace(ln) == "EOT" {
			return false
		}
		flush = flush || ln != "" && ln[0] != '\t'

		for _, c := range ln {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return false
			}
		}
	}
	return flush
}

// oneLine reports whether b is one short line of text, which reads best
// as a quoted string ("5432\n").
func oneLine(b []byte) bool {
	return len(b) <= 60 && bytes.IndexByte(b, '\n') == len(b)-1 && heredocable(b)
}

// quoted is s as an HCL string literal.
func quoted(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

// checkImport evaluates the imported description and compares what it
// plans with what was found: every service's tree and every stage script.
func checkImport(src []byte, files map[string][]byte, l generations.Layout, found *generations.Record) error {
	fsys := fstest.MapFS{"system.hcl": &fstest.MapFile{Data: src}}
	for n, b := range files {
		fsys[n] = &fstest.MapFile{Data: b}
	}
	sys, diags := config.Load(config.Options{FS: fsys, Path: "system.hcl"})
	if diags.HasErrors() {
		return fmt.Errorf("the description does not load: %s", diags.Error())
	}
	m := planner.PlanIn(sys, l)
	want := found.Manifest
	if len(m.Services) != len(want.Services) {
		return fmt.Errorf("%d services planned, %d found", len(m.Services), len(want.Services))
	}
	for i := range want.Services {
		a, b := want.Services[i], m.Services[i]
		if a.Name != b.Name || a.Hash() != b.Hash() {
			return fmt.Errorf("service %s: the description does not give its files as found%s", a.Name, treeDiff(a.Tree, b.Tree))
		}
	}
	for _, e := range want.Boot {
		ok := false
		for _, f := range m.Boot {
			ok = ok || f.Path == e.Path && f.Mode == e.Mode && bytes.Equal(f.Content, e.Content)
		}
		if !ok {
			return fmt.Errorf("/%s: the description does not give it as found", e.Path)
		}
	}
	return nil
}

// treeDiff names the first entry where two trees differ, for checkImport's
// error.
func treeDiff(want, got []generations.Entry) string {
	for i := range want {
		if i >= len(got) {
			return ": " + want[i].Path + " missing"
		}
		if w, g := want[i], got[i]; w.Path != g.Path || w.Mode != g.Mode || !bytes.Equal(w.Content, g.Content) {
			return fmt.Sprintf(": %s %v %q, planned %s %v %q", w.Path, w.Mode, w.Content, g.Path, g.Mode, g.Content)
		}
	}
	return ""
}

// expressible leaves out of found the services and runlevels whose names
// a description cannot give (a dot, as in php-fpm8.1), and says so: apply
// would stop such a service.
func expressible(found *generations.Record) []string {
	var problems []string
	m := &found.Manifest
	var services []generations.Service
	for _, s := range m.Services {
		if config.ValidName(s.Name) {
			services = append(services, s)
			continue
		}
		problems = append(problems, fmt.Sprintf("service %s: a description cannot name it (%s); left out, so apply would stop it", s.Name, "letters, digits, '_' and '-' only"))
	}
	m.Services = services
	levels := map[string][]string{}
	for level, names := range found.Runlevels {
		if !config.ValidName(level) {
			problems = append(problems, fmt.Sprintf("runlevel %s: a description cannot name it (letters, digits, '_' and '-' only); left out", level))
			continue
		}
		var keep []string
		for _, n := range names {
			if config.ValidName(n) {
				keep = append(keep, n)
			}
		}
		levels[level] = keep
	}
	found.Runlevels = levels
	var rls []generations.Runlevel
	for _, r := range m.Runlevels {
		if ns, ok := levels[r.Name]; ok {
			rls = append(rls, generations.Runlevel{Name: r.Name, Services: ns})
		}
	}
	m.Runlevels = rls
	return problems
}
