package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sysconf/planner"
)

// TestExamples validates and plans every machine in examples/: the folder
// itself (the README's demo machine, which CI also boots in a VM: 20
// services, each with a log) and each folder in it.
func TestExamples(t *testing.T) {
	ents, err := os.ReadDir("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	machines := []string{"../../examples"}
	for _, e := range ents {
		if e.IsDir() {
			machines = append(machines, filepath.Join("../../examples", e.Name()))
		}
	}
	if len(machines) < 2 {
		t.Fatalf("found only %v", machines)
	}
	for _, p := range machines {
		t.Run(filepath.Base(p), func(t *testing.T) {
			var out, errb bytes.Buffer
			a := &app{root: t.TempDir(), config: p, stdout: &out, stderr: &errb}
			l, err := a.loadQuiet()
			if err != nil {
				t.Fatal(err)
			}
			if l.diags.HasErrors() {
				a.printDiags(l)
				t.Fatalf("%s:\n%s", p, errb.String())
			}
			m := planner.Plan(l.sys)
			if len(m.Services) == 0 {
				t.Fatal("no services")
			}
			logged := 0
			for _, s := range m.Services {
				for _, e := range s.Tree {
					if strings.HasSuffix(e.Path, "run") && !bytes.HasPrefix(e.Content, []byte("#!")) {
						t.Errorf("%s/%s has no #! line", s.Name, e.Path)
					}
					if e.Path == "log/run" {
						logged++
					}
				}
			}
			if p == "../../examples" && (len(m.Services) != 20 || logged != 20) {
				t.Errorf("examples/ has %d services, %d with a log; the demo and the VM boot test want 20 and 20", len(m.Services), logged)
			}
		})
	}
}

// TestExampleScriptsParse checks with sh -n that every script planned for
// the example machine is valid sh.
func TestExampleScriptsParse(t *testing.T) {
	a := &app{root: t.TempDir(), config: "../../examples", stdout: os.Stdout, stderr: os.Stderr}
	l, err := a.loadQuiet()
	if err != nil || l.diags.HasErrors() {
		t.Fatal(err, l.diags)
	}
	for _, s := range planner.Plan(l.sys).Services {
		for _, e := range s.Tree {
			if e.Mode&0o100 == 0 {
				continue
			}
			f := filepath.Join(t.TempDir(), "script")
			if err := os.WriteFile(f, e.Content, 0o755); err != nil {
				t.Fatal(err)
			}
			// sh -n parses without running.
			if out, err := runSh(f); err != nil {
				t.Errorf("%s/%s: sh -n: %v\n%s\n%s", s.Name, e.Path, err, out, e.Content)
			}
		}
	}
}

func runSh(f string) ([]byte, error) {
	return exec.Command("sh", "-n", f).CombinedOutput()
}

// TestConsolesExample checks the shipped getty, postgresql and pg_shm
// modules through the consoles example: namespaced names,
// module.NAME.service.X, and a module taking another module's outputs
// (pg_shm's primary = module.db), whose service it waits for.
func TestConsolesExample(t *testing.T) {
	a := &app{root: t.TempDir(), config: "../../examples/consoles", stdout: os.Stdout, stderr: os.Stderr}
	l, err := a.loadQuiet()
	if err != nil || l.diags.HasErrors() {
		t.Fatal(err, l.diags)
	}
	m := planner.Plan(l.sys)
	var names []string
	for _, s := range m.Services {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "console.getty-tty2 console.getty-tty3 console.getty-tty4 db.postgresql pg_shm.pg_shm" {
		t.Errorf("services = %s", got)
	}
	if got := fmt.Sprint(m.Runlevels); got != "[{default [console.getty-tty2 console.getty-tty3 console.getty-tty4 db.postgresql pg_shm.pg_shm]} {single [console.getty-tty2]}]" {
		t.Errorf("runlevels = %s", got)
	}
	for _, s := range m.Services {
		for _, e := range s.Tree {
			if s.Name == "pg_shm.pg_shm" && e.Path == "run" && !strings.Contains(string(e.Content), `"${SVDIR:-../../../../../service}"/db.postgresql`) {
				t.Errorf("pg_shm run does not wait for db.postgresql:\n%s", e.Content)
			}
			if s.Name == "pg_shm.pg_shm" && e.Path == "run.script" && !strings.Contains(string(e.Content), "-p 5432") {
				t.Errorf("pg_shm does not reach the primary's port:\n%s", e.Content)
			}
			if s.Name == "console.getty-tty3" && e.Path == "run" && !strings.Contains(string(e.Content), "exec chpst -P agetty tty3 linux") {
				t.Errorf("getty run:\n%s", e.Content)
			}
		}
	}
}
