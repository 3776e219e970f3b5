// Package root is `regen NAME`: the transactional regeneration, and the
// parent of every subcommand.
package root

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	checkcmd "github.com/regen-tool/regen/cmd/regen/check"
	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	completioncmd "github.com/regen-tool/regen/cmd/regen/completion"
	hookcmd "github.com/regen-tool/regen/cmd/regen/hook"
	"github.com/regen-tool/regen/cmd/regen/initcmd"
	recovercmd "github.com/regen-tool/regen/cmd/regen/recover"
	"github.com/regen-tool/regen/cmd/regen/render"
	statuscmd "github.com/regen-tool/regen/cmd/regen/status"
	synccmd "github.com/regen-tool/regen/cmd/regen/sync"
	undocmd "github.com/regen-tool/regen/cmd/regen/undo"
	versioncmd "github.com/regen-tool/regen/cmd/regen/version"
	"github.com/regen-tool/regen/regen"
	"github.com/spf13/cobra"
)

type Options struct {
	Name       string
	Migrate    bool
	DryRun     bool
	Yes        bool
	Force      bool
	Rollback   string
	Timings    bool
	Verbose    bool
	Base       string
	Terminate  bool
	ConfigFile string
	Timeout    time.Duration
	Args       []string
	NoKeepData bool
}

const long = `regen regenerates the migrations of your feature branch under one good name.

It rolls back exactly the migrations that git does not track and the database
has applied, removes the untracked migrations and snapshots, runs codegen
under NAME and, with -m, migrates. It is one transaction: files and database
are backed up first, any failure puts them back, ` + "`regen recover`" + ` finishes an
interrupted run and ` + "`regen undo`" + ` reverses the last one.

Exit codes: 0 done; 1 failed, everything restored; 2 usage or input error,
nothing changed; 3 another regen is running; 4 an interrupted run needs
` + "`regen recover`" + `; 5 failed and not everything could be restored (read the
message); 6 refused as unsafe, nothing changed; 7 unexpected error, the state
was not checked (run ` + "`regen status`" + `); 129/130/131/143 interrupted by
SIGHUP/SIGINT/SIGQUIT/SIGTERM, everything restored.`

// NewCmdRoot builds the command tree. runF replaces the run in tests.
func NewCmdRoot(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "regen NAME [-m]",
		Short: "Regenerate your untracked Ash/Ecto migrations, transactionally",
		Long:  long,
		Example: `  regen status               # what is untracked, applied, and what a run would do
  regen add_tags -m          # regenerate as add_tags and migrate
  regen add_tags --dry-run   # print the plan, change nothing
  regen undo                 # put back what the last run replaced`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &cmdutil.UsageError{Err: fmt.Errorf("missing NAME: run `regen NAME [-m]`, e.g. `regen add_tags -m`, or `regen status`")}
			}
			if len(args) > 1 {
				return &cmdutil.UsageError{Err: fmt.Errorf("one NAME only, got %d arguments (%s); names are snake_case, e.g. add_tags", len(args), strings.Join(args, " "))}
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versioncmd.Line(),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			// The name's own rules first: an empty or flag-like name is not
			// "a command misspelt", and needs no repository to be refused.
			if err := regen.ValidateName(opts.Name); err != nil {
				return err
			}
			if sug := cmd.SuggestionsFor(opts.Name); len(sug) > 0 && !opts.Yes {
				return &cmdutil.UsageError{Err: fmt.Errorf("%q looks like the command `regen %s`, not a migration name; to use it as a name anyway, run `regen %s --yes`", opts.Name, sug[0], opts.Name)}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.SuggestionsMinimumDistance = 2
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Migrate, "migrate", "m", false, "apply the regenerated migration")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and change nothing")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "never prompt (codegen's questions included: Ash then takes \"no\")")
	fl.BoolVar(&opts.Force, "force", false, "also roll back tracked migrations applied after the untracked ones, and apply them again after")
	fl.StringVar(&opts.Rollback, "rollback", "", "rollback strategy: auto (down, and rebuild on SQLite when a down fails), down, or rebuild (default from config, else auto)")
	fl.StringVar(&opts.Base, "base", "", "feature-branch mode: also regenerate migrations committed since the merge base with this ref (e.g. main)")
	fl.BoolVar(&opts.Terminate, "terminate-connections", false, "PostgreSQL: end other sessions on the database so a full template backup can be taken")
	fl.BoolVar(&opts.NoKeepData, "no-keep-data", false, "after migrate, do not carry the dev data the rollback dropped back from the backup (default from config keep_data, else keep)")
	fl.BoolVar(&opts.Timings, "timings", false, "print the time of every step and regen's own share")
	fl.BoolVar(&opts.Verbose, "verbose", false, "list every item of long listings in the plan")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "stop a mix task that runs longer than this (e.g. 10m), then restore")
	// `regen -v`, `--version` and `regen version` print the same line.
	cmd.SetVersionTemplate("{{.Version}}\n")
	// --config reaches every command that opens the engine; the others
	// (version, completion, hook) accept it and have nothing to read.
	cmd.PersistentFlags().StringVar(&opts.ConfigFile, "config", "", "config file (default: .regen.toml at the project root)")
	cmd.AddCommand(
		statuscmd.NewCmdStatus(f, nil, &opts.ConfigFile),
		undocmd.NewCmdUndo(f, nil, &opts.ConfigFile),
		checkcmd.NewCmdCheck(f, nil, &opts.ConfigFile),
		recovercmd.NewCmdRecover(f, nil, &opts.ConfigFile),
		versioncmd.NewCmdVersion(f),
		initcmd.NewCmdInit(f, nil, &opts.ConfigFile),
		synccmd.NewCmdSync(f, nil, &opts.ConfigFile),
	)
	cmd.AddCommand(hookcmd.NewCmdHook(f))
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.AddCommand(completioncmd.NewCmdCompletion(f))
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	ios := f.IOStreams
	if opts.Force && !opts.Yes && !opts.DryRun && ios.CanPrompt() {
		fmt.Fprint(ios.ErrOut, "--force rolls back tracked migrations too and applies them again: migrate re-creates the tables they create empty, and only keep_data (on unless --no-keep-data) puts their rows back (`--dry-run --force` names them). Continue? [y/N] ")
		answer, _ := bufio.NewReader(ios.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return &regen.InputError{What: "cancelled.", Next: ""}
		}
	}
	eng, err := f.EngineFor(cmdutil.EngineSettings{ConfigFile: opts.ConfigFile, Timeout: opts.Timeout, Terminate: opts.Terminate, Verbose: opts.Verbose})
	if err != nil {
		return err
	}
	ro := regen.RunOptions{
		Name: opts.Name, Migrate: opts.Migrate, DryRun: opts.DryRun, Force: opts.Force, Rollback: opts.Rollback, Base: opts.Base,
		Command: commandLine(opts), NoKeepData: opts.NoKeepData,
	}
	if !opts.Yes {
		ro.Terminal = ios.Terminal() // --yes: never prompt, codegen's questions included
	}
	res, err := eng.Regenerate(ctx, ro)
	if err != nil {
		return err
	}
	if opts.Timings && !opts.DryRun {
		writeTimings(ios.ErrOut, res)
	}
	for _, l := range res.Report {
		fmt.Fprintf(ios.ErrOut, "  %s\n", l)
	}
	for _, q := range res.Unanswered {
		fmt.Fprintf(ios.ErrOut, "\nwarning: %s\n", q.Consequence(strings.TrimPrefix(commandLine(opts), "regen ")))
	}
	switch {
	case opts.DryRun:
		fmt.Fprintf(ios.ErrOut, "\ndry run: nothing was changed. Then: codegen %s", opts.Name)
		if opts.Migrate {
			fmt.Fprint(ios.ErrOut, ", migrate")
		}
		fmt.Fprintln(ios.ErrOut, ".")
		fmt.Fprintf(ios.ErrOut, "A run takes the steps %s.\n", render.Steps(res.Plan))
	case res.NoChanges:
		fmt.Fprintf(ios.ErrOut, "\ndone: codegen found no changes, so no migration was written. `regen undo` puts back what was there.\n")
	default:
		fmt.Fprintf(ios.ErrOut, "\ndone: %s\n", strings.Join(render.Summarize(res.Created, opts.Verbose), ", "))
		if res.Plan.Base != "" {
			fmt.Fprintf(ios.ErrOut, "The branch's commits still hold the migrations this run replaced: amend them or add a commit (git add -A %s).\n", strings.Join(repoFolders(res.Plan), " "))
		}
		fmt.Fprintf(ios.ErrOut, "`regen undo` puts back what was there before (backup %s).\n", res.BackupDir)
	}
	return nil
}

// writeTimings prints each step's time and splits the whole into child
// processes (mix), database backups and regen's own work.
func writeTimings(w io.Writer, res *regen.RunResult) {
	fmt.Fprintln(w, "\ntimings")
	for _, s := range res.Timings {
		fmt.Fprintf(w, "  %-10s %8.1f ms\n", s.Step, float64(s.Duration.Microseconds())/1000)
	}
	own := res.Total - res.Children - res.DBBackup
	fmt.Fprintf(w, "  %-10s %8.1f ms\n  %-10s %8.1f ms\n  %-10s %8.1f ms\n  %-10s %8.1f ms\n",
		"total", ms(res.Total), "mix", ms(res.Children), "db backup", ms(res.DBBackup), "regen own", ms(own))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func repoFolders(p *regen.Plan) []string {
	var out []string
	for _, r := range p.Repos {
		out = append(out, r.Migrations, r.Snapshots)
	}
	return out
}

func commandLine(o *Options) string {
	s := "regen " + o.Name
	if o.Migrate {
		s += " -m"
	}
	if o.Force {
		s += " --force"
	}
	return s
}
