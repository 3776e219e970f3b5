// Package status is `regen status`.
package status

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

type Options struct {
	JSON       bool
	Verbose    bool
	ConfigFile *string
}

func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *Options) error, configFile *string) *cobra.Command {
	opts := &Options{ConfigFile: configFile}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show untracked and applied migrations, and what `regen NAME` would do",
		Long: `status reads git and the databases directly (no mix, no Elixir) and shows,
per repo: migrations git does not track and whether they are applied, what a
run would roll back, remove and restore, tracked migrations that would block
it, orphaned versions, and stray files that are never touched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON on stdout (always complete)")
	cmd.Flags().BoolVar(&opts.Verbose, "verbose", false, "list every item of long listings")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	eng, err := f.Engine(cmdutil.Deref(opts.ConfigFile), 0)
	if err != nil {
		return err
	}
	st, err := eng.Status(ctx)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	if opts.JSON {
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(ios.Out, "config  %s\npreset  %s\nmix     %s\ngit     %s\n\n", st.Config, st.Preset, st.Mix, st.Plan.Git)
	if st.Running != nil && st.Running.Unwritten {
		fmt.Fprintf(ios.Out, "A REGEN RUN IS STARTING (pid %d on %s).\n\n", st.Running.PID, st.Running.Host)
	} else if st.Running != nil {
		fmt.Fprintf(ios.Out, "A REGEN RUN IS IN PROGRESS (pid %d on %s, since %s: %s).\n\n", st.Running.PID, st.Running.Host, st.Running.Started.Local().Format("15:04:05"), st.Running.Command)
	}
	if st.OpenJournal != nil {
		fmt.Fprintf(ios.Out, "AN INTERRUPTED RUN (%s) stopped during %q: run `regen recover`.\n\n", st.OpenJournal.RunID, st.OpenJournal.Step)
	}
	if d := st.DamagedJournal; d != nil {
		fmt.Fprintf(ios.Out, "AN INTERRUPTED RUN LEFT A DAMAGED JOURNAL: %s (%s).\n%s.\nRun `%s`.\n\n", d.Journal, d.Problem, d.Recover, d.Next)
	}
	render.Plan(ios.Out, st.Plan, render.PlanOptions{Verbose: opts.Verbose, ListApplied: true})
	if st.Plan.StoreProblem != "" {
		fmt.Fprintf(ios.Out, "\nwarning: %s.\n", st.Plan.StoreProblem)
	}
	if st.LastRun != "" {
		fmt.Fprintf(ios.Out, "\n`regen undo` would put back what run %s replaced.\n", st.LastRun)
	}
	fmt.Fprintf(ios.Out, "\nnext: %s\n", Next(st))
	return nil
}

// Next is the one thing to do now, most urgent first.
func Next(st *regen.Status) string {
	switch {
	case st.Running != nil:
		return "wait for the running regen to finish, then `regen status` again"
	case st.OpenJournal != nil:
		return "`regen recover` (an interrupted run left its journal)"
	case st.DamagedJournal != nil:
		return "`" + st.DamagedJournal.Next + "` (an interrupted run left a damaged journal)"
	}
	p := st.Plan
	for _, rp := range p.Repos {
		if len(rp.Blocking()) > 0 {
			return "fix what a run would fail on (listed above), then `regen status` again"
		}
	}
	if p.Blocked != "" {
		return "roll back the tracked migrations by hand, or `regen <name> -m --force` to roll them back and apply them again (`--dry-run` first shows what that drops)"
	}
	for _, rp := range p.Repos {
		if !rp.Empty() || len(rp.Untracked) > 0 {
			return "`regen <name> -m` to regenerate the untracked migrations as one named <name> and migrate (`--dry-run` first to see the plan)"
		}
	}
	return "nothing to do: no untracked migrations or snapshots"
}
