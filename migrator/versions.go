package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

// DefaultMigrationSource is Ecto's table of applied versions unless the repo
// sets :migration_source.
const DefaultMigrationSource = "schema_migrations"

// Version is one applied migration as Ecto recorded it.
type Version struct {
	Version    int64
	InsertedAt string // as stored (text); "" when NULL
}

// SQLiteAppliedVersions reads the applied versions from source ("" means
// schema_migrations) without writing to the database in any way. A missing
// table means nothing was ever migrated; a missing file is ErrNoDatabase.
// The result is sorted by version, ascending.
func SQLiteAppliedVersions(ctx context.Context, dbPath, source string) ([]Version, error) {
	if source == "" {
		source = DefaultMigrationSource
	}
	// Every status reads this: one statement, not a check that the file is
	// a database, another that the table exists and then the read. Its
	// failure tells which: an error of the file (not a database, locked,
	// corrupt, I/O) is the file's; one of the statement (most often no
	// such table) is answered by asking whether the table exists.
	db, err := openReadOnlyLazy(dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// CAST keeps the text exactly as stored: the driver would otherwise turn
	// a TEXT value in a column declared as a timestamp into time.Time.
	rows, err := db.QueryContext(ctx, fmt.Sprintf(
		`SELECT version, CAST(inserted_at AS TEXT) FROM %s ORDER BY version`, quoteIdent(source)))
	if err != nil {
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqliteError {
			return nil, describeOpenError(dbPath, err)
		}
		var n int
		if qerr := db.QueryRowContext(ctx,
			"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", source).Scan(&n); qerr != nil {
			return nil, describeOpenError(dbPath, qerr)
		}
		if n == 0 {
			return []Version{}, nil
		}
		return nil, fmt.Errorf("reading %s in %s: %w", source, dbPath, err)
	}
	defer rows.Close()
	versions := []Version{}
	for rows.Next() {
		var v Version
		var at sql.NullString
		if err := rows.Scan(&v.Version, &at); err != nil {
			return nil, fmt.Errorf("reading %s in %s: %w", source, dbPath, err)
		}
		v.InsertedAt = at.String
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", source, dbPath, err)
	}
	return versions, nil
}
