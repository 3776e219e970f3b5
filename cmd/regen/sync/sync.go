// Package sync is `regen sync`: make the database match the checked-out
// migrations (roll back the phantoms a branch switch left, apply what is
// pending), as one transaction.
package sync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/render"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

type Options struct {
	DryRun      bool
	SkipMissing bool
	Rollback    string
	NoKeepData  bool
	Terminate   bool
	Verbose     bool
	Timeout     time.Duration
	ConfigFile  *string
}

func NewCmdSync(f *cmdutil.Factory, runF func(context.Context, *Options) error, configFile *string) *cobra.Command {
	opts := &Options{ConfigFile: configFile}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Make the database match the checked-out migrations (roll back phantoms, apply pending)",
		Long: `sync makes the database match the migrations of the work tree, after a
branch switch. It rolls back the phantoms, newest first: applied versions whose
file is not in the work tree (Ecto skips those and cannot roll them back). Their
files come from git (any branch, tag, the stash, the reflog) or from regen's
store. Then it applies the work tree's pending migrations (tenants too).

It is one transaction like ` + "`regen NAME`" + `: backup first, verified, any failure
puts the database back, ` + "`regen recover`" + ` finishes an interrupted sync and
` + "`regen undo`" + ` reverses the last one. The work tree is never changed. A phantom
whose file is found nowhere stops the sync before anything changes;
--skip-missing leaves it applied and syncs the rest.`,
		Example: `  regen sync --dry-run     # what it would roll back and apply
  regen sync               # after ` + "`git checkout main`",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("regen sync takes no arguments, got %q", strings.Join(args, " "))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })
	fl := cmd.Flags()
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and change nothing")
	fl.BoolVar(&opts.SkipMissing, "skip-missing", false, "leave applied a phantom whose file is found nowhere, and sync the rest")
	fl.StringVar(&opts.Rollback, "rollback", "", "rollback strategy: auto (down, and rebuild on SQLite when a down fails), down, or rebuild (default from config, else auto)")
	fl.BoolVar(&opts.NoKeepData, "no-keep-data", false, "after migrate, do not carry the dev data back from the backup")
	fl.BoolVar(&opts.Terminate, "terminate-connections", false, "PostgreSQL: end other sessions on the database so a full template backup can be taken")
	fl.BoolVar(&opts.Verbose, "verbose", false, "list every item of long listings in the plan")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "stop a mix task that runs longer than this (e.g. 10m), then restore")
	return cmd
}

// Sync runs the sync with the factory's engine (its progress goes to the
// factory's stderr): the command, and the post-checkout hook, use it.
func Sync(ctx context.Context, f *cmdutil.Factory, opts *Options, command string) (*regen.SyncResult, error) {
	eng, err := f.EngineFor(cmdutil.EngineSettings{ConfigFile: cmdutil.Deref(opts.ConfigFile), Timeout: opts.Timeout, Terminate: opts.Terminate, Verbose: opts.Verbose})
	if err != nil {
		return nil, err
	}
	return eng.Sync(ctx, regen.SyncOptions{DryRun: opts.DryRun, SkipMissing: opts.SkipMissing, Rollback: opts.Rollback, NoKeepData: opts.NoKeepData, Command: command})
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	res, err := Sync(ctx, f, opts, commandLine(opts))
	if err != nil {
		return err
	}
	w := f.IOStreams.ErrOut
	for _, l := range res.Report {
		fmt.Fprintf(w, "  %s\n", l)
	}
	switch {
	case res.NothingToDo:
		fmt.Fprintf(w, "\n%s.\n", Summary(res))
	case opts.DryRun:
		fmt.Fprintf(w, "\ndry run: nothing was changed. A sync would %s.\n", wouldDo(res))
		fmt.Fprintf(w, "A sync takes the steps %s.\n", render.Steps(res.Plan))
	default:
		fmt.Fprintf(w, "\ndone: %s.\n`regen undo` puts the database back as it was before (backup %s).\n", strings.TrimPrefix(Summary(res), "synced: "), res.BackupDir)
	}
	return nil
}

// Summary is the sync in one line: what it rolled back and applied, or
// why there was nothing to do (the post-checkout hook prints it).
func Summary(res *regen.SyncResult) string {
	var skipped string
	if len(res.Skipped) > 0 {
		skipped = fmt.Sprintf("; left applied (file found nowhere): %s", names(res.Skipped))
	}
	if res.NothingToDo {
		return "the database matches the checked-out migrations, nothing to do" + skipped
	}
	var parts []string
	if len(res.RolledBack) > 0 {
		parts = append(parts, "rolled back "+names(res.RolledBack))
	}
	if res.Pending > 0 {
		parts = append(parts, fmt.Sprintf("applied %d migration(s)", res.Pending))
	}
	return "synced: " + strings.Join(parts, ", ") + skipped
}

// wouldDo is the dry run's sentence.
func wouldDo(res *regen.SyncResult) string {
	var parts []string
	if len(res.RolledBack) > 0 {
		parts = append(parts, "roll back "+names(res.RolledBack))
	}
	if res.Pending > 0 {
		parts = append(parts, fmt.Sprintf("apply %d migration(s)", res.Pending))
	}
	s := strings.Join(parts, " and ")
	if len(res.Skipped) > 0 {
		s += "; it leaves applied (file found nowhere) " + names(res.Skipped)
	}
	return s
}

func names(ps []regen.SyncPhantom) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}

func commandLine(o *Options) string {
	s := "regen sync"
	if o.SkipMissing {
		s += " --skip-missing"
	}
	return s
}
