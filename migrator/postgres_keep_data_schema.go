package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// Regen's own keep schemas: copies of a schema's tables taken before the
// rollback, where no template copy of the database could be taken (other
// sessions connected). Named regen_keep_<run>_<n> and commented with
// regen's mark; only names with both are ever dropped.

// PGKeepSchemaPrefix starts every schema regen creates.
const PGKeepSchemaPrefix = "regen_keep_"

const pgKeepCommentPrefix = "regen keep: "

// PGKeepSchemaName is the keep schema of run runID for its n-th schema.
func PGKeepSchemaName(runID string, n int) (string, error) {
	run := sanitizePGName(runID)
	if run == "" {
		return "", errors.New("keep run id is empty")
	}
	name := PGKeepSchemaPrefix + run + "_" + strconv.Itoa(n)
	if len(name) > pgMaxIdent {
		return "", fmt.Errorf("keep run id %q is too long for a schema name", runID)
	}
	return name, nil
}

func pgKeepComment(runID, schema string) string {
	return pgKeepCommentPrefix + "run=" + runID + " schema=" + schema
}

// PGPrepareKeep copies every table of each schema (but source, the
// migrations table) into a keep schema of run runID, in one snapshot, and
// returns schema → keep schema. Columns of user-defined types (enums,
// domains) are kept as text: a copy must never hold a dependency that
// makes the rollback's DROP TYPE fail. Schema "" is the connection's
// current schema. On error nothing stays.
func PGPrepareKeep(ctx context.Context, c PGConn, runID string, schemas []string, source string) (map[string]string, error) {
	db, err := openPG(ctx, c)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, c.fail("keeping data of "+c.Database(), err)
	}
	defer tx.Rollback()
	out := map[string]string{}
	for i, s := range schemas {
		live, err := pgResolveSchema(ctx, tx, s)
		if err != nil {
			return nil, c.fail("keeping data of "+c.Database(), err)
		}
		keep, err := PGKeepSchemaName(runID, i+1)
		if err != nil {
			return nil, err
		}
		if err := pgCreateKeepSchema(ctx, tx, keep, runID, live); err != nil {
			return nil, c.fail("creating "+keep, err)
		}
		tables, err := pgKeepTables(ctx, tx, live, source)
		if err != nil {
			return nil, c.fail("reading the tables of "+live, err)
		}
		for _, name := range sortedKeys(tables) {
			t := tables[name]
			var sel []string
			for _, col := range t.cols {
				e := pq.QuoteIdentifier(col.name)
				if col.userType {
					e += "::text"
				}
				sel = append(sel, e+" AS "+pq.QuoteIdentifier(col.name))
			}
			stmt := "CREATE TABLE " + pgQ(keep, name) + " AS SELECT " + strings.Join(sel, ", ") + " FROM " + pgQ(live, name)
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return nil, c.fail("copying "+live+"."+name+" to "+keep, err)
			}
		}
		out[s] = keep
	}
	if err := tx.Commit(); err != nil {
		return nil, c.fail("keeping data of "+c.Database(), err)
	}
	return out, nil
}

func pgCreateKeepSchema(ctx context.Context, q pgQueryer, keep, runID, live string) error {
	if _, err := q.ExecContext(ctx, "CREATE SCHEMA "+pq.QuoteIdentifier(keep)); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, "COMMENT ON SCHEMA "+pq.QuoteIdentifier(keep)+" IS "+pq.QuoteLiteral(pgKeepComment(runID, live)))
	return err
}

// PGDropKeep drops run runID's keep schemas: every schema with the
// regen_keep_<run>_ prefix and regen's mark for that run. None left is
// not an error.
func PGDropKeep(ctx context.Context, c PGConn, runID string) error {
	names, err := PGListKeep(ctx, c, runID)
	if err != nil || len(names) == 0 {
		return err
	}
	db, err := openPG(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pq.QuoteIdentifier(n)+" CASCADE"); err != nil {
			return c.fail("dropping "+n, err)
		}
	}
	return nil
}

// PGListKeep lists run runID's keep schemas (runID "": every run's).
func PGListKeep(ctx context.Context, c PGConn, runID string) ([]string, error) {
	db, err := openPG(ctx, c)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	prefix := PGKeepSchemaPrefix
	if runID != "" {
		prefix += sanitizePGName(runID) + "_"
	}
	rows, err := db.QueryContext(ctx, `
SELECT nspname, coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_catalog.pg_namespace
WHERE starts_with(nspname, $1)`, prefix)
	if err != nil {
		return nil, c.fail("listing keep schemas", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			return nil, err
		}
		mark := pgKeepCommentPrefix
		if runID != "" {
			mark += "run=" + runID + " "
		}
		if strings.HasPrefix(comment, mark) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, rows.Err()
}

// pgCopyIntoKeep copies schema live of the template copy (read through
// from, a second connection) into the new schema keep of tx: the same
// columns, user-defined types as text, rows by COPY.
func pgCopyIntoKeep(ctx context.Context, from *sql.Tx, tx *sql.Tx, live, keep, runID, source string) error {
	if err := pgCreateKeepSchema(ctx, tx, keep, runID, live); err != nil {
		return err
	}
	tables, err := pgKeepTables(ctx, from, live, source)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(tables) {
		t := tables[name]
		var defs, sel, names []string
		for _, col := range t.cols {
			typ := col.typ
			if col.userType {
				typ = "text"
			}
			defs = append(defs, pq.QuoteIdentifier(col.name)+" "+typ)
			sel = append(sel, pq.QuoteIdentifier(col.name)+"::text")
			names = append(names, col.name)
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE "+pgQ(keep, name)+" ("+strings.Join(defs, ", ")+")"); err != nil {
			return err
		}
		if err := pgCopyRows(ctx, from, tx, "SELECT "+strings.Join(sel, ", ")+" FROM "+pgQ(live, name), keep, name, names); err != nil {
			return fmt.Errorf("copying %s.%s from the template copy: %w", live, name, err)
		}
	}
	return nil
}

func pgCopyRows(ctx context.Context, from, tx *sql.Tx, query, schema, table string, cols []string) error {
	rows, err := from.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	stmt, err := tx.PrepareContext(ctx, pq.CopyInSchema(schema, table, cols...))
	if err != nil {
		return err
	}
	defer stmt.Close()
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	args := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if v.Valid {
				args[i] = v.String
			} else {
				args[i] = nil
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx)
	return err
}

// pgResolveSchema is s, or the current schema for "".
func pgResolveSchema(ctx context.Context, q pgQueryer, s string) (string, error) {
	if s != "" {
		return s, nil
	}
	var cur sql.NullString
	if err := q.QueryRowContext(ctx, "SELECT current_schema()").Scan(&cur); err != nil {
		return "", err
	}
	if !cur.Valid {
		return "", errors.New("no current schema (search_path is empty)")
	}
	return cur.String, nil
}

func pgQ(schema, name string) string {
	return pq.QuoteIdentifier(schema) + "." + pq.QuoteIdentifier(name)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
