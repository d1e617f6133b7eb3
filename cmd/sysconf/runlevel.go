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
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runlevel NAME",
		Short: "Run another runlevel of the current generation",
		Long: `runlevel switches etc/runit/runsvdir/current to runlevel NAME of the current
generation with runsvchdir's algorithm: services in both levels keep running,
the others start or stop. The boot default does not change.`,
		Example: `  sysconf runlevel single --root /tmp/machine`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runlevel(cmd.Context(), args[0], timeout, asJSON, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for started services to be up")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print events as JSON lines on stdout, as apply does")
	return cmd
}

func (a *app) runlevel(ctx context.Context, level string, timeout time.Duration, asJSON bool, stdout, stderr io.Writer) error {
	p := a.progressFor(asJSON, stdout, stderr)
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	tl := generations.ApplyTimeline{Start: time.Now()}
	res, err := g.SwitchRunlevel(ctx, level, generations.Options{Timeout: timeout,
		Events: func(e generations.Event) { tl.Events = append(tl.Events, e); p.show(childEvent{Event: e}) }})
	recordTimeline(g, res, tl, p.show)
	if asJSON {
		final := childEvent{Event: generations.Event{Kind: "result", Time: time.Now()}, Result: res}
		if err != nil {
			final.Error = err.Error()
		}
		p.show(final)
		if err != nil {
			return &exitError{code: 1, msg: err.Error()}
		}
		return nil
	}
	p.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "runlevel %s of generation %d: %d started, %d stopped, %d kept\n",
		level, res.Generation, len(res.Started), len(res.Stopped), res.Kept)
	return nil
}
