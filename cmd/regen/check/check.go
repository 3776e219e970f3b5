// Package check is `regen check`: static checks of the generated files,
// then the project's codegen check, for CI and the pre-commit hook.
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/regen-tool/regen/cmd/regen/cmdutil"
	"github.com/regen-tool/regen/cmd/regen/render"
	checks "github.com/regen-tool/regen/regen/check"
	"github.com/spf13/cobra"
)

type Options struct {
	Staged       bool
	Base         string
	Format       string
	NoCodegen    bool
	Codegen      string
	CodegenPaths []string
	Roundtrip    bool
	Unsafe       bool
	Fresh        bool
	Timeout      time.Duration
	ConfigFile   *string
}

const long = `check looks for what breaks a merge or a deploy of Ash migrations.

Static checks (no Elixir): migration file names, duplicate versions and
module names, --dev migrations and snapshots, snapshots that do not parse or
sit in another table's folder, and generated files a commit would miss
(untracked, or changed and not staged). With --base REF: new migrations older
than REF's newest one (merge order), and one table's snapshot added on both
sides since the merge base.

Then ` + "`mix compile`" + ` and ` + "`mix ash.codegen --check`" + ` (drift between resources and
generated files), unless --no-codegen. With --staged (the pre-commit hook) the
codegen check runs only when staged changes touch --codegen-paths or the
generated folders. Both start mix once (` + "`mix do compile + … + ash.codegen --check`" + `),
and a clean codegen check is recorded under the git directory: while its
inputs (lib/, config/, mix.exs, mix.lock, the migrations and snapshots, the
deps, the Elixir version, the command) hash the same, the next check skips
the mix start and says so (--fresh runs it anyway).

Optional: --unsafe scans new migrations (untracked, staged, or added since
--base) for drop-column, rename, index-not-concurrent (PostgreSQL),
not-null-without-default and execute-without-down; a comment
` + "`# regen:allow <rule>`" + ` on the line or the line above accepts one. --roundtrip
migrates the new migrations up, down and up again on the dev database, as a
journaled transaction: the database is backed up first and put back from the
backup afterwards (one that did not exist is moved aside); after a crash,
regen recover puts it back.

Exit codes: 0 no findings; 1 findings; 2 the check cannot run (not a git
repository, no mix.exs, bad config, unreadable git, unknown --base).`

func NewCmdCheck(f *cmdutil.Factory, runF func(context.Context, *Options) error, configFile *string) *cobra.Command {
	opts := &Options{ConfigFile: configFile}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check migrations and snapshots for CI and pre-commit",
		Long:  long,
		Example: `  regen check                          # everything, on the work tree
  regen check --staged                 # what the pre-commit hook runs
  regen check --base origin/main --format github --unsafe   # in a pull-request workflow`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Codegen == "" {
				opts.Codegen = checks.CodegenAlways
				if opts.Staged {
					opts.Codegen = checks.CodegenAuto
				}
			}
			if opts.NoCodegen {
				if cmd.Flags().Changed("codegen") && opts.Codegen != checks.CodegenNever {
					return &cmdutil.UsageError{Err: fmt.Errorf("--no-codegen and --codegen %s contradict each other", opts.Codegen)}
				}
				opts.Codegen = checks.CodegenNever
			}
			switch opts.Format {
			case checks.FormatText, checks.FormatJSON, checks.FormatGitHub:
			default:
				return &cmdutil.UsageError{Err: fmt.Errorf("--format %q: want text, json or github", opts.Format)}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if err := run(cmd.Context(), f, opts); err != nil {
				var findings *checks.FindingsError
				if errors.As(err, &findings) {
					return err
				}
				// Its documented contract: any other error is "cannot run" (2),
				// unless a type inside says more (restored, interrupted...).
				return &cmdutil.CheckError{Err: err}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Staged, "staged", false, "check what a commit would record (the index), as the pre-commit hook does")
	fl.StringVar(&opts.Base, "base", "", "also check merge order and snapshot conflicts against this branch, tag or commit")
	fl.StringVar(&opts.Format, "format", checks.FormatText, "output: text, json or github (workflow annotations)")
	fl.BoolVar(&opts.NoCodegen, "no-codegen", false, "skip the compile and codegen check (mix compile, mix ash.codegen --check)")
	fl.StringVar(&opts.Codegen, "codegen", "", "when to run the codegen check: always, auto (only when staged changes touch --codegen-paths or generated files) or never (default: always; auto with --staged)")
	fl.StringSliceVar(&opts.CodegenPaths, "codegen-paths", nil, "project-relative globs (** allowed) whose staged changes trigger the codegen check in auto mode (default: the .ex files under mix.exs's elixirc_paths, every environment's; lib/**/*.ex when it sets none)")
	fl.BoolVar(&opts.Roundtrip, "roundtrip", false, "migrate the new migrations up, down and up again (the dev database is backed up first and put back afterwards; regen recover after a crash)")
	fl.BoolVar(&opts.Fresh, "fresh", false, "run the codegen check even when its inputs are those of the last clean check")
	fl.BoolVar(&opts.Unsafe, "unsafe", false, "report unsafe operations in new migrations")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "stop a mix task that runs longer than this (e.g. 10m)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	eng, err := f.Engine(cmdutil.Deref(opts.ConfigFile), opts.Timeout)
	if err != nil {
		return err
	}
	rep, err := checks.Run(ctx, eng, checks.Options{
		Staged:       opts.Staged,
		Base:         opts.Base,
		Codegen:      opts.Codegen,
		CodegenPaths: opts.CodegenPaths,
		Roundtrip:    opts.Roundtrip,
		Unsafe:       opts.Unsafe,
		Fresh:        opts.Fresh,
	})
	if err != nil {
		return err
	}
	ios := f.IOStreams
	for _, n := range rep.Notes {
		fmt.Fprintf(ios.ErrOut, "regen check: %s\n", n)
	}
	if err := writeReport(ios.Out, opts.Format, rep); err != nil {
		return err
	}
	if len(rep.Findings) > 0 {
		return &checks.FindingsError{Count: len(rep.Findings)}
	}
	return nil
}

// writeReport writes the report in the chosen format: the machine formats
// are regen/check's, the text for people is render's.
func writeReport(w io.Writer, format string, rep *checks.Report) error {
	switch format {
	case checks.FormatJSON:
		return checks.WriteJSON(w, rep)
	case checks.FormatGitHub:
		return checks.WriteGitHub(w, rep)
	}
	return render.Check(w, rep)
}
