package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"sysconf/generations"
)

type rollbackOptions struct {
	to      int
	test    bool
	timeout time.Duration
	json    bool
}

func newRollbackCmd(a *app) *cobra.Command {
	var o rollbackOptions
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Switch back to the previous generation (or to --to N)",
		Long: `rollback switches the machine to the generation that ran before the current
one, or to generation --to N (--to 0: the machine as sysconf found it when it
took it over, its folders given back as they were): its services (the same store paths, so unchanged
ones keep running), runlevels and managed files, exactly, and makes it the
boot default unless --test. It waits for the services it starts, like apply.`,
		Example: `  sysconf rollback --root /tmp/machine
  sysconf rollback --to 3`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.rollback(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print events as JSON lines on stdout, as apply does")
	cmd.Flags().IntVar(&o.to, "to", -1, "the generation to switch to (default: the previous one; 0: the machine as sysconf found it)")
	cmd.Flags().BoolVar(&o.test, "test", false, "do not make it the boot default")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for started services to be up")
	return cmd
}

func (a *app) rollback(ctx context.Context, o rollbackOptions, stdout, stderr io.Writer) error {
	p := a.progressFor(o.json, stdout, stderr)
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	to := o.to
	switch {
	case to == 0:
		to = generations.FoundGeneration
	case to < 0:
		to = 0 // the previous one
	}
	tl := generations.ApplyTimeline{Start: time.Now()}
	res, err := g.Rollback(ctx, to, generations.Options{Test: o.test, Timeout: o.timeout,
		Events: func(e generations.Event) { tl.Events = append(tl.Events, e); p.show(childEvent{Event: e}) }})
	recordTimeline(g, res, tl, p.show)
	final := childEvent{Event: generations.Event{Kind: "result", Time: time.Now()}, Result: res}
	var he *generations.HealthError
	if err != nil {
		final.Error = err.Error()
	}
	if errors.As(err, &he) {
		final.Log = he.Log
	}
	if o.json || he != nil {
		p.show(final)
	}
	p.done()
	if err != nil {
		if o.json {
			// The result line holds the error; stderr says it too, as
			// apply --json does.
			return &exitError{code: 1, msg: err.Error()}
		}
		return err
	}
	if o.json {
		return nil
	}
	fmt.Fprintf(stderr, "generation %d is current (was %d): %d started, %d restarted, %d stopped, %d kept\n",
		res.Generation, res.Previous, len(res.Started), len(res.Restarted), len(res.Stopped), res.Kept)
	return nil
}
