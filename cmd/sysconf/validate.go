package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"sysconf/config"
	"sysconf/generations"
)

func newValidateCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a description and report every problem",
		Long: `validate parses and evaluates the description and reports every problem at
once, each at its file, line and column. It writes nothing.

Given --root, it also checks the description against that machine: every
user and group a service, directory or mount names must be declared by the
description or exist in ROOT/etc/passwd and ROOT/etc/group.`,
		Example: `  sysconf validate
  sysconf validate -c examples/small.hcl -var port=8080
  sysconf validate --root /mnt/machine -c system.hcl
  sysconf validate --json | jq '.diagnostics[].range'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.validate(cmd.Context(), cmd.Flags().Changed("root"), asJSON, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result and every diagnostic, with its range, as JSON")
	return cmd
}

// validateJSON is validate --json's output.
type validateJSON struct {
	FormatVersion int        `json:"format_version"`
	Valid         bool       `json:"valid"`
	Services      int        `json:"services"`
	Runlevels     int        `json:"runlevels"`
	Files         int        `json:"files"`
	Diagnostics   []jsonDiag `json:"diagnostics"` // errors and warnings, by file and position
}

// validate loads the description; with machine, it checks the accounts
// it names against the root's (only when --root was given: a description
// is often checked away from the machine it describes).
func (a *app) validate(_ context.Context, machine, asJSON bool, stdout io.Writer) error {
	l, err := a.loadQuiet()
	if err != nil {
		return err
	}
	if machine && !l.diags.HasErrors() {
		g, err := generations.Open(a.root)
		if err != nil {
			return err
		}
		users, groups, err := g.AccountNames()
		g.Close()
		if err != nil {
			return fmt.Errorf("read the accounts of %s: %w", a.root, err)
		}
		l.diags = append(l.diags, config.CheckAccounts(l.sys, config.Accounts{Users: users, Groups: groups})...)
	}
	failed := &exitError{code: 1, msg: fmt.Sprintf("%s: %s", a.configPath(), countErrors(l.diags))}
	if asJSON {
		out := validateJSON{FormatVersion: jsonFormat, Valid: !l.diags.HasErrors(), Diagnostics: toJSONDiags(a.shownDiags(l))}
		if l.sys != nil {
			out.Services, out.Runlevels, out.Files = len(l.sys.Services), len(l.sys.Runlevels), len(l.sys.Files)
		}
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
		if !out.Valid {
			return failed
		}
		return nil
	}
	a.printDiags(l)
	if l.diags.HasErrors() {
		return failed
	}
	sys := l.sys
	if _, _, err := a.machineLayout(sys); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid: %s, %s, %s\n", a.configPath(), count(len(sys.Services), "service"), count(len(sys.Runlevels), "runlevel"), count(len(sys.Files), "file"))
	return nil
}
