package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"sysconf/config"
	"sysconf/modules"
)

// loaded is a description read from disk: the model, and how to show its
// file names to the user.
type loaded struct {
	sys    *config.System
	diags  hcl.Diagnostics
	prefix string // joined before file names relative to the config folder
}

// load reads and evaluates the description. Diagnostics are printed to
// stderr; a description with errors is an exitError (code 1).
func (a *app) load() (*config.System, error) {
	l, err := a.loadQuiet()
	if err != nil {
		return nil, err
	}
	if a.diagJSON != nil && l.diags.HasErrors() {
		// --json: the problems are the output, for the tool that reads it.
		if err := writeJSON(a.diagJSON, diagsJSON{FormatVersion: jsonFormat, Diagnostics: toJSONDiags(a.shownDiags(l))}); err != nil {
			return nil, err
		}
	} else {
		a.printDiags(l)
	}
	if l.diags.HasErrors() {
		return nil, &exitError{code: 1, msg: fmt.Sprintf("%s: %s", a.configPath(), countErrors(l.diags))}
	}
	return l.sys, nil
}

func countErrors(diags hcl.Diagnostics) string {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return count(n, "error")
}

// count writes n and the noun, plural unless n is 1: "1 error", "2 errors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func (a *app) loadQuiet() (*loaded, error) {
	p := a.configPath()
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	fsPath := strings.TrimPrefix(abs, "/")
	if fsPath == "" {
		fsPath = "."
	}
	prefix := p
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		prefix = filepath.Dir(p)
	}
	var vfs []config.VarFile
	for _, f := range a.varFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, &usageError{fmt.Errorf("-var-file: %w", err)}
		}
		vfs = append(vfs, config.VarFile{Name: f, Src: b})
	}
	sys, diags := config.Load(config.Options{
		FS: os.DirFS("/"), Path: fsPath, Modules: modules.FS,
		Vars: a.vars, VarFiles: vfs, Env: a.environ,
	})
	return &loaded{sys: sys, diags: diags, prefix: prefix}, nil
}

// displayName is how the user sees a file name of a range.
func (l *loaded) displayName(name string) string {
	if strings.HasPrefix(name, config.BuiltinPrefix) || strings.HasPrefix(name, "<") || l.prefix == "." || l.prefix == "" {
		return name
	}
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(l.prefix, name)
}

// printDiags writes the diagnostics to stderr: with source snippets on a
// terminal, one line each otherwise (STYLE.md §2).
func (a *app) printDiags(l *loaded) {
	if len(l.diags) == 0 {
		return
	}
	diags := a.shownDiags(l)
	if a.isTerminal(a.stderr) {
		files := map[string]*hcl.File{}
		for name, src := range l.sys.Sources {
			files[l.shownName(a, name)] = &hcl.File{Bytes: src}
		}
		w := hcl.NewDiagnosticTextWriter(a.stderr, files, 80, a.color(a.stderr))
		_ = w.WriteDiagnostics(diags)
		return
	}
	writeDiagLines(a.stderr, diags)
}

// shownName is how a diagnostic names a file: var files as given on the
// command line (keep them so), the others as displayName says.
func (l *loaded) shownName(a *app, name string) string {
	for _, f := range a.varFiles {
		if f == name {
			return name
		}
	}
	return l.displayName(name)
}

// shownDiags are the diagnostics as the user sees them: file names as on
// the command line, sorted by file and position.
func (a *app) shownDiags(l *loaded) hcl.Diagnostics {
	rename := func(name string) string { return l.shownName(a, name) }
	diags := make(hcl.Diagnostics, 0, len(l.diags))
	for _, d := range l.diags {
		c := *d
		if c.Subject != nil {
			s := *c.Subject
			s.Filename = rename(s.Filename)
			c.Subject = &s
		}
		if c.Context != nil {
			s := *c.Context
			s.Filename = rename(s.Filename)
			c.Context = &s
		}
		diags = append(diags, &c)
	}
	sortDiags(diags)
	return diags
}

func sortDiags(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		si, sj := diags[i].Subject, diags[j].Subject
		switch {
		case si == nil && sj == nil:
			return false
		case si == nil:
			return true
		case sj == nil:
			return false
		case si.Filename != sj.Filename:
			return si.Filename < sj.Filename
		}
		return si.Start.Byte < sj.Start.Byte
	})
}

// writeDiagLines writes "file:line:col: error: Summary: Detail", one line each.
func writeDiagLines(w io.Writer, diags hcl.Diagnostics) {
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		detail := strings.Join(strings.Fields(d.Detail), " ")
		line := sev + ": " + d.Summary
		if detail != "" {
			line += ": " + detail
		}
		if d.Subject != nil {
			line = config.Pos(*d.Subject) + ": " + line
		}
		fmt.Fprintln(w, line)
	}
}
