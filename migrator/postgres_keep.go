package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// pgKeepTries bounds the terminate-then-rename loop: a pooled client (a dev
// server's Ecto pool) reconnects between the two, so one try is not enough.
const pgKeepTries = 10

// PGKeepAndRestore replaces c's database by a copy of backupDB as
// PGRestoreTemplate does, but keeps the present database instead of
// dropping it: the other sessions are ended, the database is renamed to a
// regen_bk_ name for keepRunID ("…p", "…p2" when taken), marked as
// regen's (so pruning may drop it, and nothing unmarked ever is), and a new
// database is created from backupDB under the old name. It returns the kept
// name. When the database does not exist there is nothing to keep: kept is
// "" and the database is created from backupDB.
func PGKeepAndRestore(ctx context.Context, c PGConn, backupDB, keepRunID string) (kept string, err error) {
	dbName := c.Database()
	db, err := openPG(ctx, pgMaintenance(c))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := checkRestoreSource(ctx, c, db, backupDB); err != nil {
		return "", err
	}
	var owner sql.NullString
	err = db.QueryRowContext(ctx, `SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = $1`, dbName).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		db.Close()
		return "", PGRestoreTemplate(ctx, c, backupDB)
	}
	if err != nil {
		return "", c.fail("restoring "+dbName, err)
	}
	version, err := pgServerVersion(ctx, db)
	if err != nil {
		return "", c.fail("restoring "+dbName, err)
	}
	kept, err = pgFreeKeepName(ctx, db, dbName, keepRunID)
	if err != nil {
		return "", c.fail("restoring "+dbName, err)
	}
	if err := pgRenameAway(ctx, db, dbName, kept, version); err != nil {
		return "", c.fail(fmt.Sprintf("restoring %s: keeping it as %s (nothing was changed)", dbName, kept), err)
	}
	// From here on the database is renamed: finish (or undo the rename)
	// even if the caller's context is cancelled.
	ctx = context.WithoutCancel(ctx)
	comment := "COMMENT ON DATABASE " + pq.QuoteIdentifier(kept) + " IS " + pq.QuoteLiteral(pgBackupComment(dbName, keepRunID)+" kept=present")
	if _, err := db.ExecContext(ctx, comment); err != nil {
		return "", pgRenameBack(ctx, c, db, kept, dbName, "marking the kept copy "+kept, err)
	}
	create := "CREATE DATABASE " + pq.QuoteIdentifier(dbName) + " TEMPLATE " + pq.QuoteIdentifier(backupDB)
	if owner.Valid && owner.String != "" {
		create += " OWNER " + pq.QuoteIdentifier(owner.String)
	}
	if version >= 150000 {
		create += " STRATEGY FILE_COPY"
	}
	if _, err := db.ExecContext(ctx, create); err != nil {
		if _, cerr := db.ExecContext(ctx, "COMMENT ON DATABASE "+pq.QuoteIdentifier(kept)+" IS NULL"); cerr != nil {
			return "", c.fail(fmt.Sprintf("restoring %s from %s (the present database is kept as %s; rename it back with ALTER DATABASE)", dbName, backupDB, kept), errors.Join(err, cerr))
		}
		return "", pgRenameBack(ctx, c, db, kept, dbName, "restoring from "+backupDB, err)
	}
	return kept, nil
}

// checkRestoreSource refuses a restore source that is not regen's backup
// of c's database.
func checkRestoreSource(ctx context.Context, c PGConn, db *sql.DB, backupDB string) error {
	dbName := c.Database()
	if !strings.HasPrefix(backupDB, PGBackupPrefix) {
		return fmt.Errorf("refusing to restore %q from %q: not a regen backup (no %s prefix)", dbName, backupDB, PGBackupPrefix)
	}
	if backupDB == dbName {
		return fmt.Errorf("refusing to restore %q from itself", dbName)
	}
	exists, source, ok, err := pgBackupInfo(ctx, db, backupDB)
	if err != nil {
		return c.fail("restoring "+dbName, err)
	}
	switch {
	case !exists:
		return &pgError{msg: fmt.Sprintf("cannot restore %q: backup database %q does not exist", dbName, backupDB), kind: ErrPGNoDatabase}
	case !ok:
		return fmt.Errorf("refusing to restore %q from %q: it does not carry regen's backup mark", dbName, backupDB)
	case source != dbName:
		return fmt.Errorf("refusing to restore %q from %q: that is a backup of %q", dbName, backupDB, source)
	}
	return nil
}

// pgFreeKeepName is the first of PGBackupName(db, <run>p), <run>p2, … that no
// database has.
func pgFreeKeepName(ctx context.Context, db *sql.DB, dbName, runID string) (string, error) {
	for n := 1; n <= 99; n++ {
		suffix := "p"
		if n > 1 {
			suffix += strconv.Itoa(n)
		}
		name, err := PGBackupName(dbName, runID+suffix)
		if err != nil {
			return "", err
		}
		var taken bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)`, name).Scan(&taken); err != nil {
			return "", err
		}
		if !taken {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free name to keep %q under for run %s", dbName, runID)
}

// pgRenameAway ends the other sessions on dbName and renames it, again
// while a session reconnects in between.
func pgRenameAway(ctx context.Context, db *sql.DB, dbName, kept string, version int) error {
	q := `SELECT pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE ` + pgOtherSessionsWhere
	if version >= 140000 {
		q = `SELECT pg_terminate_backend(pid, 5000) FROM pg_catalog.pg_stat_activity WHERE ` + pgOtherSessionsWhere
	}
	rename := "ALTER DATABASE " + pq.QuoteIdentifier(dbName) + " RENAME TO " + pq.QuoteIdentifier(kept)
	// New connections are refused while it is renamed (a pool reconnects
	// faster than terminate-then-rename); the kept copy is opened again
	// for the user to look at, or the database if the rename fails.
	allow := func(name string, on bool) {
		_, _ = db.ExecContext(context.WithoutCancel(ctx), "ALTER DATABASE "+pq.QuoteIdentifier(name)+" ALLOW_CONNECTIONS "+strconv.FormatBool(on))
	}
	_, blockErr := db.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(dbName)+" ALLOW_CONNECTIONS false")
	var last error
	for try := 0; try < pgKeepTries; try++ {
		if _, err := db.ExecContext(ctx, q, dbName); err != nil {
			if blockErr == nil {
				allow(dbName, true)
			}
			return err
		}
		_, err := db.ExecContext(ctx, rename)
		if err == nil {
			if blockErr == nil {
				allow(kept, true)
			}
			return nil
		}
		if !isPGCode(err, pqerror.ObjectInUse) {
			last = err
			break
		}
		last = err
	}
	if blockErr == nil {
		allow(dbName, true)
	}
	if !isPGCode(last, pqerror.ObjectInUse) {
		return last
	}
	return fmt.Errorf("other sessions kept reconnecting (%d tries): %w", pgKeepTries, last)
}

// pgRenameBack undoes pgRenameAway after a later step failed.
func pgRenameBack(ctx context.Context, c PGConn, db *sql.DB, kept, dbName, what string, cause error) error {
	back := "ALTER DATABASE " + pq.QuoteIdentifier(kept) + " RENAME TO " + pq.QuoteIdentifier(dbName)
	if _, err := db.ExecContext(ctx, back); err != nil {
		return c.fail(fmt.Sprintf("restoring %s: %s failed, and the present database, kept as %s, could not be renamed back (ALTER DATABASE %s RENAME TO %s)", dbName, what, kept, kept, dbName), errors.Join(cause, err))
	}
	return c.fail(fmt.Sprintf("restoring %s: %s failed; the database is as it was", dbName, what), cause)
}
