package migrator

import (
	"context"
	"database/sql"

	"github.com/lib/pq"
)

// PGTableRowCounts returns the row count of each of the named tables of
// schema ("" = public) that exists, read in one read-only snapshot: the
// numbers a plan shows for tables a run would drop.
func PGTableRowCounts(ctx context.Context, c PGConn, schema string, tables []string) (map[string]int64, error) {
	counts := map[string]int64{}
	if len(tables) == 0 {
		return counts, nil
	}
	err := pgReadSnapshot(ctx, c, "row counts", func(tx *sql.Tx, schema string) error {
		for _, t := range tables {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgQualified(schema, t)).Scan(&exists); err != nil {
				return c.fail("row counts in schema "+schema, err)
			}
			if !exists {
				continue
			}
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+pgQualified(schema, t)).Scan(&n); err != nil {
				return c.fail("row count of "+schema+"."+t, err)
			}
			counts[t] = n
		}
		return nil
	}, schema)
	return counts, err
}

// PGNonNullCounts counts the non-NULL values of each column of schema
// ("" = public) that exists, in one read-only snapshot (the keep-data
// forecast). A column or table that does not exist is left out.
func PGNonNullCounts(ctx context.Context, c PGConn, schema string, cols []TableColumn) (map[TableColumn]int64, error) {
	out := map[TableColumn]int64{}
	if len(cols) == 0 {
		return out, nil
	}
	err := pgReadSnapshot(ctx, c, "value counts", func(tx *sql.Tx, schema string) error {
		for _, col := range cols {
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3)`, schema, col.Table, col.Column).Scan(&exists); err != nil {
				return c.fail("value counts in schema "+schema, err)
			}
			if !exists {
				continue
			}
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT count(`+pq.QuoteIdentifier(col.Column)+`) FROM `+pgQualified(schema, col.Table)).Scan(&n); err != nil {
				return c.fail("value count of "+schema+"."+col.Table+"."+col.Column, err)
			}
			out[col] = n
		}
		return nil
	}, schema)
	return out, err
}

// pgReadSnapshot runs read in one read-only repeatable-read transaction
// on schema ("" = public): counts that agree with each other.
func pgReadSnapshot(ctx context.Context, c PGConn, what string, read func(tx *sql.Tx, schema string) error, schema string) error {
	if schema == "" {
		schema = "public"
	}
	db, err := openPG(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return c.fail(what+" in schema "+schema, err)
	}
	defer func() { _ = tx.Rollback() }()
	return read(tx, schema)
}
