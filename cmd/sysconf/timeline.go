package main

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sysconf/generations"
)

type timelineOptions struct {
	boot       bool
	generation int
	json       bool
	svg        string
}

func newTimelineCmd(a *app) *cobra.Command {
	var o timelineOptions
	cmd := &cobra.Command{
		Use:   "timeline",
		Short: "Show when services started at boot, or where an activation spent its time",
		Long: `timeline shows, with --boot (the default), when each service of the current
runlevel entered the state it is in (its supervisor's supervise/status
records the time): started, or restarted since, or down and failing. Times
count from the kernel's boot when --root is /, else from the first service
that started.

With --generation N it shows the last activation of generation N (apply,
rollback or runlevel record it next to the outcome): how long the build,
the switch (the old instances' stops included) and the health check took,
and for each service when it was started, restarted or stopped and when it
was up or failed.

--svg FILE also draws it as a chart, one bar per service, that a browser
shows.`,
		Example: `  sysconf timeline --boot
  sysconf timeline --generation 4 --root /tmp/machine
  sysconf timeline --svg boot.svg
  sysconf timeline --generation 4 --json | jq '.spans[] | select(.kind == "phase")'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.timeline(o, cmd.Flags().Changed("generation"), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.boot, "boot", false, "the last boot: when each service entered its state (the default)")
	f.IntVar(&o.generation, "generation", 0, "the last activation of generation N: its phases and services")
	f.BoolVar(&o.json, "json", false, "print the timeline as JSON")
	f.StringVar(&o.svg, "svg", "", "also draw the timeline as an SVG chart (one bar per service) into this file")
	return cmd
}

// timelineJSON is timeline --json's output: the bars, each with its start
// and end, from the reference time Start.
type timelineJSON struct {
	FormatVersion int                `json:"format_version"`
	Kind          string             `json:"kind"` // boot, activation
	Generation    int                `json:"generation"`
	Level         string             `json:"level,omitempty"` // boot: the runlevel
	Start         time.Time          `json:"start"`           // boot: the kernel's boot (or the first service's start); activation: its start
	End           time.Time          `json:"end"`             // boot: now; activation: its end
	Spans         []generations.Span `json:"spans"`
}

func (a *app) timeline(o timelineOptions, genSet bool, stdout, stderr io.Writer) error {
	if o.boot && genSet {
		return &usageError{errors.New("--boot and --generation exclude each other")}
	}
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	var t *timelineJSON
	if genSet {
		if o.generation <= 0 {
			return &usageError{fmt.Errorf("--generation %d is not a generation number", o.generation)}
		}
		rec, err := g.Load(o.generation)
		if err != nil {
			return err
		}
		tl, err := g.ReadTimeline(o.generation)
		if err != nil {
			return &exitError{code: 1, msg: err.Error() + " (its activation ran before sysconf recorded timelines, or did not end)"}
		}
		t = &timelineJSON{Kind: "activation", Generation: tl.Generation, Start: tl.Start, End: tl.End, Spans: tl.Spans()}
		// The services the activation left as they were have a row too
		// (kind "kept", an instant at its start): the chart lists every
		// service of the generation.
		seen := map[string]bool{}
		for _, s := range t.Spans {
			seen[s.Service] = true
		}
		for _, s := range rec.Manifest.Services {
			if !seen[s.Name] {
				t.Spans = append(t.Spans, generations.Span{Name: s.Name, Service: s.Name, Kind: "kept", Start: tl.Start, End: tl.Start})
			}
		}
	} else {
		st, err := g.Status()
		if errors.Is(err, generations.ErrNoCurrent) {
			return &exitError{code: 1, msg: "no generation under " + a.root + ": run sysconf apply first"}
		}
		if err != nil {
			return err
		}
		t = bootTimeline(st, a.root == "/", time.Now())
	}
	t.FormatVersion = jsonFormat
	if o.svg != "" {
		var b strings.Builder
		if err := writeTimelineSVG(&b, t); err != nil {
			return err
		}
		if err := os.WriteFile(o.svg, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("write the chart: %w", err)
		}
	}
	if o.json {
		return writeJSON(stdout, t)
	}
	return writeTimeline(stdout, t)
}

// bootTimeline makes the boot's bars from the supervisors' states: one per
// service, from when it entered its state to now. The reference is the
// kernel's boot time when the machine is the host (root /), else the
// first service's start: a sandbox root did not boot.
func bootTimeline(st *generations.Status, host bool, now time.Time) *timelineJSON {
	t := &timelineJSON{Kind: "boot", Generation: st.Generation, Level: st.Level, End: now}
	for _, s := range st.Services {
		sp := generations.Span{Name: s.Name, Service: s.Name, Kind: s.State, Start: s.Since, End: now}
		switch {
		case s.State == "unsupervised" || s.Since.IsZero():
			sp.Start, sp.Outcome = now, "unsupervised"
		case s.State == "down" && s.Want == "u":
			sp.Outcome, sp.Message = "failed", "down, and its supervisor wants it up: it exits and is restarted"
		}
		if t.Start.IsZero() || (sp.Start.Before(t.Start) && sp.Outcome != "unsupervised") {
			t.Start = sp.Start
		}
		t.Spans = append(t.Spans, sp)
	}
	if host {
		if b, ok := bootTime(); ok && !b.After(t.Start) {
			t.Start = b
		}
	}
	if t.Start.IsZero() {
		t.Start = now
	}
	// In the order they started, as the boot went.
	sort.SliceStable(t.Spans, func(i, j int) bool { return t.Spans[i].Start.Before(t.Spans[j].Start) })
	return t
}

// bootTime is the kernel's boot time, /proc/stat's btime.
func bootTime() (time.Time, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(n, 0), err == nil
		}
	}
	return time.Time{}, false
}

// offset writes d as seconds from the reference: "+1.234s".
func offset(d time.Duration) string { return fmt.Sprintf("+%.3fs", d.Seconds()) }

func writeTimeline(w io.Writer, t *timelineJSON) error {
	if t.Kind == "boot" {
		fmt.Fprintf(w, "boot of generation %d, runlevel %s; times from %s\n", t.Generation, t.Level, t.Start.Local().Format("2006-01-02 15:04:05"))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tSTATE\tSINCE\tFOR\tNOTE")
		for _, s := range t.Spans {
			since, dur := "-", "-"
			if s.Outcome != "unsupervised" {
				since, dur = offset(s.Start.Sub(t.Start)), s.End.Sub(s.Start).Truncate(time.Millisecond).String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, since, dur, s.Message)
		}
		return tw.Flush()
	}
	fmt.Fprintf(w, "activation of generation %d at %s: %s in all\n", t.Generation, t.Start.Local().Format("2006-01-02 15:04:05"), t.End.Sub(t.Start).Truncate(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHAT\tKIND\tSTART\tEND\tTOOK\tOUTCOME")
	for _, s := range t.Spans {
		outcome := s.Outcome
		if s.Message != "" {
			outcome += ": " + s.Message
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, offset(s.Start.Sub(t.Start)), offset(s.End.Sub(t.Start)),
			s.End.Sub(s.Start).Truncate(time.Millisecond), outcome)
	}
	return tw.Flush()
}

// The chart's geometry, in SVG user units (pixels).
const (
	svgLabel  = 200 // the names' column
	svgPlot   = 800 // the time axis
	svgRow    = 22  // one bar's row
	svgTop    = 50  // title and axis labels
	svgBottom = 30
)

// writeTimelineSVG draws t as systemd-analyze plot does: one row per bar,
// time running right, with second ticks; the colour says the kind (phase,
// start, restart, stop) and a failed bar is red.
func writeTimelineSVG(w io.Writer, t *timelineJSON) error {
	total := t.End.Sub(t.Start).Seconds()
	if total <= 0 {
		total = 1
	}
	x := func(at time.Time) float64 {
		v := at.Sub(t.Start).Seconds() / total * svgPlot
		return min(max(v, 0), svgPlot) + svgLabel
	}
	height := svgTop + svgRow*len(t.Spans) + svgBottom
	width := svgLabel + svgPlot + 20
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	title := fmt.Sprintf("sysconf: activation of generation %d, %s", t.Generation, t.End.Sub(t.Start).Truncate(time.Millisecond))
	if t.Kind == "boot" {
		title = fmt.Sprintf("sysconf: boot of generation %d (runlevel %s), %s ago", t.Generation, t.Level, t.End.Sub(t.Start).Truncate(time.Second))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">
<rect width="100%%" height="100%%" fill="white"/>
<text x="10" y="20" font-size="14" font-weight="bold">%s</text>
`, width, height, width, height, esc(title))
	// The finest round tick that makes at most 20 of them.
	step := 0.0
	for _, s := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400} {
		if step = s; total/s <= 20 {
			break
		}
	}
	for total/step > 20 {
		step *= 2
	}
	prec := 0
	if step < 1 {
		prec = 1
	}
	for i := 0; float64(i)*step <= total+1e-9; i++ {
		s := float64(i) * step
		px := svgLabel + s/total*svgPlot
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>
<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>
`, px, svgTop-5, px, height-svgBottom, px, svgTop-10, strconv.FormatFloat(s, 'f', prec, 64)+"s")
	}
	colour := map[string]string{"phase": "#6c8ebf", "start": "#82b366", "restart": "#d6b656", "stop": "#999999", "await": "#b3b3b3", "kept": "#cccccc",
		"run": "#82b366", "down": "#999999", "finish": "#d6b656", "unsupervised": "#dddddd"}
	for i, s := range t.Spans {
		y := svgTop + i*svgRow
		fill := colour[s.Kind]
		if fill == "" {
			fill = "#82b366"
		}
		if s.Outcome == "failed" {
			fill = "#b85450"
		}
		x0, x1 := x(s.Start), x(s.End)
		if x1-x0 < 2 {
			x1 = x0 + 2 // an instant still shows
		}
		label := s.Name
		if s.Service == "" {
			label = "[" + s.Name + "]"
		}
		what := fmt.Sprintf("%s %s, %s to %s", s.Name, s.Kind, offset(s.Start.Sub(t.Start)), offset(s.End.Sub(t.Start)))
		if s.Outcome != "" {
			what += ": " + s.Outcome
		}
		if s.Message != "" {
			what += " (" + s.Message + ")"
		}
		// The words go right of the bar, as systemd-analyze plot puts
		// them; where that would run off the chart, inside it, in white;
		// and left of a bar too short to hold them.
		note := s.Kind
		switch {
		case s.Kind == "phase":
			note = s.End.Sub(s.Start).Truncate(time.Millisecond).String()
		case s.Kind == "stop" && s.Outcome == "":
			note = "stop, not waited for"
		case t.Kind == "activation" && s.Kind != "kept":
			note = fmt.Sprintf("%s, %s after %s", s.Kind, cmp.Or(s.Outcome, "not done"), s.End.Sub(s.Start).Truncate(time.Millisecond))
		case s.Outcome == "failed":
			note += ", failing"
		}
		tx, anchor, ink := x1+4, "start", "#333"
		if words := 7 * float64(len(note)); tx+words > float64(width) {
			tx, anchor, ink = x1-4, "end", "white"
			if x1-x0 < words+8 {
				tx, ink = x0-4, "#333"
			}
		}
		fmt.Fprintf(&b, `<g><title>%s</title>
<text x="%d" y="%d" text-anchor="end">%s</text>
<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="2" fill="%s"/>
<text x="%.1f" y="%d" text-anchor="%s" fill="%s">%s</text></g>
`, esc(what), svgLabel-8, y+15, esc(label), x0, y+3, x1-x0, svgRow-6, fill,
			tx, y+15, anchor, ink, esc(note))
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" fill="#555">%s</text>
</svg>
`, height-10, esc("times from "+t.Start.UTC().Format(time.RFC3339)))
	_, err := io.WriteString(w, b.String())
	return err
}
