package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"sysconf/config"
)

type fmtOptions struct {
	check bool
	diff  bool
	paths []string
}

func newFmtCmd(a *app) *cobra.Command {
	var o fmtOptions
	cmd := &cobra.Command{
		Use:   "fmt [-check] [-diff] [FILE|DIR]...",
		Short: "Rewrite HCL sources in canonical form",
		Long: `fmt rewrites the description's *.hcl files (by default the -c path) in
canonical HCL layout. With -check it only lists the files that would change
and exits 1 if any would; with -diff it shows the changes. A file with a
syntax error is reported and nothing at all is written.`,
		Example: `  sysconf fmt
  sysconf fmt -check -diff examples/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			return a.fmt(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&o.check, "check", false, "write nothing; exit 1 if a file is not formatted")
	cmd.Flags().BoolVar(&o.diff, "diff", false, "show what would change")
	return cmd
}

func (a *app) fmt(_ context.Context, o fmtOptions, stdout io.Writer) error {
	paths := o.paths
	if len(paths) == 0 {
		paths = []string{a.configPath()}
	}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.hcl"))
		if err != nil {
			return err
		}
		sort.Strings(m)
		files = append(files, m...)
	}
	type result struct {
		name     string
		old, new []byte
		mode     os.FileMode
	}
	var results []result
	var diags hcl.Diagnostics
	sources := map[string][]byte{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sources[f] = src
		if _, d := hclsyntax.ParseConfig(src, f, hcl.InitialPos); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		results = append(results, result{name: f, old: src, new: hclwrite.Format(src), mode: st.Mode().Perm()})
	}
	if diags.HasErrors() {
		// Nothing is written when any file does not parse.
		a.printDiags(&loaded{diags: diags, prefix: "", sys: &config.System{Sources: sources}})
		return &exitError{code: 1, msg: "fmt: " + countErrors(diags) + "; nothing written"}
	}
	changed := 0
	for _, r := range results {
		if bytes.Equal(r.old, r.new) {
			continue
		}
		changed++
		fmt.Fprintln(stdout, r.name)
		if o.diff {
			writeUnified(stdout, r.name, r.old, r.new, a.color(stdout))
		}
		if !o.check {
			if err := writeFileAtomic(r.name, r.new, r.mode); err != nil {
				return err
			}
		}
	}
	if o.check && changed > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// writeFileAtomic replaces name by a new file written beside it and renamed
// over it, so a crash leaves the old or the new content: the new file is
// fsync'd before the rename (else the rename may persist before the data,
// leaving an empty file), and the folder after it (else the rename itself
// may be lost).
func writeFileAtomic(name string, b []byte, mode os.FileMode) error {
	tmp := name + ".sysconf-fmt"
	err := writeFileSync(tmp, b, mode)
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := syncDir(filepath.Dir(name)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// writeFileSync writes b to name (created or truncated) and fsyncs it.
func writeFileSync(name string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir fsyncs the folder dir, so that a rename in it persists.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeUnified writes a line diff of old and new (an LCS, fine for the size
// of configuration files), in unified form with 3 lines of context.
func writeUnified(w io.Writer, name string, old, new []byte, color bool) {
	a := strings.SplitAfter(string(old), "\n")
	b := strings.SplitAfter(string(new), "\n")
	if a[len(a)-1] == "" {
		a = a[:len(a)-1]
	}
	if b[len(b)-1] == "" {
		b = b[:len(b)-1]
	}
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', b[j]})
			j++
		default:
			ops = append(ops, op{'-', a[i]})
			i++
		}
	}
	fmt.Fprintf(w, "--- %s\n+++ %s (formatted)\n", name, name)
	paint := func(k byte, s string) string {
		if !color {
			return s
		}
		switch k {
		case '+':
			return "\x1b[32m" + s + "\x1b[0m"
		case '-':
			return "\x1b[31m" + s + "\x1b[0m"
		}
		return s
	}
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(0, k-3)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 6 || run == len(ops) {
				end = min(end+3, len(ops))
				break
			}
			end = run
		}
		oi, ni := 1, 1
		for _, o := range ops[:start] {
			if o.kind != '+' {
				oi++
			}
			if o.kind != '-' {
				ni++
			}
		}
		oc, nc := 0, 0
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				oc++
			}
			if o.kind != '-' {
				nc++
			}
		}
		fmt.Fprintf(w, "@@ -%d,%d +%d,%d @@\n", oi, oc, ni, nc)
		for _, o := range ops[start:end] {
			t := o.text
			if !strings.HasSuffix(t, "\n") {
				t += "\n\\ No newline at end of file\n"
			}
			fmt.Fprint(w, paint(o.kind, string(o.kind)+t))
		}
		k = end
	}
}
