package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
)

// testModules is a shipped-modules FS for tests.
var testModules = fstest.MapFS{
	"greeter/main.hcl": {Data: []byte(`
variable "names" {
  type = list(string)
}
variable "after" {
  type    = list(string)
  default = []
}
service "hello" {
  for_each   = toset(var.names)
  run        = "exec echo hello ${each.value}"
  depends_on = var.after
}
output "count" {
  value = length(var.names)
}
`)},
}

func load(t *testing.T, files map[string]string, vars ...string) (*System, hcl.Diagnostics) {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return Load(Options{FS: fsys, Path: ".", Modules: testModules, Vars: vars})
}

func TestLoadValues(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	tests := []struct {
		name  string
		src   string
		vars  []string
		check func(t *testing.T, s *System)
	}{
		{name: "command and env", src: `
variable "port" {
  type    = number
  default = 5432
}
service "db" {
  command = ["/usr/bin/postgres", "-p", var.port]
  env     = { PGPORT = var.port }
}`, check: func(t *testing.T, s *System) {
			want := &Service{Name: "db", Command: []string{"/usr/bin/postgres", "-p", "5432"}, Env: map[string]string{"PGPORT": "5432"}, Enabled: true,
				StopTimeout: DefaultStopTimeout, StopSignal: "TERM"}
			if d := cmp.Diff(want, s.Services[0], cmpopts.IgnoreTypes(hcl.Range{})); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		}},
		{name: "var flag wins", src: `
variable "port" {
  type    = number
  default = 1
}
service "db" { command = ["x", var.port] }`, vars: []string{"port=7"}, check: func(t *testing.T, s *System) {
			if got := s.Services[0].Command[1]; got != "7" {
				t.Errorf("port = %s, want 7", got)
			}
		}},
		{name: "untyped var flag is a string", src: `
variable "greeting" {}
variable "list" {}
service "hi" {
  run = "exec echo ${var.greeting} ${var.list}"
}`, vars: []string{"greeting=hello", "list=[1, 2]"}, check: func(t *testing.T, s *System) {
			// As in Terraform: a variable without a type takes the text
			// itself, never an expression ("hello" is no reference).
			if got := s.Services[0].Run; got != "exec echo hello [1, 2]" {
				t.Errorf("run = %q, want %q", got, "exec echo hello [1, 2]")
			}
		}},
		{name: "readiness and restart backoff", src: `
service "db" {
  command         = ["postgres"]
  notification_fd = 3
  restart {
    delay       = "200ms"
    max_delay   = "4s"
  }
}
service "slow" {
  command = ["x"]
  restart {
    delay       = "2m"
    reset_after = "1h"
  }
}
service "plain" { command = ["x"] }`, check: func(t *testing.T, s *System) {
			got := map[string]string{}
			for _, sv := range s.Services {
				got[sv.Name] = fmt.Sprint(sv.NotificationFD, " ", sv.Restart)
			}
			want := map[string]string{
				"db":    "3 &{200ms 4s 30s}",
				"slow":  "0 &{2m0s 2m0s 1h0m0s}",
				"plain": "0 <nil>",
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		}},
		{name: "stop timeout and signal", src: `
service "pg" {
  command      = ["postgres"]
  stop_timeout = "1m30s"
  stop_signal  = "sigint"
}
service "forever" {
  command      = ["x"]
  stop_timeout = "0"
  stop_signal  = "QUIT"
}
service "quick" {
  command      = ["x"]
  stop_timeout = "250ms"
}`, check: func(t *testing.T, s *System) {
			got := map[string]string{}
			for _, sv := range s.Services {
				got[sv.Name] = fmt.Sprint(sv.StopTimeout, " ", sv.StopSignal)
			}
			want := map[string]string{"forever": "0s QUIT", "pg": "1m30s INT", "quick": "250ms TERM"}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		}},
		{name: "limits and log", src: `
service "db" {
  command = ["x"]
  user    = "postgres"
  limits {
    memory     = "512MB"
    open_files = 4096
    cpu_seconds = "1m"
  }
  log {
    size    = "10MB"
    keep    = 5
    filters = ["-*debug*"]
  }
}`, check: func(t *testing.T, s *System) {
			want := Limits{Memory: i64(512 << 20), OpenFiles: i64(4096), CPUSeconds: i64(60)}
			if d := cmp.Diff(want, s.Services[0].Limits); d != "" {
				t.Errorf("limits (-want +got)\n%s", d)
			}
			wantLog := &Log{Dir: "/var/log/sysconf/db", Size: i64(10 << 20), Keep: i64(5), Filters: []string{"-*debug*"}, Timestamps: "utc"}
			if d := cmp.Diff(wantLog, s.Services[0].Log, cmpopts.IgnoreTypes(hcl.Range{})); d != "" {
				t.Errorf("log (-want +got)\n%s", d)
			}
		}},
		{name: "default runlevel holds enabled services", src: `
service "a" { command = ["x"] }
service "b" {
  command = ["x"]
  enabled = false
}
service "c" {
  command    = ["x"]
  depends_on = [service.a, "b"]
}`, check: func(t *testing.T, s *System) {
			if d := cmp.Diff([]*Runlevel{{Name: "default", Services: []string{"a", "c"}}}, s.Runlevels, cmpopts.IgnoreTypes(hcl.Range{})); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if d := cmp.Diff([]string{"a", "b"}, s.Services[2].DependsOn); d != "" {
				t.Errorf("depends (-want +got)\n%s", d)
			}
		}},
		{name: "module services are namespaced", src: `
service "base" { command = ["x"] }
module "hi" {
  source = "greeter"
  names  = ["ann", "bob"]
  after  = [service.base]
}
runlevel "default" {
  services = [service.base, module.hi.services]
}
runlevel "objects" {
  services = [module.hi.service, service.base]
}
output "n" { value = module.hi.count }`, check: func(t *testing.T, s *System) {
			var names []string
			for _, sv := range s.Services {
				names = append(names, sv.Name)
			}
			if d := cmp.Diff([]string{"base", "hi.hello-ann", "hi.hello-bob"}, names); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if d := cmp.Diff([]string{"base"}, s.Services[1].DependsOn); d != "" {
				t.Errorf("depends (-want +got)\n%s", d)
			}
			if got := s.Services[1].Run; got != "exec echo hello ann" {
				t.Errorf("run = %q", got)
			}
			if d := cmp.Diff(s.Runlevels[0].Services, s.Runlevels[1].Services); d != "" {
				t.Errorf("module.hi.service and module.hi.services differ (-want +got)\n%s", d)
			}
			if d := cmp.Diff([]string{"base", "hi.hello-ann", "hi.hello-bob"}, s.Runlevels[0].Services); d != "" {
				t.Errorf("runlevel (-want +got)\n%s", d)
			}
			if got := s.Outputs[0].Value.AsBigFloat().String(); got != "2" {
				t.Errorf("output = %s", got)
			}
		}},
		{name: "locals and functions", src: `
locals {
  names = split(",", "a,b")
  greeting = format("%s-%s", upper(local.names[0]), join("+", local.names))
}
service "x" { run = local.greeting }`, check: func(t *testing.T, s *System) {
			if got := s.Services[0].Run; got != "A-a+b" {
				t.Errorf("run = %q", got)
			}
		}},
		{name: "file content and mode", src: `
file "/etc/conf.d/pg_shm" {
  content = "PGPORT=5434\n"
  mode    = "0600"
}`, check: func(t *testing.T, s *System) {
			if f := s.Files[0]; f.Mode != 0o600 || string(f.Content) != "PGPORT=5434\n" {
				t.Errorf("file = %+v", f)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, diags := load(t, map[string]string{"system.hcl": tt.src}, tt.vars...)
			if diags.HasErrors() {
				t.Fatalf("Load: %v", diags)
			}
			tt.check(t, s)
		})
	}
}

// TestValidFiles loads every testdata/valid/*.hcl and wants no diagnostics.
func TestValidFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	if len(files) == 0 {
		t.Fatal("no testdata/valid files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := load(t, map[string]string{"system.hcl": string(src), "motd.txt": "hello\n", "motd.tmpl": "hello ${name}\n"})
			for _, d := range diags {
				t.Errorf("%s", diagLine(d))
			}
		})
	}
}

var marker = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// TestErrorFiles loads every testdata/errors/*.hcl; each line marked
// "# ERROR: <Summary>" must get exactly that diagnostic, and no other line
// any.
func TestErrorFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.hcl")
	if len(files) < 40 {
		t.Errorf("only %d error files, want at least 40", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := map[int][]string{}
			var vars []string
			for i, line := range strings.Split(string(src), "\n") {
				if m := marker.FindStringSubmatch(line); m != nil {
					// A marker alone on a comment line is a diagnostic
					// without a position (such as a -var for no variable).
					at := i + 1
					if strings.HasPrefix(line, "#") {
						at = 0
					}
					want[at] = append(want[at], m[1])
				}
				if v, ok := strings.CutPrefix(line, "# VAR: "); ok {
					vars = append(vars, v)
				}
			}
			_, diags := load(t, map[string]string{"system.hcl": string(src)}, vars...)
			got := map[int][]string{}
			for _, d := range diags {
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
				}
				got[line] = append(got[line], d.Summary)
			}
			for _, m := range []map[int][]string{want, got} {
				for k := range m {
					sort.Strings(m[k])
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("line → summaries (-want +got)\n%s", d)
				for _, d := range diags {
					t.Logf("%s", diagLine(d))
				}
			}
			if len(want) == 0 {
				t.Errorf("no # ERROR: markers")
			}
		})
	}
}

func diagLine(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return d.Summary + ": " + d.Detail
	}
	return Pos(*d.Subject) + ": " + d.Summary + ": " + d.Detail
}

// TestAllErrorsAtOnce checks that one load reports problems of several
// blocks, not just the first.
func TestAllErrorsAtOnce(t *testing.T) {
	_, diags := load(t, map[string]string{"system.hcl": `
service "a" { comand = ["x"] }
service "b" {
  run  = "x"
  user = "Bad User"
}
runlevel "r" { services = ["nope"] }
`})
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary)
	}
	sort.Strings(got)
	want := []string{"Invalid user name", "Missing command or run", "Unknown service", "Unsupported argument"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	for _, d := range diags {
		if d.Summary == "Unsupported argument" && !strings.Contains(d.Detail, `Did you mean "command"?`) {
			t.Errorf("no suggestion in %q", d.Detail)
		}
	}
}

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.hcl")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(string(b))
		}
	}
	f.Add(`service "x" { for_each = ["a"] run = each.key }`)
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{"system.hcl": {Data: []byte(src)}}
		s, diags := Load(Options{FS: fsys, Path: ".", Modules: testModules})
		if s == nil {
			t.Fatal("nil System")
		}
		if !diags.HasErrors() {
			for _, sv := range s.Services {
				if !validName(strings.ReplaceAll(sv.Name, ".", "_")) {
					t.Errorf("accepted service name %q", sv.Name)
				}
			}
		}
	})
}
