package mdtable

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTables(t *testing.T) {
	src := "# Doc\n\n<!-- schema: a -->\n| name | what |\n|---|:--|\n| `x` | one `a|b` pipe |\n| `y`, `-y` | two \\| |\n\ntext\n<!-- empty -->\n| h |\n|---|\n<!-- not a table: prose follows -->\n"
	_, err := Tables([]byte(src))
	if err == nil {
		t.Fatal("Tables accepted a marker with no table after it")
	}
	src = src[:len(src)-len("<!-- not a table: prose follows -->\n")]
	got, err := Tables([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][][]string{
		"schema: a": {{"`x`", "one `a|b` pipe"}, {"`y`, `-y`", "two |"}},
		"empty":     {},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Tables (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"y", "-y"}, Code(got["schema: a"][1][0])); d != "" {
		t.Errorf("Code (-want +got):\n%s", d)
	}
	if _, err := Tables([]byte("<!-- k -->\n| a |\n|---|\n<!-- k -->\n| a |\n|---|\n")); err == nil {
		t.Error("Tables accepted a key marked twice")
	}
}
