package migrator

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// SQLiteKeepData carries the data of oldPath (the run's pre-run backup
// copy) into the migrated database at newPath (issue 12: dev data survives
// regeneration). Unlike SQLiteCarryOver (the rebuild's, which replaces
// every row), it changes only what the run lost:
//
//   - rows in both (matched by the new table's primary key) get back the
//     old value of every column both tables have, where it differs;
//   - old rows the new table lacks are inserted again (columns both have;
//     a common NOT NULL column with a default takes it for an old NULL);
//   - not kept, and reported: tables and columns the new schema lacks,
//     values that do not convert to a changed column type (see
//     convertsExpr), rows a NOT NULL column without default rejects,
//     tables without a declared primary key (rowids are not stable across
//     a drop and re-create), and rows that break a foreign key after the
//     copy (removed or put back as the run left them: a skip, not a
//     failure).
//
// schema_migrations (source) and sqlite_sequence are left as the run made
// them (counters only grow). Everything runs in one transaction: an error
// leaves the database as the run left it and is returned.
//
// beforeCommit, when set, runs inside the transaction just before it
// commits (regen's fault point "during:keep_data"); its error rolls back.
func SQLiteKeepData(ctx context.Context, newPath, oldPath, source string, beforeCommit func() error) (*KeepReport, error) {
	if source == "" {
		source = "schema_migrations"
	}
	db, newTables, oldTables, err := openWithOldTables(ctx, newPath, oldPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	k := &keeper{tx: tx, rep: &KeepReport{}, inserted: map[string]int64{}, updated: map[[2]string]int64{}}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE regen_keep_touched (tbl TEXT NOT NULL, rid INTEGER NOT NULL, col TEXT, was ANY)`); err != nil {
		return nil, err
	}
	kinds, err := tableKinds(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, t := range oldTables {
		if t == source || t == "sqlite_sequence" || kinds["old"][t] == "shadow" {
			continue // a shadow table's rows belong to its virtual table
		}
		if kinds["old"][t] == "virtual" || kinds["main"][t] == "virtual" {
			// Written through their module (an FTS index is rebuilt from
			// its content): copying rows in could duplicate or break them.
			n, err := k.count(ctx, "SELECT count(*) FROM old."+quoteIdent(t))
			if err != nil { // a module this build lacks: the count is not known
				k.rep.NotKept = append(k.rep.NotKept, NotKeptData{Table: t, Reason: KeepVirtual, Count: -1})
				continue
			}
			k.notKept(t, "", KeepVirtual, n)
			continue
		}
		if !carryContains(newTables, t) {
			if err := k.tableGone(ctx, t); err != nil {
				return nil, err
			}
			continue
		}
		if err := k.table(ctx, t); err != nil {
			return nil, fmt.Errorf("keeping the data of table %s: %w", t, err)
		}
	}
	if err := keepSequences(ctx, tx, newTables, oldTables); err != nil {
		return nil, err
	}
	if err := k.foreignKeys(ctx); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE temp.regen_keep_touched`); err != nil {
		return nil, err
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, "DETACH DATABASE old"); err != nil {
		return nil, err
	}
	k.finish()
	return k.rep, nil
}

// tableKinds is pragma_table_list's type (table, view, shadow, virtual)
// of every table, per schema.
func tableKinds(ctx context.Context, tx *sql.Tx) (map[string]map[string]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT schema, name, type FROM pragma_table_list WHERE schema IN ('main', 'old')")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]string{"main": {}, "old": {}}
	for rows.Next() {
		var schema, name, typ string
		if err := rows.Scan(&schema, &name, &typ); err != nil {
			return nil, err
		}
		out[schema][name] = typ
	}
	return out, rows.Err()
}

// keeper is one carry-over in progress.
type keeper struct {
	tx       *sql.Tx
	rep      *KeepReport
	inserted map[string]int64    // table → rows inserted again
	updated  map[[2]string]int64 // table, column → values put back
	fk       map[string]int64    // table → rows skipped for a foreign key
	err      error               // the first error of a count that returns none
}

// keepCol is one column as pragma_table_info describes it.
type keepCol struct {
	name, decl string
	notNull    bool
	dflt       sql.NullString
	pk         int
}

func keepColumns(ctx context.Context, tx *sql.Tx, schema, table string) ([]keepCol, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(%s, %s) ORDER BY cid`, quoteLiteral(table), quoteLiteral(schema)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []keepCol
	for rows.Next() {
		var c keepCol
		if err := rows.Scan(&c.name, &c.decl, &c.notNull, &c.dflt, &c.pk); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func findCol(cols []keepCol, name string) (keepCol, bool) {
	for _, c := range cols {
		if strings.EqualFold(c.name, name) {
			return c, true
		}
	}
	return keepCol{}, false
}

func (k *keeper) count(ctx context.Context, q string) (int64, error) {
	var n int64
	err := k.tx.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

func (k *keeper) notKept(table, col string, why KeepReason, n int64) {
	if n > 0 {
		k.rep.NotKept = append(k.rep.NotKept, NotKeptData{Table: table, Column: col, Reason: why, Count: n})
	}
}

func (k *keeper) tableGone(ctx context.Context, t string) error {
	n, err := k.count(ctx, "SELECT count(*) FROM old."+quoteIdent(t))
	k.notKept(t, "", KeepTableGone, n)
	return err
}

// table carries one table that exists before and after.
func (k *keeper) table(ctx context.Context, t string) error {
	newCols, err := keepColumns(ctx, k.tx, "main", t)
	if err != nil {
		return err
	}
	oldCols, err := keepColumns(ctx, k.tx, "old", t)
	if err != nil {
		return err
	}
	qt := quoteIdent(t)
	for _, c := range oldCols {
		if _, ok := findCol(newCols, c.name); !ok {
			n, err := k.count(ctx, fmt.Sprintf("SELECT count(*) FROM old.%s WHERE %s IS NOT NULL", qt, quoteIdent(c.name)))
			if err != nil {
				return err
			}
			k.notKept(t, c.name, KeepColumnGone, n)
		}
	}
	var pk []keepCol
	for _, c := range newCols {
		if c.pk > 0 {
			pk = append(pk, c)
		}
	}
	sort.Slice(pk, func(i, j int) bool { return pk[i].pk < pk[j].pk })
	for _, c := range pk {
		if _, ok := findCol(oldCols, c.name); !ok {
			pk = nil // the old rows cannot be matched on a key they lack
			break
		}
	}
	if len(pk) == 0 {
		n, err := k.count(ctx, "SELECT count(*) FROM old."+qt)
		k.notKept(t, "", KeepNoPrimaryKey, n)
		return err
	}
	// Rows are marked (so a foreign key they break can take them out
	// again) only in tables with foreign keys: foreign_key_check reports
	// the child rows, never the parents.
	rowid, err := hasRowid(ctx, k.tx, t)
	if err != nil {
		return err
	}
	if rowid {
		if rowid, err = hasForeignKeys(ctx, k.tx, t); err != nil {
			return err
		}
	}
	var match []string
	for _, c := range pk {
		match = append(match, fmt.Sprintf("n.%[1]s = o.%[1]s", quoteIdent(c.name)))
	}
	on := strings.Join(match, " AND ")
	// Values that do not convert to a changed type stay as the run left
	// them (matched rows) or NULL (inserted rows).
	conv := map[string]string{}
	for _, nc := range newCols {
		oc, ok := findCol(oldCols, nc.name)
		if !ok || nc.pk > 0 || sqliteAffinity(oc.decl) == sqliteAffinity(nc.decl) {
			continue
		}
		e := convertsExpr("o."+quoteIdent(oc.name), sqliteAffinity(nc.decl))
		conv[nc.name] = e
		n, err := k.count(ctx, fmt.Sprintf("SELECT count(*) FROM old.%s o WHERE o.%s IS NOT NULL AND NOT (%s)", qt, quoteIdent(oc.name), e))
		if err != nil {
			return err
		}
		k.notKept(t, nc.name, KeepTypeChanged, n)
	}
	if err := k.putBack(ctx, t, newCols, oldCols, on, conv, rowid); err != nil {
		return err
	}
	return k.insertLost(ctx, t, newCols, oldCols, on, conv, rowid)
}

// putBack gives rows present before and after the old value of every
// common column where the run changed it, one column at a time (the count
// is per column).
func (k *keeper) putBack(ctx context.Context, t string, newCols, oldCols []keepCol, on string, conv map[string]string, track bool) error {
	qt := quoteIdent(t)
	for _, nc := range newCols {
		if nc.pk > 0 {
			continue
		}
		if _, ok := findCol(oldCols, nc.name); !ok {
			continue
		}
		qc := quoteIdent(nc.name)
		where := fmt.Sprintf("%s AND n.%s IS NOT o.%s", on, qc, qc)
		if e, ok := conv[nc.name]; ok {
			where += fmt.Sprintf(" AND (o.%s IS NULL OR (%s))", qc, e)
		}
		if nc.notNull {
			// An old NULL the new column refuses: the run's value stays.
			// With a default that is the default, and no value is lost.
			if !nc.dflt.Valid {
				n, err := k.count(ctx, fmt.Sprintf("SELECT count(*) FROM main.%s n JOIN old.%s o ON %s WHERE o.%s IS NULL", qt, qt, where, qc))
				if err != nil {
					return err
				}
				k.notKept(t, nc.name, KeepNotNull, n)
			}
			where += fmt.Sprintf(" AND o.%s IS NOT NULL", qc)
		}
		if track {
			// What the run had, so a foreign key the value breaks can put it back.
			q := fmt.Sprintf("INSERT INTO temp.regen_keep_touched (tbl, rid, col, was) SELECT %s, n.rowid, %s, n.%s FROM main.%s n JOIN old.%s o ON %s WHERE %s",
				quoteLiteral(t), quoteLiteral(nc.name), qc, qt, qt, on, where)
			if _, err := k.tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		q := fmt.Sprintf("UPDATE main.%s AS n SET %s = o.%s FROM old.%s AS o WHERE %s", qt, qc, qc, qt, where)
		res, err := k.tx.ExecContext(ctx, q)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			k.updated[[2]string{t, nc.name}] += n
		}
	}
	return nil
}

// insertLost inserts again the old rows the new table lacks, for the
// columns both have; rows a NOT NULL column without default would refuse
// are skipped and counted.
func (k *keeper) insertLost(ctx context.Context, t string, newCols, oldCols []keepCol, on string, conv map[string]string, track bool) error {
	qt := quoteIdent(t)
	var cols, vals, refuse []string
	lost := fmt.Sprintf("NOT EXISTS (SELECT 1 FROM main.%s n WHERE %s)", qt, on)
	for _, nc := range newCols {
		qc := quoteIdent(nc.name)
		_, common := findCol(oldCols, nc.name)
		if !common {
			if nc.notNull && !nc.dflt.Valid && nc.pk == 0 {
				refuse = append(refuse, "1") // the old rows have no value: every one
				k.countRefused(ctx, t, nc.name, lost, "")
			}
			continue // its default (or NULL)
		}
		v := "o." + qc
		if e, ok := conv[nc.name]; ok {
			v = fmt.Sprintf("CASE WHEN %s THEN %s END", e, v)
		}
		if nc.notNull && nc.pk == 0 {
			if nc.dflt.Valid {
				v = fmt.Sprintf("coalesce(%s, (%s))", v, nc.dflt.String)
			} else {
				refuse = append(refuse, v+" IS NULL")
				k.countRefused(ctx, t, nc.name, lost, v+" IS NULL")
			}
		}
		cols, vals = append(cols, qc), append(vals, v)
	}
	if err := k.err; err != nil {
		return err
	}
	if len(refuse) > 0 {
		lost += " AND NOT (" + strings.Join(refuse, " OR ") + ")"
	}
	if len(cols) == 0 {
		return nil
	}
	// Which rows were inserted, so a foreign key they break can remove them.
	var mark string
	if track {
		mark = " RETURNING rowid"
	}
	q := fmt.Sprintf("INSERT INTO main.%s (%s) SELECT %s FROM old.%s o WHERE %s%s", qt, strings.Join(cols, ", "), strings.Join(vals, ", "), qt, lost, mark)
	if !track {
		res, err := k.tx.ExecContext(ctx, q)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		k.inserted[t] += n
		return nil
	}
	rows, err := k.tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	var rids []int64
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&rid); err != nil {
			rows.Close()
			return err
		}
		rids = append(rids, rid)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	k.inserted[t] += int64(len(rids))
	return k.markInserted(ctx, t, rids)
}

// markInserted marks the inserted rows in one statement.
func (k *keeper) markInserted(ctx context.Context, t string, rids []int64) error {
	if len(rids) == 0 {
		return nil
	}
	list, err := json.Marshal(rids)
	if err != nil {
		return err
	}
	_, err = k.tx.ExecContext(ctx, "INSERT INTO temp.regen_keep_touched (tbl, rid) SELECT ?, value FROM json_each(?)", t, string(list))
	return err
}

func hasForeignKeys(ctx context.Context, tx *sql.Tx, t string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT count(*) FROM pragma_foreign_key_list(?, 'main')", t).Scan(&n)
	return n > 0, err
}

// countRefused counts the lost rows that column col refuses (cond empty: a
// NOT NULL column without default the old table lacks refuses them all).
func (k *keeper) countRefused(ctx context.Context, t, col, lost, cond string) {
	if k.err != nil {
		return
	}
	where := lost
	if cond != "" {
		where += " AND " + cond
	}
	n, err := k.count(ctx, fmt.Sprintf("SELECT count(*) FROM old.%s o WHERE %s", quoteIdent(t), where))
	if err != nil {
		k.err = err
		return
	}
	k.notKept(t, col, KeepNotNull, n)
}

// hasRowid: WITHOUT ROWID tables cannot have their rows marked; a foreign
// key they break then fails the carry (rolled back) instead of being skipped.
func hasRowid(ctx context.Context, tx *sql.Tx, t string) (bool, error) {
	var wr int
	err := tx.QueryRowContext(ctx, "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?", t).Scan(&wr)
	return wr == 0, err
}

// foreignKeys checks the foreign keys after the copy: a row the carry
// inserted that breaks one is removed, a row it changed gets the run's
// values back, until no row of the carry breaks one. Rows the run itself
// left breaking one are not the carry's to touch.
func (k *keeper) foreignKeys(ctx context.Context) error {
	k.fk = map[string]int64{}
	for {
		bad, err := k.violations(ctx)
		if err != nil || len(bad) == 0 {
			return err
		}
		undone := 0
		for _, b := range bad {
			n, err := k.undo(ctx, b.table, b.rid)
			if err != nil {
				return err
			}
			undone += n
		}
		if undone == 0 {
			return nil // only the run's own rows break foreign keys
		}
	}
}

type fkRow struct {
	table string
	rid   int64
}

func (k *keeper) violations(ctx context.Context) ([]fkRow, error) {
	rows, err := k.tx.QueryContext(ctx, "PRAGMA main.foreign_key_check")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[fkRow]bool{}
	var out []fkRow
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return nil, err
		}
		if !rowid.Valid {
			return nil, fmt.Errorf("the kept data of %s (a WITHOUT ROWID table) references a missing %s, and its rows cannot be told apart: run with --no-keep-data", table, parent)
		}
		r := fkRow{table, rowid.Int64}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// undo takes the carry's part out of one row: 1 when it had one.
func (k *keeper) undo(ctx context.Context, t string, rid int64) (int, error) {
	rows, err := k.tx.QueryContext(ctx, "SELECT col, was FROM temp.regen_keep_touched WHERE tbl = ? AND rid = ?", t, rid)
	if err != nil {
		return 0, err
	}
	type cell struct {
		col sql.NullString
		was any
	}
	var cells []cell
	for rows.Next() {
		var c cell
		if err := rows.Scan(&c.col, &c.was); err != nil {
			rows.Close()
			return 0, err
		}
		cells = append(cells, c)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if len(cells) == 0 {
		return 0, nil
	}
	qt := quoteIdent(t)
	for _, c := range cells {
		if !c.col.Valid {
			if _, err := k.tx.ExecContext(ctx, fmt.Sprintf("DELETE FROM main.%s WHERE rowid = ?", qt), rid); err != nil {
				return 0, err
			}
			k.inserted[t]--
			continue
		}
		if _, err := k.tx.ExecContext(ctx, fmt.Sprintf("UPDATE main.%s SET %s = ? WHERE rowid = ?", qt, quoteIdent(c.col.String)), c.was, rid); err != nil {
			return 0, err
		}
		k.updated[[2]string{t, c.col.String}]--
	}
	if _, err := k.tx.ExecContext(ctx, "DELETE FROM temp.regen_keep_touched WHERE tbl = ? AND rid = ?", t, rid); err != nil {
		return 0, err
	}
	k.fk[t]++
	return 1, nil
}

// finish turns the counts into the report, sorted by table and column.
func (k *keeper) finish() {
	for t, n := range k.inserted {
		if n > 0 {
			k.rep.Kept = append(k.rep.Kept, KeptData{Table: t, Rows: n})
		}
	}
	for tc, n := range k.updated {
		if n > 0 {
			k.rep.Kept = append(k.rep.Kept, KeptData{Table: tc[0], Column: tc[1], Rows: n})
		}
	}
	for t, n := range k.fk {
		k.notKept(t, "", KeepForeignKey, n)
	}
	sort.Slice(k.rep.Kept, func(i, j int) bool {
		a, b := k.rep.Kept[i], k.rep.Kept[j]
		return a.Table < b.Table || a.Table == b.Table && a.Column < b.Column
	})
	sort.SliceStable(k.rep.NotKept, func(i, j int) bool {
		a, b := k.rep.NotKept[i], k.rep.NotKept[j]
		return a.Table < b.Table || a.Table == b.Table && a.Column < b.Column
	})
}

// sqliteAffinity is the column affinity SQLite gives a declared type
// (https://sqlite.org/datatype3.html, 3.1, rules in order).
func sqliteAffinity(decl string) string {
	d := strings.ToUpper(decl)
	switch {
	case strings.Contains(d, "INT"):
		return "INTEGER"
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return "TEXT"
	case strings.Contains(d, "BLOB"), d == "":
		return "BLOB"
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return "REAL"
	}
	return "NUMERIC"
}

// convertsExpr is SQL that is true when the (non-NULL) value v survives
// the change to affinity aff: CAST to the new affinity and back to v's
// own storage class gives v again. '12' → INTEGER converts, 'abc' or
// '012' → INTEGER and 1.5 → INTEGER do not; anything → BLOB (no
// affinity) converts. Each branch compares two values of one storage
// class, so no affinity conversion of the comparison itself interferes.
func convertsExpr(v, aff string) string {
	if aff == "BLOB" {
		return "1"
	}
	back := func(class string) string {
		return fmt.Sprintf("CAST(CAST(%s AS %s) AS %s) = CAST(%s AS %s)", v, aff, class, v, class)
	}
	return fmt.Sprintf("CASE typeof(%s) WHEN 'integer' THEN %s WHEN 'real' THEN %s WHEN 'text' THEN %s WHEN 'blob' THEN %s ELSE 1 END",
		v, back("INTEGER"), back("REAL"), back("TEXT"), back("BLOB"))
}

// TableColumn names one column of one table.
type TableColumn struct{ Table, Column string }

// SQLiteNonNullCounts counts, read only, the non-NULL values of each
// column (the keep_data forecast). A column or table that does not exist
// is left out.
func SQLiteNonNullCounts(ctx context.Context, dbPath string, cols []TableColumn) (map[TableColumn]int64, error) {
	db, err := openReadOnly(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := map[TableColumn]int64{}
	for _, c := range cols {
		var exists int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?", c.Table, c.Column).Scan(&exists); err != nil {
			return nil, err
		}
		if exists == 0 {
			continue
		}
		var n int64
		if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(%s) FROM %s", quoteIdent(c.Column), quoteIdent(c.Table))).Scan(&n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, nil
}
