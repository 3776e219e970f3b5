package migrator

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
)

// CarryReport says what a carry-over kept and what it could not keep.
type CarryReport struct {
	Tables         []CarriedTable `json:"tables"`          // copied, with their row counts
	DroppedTables  []DroppedTable `json:"dropped_tables"`  // only in the old database
	DroppedColumns []DroppedCol   `json:"dropped_columns"` // columns only the old table had
}

type CarriedTable struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

type DroppedTable struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

type DroppedCol struct {
	Table   string `json:"table"`
	Column  string `json:"column"`
	NonNull int64  `json:"non_null"` // rows that held a value in it
}

// SQLiteCarryOver copies the data of oldPath into the freshly migrated
// newPath for every table and column that exists in both: the rows of the
// new table are replaced by the old ones (the old database is the user's
// data). schema_migrations (the given source) keeps its rows as migrated, but
// takes inserted_at from the old database for the versions both have. Foreign
// keys are off during the copy and checked after it; any violation, or any
// error, rolls the copy back and is returned.
func SQLiteCarryOver(ctx context.Context, newPath, oldPath, source string) (*CarryReport, error) {
	if source == "" {
		source = "schema_migrations"
	}
	db, newTables, oldTables, err := openWithOldTables(ctx, newPath, oldPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rep := &CarryReport{}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, t := range newTables {
		if t == source || t == "sqlite_sequence" {
			continue
		}
		if !carryContains(oldTables, t) {
			continue
		}
		newCols, err := schemaColumns(ctx, tx, "main", t)
		if err != nil {
			return nil, err
		}
		oldCols, err := schemaColumns(ctx, tx, "old", t)
		if err != nil {
			return nil, err
		}
		var common []string
		for _, c := range newCols {
			if carryContains(oldCols, c) {
				common = append(common, quoteIdent(c))
			}
		}
		for _, c := range oldCols {
			if !carryContains(newCols, c) {
				var n int64
				q := fmt.Sprintf("SELECT count(*) FROM old.%s WHERE %s IS NOT NULL", quoteIdent(t), quoteIdent(c))
				if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
					return nil, err
				}
				rep.DroppedColumns = append(rep.DroppedColumns, DroppedCol{Table: t, Column: c, NonNull: n})
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM main."+quoteIdent(t)); err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
		cols := strings.Join(common, ", ")
		res, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO main.%s (%s) SELECT %s FROM old.%s", quoteIdent(t), cols, cols, quoteIdent(t)))
		if err != nil {
			return nil, fmt.Errorf("copying table %s: %w", t, err)
		}
		n, _ := res.RowsAffected()
		rep.Tables = append(rep.Tables, CarriedTable{Name: t, Rows: n})
	}
	for _, t := range oldTables {
		if t == source || t == "sqlite_sequence" || carryContains(newTables, t) {
			continue
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM old."+quoteIdent(t)).Scan(&n); err != nil {
			return nil, err
		}
		rep.DroppedTables = append(rep.DroppedTables, DroppedTable{Name: t, Rows: n})
	}
	if carryContains(newTables, source) && carryContains(oldTables, source) {
		q := fmt.Sprintf(`UPDATE main.%[1]s SET inserted_at = (SELECT o.inserted_at FROM old.%[1]s o WHERE o.version = main.%[1]s.version)
			WHERE version IN (SELECT version FROM old.%[1]s)`, quoteIdent(source))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("keeping inserted_at: %w", err)
		}
	}
	if err := keepSequences(ctx, tx, newTables, oldTables); err != nil {
		return nil, err
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, "DETACH DATABASE old"); err != nil {
		return nil, err
	}
	sort.Slice(rep.Tables, func(i, j int) bool { return rep.Tables[i].Name < rep.Tables[j].Name })
	sort.Slice(rep.DroppedTables, func(i, j int) bool { return rep.DroppedTables[i].Name < rep.DroppedTables[j].Name })
	return rep, nil
}

// openWithOld opens newPath read-write on one connection with oldPath
// attached read-only as "old" and foreign keys off (checked after a copy).
// openWithOldTables opens the pair and lists the tables of each (the new
// database's as "main", the old one's as "old").
func openWithOldTables(ctx context.Context, newPath, oldPath string) (db *sql.DB, newTables, oldTables []string, err error) {
	if db, err = openWithOld(ctx, newPath, oldPath); err != nil {
		return nil, nil, nil, err
	}
	if newTables, err = schemaTables(ctx, db, "main"); err == nil {
		oldTables, err = schemaTables(ctx, db, "old")
	}
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return db, newTables, oldTables, nil
}

func openWithOld(ctx context.Context, newPath, oldPath string) (*sql.DB, error) {
	abs, err := filepath.Abs(newPath)
	if err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)", busyTimeoutMillis)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // ATTACH and PRAGMA belong to one connection
	oldAbs, err := filepath.Abs(oldPath)
	if err != nil {
		db.Close()
		return nil, err
	}
	// immutable: the old database is regen's own copy, which no one writes;
	// SQLite then needs no -shm beside a copy of a WAL database.
	oldURI := "file:" + (&url.URL{Path: filepath.ToSlash(oldAbs)}).EscapedPath() + "?mode=ro&immutable=1"
	if _, err := db.ExecContext(ctx, "ATTACH DATABASE ? AS old", oldURI); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot attach the old database %s: %w", oldPath, err)
	}
	// foreign_keys can only change outside a transaction.
	if _, err := db.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// keepSequences keeps AUTOINCREMENT counters at least where the old
// database had them: an id handed out before is not handed out again.
func keepSequences(ctx context.Context, tx *sql.Tx, newTables, oldTables []string) error {
	if !carryContains(newTables, "sqlite_sequence") || !carryContains(oldTables, "sqlite_sequence") {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE main.sqlite_sequence SET seq = max(seq, coalesce((SELECT o.seq FROM old.sqlite_sequence o WHERE o.name = main.sqlite_sequence.name), 0))`)
	return err
}

type carryQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func schemaTables(ctx context.Context, q carryQueryer, schema string) ([]string, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf("SELECT name FROM %s.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_stat%%' ORDER BY name", schema))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func schemaColumns(ctx context.Context, q carryQueryer, schema, table string) ([]string, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf("SELECT name FROM pragma_table_info(%s, %s)", quoteLiteral(table), quoteLiteral(schema)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func foreignKeyCheck(ctx context.Context, q carryQueryer) error {
	rows, err := q.QueryContext(ctx, "PRAGMA main.foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("%s row %d references a missing %s", table, rowid.Int64, parent))
		if len(problems) == 5 {
			break
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the carried-over data breaks foreign keys: %s", strings.Join(problems, "; "))
	}
	return rows.Err()
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func carryContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
