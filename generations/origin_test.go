package generations

import "testing"

// TestOriginIsNotHashed: where a service was declared is recorded, but
// neither its store hash nor the generation hash depends on it.
func TestOriginIsNotHashed(t *testing.T) {
	svc := func(origin string) Service {
		return Service{Name: "web", Origin: origin, Tree: []Entry{{Path: "run", Mode: 0o755, Content: []byte("#!/bin/sh\nexec sleep 1000\n")}}}
	}
	a, b := svc("main.hcl:5"), svc("web.hcl:1")
	if a.Hash() != b.Hash() {
		t.Errorf("store hash depends on the origin: %s, %s", a.Hash(), b.Hash())
	}
	ma, mb := Manifest{Services: []Service{a}}, Manifest{Services: []Service{b}}
	if ma.Hash() != mb.Hash() {
		t.Errorf("generation hash depends on the origin: %s, %s", ma.Hash(), mb.Hash())
	}
	if ma.Services[0].Origin != "main.hcl:5" {
		t.Errorf("Hash changed the manifest's origin to %q", ma.Services[0].Origin)
	}
	if n := ma.normalized(); n.Services[0].Origin != "main.hcl:5" {
		t.Errorf("normalized (what the record keeps) lost the origin: %q", n.Services[0].Origin)
	}
	c := svc("main.hcl:5")
	c.Tree[0].Content = []byte("#!/bin/sh\nexec sleep 999\n")
	if c.Hash() == a.Hash() || (Manifest{Services: []Service{c}}).Hash() == ma.Hash() {
		t.Error("a different tree gives the same hash")
	}
}
