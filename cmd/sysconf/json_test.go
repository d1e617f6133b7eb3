package main

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sysconf/generations"
)

// jsonMachine is the description the --json tests apply: two services,
// a runlevel with one of them.
const jsonMachine = `
service "web" {
  command = ["/bin/sleep", "1000"]
}

service "worker" {
  command = ["/bin/sleep", "%s"]
}

runlevel "default" {
  services = [service.web, service.worker]
}

runlevel "single" {
  services = [service.web]
}
`

func writeMachine(t *testing.T, dir, sleep string) string {
	t.Helper()
	p := filepath.Join(dir, "main.hcl")
	if err := os.WriteFile(p, []byte(strings.Replace(jsonMachine, "%s", sleep, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// decodeOne decodes a --json document strictly: one JSON value, with
// format_version 1.
func decodeOne(t *testing.T, what, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s --json: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s --json: more than one document:\n%s", what, out)
	}
	var fv struct {
		FormatVersion int `json:"format_version"`
	}
	if err := json.Unmarshal([]byte(out), &fv); err != nil || fv.FormatVersion != 1 {
		t.Fatalf("%s --json: format_version %d (%v), want 1", what, fv.FormatVersion, err)
	}
}

// eventLine is one line of apply, rollback and runlevel --json.
type eventLine struct {
	FormatVersion int `json:"format_version"`
	generations.Event
	Result *generations.Result `json:"result"`
	Error  string              `json:"error"`
}

// decodeEvents decodes --json event lines: every line an event with
// format_version 1 and a time, the last one the result.
func decodeEvents(t *testing.T, what, out string) []eventLine {
	t.Helper()
	var evs []eventLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev eventLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("%s --json: line %q: %v", what, sc.Text(), err)
		}
		if ev.FormatVersion != 1 {
			t.Errorf("%s --json: line %q: format_version %d", what, sc.Text(), ev.FormatVersion)
		}
		if ev.Time.IsZero() {
			t.Errorf("%s --json: line %q has no time", what, sc.Text())
		}
		evs = append(evs, ev)
	}
	if len(evs) == 0 || evs[len(evs)-1].Kind != "result" {
		t.Fatalf("%s --json: the last line is not the result:\n%s", what, out)
	}
	return evs
}

func kinds(evs []eventLine) map[string][]string {
	out := map[string][]string{}
	for _, e := range evs {
		out[e.Kind] = append(out[e.Kind], e.Service)
	}
	return out
}

// TestJSONOutputs runs every command that reports with --json on a root
// that our runsvdir supervises, and decodes what each prints.
func TestJSONOutputs(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	cfg := writeMachine(t, dir, "1001")

	var v validateJSON
	decodeOne(t, "validate", sysconf(t, 0, "validate", "--json", "-c", cfg), &v)
	if !v.Valid || v.Services != 2 || v.Runlevels != 2 || len(v.Diagnostics) != 0 {
		t.Errorf("validate --json: %+v", v)
	}
	bad := filepath.Join(dir, "bad.hcl")
	os.WriteFile(bad, []byte("service \"x\" {\n  command = [\"/bin/true\"]\n  restart_sec = 3\n}\n"), 0o644)
	decodeOne(t, "validate (bad)", sysconf(t, 1, "validate", "--json", "-c", bad), &v)
	if v.Valid || len(v.Diagnostics) != 1 {
		t.Fatalf("validate --json of a bad description: %+v", v)
	}
	if d := v.Diagnostics[0]; d.Severity != "error" || d.Summary != "Unsupported argument" || d.Range == nil ||
		d.Range.Start.Line != 3 || d.Range.Start.Column != 3 || d.Range.End.Line != 3 || !strings.HasSuffix(d.Range.Filename, "bad.hcl") {
		t.Errorf("validate --json diagnostic: %+v (range %+v)", d, d.Range)
	}
	var pd diagsJSON
	decodeOne(t, "plan (bad)", sysconf(t, 1, "plan", "--json", "-c", bad), &pd)
	if pd.Valid || len(pd.Diagnostics) != 1 || pd.Diagnostics[0].Range == nil {
		t.Errorf("plan --json of a bad description: %+v", pd)
	}

	var p planJSON
	decodeOne(t, "plan", sysconf(t, 0, "plan", "--json", "--root", root, "-c", cfg), &p)
	if strings.Join(p.Changes.Added, ",") != "web,worker" || p.Current != nil || p.Hash == "" {
		t.Errorf("plan --json: %+v", p)
	}

	evs := decodeEvents(t, "apply", sysconf(t, 0, "apply", "--json", "--root", root, "-c", cfg))
	if k := kinds(evs); len(k["generation"]) != 1 || len(k["unsupervised"]) != 1 {
		t.Errorf("apply --json of an unsupervised root: %v", k)
	}
	startRunsvdir(t, root)
	cfg = writeMachine(t, dir, "1002")
	evs = decodeEvents(t, "apply", sysconf(t, 0, "apply", "--json", "--root", root, "-c", cfg))
	if k := kinds(evs); strings.Join(k["restart"], ",") != "worker" || strings.Join(k["up"], ",") != "worker" || evs[len(evs)-1].Result.Generation != 2 {
		t.Errorf("apply --json: %v, result %+v", k, evs[len(evs)-1].Result)
	}

	var st struct {
		FormatVersion int `json:"format_version"`
		generations.Status
	}
	decodeOne(t, "status", sysconf(t, 0, "status", "--json", "--root", root), &st)
	if st.Generation != 2 || len(st.Services) != 2 || st.Services[1].Name != "worker" || st.Services[1].State != "run" {
		t.Errorf("status --json: %+v", st)
	}

	var gl struct {
		Generations []generations.Info `json:"generations"`
	}
	decodeOne(t, "generations", sysconf(t, 0, "generations", "--json", "--root", root), &gl)
	if len(gl.Generations) != 2 || !gl.Generations[1].Current || gl.Generations[1].Outcome == nil || !gl.Generations[1].Outcome.OK {
		t.Errorf("generations --json: %+v", gl)
	}

	var d diffJSON
	decodeOne(t, "diff", sysconf(t, 0, "diff", "1", "2", "--json", "--root", root), &d)
	if d.From != 1 || d.To != 2 || len(d.Changes.Changed) != 1 || d.Changes.Changed[0].Name != "worker" {
		t.Errorf("diff --json: %+v", d)
	}

	// Applying the current generation again does nothing: it keeps the
	// timeline of the activation that did something.
	sysconf(t, 0, "apply", "--root", root, "-c", cfg)
	var tl timelineJSON
	decodeOne(t, "timeline --generation", sysconf(t, 0, "timeline", "--generation", "2", "--json", "--root", root), &tl)
	spans := map[string]generations.Span{}
	for _, s := range tl.Spans {
		spans[s.Name] = s
		if s.End.Before(s.Start) || s.Start.Before(tl.Start) || s.End.After(tl.End) {
			t.Errorf("timeline span %+v outside [%s, %s]", s, tl.Start, tl.End)
		}
	}
	if tl.Kind != "activation" || tl.Generation != 2 || spans["build"].Kind != "phase" || spans["switch"].Kind != "phase" ||
		spans["health check"].Kind != "phase" || spans["worker"].Kind != "restart" || spans["worker"].Outcome != "up" {
		t.Errorf("timeline --generation 2 --json: %+v", tl)
	}
	// worker is up once it has stayed up for the settle time (a second).
	if w := spans["worker"]; w.End.Sub(w.Start) < 900*time.Millisecond {
		t.Errorf("worker was up after %s, less than the settle time", w.End.Sub(w.Start))
	}

	decodeOne(t, "timeline --boot", sysconf(t, 0, "timeline", "--boot", "--json", "--root", root), &tl)
	if tl.Kind != "boot" || len(tl.Spans) != 2 || tl.Spans[0].Name != "web" || tl.Spans[1].Kind != "run" || !tl.Spans[0].Start.Before(tl.Spans[1].Start) {
		t.Errorf("timeline --boot --json: %+v", tl)
	}

	evs = decodeEvents(t, "runlevel", sysconf(t, 0, "runlevel", "single", "--json", "--root", root))
	if k := kinds(evs); strings.Join(k["stop"], ",") != "worker" {
		t.Errorf("runlevel --json: %v", k)
	}
	evs = decodeEvents(t, "rollback", sysconf(t, 0, "rollback", "--json", "--root", root))
	if r := evs[len(evs)-1].Result; r == nil || r.Generation != 1 || r.Previous != 2 {
		t.Errorf("rollback --json: result %+v", r)
	}
	decodeEvents(t, "rollback", sysconf(t, 1, "rollback", "--to", "7", "--json", "--root", root))

	var gc struct {
		generations.GCResult
	}
	out := sysconf(t, 0, "gc", "--json", "--root", root)
	decodeOne(t, "gc", out, &gc)
	if gc.Generations == nil || gc.Store == nil {
		t.Errorf("gc --json: lists must be [] when nothing goes: %s", out)
	}
}

// TestTimelineSVG draws an activation and a boot as SVG and checks that
// each is well-formed XML that names every service.
func TestTimelineSVG(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	cfg := writeMachine(t, dir, "1001")
	sysconf(t, 0, "apply", "--root", root, "-c", cfg)
	startRunsvdir(t, root)
	sysconf(t, 0, "apply", "--root", root, "-c", writeMachine(t, dir, "1002"))
	for _, args := range [][]string{{"--generation", "2"}, {"--boot"}} {
		svg := filepath.Join(dir, "t.svg")
		out := sysconf(t, 0, append([]string{"timeline", "--root", root, "--svg", svg}, args...)...)
		if !strings.Contains(out, "worker") {
			t.Errorf("timeline %v:\n%s", args, out)
		}
		b, err := os.ReadFile(svg)
		if err != nil {
			t.Fatal(err)
		}
		texts := map[string]bool{}
		dec := xml.NewDecoder(strings.NewReader(string(b)))
		root := ""
		for {
			tok, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("timeline %v --svg: not well-formed: %v\n%s", args, err, b)
				}
				break
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				if root == "" {
					root = tok.Name.Space + " " + tok.Name.Local
				}
			case xml.CharData:
				texts[strings.TrimSpace(string(tok))] = true
			}
		}
		if root != "http://www.w3.org/2000/svg svg" {
			t.Errorf("timeline %v --svg: root element %q", args, root)
		}
		for _, n := range []string{"web", "worker"} {
			if !texts[n] {
				t.Errorf("timeline %v --svg does not name %s", args, n)
			}
		}
	}
}
