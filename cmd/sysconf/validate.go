package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newValidateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check a description and report every problem",
		Long: `validate parses and evaluates the description and reports every problem at
once, each at its file, line and column. It writes nothing.`,
		Example: `  sysconf validate
  sysconf validate -c examples/small.hcl -var port=8080`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.validate(cmd.Context(), cmd.OutOrStdout()) },
	}
}

func (a *app) validate(_ context.Context, stdout io.Writer) error {
	sys, err := a.load()
	if err != nil {
		return err
	}
	if _, _, err := a.machineLayout(sys); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid: %s, %s, %s\n", a.configPath(), count(len(sys.Services), "service"), count(len(sys.Runlevels), "runlevel"), count(len(sys.Files), "file"))
	return nil
}
