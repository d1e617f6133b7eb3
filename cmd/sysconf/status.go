package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sysconf/generations"
	"sysconf/runit/supervise"
)

func newStatusCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the current generation's services and their runtime state",
		Long: `status shows the services of the current generation's runlevel with the state
their supervisors report (read from supervise/): run or down, pid, uptime, and
restart debt, a running process started from an older definition than the
current generation's.`,
		Example: `  sysconf status --root /tmp/machine`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.status(asJSON, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the services' state as JSON")
	return cmd
}

func (a *app) status(asJSON bool, stdout, stderr io.Writer) error {
	g, err := a.openRoot()
	if err != nil {
		return err
	}
	defer g.Close()
	st, err := g.Status()
	if errors.Is(err, generations.ErrNoCurrent) {
		return &exitError{code: 1, msg: "no generation under " + a.root + ": run sysconf apply first"}
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(stdout, struct {
			FormatVersion int `json:"format_version"`
			*generations.Status
		}{jsonFormat, st})
	}
	fmt.Fprintf(stdout, "generation %d, runlevel %s, boot default %d\n", st.Generation, st.Level, st.Boot)
	if st.Interrupted {
		fmt.Fprintln(stderr, "warning: an activation was interrupted; the next apply or rollback finishes it")
	}
	if !st.Supervised {
		fmt.Fprintf(stderr, "warning: nothing is supervising %s; start it with: runsvdir -P %s\n",
			filepath.Join(a.root, g.Layout().Service), filepath.Join(a.root, g.Layout().Service))
	}
	// Where each service is declared lives in the generation's record, not
	// in its store entry; a record that cannot be read just shows "-".
	from := map[string]string{}
	if rec, err := g.Load(st.Generation); err == nil {
		from = origins(nil, &rec.Manifest)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tSTATE\tPID\tUPTIME\tFROM\tNOTE")
	now := time.Now()
	for _, s := range st.Services {
		pid, up, note := "-", "-", ""
		if s.PID != 0 {
			pid = fmt.Sprint(s.PID)
		}
		if !s.Since.IsZero() && s.State != "unsupervised" {
			up = now.Sub(s.Since).Truncate(time.Second).String()
		}
		if s.State == "run" && s.Want == "d" {
			note = "want down"
		}
		if s.State == "down" && s.Want == "u" {
			note = "want up"
		}
		if s.Paused {
			note = "paused"
		}
		if s.Starting {
			note = "starting, not ready yet"
		}
		if s.Cgroup != "" && s.State != "down" {
			note = join(note, usage(s.Memory, s.Tasks))
		}
		if !s.NextStart.IsZero() {
			note = fmt.Sprintf("backoff %v, next start in %v", s.Backoff, max(s.NextStart.Sub(now), 0).Truncate(time.Millisecond))
		}
		if s.Debt != "" {
			note = "restart debt: runs " + filepath.Base(s.Debt)
		}
		origin := from[s.Name]
		if origin == "" {
			origin = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.State, pid, up, origin, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if st.Supervised && !anyCgroup(st.Services) {
		fmt.Fprintln(stderr, "note: no service has a cgroup (they need cgroup v2 with "+supervise.CgroupMount+"/"+supervise.CgroupSubtree+"): each is contained by its process group only")
	}
	return nil
}

// usage is a cgroup's memory and task count for status's NOTE.
func usage(mem, tasks int64) string {
	m, n := "memory ?", "? tasks"
	if mem >= 0 {
		m = fmt.Sprintf("memory %.1fMiB", float64(mem)/(1<<20))
	}
	if tasks == 1 {
		n = "1 task"
	} else if tasks >= 0 {
		n = fmt.Sprintf("%d tasks", tasks)
	}
	return m + ", " + n
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func anyCgroup(ss []generations.ServiceStatus) bool {
	for _, s := range ss {
		if s.Cgroup != "" {
			return true
		}
	}
	return false
}
