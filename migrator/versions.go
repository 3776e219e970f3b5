package migrator

import (
	"context"
	"database/sql"
	"fmt"
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
	db, err := openReadOnly(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	var n int
	err = db.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", source).Scan(&n)
	if err != nil {
		return nil, describeOpenError(dbPath, err)
	}
	if n == 0 {
		return []Version{}, nil
	}

	// CAST keeps the text exactly as stored: the driver would otherwise turn
	// a TEXT value in a column declared as a timestamp into time.Time.
	rows, err := db.QueryContext(ctx, fmt.Sprintf(
		`SELECT version, CAST(inserted_at AS TEXT) FROM %s ORDER BY version`, quoteIdent(source)))
	if err != nil {
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
