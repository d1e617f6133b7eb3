package main

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"sysconf/internal/mdtable"
)

// visibleCommands returns root and every command under it that --help
// lists, cobra's completion and help commands included.
func visibleCommands(root *cobra.Command) []*cobra.Command {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return walkVisible(root)
}

func walkVisible(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		if !sub.Hidden {
			out = append(out, walkVisible(sub)...)
		}
	}
	return out
}

// TestReferenceFlags holds docs/reference.md's command-line tables to the
// cobra tree: each visible command has a table <!-- flags: PATH --> that
// lists exactly its own visible flags (the root's table: the global
// flags, --version and --help; the others: the flags the command adds),
// each with its shorthand, and no table names a command that does not
// exist.
func TestReferenceFlags(t *testing.T) {
	src, err := os.ReadFile("../../docs/reference.md")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := mdtable.Tables(src)
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCmd(&app{stdout: os.Stdout, stderr: os.Stderr})
	seen := map[string]bool{}
	for _, cmd := range visibleCommands(root) {
		key := "flags: " + cmd.CommandPath()
		seen[key] = true
		rows, ok := tables[key]
		if !ok {
			t.Errorf("docs/reference.md has no table <!-- %s -->", key)
			continue
		}
		var want []string
		add := func(f *pflag.Flag) {
			if f.Hidden || (f.Name == "help" && cmd != root) {
				return
			}
			n := "--" + f.Name
			if f.Shorthand != "" {
				n += " -" + f.Shorthand
			}
			want = append(want, n)
		}
		if cmd == root {
			cmd.InitDefaultHelpFlag()
			cmd.Flags().VisitAll(add)
			cmd.PersistentFlags().VisitAll(func(f *pflag.Flag) {
				if cmd.Flags().Lookup(f.Name) == nil {
					add(f)
				}
			})
		} else {
			cmd.InitDefaultHelpFlag()
			cmd.LocalNonPersistentFlags().VisitAll(add)
		}
		sort.Strings(want)
		var got []string
		for _, r := range rows {
			got = append(got, strings.Join(mdtable.Code(r[0]), " "))
		}
		sort.Strings(got)
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("<!-- %s --> differs from the command's flags (-accepted +documented):\n%s", key, d)
		}
	}
	for key := range tables {
		if strings.HasPrefix(key, "flags: ") && !seen[key] {
			t.Errorf("docs/reference.md documents <!-- %s -->, which is no visible command", key)
		}
	}
}
