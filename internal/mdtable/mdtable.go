// Package mdtable reads the marked tables of a Markdown document, so that a
// test can hold a document to the code it describes (docs/reference.md to
// the loader's schemas and the CLI's flags). A marked table is an HTML
// comment on its own line, <!-- KEY -->, followed by a Markdown table; the
// comment does not show when the document is rendered.
package mdtable

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Tables returns every marked table of src by its key, each as its body
// rows (the header and the separator line dropped), each row as its cells,
// trimmed. An empty table (a header only) is present with no rows. A key
// given twice, or a marker not followed by a table, is an error.
func Tables(src []byte) (map[string][][]string, error) {
	out := map[string][][]string{}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for i := 0; i < len(lines); i++ {
		key, ok := marker(lines[i])
		if !ok {
			continue
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: table %q marked twice", i+1, key)
		}
		if i+2 >= len(lines) || !isRow(lines[i+1]) || !isSeparator(lines[i+2]) {
			return nil, fmt.Errorf("line %d: marker %q is not followed by a table with a header", i+1, key)
		}
		rows := [][]string{}
		j := i + 3
		for ; j < len(lines) && isRow(lines[j]); j++ {
			rows = append(rows, cells(lines[j]))
		}
		out[key] = rows
		i = j - 1
	}
	return out, nil
}

var markerRE = regexp.MustCompile(`^<!--\s*(.*?)\s*-->$`)

func marker(line string) (string, bool) {
	m := markerRE.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return "", false
	}
	return m[1], true
}

func isRow(line string) bool {
	t := strings.TrimSpace(line)
	return strings.HasPrefix(t, "|") && strings.HasSuffix(t, "|") && len(t) > 1
}

func isSeparator(line string) bool {
	if !isRow(line) {
		return false
	}
	for _, c := range cells(line) {
		if strings.Trim(c, ":-") != "" || c == "" {
			return false
		}
	}
	return true
}

// cells splits a table row at the pipes that are not inside a code span
// (so `a|b` stays one cell) and not escaped as \|.
func cells(line string) []string {
	t := strings.TrimSpace(line)
	t = t[1 : len(t)-1]
	var out []string
	var cur strings.Builder
	code := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '\\' && i+1 < len(t) && t[i+1] == '|':
			cur.WriteByte('|')
			i++
		case c == '`':
			code = !code
			cur.WriteByte(c)
		case c == '|' && !code:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

var codeRE = regexp.MustCompile("`([^`]+)`")

// Code returns the code spans of a cell, in order: "`--config`, `-c`"
// gives ["--config", "-c"]; a cell without one gives nil.
func Code(cell string) []string {
	var out []string
	for _, m := range codeRE.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}
