package config

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

func TestLoadAccounts(t *testing.T) {
	src, err := os.ReadFile("testdata/valid/accounts.hcl")
	if err != nil {
		t.Fatal(err)
	}
	sys, diags := load(t, map[string]string{"system.hcl": string(src)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	id := func(n uint32) *uint32 { return &n }
	wantGroups := []*Group{{Name: "postgres", System: true, GID: id(70)}, {Name: "staff"}}
	wantUsers := []*User{
		{Name: "joe", Group: "joe", Groups: []string{"staff", "wheel"}, Home: "/home/joe", CreateHome: true, Shell: "/bin/bash"},
		{Name: "postgres", System: true, UID: id(70), Group: "postgres", Home: "/var/lib/postgres", CreateHome: true, Shell: DefaultSystemShell, Description: "PostgreSQL server"},
	}
	wantDirs := []*Directory{{Path: "/var/lib/postgres/data", Owner: "postgres", Group: "postgres", Mode: 0o700}}
	wantMounts := []*Mount{{Path: "/dev/shm/pg_mem", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=64m", "nosuid", "nodev"}, Owner: "postgres", Mode: id(0o700)}}
	ign := cmpopts.IgnoreTypes(hcl.Range{})
	for _, c := range []struct {
		name      string
		want, got any
	}{{"groups", wantGroups, sys.Groups}, {"users", wantUsers, sys.Users}, {"directories", wantDirs, sys.Directories}, {"mounts", wantMounts, sys.Mounts}} {
		if d := cmp.Diff(c.want, c.got, ign); d != "" {
			t.Errorf("%s (-want +got)\n%s", c.name, d)
		}
	}
}

// TestSystemUserDefaults checks what a bare system user gets: the
// no-login shell, no home to create, its own group.
func TestSystemUserDefaults(t *testing.T) {
	sys, diags := load(t, map[string]string{"system.hcl": `user "svc" { system = true }
user "nohome" { home = "/nonexistent" }`})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []*User{
		{Name: "nohome", Group: "nohome", Home: DefaultSystemHome, Shell: DefaultShell},
		{Name: "svc", System: true, Group: "svc", Home: DefaultSystemHome, Shell: DefaultSystemShell},
	}
	if d := cmp.Diff(want, sys.Users, cmpopts.IgnoreTypes(hcl.Range{})); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// TestCheckAccounts checks that a service's user or group must be declared
// or on the machine, and that the report points at the attribute.
func TestCheckAccounts(t *testing.T) {
	src := `user "app" { system = true }

service "a" {
  command = ["x"]
  user    = "app"
}

service "b" {
  command = ["x"]
  user    = "nobody"
  group   = "nogroup"
}

service "c" {
  command = ["x"]
  user    = "postgress"
  group   = "wheel"
}

service "d" {
  command = ["x"]
  user    = "1234"
}
`
	sys, diags := load(t, map[string]string{"system.hcl": src})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	have := Accounts{Users: map[string]bool{"root": true, "nobody": true, "postgres": true}, Groups: map[string]bool{"root": true, "nogroup": true}}
	var got []string
	for _, d := range CheckAccounts(sys, have) {
		got = append(got, Pos(*d.Subject)+": "+d.Summary)
	}
	want := []string{"system.hcl:16:13: Unknown user", "system.hcl:17:13: Unknown group"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if ds := CheckAccounts(sys, have); len(ds) == 0 || !strings.Contains(ds[0].Detail, `Did you mean "postgres"?`) {
		t.Errorf("no suggestion in %v", ds)
	}
}
