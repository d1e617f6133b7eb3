package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"sysconf/generations"
)

func newDiffCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff N M",
		Short: "Show what changes from generation N to generation M",
		Long: `diff compares two recorded generations with the plan's view: services added,
removed and changed (with the files that change), runlevels and managed files.`,
		Example: `  sysconf diff 3 4 --root /tmp/machine
  sysconf diff 3 4 --json | jq .changes.changed`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.diff(args[0], args[1], asJSON, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the changes as JSON, as plan --json does")
	return cmd
}

// diffJSON is diff --json's output: plan --json's changes and origins,
// between two recorded generations.
type diffJSON struct {
	FormatVersion int               `json:"format_version"`
	From          int               `json:"from"`
	To            int               `json:"to"`
	Changes       generations.Diff  `json:"changes"`
	Origins       map[string]string `json:"origins"`
}

func (a *app) diff(n, m string, asJSON bool, stdout io.Writer) error {
	var ks [2]int
	for i, s := range []string{n, m} {
		k, err := strconv.Atoi(s)
		if err != nil || k <= 0 {
			return &usageError{fmt.Errorf("diff: %q is not a generation number", s)}
		}
		ks[i] = k
	}
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	var recs [2]*generations.Record
	for i, k := range ks {
		if recs[i], err = g.Load(k); err != nil {
			return err
		}
	}
	d, from := generations.Compare(&recs[0].Manifest, recs[1].Manifest), origins(&recs[0].Manifest, &recs[1].Manifest)
	if asJSON {
		return writeJSON(stdout, diffJSON{FormatVersion: jsonFormat, From: ks[0], To: ks[1], Changes: d, Origins: from})
	}
	writePlan(stdout, d, from, a.color(stdout))
	return nil
}
