package migrator

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"hash"
)

// PGTableDigests returns, per table of schema ("" = public), the sha256
// (hex) of its columns (name, type, NOT NULL, default), its constraints,
// its indexes and all its rows. Like SQLiteTableDigests it exists to prove
// "every row identical" after a rollback or a restore.
//
// Rows are rendered by PostgreSQL's own record output (row::text, exact for
// every type) and sorted by that text in the C collation, so physical order
// (which a template copy or VACUUM may change) does not count. Everything
// is read in one read-only snapshot.
func PGTableDigests(ctx context.Context, c PGConn, schema string) (map[string]string, error) {
	if schema == "" {
		schema = "public"
	}
	db, err := openPG(ctx, c)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, c.fail("digest of schema "+schema, err)
	}
	defer func() { _ = tx.Rollback() }()

	type table struct {
		oid  int64
		name string
	}
	var tables []table
	rows, err := tx.QueryContext(ctx, `
SELECT c.oid::bigint, c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
ORDER BY c.relname COLLATE "C"`, schema)
	if err != nil {
		return nil, c.fail("digest of schema "+schema, err)
	}
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.oid, &t.name); err != nil {
			rows.Close()
			return nil, c.fail("digest of schema "+schema, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, c.fail("digest of schema "+schema, err)
	}

	digests := make(map[string]string, len(tables))
	for _, t := range tables {
		h := sha256.New()
		parts := []struct{ label, q string }{
			{"columns", `
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
       coalesce(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`},
			{"constraints", `
SELECT conname, pg_catalog.pg_get_constraintdef(oid)
FROM pg_catalog.pg_constraint WHERE conrelid = $1
ORDER BY conname COLLATE "C"`},
			{"indexes", `
SELECT i.relname, pg_catalog.pg_get_indexdef(x.indexrelid)
FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = $1
ORDER BY i.relname COLLATE "C"`},
		}
		for _, p := range parts {
			writeField(h, p.label)
			if err := hashPGRows(ctx, tx, h, p.q, t.oid); err != nil {
				return nil, c.fail("digest of "+schema+"."+t.name, err)
			}
		}
		writeField(h, "rows")
		q := `SELECT r::text FROM ` + pgQualified(schema, t.name) + ` r ORDER BY r::text COLLATE "C"`
		if err := hashPGRows(ctx, tx, h, q); err != nil {
			return nil, c.fail("digest of "+schema+"."+t.name, err)
		}
		digests[t.name] = hex.EncodeToString(h.Sum(nil))
	}
	return digests, nil
}

// hashPGRows folds every value of every row of q into h, then the row
// count, so "no rows" and "one empty row" differ.
func hashPGRows(ctx context.Context, tx *sql.Tx, h hash.Hash, q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return hashResult(rows, h)
}
