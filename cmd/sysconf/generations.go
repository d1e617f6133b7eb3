package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"sysconf/generations"
)

func newGenerationsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "generations",
		Short: "List the generations with their current and boot markers",
		Long: `generations lists every generation under --root: number, creation time, hash,
number of services, markers (current, boot default, previous) and the outcome
of its last activation.`,
		Example: `  sysconf generations --root /tmp/machine
  sysconf generations --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.generations(asJSON, cmd.OutOrStdout()) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

func (a *app) generations(asJSON bool, stdout io.Writer) error {
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	list, err := g.List()
	if err != nil {
		return err
	}
	if asJSON {
		if list == nil {
			list = []generations.Info{}
		}
		return writeJSON(stdout, struct {
			FormatVersion int                `json:"format_version"`
			Generations   []generations.Info `json:"generations"`
		}{jsonFormat, list})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GEN\tCREATED\tHASH\tSERVICES\tMARKS\tOUTCOME")
	for _, g := range list {
		var marks []string
		if g.Current {
			marks = append(marks, "current("+g.Level+")")
		}
		if g.Boot {
			marks = append(marks, "boot")
		}
		if g.Previous {
			marks = append(marks, "previous")
		}
		outcome := ""
		if o := g.Outcome; o != nil {
			outcome = "ok"
			if !o.OK {
				outcome = "failed"
			}
			if o.RolledBack {
				outcome += ", rolled back"
			}
		}
		hash := "as found"
		if len(g.Hash) >= 12 {
			hash = g.Hash[:12]
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", g.Number, g.Created.Local().Format("2006-01-02 15:04:05"),
			hash, g.Services, strings.Join(marks, ","), outcome)
	}
	return tw.Flush()
}
