package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"sysconf/generations"
)

func newGCCmd(a *app) *cobra.Command {
	var o generations.GCOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove old generations and the store entries nothing uses",
		Long: `gc removes generations and then every store entry that no remaining
generation uses. It never removes the current generation, the boot default or
the previous one. With --keep N the newest N generations stay too; with
--older-than D only generations older than D go.`,
		Example: `  sysconf gc --keep 5
  sysconf gc --older-than 720h
  sysconf gc --keep 5 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.gc(o, asJSON, cmd.OutOrStdout()) },
	}
	cmd.Flags().IntVar(&o.Keep, "keep", 0, "keep the newest N generations")
	cmd.Flags().DurationVar(&o.OlderThan, "older-than", 0, "remove only generations older than this (e.g. 720h)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was removed as JSON")
	return cmd
}

func (a *app) gc(o generations.GCOptions, asJSON bool, stdout io.Writer) error {
	o.Now = time.Now()
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	res, err := g.GC(o)
	if err != nil {
		return err
	}
	if asJSON {
		if res.Generations == nil {
			res.Generations = []int{}
		}
		if res.Store == nil {
			res.Store = []string{}
		}
		return writeJSON(stdout, struct {
			FormatVersion int `json:"format_version"`
			*generations.GCResult
		}{jsonFormat, res})
	}
	for _, n := range res.Generations {
		fmt.Fprintf(stdout, "removed generation %d\n", n)
	}
	fmt.Fprintf(stdout, "removed %d generations and %d store entries\n", len(res.Generations), len(res.Store))
	return nil
}
