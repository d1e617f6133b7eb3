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
	return &cobra.Command{
		Use:   "validate",
		Short: "Check a description and report every problem",
		Long: `validate parses and evaluates the description and reports every problem at
once, each at its file, line and column. It writes nothing.

Given --root, it also checks the description against that machine: every
user and group a service, directory or mount names must be declared by the
description or exist in ROOT/etc/passwd and ROOT/etc/group.`,
		Example: `  sysconf validate
  sysconf validate -c examples/small.hcl -var port=8080
  sysconf validate --root /mnt/machine -c system.hcl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.validate(cmd.Context(), cmd.Flags().Changed("root"), cmd.OutOrStdout())
		},
	}
}

// validate loads the description; with machine, it checks the accounts
// it names against the root's (only when --root was given: a description
// is often checked away from the machine it describes).
func (a *app) validate(_ context.Context, machine bool, stdout io.Writer) error {
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
	a.printDiags(l)
	if l.diags.HasErrors() {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: %s", a.configPath(), countErrors(l.diags))}
	}
	sys := l.sys
	fmt.Fprintf(stdout, "%s: valid: %s, %s, %s\n", a.configPath(), count(len(sys.Services), "service"), count(len(sys.Runlevels), "runlevel"), count(len(sys.Files), "file"))
	return nil
}
