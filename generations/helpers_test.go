package generations

import "testing"

// openT opens (creating it) the machine root for a test; it is closed when
// the test ends.
func openT(t testing.TB, root string) *Root {
	t.Helper()
	g, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}
