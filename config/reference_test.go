package config_test

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"sysconf/config"
	"sysconf/internal/mdtable"
)

const referencePath = "../docs/reference.md"

func referenceTables(t *testing.T) map[string][][]string {
	t.Helper()
	src, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := mdtable.Tables(src)
	if err != nil {
		t.Fatalf("%s: %v", referencePath, err)
	}
	return tables
}

// firstCodes returns the first code span of each row's first cell; rows
// without one (such as "*any other name*") are counted apart.
func firstCodes(rows [][]string) (names []string, plain int) {
	for _, r := range rows {
		if c := mdtable.Code(r[0]); len(c) > 0 {
			names = append(names, c[0])
		} else {
			plain++
		}
	}
	sort.Strings(names)
	return names, plain
}

func schemaKey(path string) string {
	if path == "" {
		return "schema: top"
	}
	return "schema: " + path
}

// TestReferenceSchemas holds docs/reference.md to the loader: each block
// the loader decodes has a table listing exactly the attributes and nested
// blocks its schema accepts, with "required" as the default of exactly the
// required ones, and no table documents a block the loader does not know.
func TestReferenceSchemas(t *testing.T) {
	tables := referenceTables(t)
	known := map[string]bool{}
	for path, schema := range config.Schemas() {
		key := schemaKey(path)
		known[key] = true
		rows, ok := tables[key]
		if !ok {
			t.Errorf("%s has no table <!-- %s -->: the loader accepts that block", referencePath, key)
			continue
		}
		var want []string
		required := map[string]bool{}
		for _, a := range schema.Attributes {
			want = append(want, a.Name)
			required[a.Name] = a.Required
		}
		labels := map[string]string{}
		for _, b := range schema.Blocks {
			want = append(want, b.Type)
			labels[b.Type] = strings.Join(b.LabelNames, ", ")
		}
		sort.Strings(want)
		got, plain := firstCodes(rows)
		if plain > 0 {
			t.Errorf("<!-- %s -->: %d rows name no attribute, but the block takes only fixed names", key, plain)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("<!-- %s --> documents other names than the loader accepts (-accepted +documented):\n%s", key, d)
		}
		for _, r := range rows {
			c := mdtable.Code(r[0])
			if len(c) == 0 {
				continue
			}
			if path == "" {
				// The top-level table's second column is the labels.
				if l, ok := labels[c[0]]; ok && r[1] != l && !(l == "" && r[1] == "—") {
					t.Errorf("<!-- %s -->: block %s has labels %q, the loader %q", key, c[0], r[1], l)
				}
				continue
			}
			if len(r) < 3 {
				t.Errorf("<!-- %s -->: row %q has no default column", key, r[0])
				continue
			}
			if isReq := r[2] == "required"; isReq != required[c[0]] {
				t.Errorf("<!-- %s -->: %s documented required=%v, the loader's schema says %v", key, c[0], isReq, required[c[0]])
			}
		}
	}
	for block, fixed := range config.OpenBlocks() {
		key := schemaKey(block)
		known[key] = true
		rows, ok := tables[key]
		if !ok {
			t.Errorf("%s has no table <!-- %s -->: the loader accepts that block", referencePath, key)
			continue
		}
		want := append([]string{}, fixed...)
		sort.Strings(want)
		got, plain := firstCodes(rows)
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("<!-- %s --> documents other fixed names than the loader gives a meaning (-accepted +documented):\n%s", key, d)
		}
		if plain != 1 {
			t.Errorf("<!-- %s --> needs one row for the attributes of any name, has %d", key, plain)
		}
	}
	for key := range tables {
		if strings.HasPrefix(key, "schema: ") && !known[key] {
			t.Errorf("%s documents <!-- %s -->, a block the loader does not decode", referencePath, key)
		}
	}
	// Every block of the top-level table is documented as a block.
	top := config.Schemas()[""]
	for _, b := range top.Blocks {
		if _, fixed := config.Schemas()[b.Type]; !fixed {
			if _, open := config.OpenBlocks()[b.Type]; !open {
				t.Errorf("top-level block %s is in neither Schemas nor OpenBlocks", b.Type)
			}
		}
	}
}

var funcNameRE = regexp.MustCompile(`^([a-z_0-9]+)\(`)

// TestReferenceFunctions: the function table names exactly the functions
// an expression may call.
func TestReferenceFunctions(t *testing.T) {
	rows, ok := referenceTables(t)["functions"]
	if !ok {
		t.Fatalf("%s has no <!-- functions --> table", referencePath)
	}
	var got []string
	for _, r := range rows {
		c := mdtable.Code(r[0])
		if len(c) == 0 {
			t.Errorf("function row %q has no `name(…)`", r[0])
			continue
		}
		m := funcNameRE.FindStringSubmatch(c[0])
		if m == nil {
			t.Errorf("function row %q is not written `name(args)`", c[0])
			continue
		}
		got = append(got, m[1])
	}
	sort.Strings(got)
	if d := cmp.Diff(config.FunctionNames(), got); d != "" {
		t.Errorf("the function table differs from the loader's functions (-loader +documented):\n%s", d)
	}
}

// wholeMarker, on the line before an example, says that the example is a
// whole description, which must load without a diagnostic.
const wholeMarker = "<!-- a whole description: config/reference_test.go loads it -->\n"

// TestDocExamples: every hcl example of the reference and the guide is
// valid HCL syntax (the names an example refers to are often declared in
// another, so it is parsed), and the guide's examples marked as whole
// descriptions load without a diagnostic.
func TestDocExamples(t *testing.T) {
	for _, doc := range []string{referencePath, "../docs/guide.md"} {
		src, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		n, wholes := 0, 0
		parts := strings.Split(string(src), "```hcl\n")
		for i, part := range parts[1:] {
			body, _, ok := strings.Cut(part, "```")
			if !ok {
				t.Fatalf("%s: example %d is not closed", doc, i+1)
			}
			n++
			if _, diags := hclsyntax.ParseConfig([]byte(body), "example.hcl", hcl.InitialPos); diags.HasErrors() {
				t.Errorf("%s: example %d does not parse: %s\n%s", doc, i+1, diags.Error(), body)
			}
			if strings.HasSuffix(parts[i], wholeMarker) {
				wholes++
				fsys := fstest.MapFS{"main.hcl": {Data: []byte(body)}}
				if _, diags := config.Load(config.Options{FS: fsys, Path: "."}); len(diags) > 0 {
					t.Errorf("%s: example %d, a whole description, does not load: %s\n%s", doc, i+1, diags.Error(), body)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s has no hcl example", doc)
		}
		if doc != referencePath && wholes == 0 {
			t.Errorf("%s has no example marked %q", doc, wholeMarker)
		}
	}
}
