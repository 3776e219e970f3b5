package regen

import (
	"context"

	"github.com/regen-tool/regen/gitops"
)

// readRepoState reads what the plan needs about one repo: its folders from
// git (one index read, one walk, no object read: gitops.Scan) and the
// applied versions from the database. The two are independent and each
// costs a few milliseconds on a large project, so they run side by side.
// Errors are returned apart because they are reported differently.
func (p *workspace) readRepoState(ctx context.Context, gitFolders []string, db database) (scan *gitops.FolderScan, applied []int64, gitErr, dbErr error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		applied, dbErr = db.Applied(ctx)
	}()
	scan, gitErr = p.git.Scan(gitFolders)
	<-done
	return scan, applied, gitErr, dbErr
}
