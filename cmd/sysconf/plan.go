package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"sysconf/generations"
	"sysconf/planner"
)

type planOptions struct {
	json             bool
	detailedExitCode bool
	out              string
}

func newPlanCmd(a *app) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what applying the description would change",
		Long: `plan evaluates the description into a generation and compares it with the
current generation under --root (or with nothing, on a fresh machine):
services added (+), removed (-) and changed (~, with the files that change),
runlevels and managed files likewise, and how many services stay as they are.
It writes nothing.`,
		Example: `  sysconf plan --root /tmp/machine -c examples/small.hcl
  sysconf plan --json | jq .changes.added
  sysconf plan --detailed-exitcode    # 0 no change, 2 changes, 1 error
  sysconf plan --out manifest.json    # the planned generation, for tools`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.plan(cmd.Context(), o, cmd.OutOrStdout()) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the plan as JSON")
	cmd.Flags().StringVar(&o.out, "out", "", "also write the planned manifest (JSON) to this file")
	cmd.Flags().BoolVar(&o.detailedExitCode, "detailed-exitcode", false, "exit 2 when there are changes (0 none, 1 error)")
	return cmd
}

// planJSON is plan --json's output.
type planJSON struct {
	FormatVersion int                        `json:"format_version"`
	Hash          string                     `json:"hash"`
	Current       *int                       `json:"current_generation"`
	Changes       generations.Diff           `json:"changes"`
	Outputs       map[string]json.RawMessage `json:"outputs"` // the root module's outputs
	// Origins says where each service is declared ("main.hcl:5"), for the
	// planned services and the removed ones.
	Origins map[string]string `json:"origins"`
}

func (a *app) plan(_ context.Context, o planOptions, stdout io.Writer) error {
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
	sayLayout(a.stderr, l, how)
	m := planner.PlanIn(sys, l)
	cur, old, err := installedManifest(a.root, l)
	if err != nil {
		return err
	}
	d := generations.Compare(old, m)
	if o.out != "" {
		js, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.out, append(js, '\n'), 0o644); err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
	}
	if o.json {
		outs := map[string]json.RawMessage{}
		for _, o := range sys.Outputs {
			v, err := ctyjson.Marshal(o.Value, o.Value.Type())
			if err != nil {
				return fmt.Errorf("output %s: %w", o.Name, err)
			}
			outs[o.Name] = v
		}
		js, err := json.MarshalIndent(planJSON{FormatVersion: jsonFormat, Hash: m.Hash(), Current: cur, Changes: d, Outputs: outs, Origins: origins(old, &m)}, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", js)
	} else {
		writePlan(stdout, d, origins(old, &m), a.color(stdout))
	}
	if o.detailedExitCode && !d.Empty() {
		return &exitError{code: 2}
	}
	return nil
}

// installedManifest reads the manifest of the generation installed under
// root: the one its definitions link (etc/sv) points into. A root that does
// not exist yet, or that sysconf has not set up, has none: nothing to
// compare with.
func installedManifest(root string, l generations.Layout) (*int, *generations.Manifest, error) {
	g, err := generations.OpenLayout(root, l)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer g.Close()
	rec, err := g.Installed()
	if err != nil || rec == nil {
		return nil, nil, err
	}
	return &rec.Number, &rec.Manifest, nil
}

// origins maps each service name to where it was declared: in new, or in
// old for a service new no longer has. Either may be nil.
func origins(old, new *generations.Manifest) map[string]string {
	out := map[string]string{}
	for _, m := range []*generations.Manifest{old, new} {
		if m == nil {
			continue
		}
		for _, s := range m.Services {
			if s.Origin != "" {
				out[s.Name] = s.Origin
			}
		}
	}
	return out
}

// writePlan prints the diff for a person, each service followed by where
// it is declared (from origins, when known).
func writePlan(w io.Writer, d generations.Diff, origins map[string]string, color bool) {
	paint := func(op, s string) string {
		if !color {
			return s
		}
		code := map[string]string{"+": "32", "-": "31", "~": "33"}[op]
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	bold := func(s string) string {
		if !color {
			return s
		}
		return "\x1b[1m" + s + "\x1b[0m"
	}
	from := func(name string) string {
		if o := origins[name]; o != "" {
			return " (" + o + ")"
		}
		return ""
	}
	for _, n := range d.Added {
		fmt.Fprintln(w, paint("+", "+ service "+n)+from(n))
	}
	for _, c := range d.Changed {
		fmt.Fprintln(w, paint("~", "~ service "+c.Name)+from(c.Name))
		for _, e := range c.Entries {
			fmt.Fprintln(w, paint(e.Op, "    "+e.Op+" "+e.Name))
			for _, l := range e.Detail {
				fmt.Fprintln(w, paint(l[:1], "        "+l))
			}
		}
	}
	for _, n := range d.Removed {
		fmt.Fprintln(w, paint("-", "- service "+n)+from(n))
	}
	for _, c := range d.Runlevels {
		fmt.Fprintln(w, paint(c.Op, c.Op+" runlevel "+c.Name))
		for _, l := range c.Detail {
			if c.Op == "+" {
				l = "+ " + l
			}
			fmt.Fprintln(w, paint(l[:1], "    "+l))
		}
	}
	for _, c := range d.Files {
		line := c.Op + " file " + c.Name
		if len(c.Detail) > 0 {
			line += " (" + strings.Join(c.Detail, ", ") + ")"
		}
		fmt.Fprintln(w, paint(c.Op, line))
	}
	for _, c := range d.System {
		line := c.Op + " " + c.Name
		if len(c.Detail) > 0 {
			line += " (" + strings.Join(c.Detail, ", ") + ")"
		}
		fmt.Fprintln(w, paint(c.Op, line))
	}
	if d.Empty() {
		fmt.Fprintf(w, "%s %d services unchanged.\n", bold("No changes:"), d.Unchanged)
		return
	}
	fmt.Fprintf(w, "%s %d to add, %d to change, %d to remove, %d unchanged.\n", bold("Plan:"), len(d.Added), len(d.Changed), len(d.Removed), d.Unchanged)
}
