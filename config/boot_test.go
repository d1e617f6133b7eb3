package config

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

func TestBootValues(t *testing.T) {
	src, err := os.ReadFile("testdata/valid/boot.hcl")
	if err != nil {
		t.Fatal(err)
	}
	sys, diags := load(t, map[string]string{"system.hcl": string(src)}, "name=web")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := &Boot{
		Hostname:   "web.example.org",
		Stage1:     "mkdir -p /run/app\necho booted > /run/app/flag\n",
		Stage3:     "echo bye\n",
		CtrlAltDel: CtrlAltDelPowerOff,
	}
	if d := cmp.Diff(want, sys.Boot, cmpopts.IgnoreFields(Boot{}, "DeclRange")); d != "" {
		t.Errorf("Boot (-want +got)\n%s", d)
	}
	if got := Pos(sys.Boot.DeclRange); got != "system.hcl:6:1" {
		t.Errorf("DeclRange at %s, want system.hcl:6:1", got)
	}
}

func TestBootDefaults(t *testing.T) {
	sys, diags := load(t, map[string]string{"system.hcl": `service "a" { command = ["/bin/true"] }`})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := &Boot{CtrlAltDel: CtrlAltDelReboot}
	if d := cmp.Diff(want, sys.Boot); d != "" {
		t.Errorf("Boot (-want +got)\n%s", d)
	}
}

func TestBootInModule(t *testing.T) {
	_, diags := load(t, map[string]string{
		"system.hcl":   `module "m" { source = "./m" }`,
		"m/module.hcl": "boot {\n  hostname = \"x\"\n}\n",
	})
	var got []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			got = append(got, Pos(*d.Subject)+": "+d.Summary)
		}
	}
	if d := cmp.Diff([]string{"m/module.hcl:1:1: Boot block in a module"}, got); d != "" {
		t.Errorf("diagnostics (-want +got)\n%s", d)
	}
}

func TestValidHostname(t *testing.T) {
	for s, want := range map[string]bool{
		"a": true, "web-1": true, "db.example.org": true, "A1": true,
		"": false, "-a": false, "a-": false, "a..b": false, ".a": false, "a_b": false, "a b": false,
		"x1234567890123456789012345678901234567890123456789012345678901234": false,
	} {
		if got := validHostname(s); got != want {
			t.Errorf("validHostname(%q) = %v, want %v", s, got, want)
		}
	}
}
