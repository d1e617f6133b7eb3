package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"sysconf/generations"
	"sysconf/planner"
)

type applyOptions struct {
	dryRun     bool
	test       bool
	boot       bool
	force      bool
	noRollback bool
	noRestart  bool
	json       bool
	timeout    time.Duration
	runlevel   string
	child      bool // hidden: run the detached activation (see applyDetached)
}

func newApplyCmd(a *app) *cobra.Command {
	var o applyOptions
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Build the description into a generation and switch the machine to it",
		Long: `apply plans the description, prints the plan, records a new generation
(none when the description is the current one), switches the runlevel to it
with runsvchdir's algorithm, points /etc/sv and the managed files at it, and
waits for every started or restarted service to be up (its check script where
it has one) within --timeout. A service that does not come up makes apply
switch back to the previous generation and report it with the last lines of
its log; --no-rollback keeps the new generation instead.

With --no-restart, a changed service is not restarted: its running process
is handed to the supervisor of its new definition and goes on running the
old one (new services still start, removed ones still stop, unchanged ones
keep their pid as always). The new definition runs from the next restart of
the service: 'sv restart', or when the process exits or crashes. Until then
'sysconf status' shows the service's restart debt; a later apply leaves it
as it is unless it changes that service again (without --no-restart).
This needs sysconf's runsvdir: Debian's runsv restarts the service anyway,
and apply then reports it as restarted.

The activation runs in a session of its own: if the terminal goes away (an
SSH connection lost when the switch restarts sshd), it goes on to the end and
records its outcome, which 'sysconf generations' shows.`,
		Example: `  sysconf apply --root /tmp/machine -c examples/
  sysconf apply --test        # activate, keep the boot default
  sysconf apply --boot        # make it the boot default only
  sysconf apply --no-restart  # changed services restart later (sv restart)
  sysconf apply --json | jq -c .`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.child {
				return a.applyChild(cmd.Context(), cmd.InOrStdin())
			}
			return a.apply(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.dryRun, "dry-run", false, "stop after printing the plan")
	f.BoolVar(&o.test, "test", false, "activate without making it the boot default")
	f.BoolVar(&o.boot, "boot", false, "make it the boot default without activating it")
	f.BoolVar(&o.force, "force", false, "replace files in the way that sysconf does not manage")
	f.BoolVar(&o.noRollback, "no-rollback", false, "keep the new generation even if a service does not come up")
	f.BoolVar(&o.noRestart, "no-restart", false, "leave changed services running their old definition until they restart")
	f.BoolVar(&o.json, "json", false, "print events as JSON lines on stdout")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for started services to be up")
	f.StringVar(&o.runlevel, "runlevel", "", "the runlevel to run (default: the current one, else default)")
	f.BoolVar(&o.child, "activate-child", false, "internal: the detached activation")
	_ = f.MarkHidden("activate-child")
	return cmd
}

// applyRequest is what apply hands its detached child on stdin.
type applyRequest struct {
	Root       string               `json:"root"`
	Layout     generations.Layout   `json:"layout"`
	Manifest   generations.Manifest `json:"manifest"`
	Sources    map[string][]byte    `json:"sources"`
	Test       bool                 `json:"test"`
	Boot       bool                 `json:"boot"`
	Force      bool                 `json:"force"`
	NoRollback bool                 `json:"no_rollback"`
	NoRestart  bool                 `json:"no_restart"`
	Timeout    time.Duration        `json:"timeout"`
	Runlevel   string               `json:"runlevel"`
}

// childEvent is one line the child writes on its event pipe: an Event,
// or (Kind "result") the outcome.
type childEvent struct {
	generations.Event
	Result *generations.Result `json:"result,omitempty"`
	Error  string              `json:"error,omitempty"`
	Log    []string            `json:"log,omitempty"`
}

func (a *app) apply(ctx context.Context, o applyOptions, stdout, stderr io.Writer) error {
	if o.test && o.boot {
		return &usageError{errors.New("--test and --boot exclude each other")}
	}
	if o.json {
		a.diagJSON = stdout
	}
	sys, err := a.load()
	if err != nil {
		return err
	}
	l, how, err := a.machineLayout(sys)
	if err != nil {
		return err
	}
	sayLayout(stderr, l, how)
	m := planner.PlanIn(sys, l)
	_, old, err := installedManifest(a.root, l)
	if err != nil {
		return err
	}
	d := generations.Compare(old, m)
	if !o.json {
		writePlan(stdout, d, origins(old, &m), a.color(stdout))
	}
	if o.dryRun {
		return nil
	}
	root, err := filepath.Abs(a.root)
	if err != nil {
		return err
	}
	req := applyRequest{Root: root, Layout: l, Manifest: m, Sources: sys.Sources, Test: o.test, Boot: o.boot,
		Force: o.force, NoRollback: o.noRollback, NoRestart: o.noRestart, Timeout: o.timeout, Runlevel: o.runlevel}
	return a.applyDetached(ctx, req, o.json, stdout, stderr)
}

// selfExe is the program to run again for the detached activation.
func selfExe() string {
	if strings.Contains(os.Args[0], "/") {
		return os.Args[0]
	}
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		return p
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return os.Args[0]
}

// applyDetached runs the activation in a child process in a session of its
// own (setsid), so that a hangup of the terminal's session does not reach
// it, and relays its events. The child reads the request from a pipe and
// writes events on another (fd 3), whose loss it ignores.
func (a *app) applyDetached(ctx context.Context, req applyRequest, asJSON bool, stdout, stderr io.Writer) error {
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	er, ew, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(selfExe(), "apply", "--activate-child", "--root", req.Root)
	cmd.Stdin = strings.NewReader(string(in))
	cmd.ExtraFiles = []*os.File{ew}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		er.Close()
		ew.Close()
		return fmt.Errorf("start activation: %w", err)
	}
	ew.Close()
	// Our own hangup must not stop the relay before the child is done.
	signal.Ignore(syscall.SIGHUP)
	defer signal.Reset(syscall.SIGHUP)
	p := a.progressFor(asJSON, stdout, stderr)
	var final *childEvent
	sc := bufio.NewScanner(er)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		var ev childEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		if ev.Kind == "result" {
			final = &ev
		}
		p.show(ev)
	}
	er.Close()
	werr := cmd.Wait()
	p.done()
	if final == nil {
		return fmt.Errorf("activation ended without an outcome (%v); see 'sysconf generations'", werr)
	}
	if final.Error != "" {
		return &exitError{code: 1, msg: final.Error}
	}
	return nil
}

// applyChild is the detached activation: read the request, apply, record
// the outcome, report the result as the last event.
func (a *app) applyChild(ctx context.Context, stdin io.Reader) error {
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	var req applyRequest
	if err := json.NewDecoder(stdin).Decode(&req); err != nil {
		return fmt.Errorf("read activation request: %w", err)
	}
	events := os.NewFile(3, "events")
	enc := json.NewEncoder(events)
	tl := generations.ApplyTimeline{Start: time.Now()}
	send := func(ev childEvent) {
		if ev.Kind != "result" && ev.Kind != "" {
			tl.Events = append(tl.Events, ev.Event)
		}
		if events != nil && enc.Encode(ev) != nil {
			// The parent is gone (its terminal closed): carry on.
			events = nil
		}
	}
	g, err := generations.CreateLayout(req.Root, req.Layout)
	if err != nil {
		send(childEvent{Event: generations.Event{Kind: "result", Time: time.Now()}, Error: err.Error()})
		return &exitError{code: 1}
	}
	defer g.Close()
	res, err := g.Apply(ctx, req.Manifest, generations.Options{
		Sources: req.Sources, Version: version, Level: req.Runlevel,
		Test: req.Test, BootOnly: req.Boot, Force: req.Force, NoRollback: req.NoRollback,
		NoRestart: req.NoRestart, Timeout: req.Timeout, Events: func(e generations.Event) { send(childEvent{Event: e}) },
	})
	final := childEvent{Event: generations.Event{Kind: "result", Time: time.Now()}, Result: res}
	var he *generations.HealthError
	if err != nil {
		final.Error = err.Error()
		if errors.As(err, &he) {
			final.Log = he.Log
			if res != nil && res.RolledBack {
				final.Error += fmt.Sprintf("; rolled back to generation %d", res.Generation)
			}
		}
	}
	if res != nil && res.Generation > 0 {
		n := res.Generation
		if res.RolledBack {
			n = res.Previous // the outcome belongs to the generation that failed
		}
		out := generations.Outcome{Time: time.Now().UTC(), OK: err == nil, Message: final.Error, RolledBack: res.RolledBack}
		if res.Unsupervised {
			out.Message = "activated; nothing is supervising " + filepath.Join(req.Root, g.Layout().Service)
		}
		if oerr := g.RecordOutcome(n, out); oerr != nil {
			// The switch stands; only 'sysconf generations' will not
			// show how it ended: say so now, while someone may listen.
			send(childEvent{Event: generations.Event{Kind: "warning", Generation: n,
				Message: fmt.Sprintf("cannot record the outcome of generation %d: %v", n, oerr)}})
		}
		recordTimeline(g, res, tl, send)
	}
	send(final)
	if err != nil {
		return &exitError{code: 1}
	}
	return nil
}

// progress renders the activation's events: JSON lines for machines, a
// rewritten status line on a terminal, plain lines when piped.
type progress struct {
	stdout, stderr io.Writer
	json, tty      bool
	color          bool // colour failures and warnings (a terminal, no NO_COLOR or --no-color)
	width          int  // the terminal's columns: the status line never wraps
	// pending is what the status line shows: each service the activation
	// waits for, with the last "wait" event's words about it.
	pending map[string]string
	shown   bool // the status line is on screen
}

func newProgress(stdout, stderr io.Writer, asJSON, tty, color bool) *progress {
	p := &progress{stdout: stdout, stderr: stderr, json: asJSON, tty: tty && !asJSON, color: color && !asJSON, width: 80, pending: map[string]string{}}
	if f, ok := stderr.(*os.File); ok && p.tty {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			p.width = int(ws.Col)
		}
	}
	return p
}

// progressFor is the progress display of a command: JSON lines on stdout
// with --json, else lines or a status line on stderr.
func (a *app) progressFor(asJSON bool, stdout, stderr io.Writer) *progress {
	return newProgress(stdout, stderr, asJSON, a.isTerminal(stderr), a.color(stderr))
}

// jsonEvent is one line of apply, rollback and runlevel --json.
type jsonEvent struct {
	FormatVersion int `json:"format_version"`
	childEvent
}

func (p *progress) show(ev childEvent) {
	if p.json {
		b, _ := json.Marshal(jsonEvent{jsonFormat, ev})
		fmt.Fprintf(p.stdout, "%s\n", b)
		return
	}
	line, paint := "", ""
	switch ev.Kind {
	case "build":
		line = "building generation"
	case "generation":
		line = fmt.Sprintf("generation %d recorded", ev.Generation)
	case "unchanged":
		line = fmt.Sprintf("the description is generation %d, the current one: nothing to switch", ev.Generation)
	case "switch":
		line = fmt.Sprintf("switched to generation %d", ev.Generation)
	case "start", "restart", "stop":
		line = ev.Kind + " " + ev.Service
	case "takeover":
		line = ev.Message
	case "handover":
		line = "kept running " + ev.Service + " (" + ev.Message + ")"
	case "defer":
		line = "not restarted " + ev.Service + " (restart debt: sv restart runs its new definition)"
	case "await":
		p.pending[ev.Service] = "to be up"
	case "gone":
		delete(p.pending, ev.Service)
	case "up":
		delete(p.pending, ev.Service)
		line = "up " + ev.Service
	case "wait":
		// Every second while it waits: on a terminal the status line
		// says it; piped, each report is a line of the log.
		if p.tty {
			p.pending[ev.Service] = ev.Message
		} else {
			line = fmt.Sprintf("waiting for %s %s", ev.Service, ev.Message)
		}
	case "failed":
		delete(p.pending, ev.Service)
		line, paint = fmt.Sprintf("failed %s: %s", ev.Service, ev.Message), "31"
	case "rollback":
		line, paint = fmt.Sprintf("rolling back to generation %d", ev.Generation), "33"
	case "unsupervised", "warning":
		line, paint = "warning: "+ev.Message, "33"
	case "result":
		p.result(ev)
		return
	}
	if line == "" && !p.tty {
		return
	}
	p.clear()
	if line != "" {
		if p.color && paint != "" {
			line = "\x1b[" + paint + "m" + line + "\x1b[0m"
		}
		fmt.Fprintln(p.stderr, line)
	}
	p.status()
}

// clear erases the status line, so that what comes next starts on a
// clean line.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.stderr, "\r\x1b[K")
		p.shown = false
	}
}

// status draws the status line, cut to the terminal's width so that it
// never wraps (a wrapped line could not be erased with one \r).
func (p *progress) status() {
	if !p.tty || len(p.pending) == 0 {
		return
	}
	names := make([]string, 0, len(p.pending))
	for n := range p.pending {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n
		if w := p.pending[n]; w != "to be up" {
			parts[i] += ": " + w
		}
	}
	line := []rune("waiting for " + strings.Join(parts, "; "))
	if len(line) > p.width-1 {
		line = append(line[:p.width-2], '…')
	}
	fmt.Fprint(p.stderr, string(line))
	p.shown = true
}

func (p *progress) result(ev childEvent) {
	p.clear()
	p.pending = map[string]string{}
	if len(ev.Log) > 0 {
		fmt.Fprintf(p.stderr, "last lines of %s's log:\n", ev.Result.Failed.Service)
		for _, l := range ev.Log {
			fmt.Fprintf(p.stderr, "  %s\n", l)
		}
	}
	if r := ev.Result; r != nil && ev.Error == "" && r.BootOnly {
		fmt.Fprintf(p.stderr, "generation %d is the boot default; it runs after the next boot\n", r.Generation)
		return
	}
	if r := ev.Result; r != nil && ev.Error == "" {
		deferred := ""
		if len(r.Deferred) > 0 {
			deferred = fmt.Sprintf(", %d not restarted", len(r.Deferred))
		}
		fmt.Fprintf(p.stderr, "generation %d is current: %d started, %d restarted%s, %d stopped, %d kept\n",
			r.Generation, len(r.Started), len(r.Restarted), deferred, len(r.Stopped), r.Kept+len(r.HandedOver))
		if r.TookOver && len(r.Restarted) > 0 {
			fmt.Fprintf(p.stderr, "restarted once by the takeover: %s\n", strings.Join(r.Restarted, ", "))
		}
	}
}

// done leaves the terminal on a clean line, for the error that may follow.
func (p *progress) done() { p.clear() }

// recordTimeline records where an activation spent its time, for
// 'sysconf timeline --generation N': N is the generation it activated (the
// one that failed, when it was rolled back). An activation that did
// nothing records nothing, so as not to hide the last one that did. A
// failure to record is a warning, as for apply's outcome.
func recordTimeline(g *generations.Root, res *generations.Result, tl generations.ApplyTimeline, warn func(childEvent)) {
	if res == nil || res.Generation == 0 || tl.Idle() {
		return
	}
	n := res.Generation
	if res.RolledBack {
		n = res.Previous
	}
	tl.Generation, tl.End = n, time.Now()
	if err := g.RecordTimeline(n, tl); err != nil {
		warn(childEvent{Event: generations.Event{Kind: "warning", Generation: n,
			Message: fmt.Sprintf("cannot record the timeline of generation %d: %v", n, err)}})
	}
}
