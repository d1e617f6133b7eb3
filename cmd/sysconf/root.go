package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"sysconf/generations"
)

// app holds what every subcommand shares: the global flags and the output
// writers. Each subcommand file adds one constructor, newXCmd(a *app), and
// registers it in newRootCmd.
type app struct {
	root     string   // --root: the machine's root folder
	config   string   // -c/--config: a file or folder; default ROOT/etc/sysconf
	vars     []string // -var NAME=VALUE
	varFiles []string // -var-file FILE
	noColor  bool     // --no-color
	// diagJSON, when set (a command's --json), receives a description's
	// errors as a JSON document instead of stderr's text.
	diagJSON io.Writer
	stdout   io.Writer
	stderr   io.Writer
	environ  []string
	// terminal reports whether a writer is a terminal; nil means
	// isTerminal. Tests set it to see what a person would.
	terminal func(io.Writer) bool
}

// exitError carries an exit code out of a command whose message, if any,
// was already printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is a command-line mistake: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// sysconf is a short-lived process that builds a large tree of values
	// once: collecting garbage less often saves about a third of a plan.
	debug.SetGCPercent(400)
	a := &app{stdout: stdout, stderr: stderr, environ: os.Environ()}
	root := newRootCmd(a)
	root.SetArgs(longFlags(args))
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "sysconf: %s\n", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "sysconf: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		fmt.Fprintf(stderr, "Run 'sysconf --help' for usage.\n")
		return 2
	}
	return 1
}

// singleDash are the long flags also accepted with one dash, as Terraform
// users type them: -var, -var-file, -check, -diff, -json.
var singleDash = map[string]bool{
	"var": true, "var-file": true, "check": true, "diff": true, "json": true,
	"detailed-exitcode": true, "root": true, "config": true, "no-color": true,
}

// longFlags rewrites "-var" (and the others above) to "--var" up to "--".
func longFlags(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if name, ok := strings.CutPrefix(a, "-"); ok && !strings.HasPrefix(name, "-") {
			n, _, _ := strings.Cut(name, "=")
			if singleDash[n] {
				out[i] = "-" + a
			}
		}
	}
	return out
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "sysconf",
		Short: "Describe a runit machine in HCL and switch it between generations",
		Long: `sysconf describes a whole machine in HCL (services, runlevels, managed
files), plans that description into an immutable, content-addressed
generation of runit service directories, and switches the machine to it.

Everything happens under --root (default /), so a description can be tried
in a scratch folder without touching the host.`,
		Example: `  sysconf validate -c examples/small.hcl
  sysconf plan --root /tmp/machine -c examples/small.hcl
  sysconf fmt -check`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{},
	}
	addVersion(root)
	f := root.PersistentFlags()
	f.StringVar(&a.root, "root", "/", "the root folder of the machine to manage")
	f.StringVarP(&a.config, "config", "c", "", "the description: a file or a folder of *.hcl (default ROOT/etc/sysconf)")
	f.StringArrayVar(&a.vars, "var", nil, "set a variable: -var NAME=VALUE (repeatable)")
	f.StringArrayVar(&a.varFiles, "var-file", nil, "read variables from an HCL file (repeatable)")
	f.BoolVar(&a.noColor, "no-color", false, "never colour the output (NO_COLOR in the environment does the same)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newValidateCmd(a), newFmtCmd(a), newPlanCmd(a))
	root.AddCommand(newApplyCmd(a), newRollbackCmd(a), newGenerationsCmd(a), newDiffCmd(a), newGCCmd(a), newStatusCmd(a), newRunlevelCmd(a), newTimelineCmd(a))
	root.AddCommand(newBuildVMCmd(a), newManCmd(a), newImportCmd(a))
	addCompletions(root, a)
	return root
}

// configPath returns the description's path: -c, or ROOT/etc/sysconf.
func (a *app) configPath() string {
	if a.config != "" {
		return a.config
	}
	return filepath.Join(a.root, "etc", "sysconf")
}

// getenv looks a variable up in the environment run was given.
func (a *app) getenv(k string) string {
	for _, kv := range a.environ {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

// color reports whether output to w may use colour: w is a terminal, and
// neither --no-color nor NO_COLOR nor TERM=dumb says otherwise.
func (a *app) color(w io.Writer) bool {
	if a.noColor || a.getenv("NO_COLOR") != "" || a.getenv("TERM") == "dumb" {
		return false
	}
	return a.isTerminal(w)
}

func (a *app) isTerminal(w io.Writer) bool {
	if a.terminal != nil {
		return a.terminal(w)
	}
	return isTerminal(w)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// openRoot opens --root for the generations commands; the caller closes it.
func (a *app) openRoot() (*generations.Root, error) {
	g, _, err := generations.OpenMachine(a.root)
	return g, err
}

// noArgs rejects arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}
