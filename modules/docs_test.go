package modules_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"sysconf/internal/mdtable"
	"sysconf/modules"
)

// moduleDoc is what a module's HCL declares: each input's type and default
// as written (no default: "required"), and its outputs.
type moduleDoc struct {
	inputs  map[string][2]string
	outputs []string
}

// squeeze drops white space and commas, so that a type or default written
// over several lines compares with its one-line form in the docs.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == ',' {
			return -1
		}
		return r
	}, s)
}

func declared(t *testing.T, name string) moduleDoc {
	t.Helper()
	d := moduleDoc{inputs: map[string][2]string{}}
	files, err := fs.Glob(modules.FS, name+"/*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("module %s has no .hcl: %v", name, err)
	}
	for _, f := range files {
		src, err := fs.ReadFile(modules.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		file, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		text := func(e hclsyntax.Expression) string {
			r := e.Range()
			return squeeze(string(src[r.Start.Byte:r.End.Byte]))
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			switch b.Type {
			case "variable":
				in := [2]string{"any", "required"}
				if a, ok := b.Body.Attributes["type"]; ok {
					in[0] = text(a.Expr)
				}
				if a, ok := b.Body.Attributes["default"]; ok {
					in[1] = text(a.Expr)
				}
				d.inputs[b.Labels[0]] = in
			case "output":
				d.outputs = append(d.outputs, b.Labels[0])
			}
		}
	}
	sort.Strings(d.outputs)
	return d
}

// TestModulesDocumented holds docs/modules.md to the shipped modules: each
// has an inputs table naming exactly its variables with their types and
// defaults as the HCL writes them, and an outputs table naming exactly its
// outputs.
func TestModulesDocumented(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(moduleRoot(), "docs", "modules.md"))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := mdtable.Tables(src)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(modules.FS, "*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(src), "\n## "+name+"\n") {
				t.Errorf("docs/modules.md has no section ## %s", name)
			}
			d := declared(t, name)
			rows, ok := tables["module: "+name+" inputs"]
			if !ok {
				t.Fatalf("docs/modules.md has no table <!-- module: %s inputs -->", name)
			}
			documented := map[string]bool{}
			for _, r := range rows {
				in := mdtable.Code(r[0])
				if len(in) != 1 || len(r) < 4 {
					t.Errorf("row %q: want | `input` | `type` | `default` or required | what |", r)
					continue
				}
				documented[in[0]] = true
				want, ok := d.inputs[in[0]]
				if !ok {
					t.Errorf("input %s is documented but not declared", in[0])
					continue
				}
				typ, def := strings.Join(mdtable.Code(r[1]), ""), strings.Join(mdtable.Code(r[2]), "")
				if r[2] == "required" {
					def = "required"
				}
				if squeeze(typ) != want[0] {
					t.Errorf("input %s: documented type %q, declared %q", in[0], typ, want[0])
				}
				if squeeze(def) != want[1] {
					t.Errorf("input %s: documented default %q, declared %q", in[0], def, want[1])
				}
			}
			for in := range d.inputs {
				if !documented[in] {
					t.Errorf("input %s is declared but not documented", in)
				}
			}
			rows, ok = tables["module: "+name+" outputs"]
			if !ok {
				t.Fatalf("docs/modules.md has no table <!-- module: %s outputs -->", name)
			}
			var outs []string
			for _, r := range rows {
				outs = append(outs, mdtable.Code(r[0])...)
			}
			sort.Strings(outs)
			if strings.Join(outs, " ") != strings.Join(d.outputs, " ") {
				t.Errorf("outputs documented %v, declared %v", outs, d.outputs)
			}
		})
	}
}
