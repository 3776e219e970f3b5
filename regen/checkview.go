package regen

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// CheckView is what `regen check` (package regen/check, which sits above
// the engine) uses of it: the project read as it is (configuration, git),
// the engine's mix runner, and the journaled round trip (RoundTrips). It is
// loaded without a database or a mix run, so the static checks need no
// Elixir.
type CheckView struct {
	e *Engine
	p *workspace
}

// CheckView loads the configuration and the git view the checks read.
func (e *Engine) CheckView() (*CheckView, error) {
	p, err := e.loadProjectFiles()
	if err != nil {
		return nil, err
	}
	return &CheckView{e: e, p: p}, nil
}

// Config is the project's configuration. The checks only read it.
func (v *CheckView) Config() *project.Config { return v.p.cfg }

// Git is the repository the project sits in.
func (v *CheckView) Git() *gitops.Repo { return v.p.git }

// GitPrefix is the project root relative to the git work-tree top ("" when
// equal).
func (v *CheckView) GitPrefix() string { return v.p.prefix }

// GitPaths turns project-relative paths into repository-relative ones.
func (v *CheckView) GitPaths(rels []string) []string { return v.p.gitPaths(rels) }

// GitPath turns a project-relative path into a repository-relative one.
func (v *CheckView) GitPath(rel string) string { return v.p.gitPath(rel) }

// ProjectPath turns a repository-relative path into a project-relative one.
func (v *CheckView) ProjectPath(gitRel string) string { return v.p.projectPath(gitRel) }

// CheckoutBytes is a blob of rel as a checkout would write it (git's
// filters applied; a symlink's target as it is).
func (v *CheckView) CheckoutBytes(rel string, blob []byte, mode os.FileMode) ([]byte, error) {
	return v.p.checkoutBytes(rel, blob, mode)
}

// MixEnviron is the environment mix starts with (before a command's own):
// the check keys its record of a clean codegen check on part of it.
func (v *CheckView) MixEnviron() []string { return v.e.runner.Environ() }

// GitDir is this worktree's own git directory (regen's records go under
// <GitDir>/regen).
func (v *CheckView) GitDir() string { return v.p.git.GitDir }

// MixResult is a finished mix command whose output regen read.
type MixResult struct {
	// Command is the command as configured (what messages name).
	Command  []string
	ExitCode int
	Output   string
}

// RunMix runs one mix command in the project root through the engine's
// runner, capturing its output. A command that cannot start, or was
// interrupted or timed out, is a cannot-run *InputError.
func (v *CheckView) RunMix(ctx context.Context, argv []string) (MixResult, error) {
	res, out, err := v.e.checkRunIn(ctx, v.p.cfg.Root, argv, argv)
	return MixResult{Command: argv, ExitCode: res.ExitCode, Output: out}, err
}

// checkRunIn runs argv in dir; messages name shown (the command as
// configured, not the driver it was turned into).
func (e *Engine) checkRunIn(ctx context.Context, dir string, argv, shown []string) (migrator.Result, string, error) {
	var buf strings.Builder
	res, err := e.mix(ctx, mixCall{Argv: argv, Dir: dir, Capture: &buf}) // the round trip's are journaled
	if err != nil {
		return res, "", &InputError{What: fmt.Sprintf("cannot run `%s`: %v.", strings.Join(shown, " "), err), Next: "Set the mix command with REGEN_MIX or `mix = \"...\"` in .regen.toml, or pass --no-codegen."}
	}
	if res.Interrupted || res.TimedOut {
		return res, "", &InputError{What: fmt.Sprintf("`%s` was stopped (interrupted or timed out).", strings.Join(shown, " ")), Next: "Run the check again (with a longer --timeout)."}
	}
	return res, buf.String(), nil
}
