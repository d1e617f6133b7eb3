package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// jsonFormat is the version of every --json output (docs/reference.md,
// "JSON output"): each document, and each line of apply's, carries it as
// "format_version". It changes only when a field changes meaning or goes
// away; new fields may appear without it changing.
const jsonFormat = 1

// writeJSON prints v, indented, as one --json document.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// jsonPos is a position in a source file: 1-based line and column, 0-based
// byte offset.
type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// jsonRange is the part of a file a diagnostic points at.
type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

// jsonDiag is one diagnostic: what validate, plan and apply --json report
// for a description with problems.
type jsonDiag struct {
	Severity string     `json:"severity"` // error, warning
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`   // the tightest range (absent: a whole file or no file)
	Context  *jsonRange `json:"context,omitempty"` // the enclosing block, when it helps
}

func toJSONRange(r *hcl.Range) *jsonRange {
	if r == nil {
		return nil
	}
	return &jsonRange{Filename: r.Filename,
		Start: jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
		End:   jsonPos{r.End.Line, r.End.Column, r.End.Byte}}
}

func toJSONDiags(diags hcl.Diagnostics) []jsonDiag {
	out := make([]jsonDiag, 0, len(diags))
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		out = append(out, jsonDiag{Severity: sev, Summary: d.Summary,
			Detail: strings.Join(strings.Fields(d.Detail), " "), Range: toJSONRange(d.Subject), Context: toJSONRange(d.Context)})
	}
	return out
}

// diagsJSON is the document plan and apply --json print instead of their
// own when the description has errors: validate's, without the counts.
type diagsJSON struct {
	FormatVersion int        `json:"format_version"`
	Valid         bool       `json:"valid"`
	Diagnostics   []jsonDiag `json:"diagnostics"`
}
