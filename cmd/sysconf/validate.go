package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newValidateCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a description and report every problem",
		Long: `validate parses and evaluates the description and reports every problem at
once, each at its file, line and column. It writes nothing.`,
		Example: `  sysconf validate
  sysconf validate -c examples/small.hcl -var port=8080
  sysconf validate --json | jq '.diagnostics[].range'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.validate(cmd.Context(), asJSON, cmd.OutOrStdout())
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

func (a *app) validate(_ context.Context, asJSON bool, stdout io.Writer) error {
	if asJSON {
		l, err := a.loadQuiet()
		if err != nil {
			return err
		}
		out := validateJSON{FormatVersion: jsonFormat, Valid: !l.diags.HasErrors(), Diagnostics: toJSONDiags(a.shownDiags(l))}
		if l.sys != nil {
			out.Services, out.Runlevels, out.Files = len(l.sys.Services), len(l.sys.Runlevels), len(l.sys.Files)
		}
		if err := writeJSON(stdout, out); err != nil {
			return err
		}
		if !out.Valid {
			return &exitError{code: 1, msg: fmt.Sprintf("%s: %s", a.configPath(), countErrors(l.diags))}
		}
		return nil
	}
	sys, err := a.load()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid: %s, %s, %s\n", a.configPath(), count(len(sys.Services), "service"), count(len(sys.Runlevels), "runlevel"), count(len(sys.Files), "file"))
	return nil
}
