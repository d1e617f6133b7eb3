package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"sysconf/generations"
)

func newRunlevelCmd(a *app) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "runlevel NAME",
		Short: "Run another runlevel of the current generation",
		Long: `runlevel switches etc/runit/runsvdir/current to runlevel NAME of the current
generation with runsvchdir's algorithm: services in both levels keep running,
the others start or stop. The boot default does not change.`,
		Example: `  sysconf runlevel single --root /tmp/machine`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runlevel(cmd.Context(), args[0], timeout, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for started services to be up")
	return cmd
}

func (a *app) runlevel(ctx context.Context, level string, timeout time.Duration, stderr io.Writer) error {
	p := newProgress(nil, stderr, false, false)
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	res, err := g.SwitchRunlevel(ctx, level, generations.Options{Timeout: timeout,
		Events: func(e generations.Event) { p.show(childEvent{Event: e}) }})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "runlevel %s of generation %d: %d started, %d stopped, %d kept\n",
		level, res.Generation, len(res.Started), len(res.Stopped), res.Kept)
	return nil
}
