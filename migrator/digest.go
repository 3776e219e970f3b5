package migrator

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// SQLiteTableDigests returns, per table, the sha256 (hex) of its CREATE
// statement, the CREATE statements of its indexes and triggers, and all its
// rows. It exists to prove "every row identical" after a rollback or restore.
//
// Rows are ordered by their values, not by rowid: VACUUM (and so a backup
// made with VACUUM INTO) may renumber rowids of tables without an INTEGER
// PRIMARY KEY, which must not count as a change. Each value is hashed with
// its storage class (typeof: 1 vs 1.0 vs '1' vs X'31'), so the driver's type
// conversions cannot hide a change.
func SQLiteTableDigests(ctx context.Context, dbPath string) (map[string]string, error) {
	db, err := openReadOnly(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tables, err := listTables(ctx, db)
	if err != nil {
		return nil, describeOpenError(dbPath, err)
	}
	digests := make(map[string]string, len(tables))
	for _, t := range tables {
		h := sha256.New()
		writeField(h, t.sql)
		if err := hashAttachedSchema(ctx, db, h, t.name); err != nil {
			return nil, fmt.Errorf("digest of %s in %s: %w", t.name, dbPath, err)
		}
		if err := hashRows(ctx, db, h, t.name); err != nil {
			return nil, fmt.Errorf("digest of %s in %s: %w", t.name, dbPath, err)
		}
		digests[t.name] = hex.EncodeToString(h.Sum(nil))
	}
	return digests, nil
}

// SQLiteTableRowCounts returns the number of rows of every table: a cheap
// first look before the digests, and numbers a report can show.
func SQLiteTableRowCounts(ctx context.Context, dbPath string) (map[string]int64, error) {
	db, err := openReadOnly(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tables, err := listTables(ctx, db)
	if err != nil {
		return nil, describeOpenError(dbPath, err)
	}
	counts := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t.name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting rows of %s in %s: %w", t.name, dbPath, err)
		}
		counts[t.name] = n
	}
	return counts, nil
}

type tableInfo struct{ name, sql string }

func listTables(ctx context.Context, db carryQueryer) ([]tableInfo, error) {
	rows, err := db.QueryContext(ctx,
		`SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []tableInfo
	for rows.Next() {
		var t tableInfo
		if err := rows.Scan(&t.name, &t.sql); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	return tables, rows.Err()
}

// hashAttachedSchema folds in the indexes and triggers of a table: a
// migration that only adds an index changes the schema too.
func hashAttachedSchema(ctx context.Context, db carryQueryer, h hash.Hash, table string) error {
	rows, err := db.QueryContext(ctx,
		`SELECT type, name, coalesce(sql, '') FROM sqlite_master
		 WHERE tbl_name = ? AND type IN ('index', 'trigger') ORDER BY type, name`, table)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var typ, name, stmt string
		if err := rows.Scan(&typ, &name, &stmt); err != nil {
			return err
		}
		writeField(h, typ)
		writeField(h, name)
		writeField(h, stmt)
	}
	return rows.Err()
}

func hashRows(ctx context.Context, db carryQueryer, h hash.Hash, table string) error {
	cols, err := tableColumns(ctx, db, table)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return nil
	}
	// typeof() then the value: the storage class and the exact value (the
	// driver renders a REAL with every digit), cheaper than quote(). The
	// order compares bytes (BINARY, whatever the column's collation) and
	// then the class (1 = 1.0 as values), so only identical rows tie.
	quoted := make([]string, len(cols))
	order := make([]string, len(cols))
	for i, c := range cols {
		q := quoteIdent(c)
		quoted[i] = "typeof(" + q + "), " + q
		order[i] = q + " COLLATE BINARY, typeof(" + q + ")"
	}
	q := fmt.Sprintf("SELECT %s FROM %s ORDER BY %s",
		strings.Join(quoted, ", "), quoteIdent(table), strings.Join(order, ", "))
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	return hashResult(rows, h)
}

// hashResult folds every value of every row into h (NULL and ” apart),
// then the row count, so "no rows" and "one empty row" cannot collide.
// SQLite and PostgreSQL digests share it.
func hashResult(rows *sql.Rows, h hash.Hash) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	// The bytes are writeField's ("v"+value or "n", length first), gathered
	// in a buffer: two hash writes per value cost more than the query
	// (2,000 applied versions are 8,000 values per digest).
	buf := make([]byte, 0, 32<<10)
	var n uint64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for _, v := range vals {
			if v.Valid {
				buf = binary.BigEndian.AppendUint64(buf, uint64(len(v.String)+1))
				buf = append(append(buf, 'v'), v.String...)
			} else {
				buf = binary.BigEndian.AppendUint64(buf, 1)
				buf = append(buf, 'n')
			}
		}
		if len(buf) >= 30<<10 {
			h.Write(buf)
			buf = buf[:0]
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	buf = binary.BigEndian.AppendUint64(buf, n)
	h.Write(buf)
	return nil
}

// tableColumns lists the columns SELECT * would return, without reading a row.
func tableColumns(ctx context.Context, db carryQueryer, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT * FROM "+quoteIdent(table)+" LIMIT 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	return cols, rows.Err()
}

// writeField writes a length-prefixed string so that field boundaries are
// part of the digest ("ab","c" and "a","bc" differ).
func writeField(h hash.Hash, s string) {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(len(s)))
	h.Write(buf[:])
	h.Write([]byte(s))
}
