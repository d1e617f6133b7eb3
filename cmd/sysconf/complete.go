package main

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/spf13/cobra"
)

// addCompletions makes the shell completions offer what the machine under
// --root holds: generation numbers for diff and rollback --to, and the
// current generation's runlevels for runlevel and apply --runlevel. Cobra
// parses the command line before it asks, so --root is already set; a
// root that cannot be read offers nothing.
func addCompletions(root *cobra.Command, a *app) {
	gens := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return a.generationNumbers(), cobra.ShellCompDirectiveNoFileComp
	}
	levels := func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return a.runlevelNames(), cobra.ShellCompDirectiveNoFileComp
	}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "diff":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
				if len(args) >= 2 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return gens(cmd, args, s)
			}
		case "rollback":
			_ = c.RegisterFlagCompletionFunc("to", gens)
		case "timeline":
			_ = c.RegisterFlagCompletionFunc("generation", gens)
		case "runlevel":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, s string) ([]string, cobra.ShellCompDirective) {
				if len(args) >= 1 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return levels(cmd, args, s)
			}
		case "apply", "build-vm":
			_ = c.RegisterFlagCompletionFunc("runlevel", levels)
		}
	}
}

// generationNumbers lists the generations under --root, each with its
// markers and creation time as the description the shell shows.
func (a *app) generationNumbers() []string {
	g, err := a.openRoot()
	if err != nil {
		return nil
	}
	infos, err := g.List()
	if err != nil {
		return nil
	}
	var out []string
	for _, i := range infos {
		desc := i.Created.UTC().Format("2006-01-02 15:04")
		switch {
		case i.Current:
			desc += ", current"
		case i.Previous:
			desc += ", previous"
		}
		if i.Boot {
			desc += ", boot"
		}
		out = append(out, fmt.Sprintf("%s\t%s", strconv.Itoa(i.Number), desc))
	}
	return out
}

// runlevelNames lists the runlevels of the current generation under
// --root, sorted.
func (a *app) runlevelNames() []string {
	g, err := a.openRoot()
	if err != nil {
		return nil
	}
	rec, _, err := g.Current()
	if err != nil || rec == nil {
		return nil
	}
	var out []string
	for name := range rec.Runlevels {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
