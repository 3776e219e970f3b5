package regen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/regen/project"
)

// A migration staged with `git add` but not committed is in the index, so
// it counts as tracked: a run would neither roll it back nor replace it, and
// codegen would write a second migration for the same change. regen
// refuses before changing anything rather than rewriting the index: the
// index is the user's staging area (other staged work, `git add -p` hunks,
// a commit being prepared in another terminal), and putting it back byte
// for byte after a failure could discard staging done meanwhile.

// stagedNew lists the repo's migrations and snapshots that are staged and
// not in HEAD, project-relative: added with `git add`, or with `git add -N`
// (intent to add: in the index, reported as a work-tree addition).
func (p *workspace) stagedNew(r project.RepoConfig, gitFolders []string, changed []gitops.Change) ([]string, error) {
	staged, err := p.git.StagedNew(gitFolders)
	if err != nil {
		return nil, err
	}
	for _, c := range changed {
		if c.Kind == gitops.Added && !c.Staged {
			staged = append(staged, c.Path)
		}
	}
	sort.Strings(staged)
	var out []string
	for i, g := range staged {
		if i > 0 && g == staged[i-1] {
			continue
		}
		rel := p.projectPath(g)
		_, mig := migrationAt(rel, r.Migrations)
		_, tenant := migrationAt(rel, r.TenantMigrations)
		if mig || (r.TenantMigrations != "" && tenant) || isSnapshotFile(rel, r.Snapshots) {
			out = append(out, rel)
		}
	}
	return out, nil
}

// refuseStagedNew is the run's answer to staged, uncommitted generated
// files: what they are, why regen stops, and the exact commands.
func (p *workspace) refuseStagedNew(pl *Plan) error {
	var paths []string
	for _, rp := range pl.Repos {
		paths = append(paths, rp.StagedNew...)
	}
	if len(paths) == 0 {
		return nil
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = shellQuote(p)
	}
	return &InputError{
		What: fmt.Sprintf("these generated files are staged (`git add`) but not committed:\n  - %s\n"+
			"Staged files count as tracked: regen would neither roll them back nor replace them, and codegen would write a second migration for the same change.",
			strings.Join(paths, "\n  - ")),
		Next: fmt.Sprintf("To regenerate them, unstage them (they stay on disk, untracked) and run again:\n  git -C %s %s -- %s\n"+
			"To keep them as they are, commit them first (`git commit`).", shellQuote(p.cfg.Root), p.unstageCommand(), strings.Join(quoted, " ")),
	}
}

// unstageCommand is the git subcommand that takes files out of the index
// and leaves them on disk: `restore --staged` needs a HEAD to restore from.
func (p *workspace) unstageCommand() string {
	if head, err := p.git.HeadHash(); err == nil && head == "" {
		return "rm --cached -q"
	}
	return "restore --staged"
}
