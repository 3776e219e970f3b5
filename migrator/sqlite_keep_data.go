package migrator

import (
	"context"
	"errors"
)

// SQLiteKeepData carries the data of oldPath (the run's pre-run backup
// copy) into the migrated database at newPath (issue 12).
func SQLiteKeepData(ctx context.Context, newPath, oldPath, source string) (*KeepReport, error) {
	return nil, errors.New("not yet")
}
