package migrator

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkSQLiteTableStates: the digest a run records after each step
// that changes the database, on a dev database with 2,000 applied
// versions and a few small tables.
func BenchmarkSQLiteTableStates(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "dev.db")
	db := openRW(b, path, "journal_mode=WAL")
	mustExec(b, db,
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, inserted_at TEXT)`,
		`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
		 INSERT INTO schema_migrations SELECT 20250101000000 + x, '2025-01-01T00:00:00' FROM n`,
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, views INTEGER)`,
		`INSERT INTO posts VALUES (1, 'a', 1), (2, 'b', 2)`)
	db.Close()
	for b.Loop() {
		st, err := sqliteTableStatesOf(ctx, path, false)
		if err != nil || len(st) != 2 {
			b.Fatal(fmt.Sprint(st, err))
		}
	}
}
