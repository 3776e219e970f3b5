package migrator

import (
	"context"
	"fmt"
)

// PGSetInsertedAt writes back the inserted_at of versions that were
// re-applied by a compensation through re-migration, so that
// schema_migrations ends exactly as it was (a migrate stamps the time of the
// new run). Only versions present are touched.
func PGSetInsertedAt(ctx context.Context, c PGConn, source, prefix string, at map[int64]string) error {
	if len(at) == 0 {
		return nil
	}
	if source == "" {
		source = DefaultMigrationSource
	}
	db, err := openPG(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	where := pgQualified(prefix, source)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return c.fail("updating "+where, err)
	}
	defer tx.Rollback()
	for v, ts := range at {
		if _, err := tx.ExecContext(ctx, `UPDATE `+where+` SET inserted_at = $1::timestamp WHERE version = $2`, ts, v); err != nil {
			return c.fail(fmt.Sprintf("restoring inserted_at of %d in %s", v, where), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return c.fail("updating "+where, err)
	}
	return nil
}
