package regen

// After `git merge main` into a branch, main's migrations are tracked and
// may have been applied after the branch's (the developer migrated after
// the merge). With --base they do not block the run: they are on the base,
// written without the branch's migrations, so nothing of theirs depends on
// what the branch's roll back. The rollback takes exactly the rollback set
// from a folder of its own (`--migrations-path DIR --all`, which rolls
// back out of order), so main's stay applied, and codegen then diffs the
// resources against main's snapshots, newest by timestamp as Ash picks
// them: the branch's changes come back as one migration newer than main's.

// splitBaseAfter splits tracked migrations applied after the rollback set
// into those that block the run and those of the --base merge base, which
// stay applied. Without --base, all of them block.
func (p *workspace) splitBaseAfter(after []Migration) (blocked, base []Migration) {
	if p.base == "" {
		return after, nil
	}
	// Under --base, a tracked migration not added since the merge base is
	// the base's (added ones are in the rollback set, not tracked here).
	return nil, after
}
