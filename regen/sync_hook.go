package regen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// What the post-checkout hook asks before it syncs (cmd/regen/hook): a
// sync follows a branch switch that changed the migrations, and nothing
// else. During a rebase, a bisect, a merge, a cherry-pick or a revert git
// checks out commits on its way, and the database must not follow those.

var commitID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{4,64}$`) })

// CheckoutSkip says why a post-checkout hook with git's arguments (prev,
// next, branch flag) should not sync, "" when it should.
func (e *Engine) CheckoutSkip(ctx context.Context, prev, next, flag string) (string, error) {
	if flag != "1" {
		return "a file checkout, not a branch switch", nil
	}
	if !commitID().MatchString(prev) || !commitID().MatchString(next) {
		return "git gave no commit ids", nil
	}
	if strings.Trim(prev, "0") == "" {
		return "the first checkout of a new clone or worktree", nil
	}
	if op := e.gitInProgress(); op != "" {
		return op + " is in progress (run `regen sync` when it is done)", nil
	}
	if prev == next {
		return "the same commit is checked out", nil
	}
	changed, err := e.migrationsChanged(ctx, prev, next)
	if err != nil {
		return "", err
	}
	if !changed {
		return "the commits differ only outside the migrations folders", nil
	}
	return "", nil
}

// gitInProgress names the operation git is in the middle of in this work
// tree ("" for none): their state files are in the worktree's own git dir.
func (e *Engine) gitInProgress() string {
	for _, op := range []struct{ file, what string }{
		{"rebase-merge", "a rebase"}, {"rebase-apply", "a rebase"}, {"BISECT_LOG", "a bisect"},
		{"MERGE_HEAD", "a merge"}, {"CHERRY_PICK_HEAD", "a cherry-pick"}, {"REVERT_HEAD", "a revert"},
	} {
		if _, err := os.Lstat(filepath.Join(e.git.GitDir, op.file)); err == nil {
			return op.what
		}
	}
	return ""
}

// migrationsChanged: do the two commits differ in any configured repo's
// migrations or tenant migrations folder?
func (e *Engine) migrationsChanged(ctx context.Context, prev, next string) (bool, error) {
	p, err := e.loadProjectFiles()
	if err != nil {
		return false, err
	}
	var folders []string
	for _, r := range p.cfg.Repos {
		for _, f := range []string{r.Migrations, r.TenantMigrations} {
			if f != "" {
				folders = append(folders, p.gitPath(f))
			}
		}
	}
	if len(folders) == 0 {
		return false, nil
	}
	args := append([]string{"diff", "--name-only", "--no-renames", "-z", prev, next, "--"}, folders...)
	out, err := e.git.Output(ctx, nil, args...)
	if err != nil {
		return false, fmt.Errorf("cannot compare %s and %s: %w", prev, next, err)
	}
	return len(bytes.TrimSpace(out)) > 0, nil
}
