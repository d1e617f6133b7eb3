package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"sysconf/internal/manpage"
)

// The hidden man command writes the manual pages make man installs. The
// sysconf pages come from the cobra commands, the very text --help prints;
// the runit tools' pages from their packages' doc comments, read from the
// source tree (--src), since the runit programs must not carry a generator
// (they link neither cobra nor anything they do not run).

// exitStatus is the EXIT STATUS section of every sysconf page; main.go's
// doc comment says the same for go doc.
const exitStatus = `0 on success, 1 on failure (configuration diagnostics included), 2 for a usage error; plan --detailed-exitcode exits 2 when there are changes.`

// runitPages are the runit tools' pages: the package whose doc comment is
// the page, and the line of its NAME section. runit and runit-init share
// package pid1's text.
var runitPages = []struct{ name, pkg, title string }{
	{"chpst", "chpst", "run a program with a changed process state"},
	{"runit", "pid1", "a UNIX process no. 1"},
	{"runit-init", "pid1", "start runit as process no. 1, or tell it to halt or reboot"},
	{"runsv", "runsv", "start and watch a service and, optionally, its log service"},
	{"runsvchdir", "runsvchdir", "change the services directory runsvdir watches"},
	{"runsvdir", "runsvdir", "start and watch a runsv for each service directory"},
	{"sv", "sv", "control and report the status of services"},
	{"svlogd", "svlogd", "log a service's output into rotated files"},
}

type manOptions struct {
	src string
	out string
}

func newManCmd(a *app) *cobra.Command {
	var o manOptions
	cmd := &cobra.Command{
		Use:    "man [--src DIR] OUTDIR",
		Short:  "Write the manual pages into OUTDIR (for make man)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.out = args[0]
			return writeManPages(cmd.Root(), o)
		},
	}
	cmd.Flags().StringVar(&o.src, "src", ".", "the source tree whose runit/*/ doc comments become the runit tools' pages")
	return cmd
}

// writeManPages writes every page into o.out, named NAME.8.
func writeManPages(root *cobra.Command, o manOptions) error {
	pages, err := manPages(root, o.src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	for _, p := range pages {
		f, err := os.Create(filepath.Join(o.out, fmt.Sprintf("%s.%d", p.Name, p.Section)))
		if err != nil {
			return err
		}
		werr := manpage.Write(f, p)
		if err := f.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			return werr
		}
	}
	return nil
}

// manPages builds sysconf(8), one page per visible subcommand
// (sysconf-apply(8), sysconf-completion-bash(8)…) and the runit pages.
func manPages(root *cobra.Command, src string) ([]manpage.Page, error) {
	root.InitDefaultCompletionCmd()
	var cmds []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		cmds = append(cmds, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var pages []manpage.Page
	for _, c := range cmds {
		pages = append(pages, commandPage(c))
	}
	for _, r := range runitPages {
		text, err := manpage.PackageDoc(filepath.Join(src, "runit", r.pkg))
		if err != nil {
			return nil, fmt.Errorf("man page %s: %w", r.name, err)
		}
		secs, err := manpage.FromDoc(text, "Use as a library")
		if err != nil {
			return nil, fmt.Errorf("man page %s: runit/%s: %w", r.name, r.pkg, err)
		}
		secs = append(secs, manpage.Section{Title: "See also", Blocks: []manpage.Block{{Kind: manpage.Para, Text: seeAlso(r.name, nil)}}})
		pages = append(pages, manpage.Page{Name: r.name, Section: 8, Title: r.title, Source: "sysconf " + version, Manual: "System Manager's Manual", Sections: secs})
	}
	return pages, nil
}

func pageName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-")
}

// commandPage is one command's page, from the same fields --help prints.
func commandPage(c *cobra.Command) manpage.Page {
	p := manpage.Page{Name: pageName(c), Section: 8, Title: c.Short, Source: "sysconf " + version, Manual: "System Manager's Manual"}
	syn := c.UseLine()
	if c.HasAvailableSubCommands() {
		syn = c.CommandPath() + " COMMAND [flags]"
	}
	p.Sections = append(p.Sections, manpage.Section{Title: "Synopsis", Blocks: []manpage.Block{{Kind: manpage.Literal, Text: syn}}})
	long := c.Long
	if long == "" {
		long = c.Short + "."
	}
	p.Sections = append(p.Sections, manpage.Section{Title: "Description", Blocks: textBlocks(long)})
	var subs []manpage.Block
	var related []string
	for _, s := range c.Commands() {
		if s.Hidden || s.Name() == "help" {
			continue
		}
		subs = append(subs, manpage.Block{Kind: manpage.Tagged, Tag: manpage.Bold(s.Name()), Text: s.Short + ". See " + pageName(s) + "(8)."})
		related = append(related, pageName(s))
	}
	p.Sections = append(p.Sections, manpage.Section{Title: "Commands", Blocks: subs})
	p.Sections = append(p.Sections, manpage.Section{Title: "Options", Blocks: flagBlocks(c.NonInheritedFlags())})
	if c.HasParent() {
		p.Sections = append(p.Sections, manpage.Section{Title: "Global options", Blocks: flagBlocks(c.InheritedFlags())})
	}
	if c.Example != "" {
		p.Sections = append(p.Sections, manpage.Section{Title: "Examples", Blocks: []manpage.Block{{Kind: manpage.Literal, Text: dedent(c.Example)}}})
	}
	p.Sections = append(p.Sections, manpage.Section{Title: "Exit status", Blocks: []manpage.Block{{Kind: manpage.Para, Text: exitStatus}}})
	if c.HasParent() {
		related = append(related, pageName(c.Parent()))
	} else {
		for _, r := range runitPages {
			related = append(related, r.name)
		}
	}
	p.Sections = append(p.Sections, manpage.Section{Title: "See also", Blocks: []manpage.Block{{Kind: manpage.Para, Text: seeAlso(p.Name, related)}}})
	return p
}

// seeAlso lists related pages, always naming sysconf(8).
func seeAlso(self string, related []string) string {
	names := map[string]bool{}
	for _, n := range append(related, "sysconf") {
		if n != self {
			names[n] = true
		}
	}
	var out []string
	for n := range names {
		out = append(out, n+"(8)")
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// textBlocks splits --help text into paragraphs at blank lines; a
// paragraph whose lines are indented is shown as written.
func textBlocks(s string) []manpage.Block {
	var out []manpage.Block
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if strings.HasPrefix(para, " ") || strings.HasPrefix(para, "\t") {
			out = append(out, manpage.Block{Kind: manpage.Literal, Text: dedent(para)})
			continue
		}
		out = append(out, manpage.Block{Kind: manpage.Para, Text: strings.Join(strings.Fields(para), " ")})
	}
	return out
}

// dedent removes the indentation the lines of s share.
func dedent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return strings.Join(lines, "\n")
}

// flagBlocks lists flags as --help does: name, shorthand, value type,
// usage and a default that is not the zero value.
func flagBlocks(fs *pflag.FlagSet) []manpage.Block {
	var out []manpage.Block
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		tag := manpage.Bold("--" + f.Name)
		if f.Shorthand != "" {
			tag = manpage.Bold("-"+f.Shorthand) + ", " + tag
		}
		if varname != "" {
			tag += " " + manpage.Italic(varname)
		}
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		out = append(out, manpage.Block{Kind: manpage.Tagged, Tag: tag, Text: usage})
	})
	return out
}
