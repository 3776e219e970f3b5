package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
)

// PGKeepSource is where the pre-run rows of a PostgreSQL carry-over are:
// the run's template copy (CopyDB), or regen's keep schemas in the live
// database (Schemas: schema → keep schema, from PGPrepareKeep).
type PGKeepSource struct {
	CopyDB  string
	Schemas map[string]string
	RunID   string // names the transient keep schemas of a CopyDB carry
}

// PGKeepData carries the pre-run data of each schema ("" = the current
// schema) back into c's migrated database (issue 12), one report per
// schema, in one transaction:
//
//   - tables in order of their foreign keys, parents first;
//   - rows in both (matched by the new table's primary key) get back, column
//     by column, the pre-run value where it differs;
//   - pre-run rows the table lacks are inserted again (columns both have; a
//     NOT NULL column's default stands in for a NULL; identity values kept
//     and sequences moved past them; a self-referencing table in rounds);
//   - a value of a changed column type is kept when its text form is valid
//     input for the new type (the same as '…'::newtype), else not kept;
//   - not kept and reported: tables and columns gone, values that do not
//     convert, rows a NOT NULL column rejects, tables without a primary
//     key, rows whose parent row is gone (skipped: the run does not fail),
//     rows another unique or check constraint rejects.
//
// A CopyDB's tables are first copied (COPY) into keep schemas inside the
// transaction, dropped before it commits. beforeCommit runs just before
// the commit (regen's fault point); any error rolls everything back.
func PGKeepData(ctx context.Context, c PGConn, src PGKeepSource, schemas []string, source string, beforeCommit func() error) ([]KeepReport, error) {
	if source == "" {
		source = "schema_migrations"
	}
	db, err := openPG(ctx, c)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, c.fail("carrying data into "+c.Database(), err)
	}
	defer tx.Rollback()
	if err := pgKeepValidFunc(ctx, tx); err != nil {
		return nil, c.fail("carrying data into "+c.Database(), err)
	}
	var from *sql.Tx
	if src.CopyDB != "" {
		if !strings.HasPrefix(src.CopyDB, PGBackupPrefix) {
			return nil, fmt.Errorf("refusing to carry data from %q: not a regen backup", src.CopyDB)
		}
		cdb, err := openPG(ctx, c.WithDatabase(src.CopyDB))
		if err != nil {
			return nil, err
		}
		defer cdb.Close()
		if from, err = cdb.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}); err != nil {
			return nil, c.fail("reading "+src.CopyDB, err)
		}
		defer from.Rollback()
	}
	var reps []KeepReport
	var transient []string
	for i, s := range schemas {
		live, err := pgResolveSchema(ctx, tx, s)
		if err != nil {
			return nil, c.fail("carrying data into "+c.Database(), err)
		}
		keep := src.Schemas[s]
		if from != nil {
			if keep, err = PGKeepSchemaName(src.RunID+"c", i+1); err != nil {
				return nil, err
			}
			if err := pgCopyIntoKeep(ctx, from, tx, live, keep, src.RunID, source); err != nil {
				return nil, c.fail("carrying data into "+c.Database(), err)
			}
			transient = append(transient, keep)
		}
		if keep == "" {
			return nil, fmt.Errorf("no pre-run copy of schema %q to carry data from", live)
		}
		rep := KeepReport{}
		if s != "" {
			rep.Schema = s
		}
		k := &pgKeeper{tx: tx, live: live, keep: keep, rep: &rep}
		if err := k.run(ctx, source); err != nil {
			return nil, c.fail(fmt.Sprintf("carrying data into %s (schema %s; nothing was changed)", c.Database(), live), err)
		}
		reps = append(reps, rep)
	}
	for _, keep := range transient {
		if _, err := tx.ExecContext(ctx, "DROP SCHEMA "+pq.QuoteIdentifier(keep)+" CASCADE"); err != nil {
			return nil, c.fail("dropping "+keep, err)
		}
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, c.fail("carrying data into "+c.Database(), err)
	}
	return reps, nil
}

// pgKeepValidFunc is the "does this text convert" test (PostgreSQL 16's
// pg_input_is_valid, for every version): the input function in a
// sub-transaction.
func pgKeepValidFunc(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE FUNCTION pg_temp.regen_keep_valid(v text, t text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT %L::%s', v, t);
  RETURN true;
EXCEPTION WHEN others THEN
  RETURN false;
END $$`)
	return err
}

// pgKeeper carries one schema.
type pgKeeper struct {
	tx         *sql.Tx
	live, keep string
	rep        *KeepReport
	sp         int
	rejected   pq.ErrorCode // the last constraint that rejected a statement
}

func (k *pgKeeper) kept(table, col string, n int64) {
	if n > 0 {
		k.rep.Kept = append(k.rep.Kept, KeptData{Table: table, Column: col, Rows: n})
	}
}

func (k *pgKeeper) notKept(table, col string, why KeepReason, n int64) {
	if n > 0 {
		k.rep.NotKept = append(k.rep.NotKept, NotKeptData{Table: table, Column: col, Reason: why, Count: n})
	}
}

func (k *pgKeeper) count(ctx context.Context, q string) (int64, error) {
	var n int64
	err := k.tx.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

func (k *pgKeeper) run(ctx context.Context, source string) error {
	olds, err := pgKeepTables(ctx, k.tx, k.keep, source)
	if err != nil {
		return err
	}
	news, err := pgKeepTables(ctx, k.tx, k.live, source)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(olds) {
		if news[name] == nil {
			n, err := k.count(ctx, "SELECT count(*) FROM "+pgQ(k.keep, name))
			if err != nil {
				return err
			}
			k.notKept(name, "", KeepTableGone, n)
		}
	}
	for _, name := range pgParentsFirst(news, k.live) {
		if old := olds[name]; old != nil {
			if err := k.table(ctx, old, news[name]); err != nil {
				return fmt.Errorf("table %s: %w", name, err)
			}
		}
	}
	return nil
}

// conv is the pre-run value of column c as the new column's type, and the
// test that it converts ("" when it always does).
func conv(old, nw pgKeepCol) (expr, ok string) {
	e := "s." + pq.QuoteIdentifier(old.name)
	if old.typ == nw.typ && !old.userType {
		return e, ""
	}
	ok = "(" + e + " IS NULL OR pg_temp.regen_keep_valid(" + e + "::text, " + pq.QuoteLiteral(nw.typ) + "))"
	return "CASE WHEN " + ok + " THEN " + e + "::text::" + nw.typ + " END", ok
}

func (k *pgKeeper) table(ctx context.Context, old, nw *pgKeepTable) error {
	from := pgQ(k.keep, old.name) + " AS s"
	dst := pgQ(k.live, nw.name)
	var common []string
	exprs, oks := map[string]string{}, map[string]string{}
	for _, oc := range old.cols {
		nc, ok := nw.col(oc.name)
		if !ok {
			n, err := k.count(ctx, "SELECT count("+pq.QuoteIdentifier(oc.name)+") FROM "+from)
			if err != nil {
				return err
			}
			k.notKept(old.name, oc.name, KeepColumnGone, n)
			continue
		}
		if nc.computed {
			continue
		}
		common = append(common, oc.name)
		exprs[oc.name], oks[oc.name] = conv(oc, nc)
		if oks[oc.name] != "" {
			n, err := k.count(ctx, "SELECT count(*) FROM "+from+" WHERE NOT "+oks[oc.name])
			if err != nil {
				return err
			}
			k.notKept(old.name, oc.name, KeepTypeChanged, n)
		}
	}
	pkOK := len(nw.pk) > 0
	for _, p := range nw.pk {
		if _, ok := exprs[p]; !ok {
			pkOK = false
		}
	}
	if !pkOK {
		return k.noPrimaryKey(ctx, old, nw, common, exprs)
	}
	var match []string
	for _, p := range nw.pk {
		match = append(match, "d."+pq.QuoteIdentifier(p)+" = "+exprs[p])
	}
	on := strings.Join(match, " AND ")
	isPK := map[string]bool{}
	for _, p := range nw.pk {
		isPK[p] = true
	}
	// Values of rows in both.
	type change struct{ name, q, e, cond string }
	var changes []change
	for _, name := range common {
		if isPK[name] {
			continue
		}
		nc, _ := nw.col(name)
		oc, _ := old.col(name)
		e, q := exprs[name], pq.QuoteIdentifier(name)
		where := []string{"d." + q + " IS DISTINCT FROM " + e}
		if oks[name] != "" {
			where = append(where, oks[name])
		}
		if nc.notNull {
			where = append(where, e+" IS NOT NULL")
		}
		cond := strings.Join(where, " AND ")
		fk := k.fkOK(nw, func(c string) string {
			if c == name {
				return e
			}
			return "d." + pq.QuoteIdentifier(c)
		}, map[string]bool{name: true})
		if nc.notNull && nc.deflt == "" && !oc.notNull {
			// An old NULL the new NOT NULL column rejects (with a default,
			// the default stays: no value is lost, as on SQLite).
			n, err := k.count(ctx, "SELECT count(*) FROM "+dst+" AS d, "+from+" WHERE "+on+" AND d."+q+" IS NOT NULL AND s."+q+" IS NULL")
			if err != nil {
				return err
			}
			k.notKept(nw.name, name, KeepNotNull, n)
		}
		if fk != "" {
			n, err := k.count(ctx, "SELECT count(*) FROM "+dst+" AS d, "+from+" WHERE "+on+" AND "+cond+" AND NOT ("+fk+")")
			if err != nil {
				return err
			}
			k.notKept(nw.name, name, KeepForeignKey, n)
			cond += " AND " + fk
		}
		changes = append(changes, change{name, q, e, "(" + cond + ")"})
	}
	if len(changes) > 0 {
		// One join counts every column's changes; one UPDATE writes each
		// changed row once. A constraint that rejects it sends the table
		// column by column, so only the rejected column's rows are skipped.
		var filters []string
		for _, ch := range changes {
			filters = append(filters, "count(*) FILTER (WHERE "+ch.cond+")")
		}
		counts := make([]int64, len(changes))
		ptrs := make([]any, len(changes))
		for i := range counts {
			ptrs[i] = &counts[i]
		}
		if err := k.tx.QueryRowContext(ctx, "SELECT "+strings.Join(filters, ", ")+" FROM "+dst+" AS d, "+from+" WHERE "+on).Scan(ptrs...); err != nil {
			return err
		}
		var sets, anyCond []string
		for i, ch := range changes {
			if counts[i] > 0 {
				sets = append(sets, ch.q+" = CASE WHEN "+ch.cond+" THEN "+ch.e+" ELSE d."+ch.q+" END")
				anyCond = append(anyCond, ch.cond)
			}
		}
		if len(sets) > 0 {
			ok, _, err := k.try(ctx, "UPDATE "+dst+" AS d SET "+strings.Join(sets, ", ")+" FROM "+from+" WHERE "+on+" AND ("+strings.Join(anyCond, " OR ")+")")
			if err != nil {
				return err
			}
			for i, ch := range changes {
				if counts[i] == 0 {
					continue
				}
				if ok {
					k.kept(nw.name, ch.name, counts[i])
					continue
				}
				where := on + " AND " + ch.cond
				n, err := k.guarded(ctx, "UPDATE "+dst+" AS d SET "+ch.q+" = "+ch.e+" FROM "+from+" WHERE "+where, "SELECT count(*) FROM "+dst+" AS d, "+from+" WHERE "+where, nw.name, ch.name)
				if err != nil {
					return err
				}
				k.kept(nw.name, ch.name, n)
			}
		}
	}
	return k.lostRows(ctx, old, nw, common, exprs, oks, on)
}

// fkOK is the condition that every foreign key of t touching a column in
// cols finds its parent (MATCH SIMPLE: a NULL in the key passes); val gives
// each key column's new value. "" when no key touches cols.
func (k *pgKeeper) fkOK(t *pgKeepTable, val func(string) string, cols map[string]bool) string {
	var conds []string
	for _, fk := range t.fks {
		touches := false
		for _, c := range fk.cols {
			touches = touches || cols[c]
		}
		if !touches {
			continue
		}
		var nulls, eqs []string
		for i, c := range fk.cols {
			v := val(c)
			nulls = append(nulls, v+" IS NULL")
			eqs = append(eqs, "p."+pq.QuoteIdentifier(fk.parentCols[i])+" = "+v)
		}
		conds = append(conds, "("+strings.Join(nulls, " OR ")+" OR EXISTS (SELECT 1 FROM "+pgQ(fk.parentSchema, fk.parent)+" AS p WHERE "+strings.Join(eqs, " AND ")+"))")
	}
	return strings.Join(conds, " AND ")
}

// lostRows inserts again the pre-run rows the table lacks.
func (k *pgKeeper) lostRows(ctx context.Context, old, nw *pgKeepTable, common []string, exprs, oks map[string]string, on string) error {
	dst := pgQ(k.live, nw.name)
	from := pgQ(k.keep, old.name) + " AS s"
	lost := "NOT EXISTS (SELECT 1 FROM " + dst + " AS d WHERE " + on + ")"
	inCommon := map[string]bool{}
	var cols, vals []string
	vals1 := map[string]string{}
	for _, name := range common {
		nc, _ := nw.col(name)
		e := exprs[name]
		if nc.notNull && nc.deflt != "" && !containsStr(nw.pk, name) {
			e = "COALESCE(" + e + ", " + nc.deflt + ")"
		}
		inCommon[name] = true
		cols = append(cols, pq.QuoteIdentifier(name))
		vals = append(vals, e)
		vals1[name] = e
	}
	// A row is insertable when its key converts, every NOT NULL column has
	// a value, and its parents are there.
	var pkConds []string
	for _, p := range nw.pk {
		pkConds = append(pkConds, vals1[p]+" IS NOT NULL")
	}
	type nn struct{ col, cond string }
	var notNulls []nn
	for _, nc := range nw.cols {
		if !nc.notNull || nc.computed || nc.identity && !inCommon[nc.name] || containsStr(nw.pk, nc.name) {
			continue
		}
		switch {
		case inCommon[nc.name]:
			notNulls = append(notNulls, nn{nc.name, vals1[nc.name] + " IS NOT NULL"})
		case nc.deflt == "":
			notNulls = append(notNulls, nn{nc.name, "false"})
		}
	}
	fk := k.fkOK(nw, func(c string) string {
		if v, ok := vals1[c]; ok {
			return v
		}
		return "NULL"
	}, inCommon)
	good := []string{lost}
	good = append(good, pkConds...)
	for _, n := range notNulls {
		good = append(good, n.cond)
	}
	if fk != "" {
		good = append(good, fk)
	}
	sel := " SELECT " + strings.Join(vals, ", ") + " FROM " + from + " WHERE " + strings.Join(good, " AND ")
	ins := "INSERT INTO " + dst + " (" + strings.Join(cols, ", ") + ") OVERRIDING SYSTEM VALUE" + sel + " ON CONFLICT DO NOTHING"
	selfRef := false
	for _, f := range nw.fks {
		selfRef = selfRef || f.parentSchema == k.live && f.parent == nw.name
	}
	var total int64
	for {
		// A self-referencing table goes in rounds: each round's rows are
		// the parents of the next.
		n, err := k.guarded(ctx, ins, "SELECT count(*) FROM ("+sel+") x", nw.name, "")
		if err != nil {
			return err
		}
		total += n
		if n == 0 || !selfRef {
			break
		}
	}
	k.kept(nw.name, "", total)
	if total > 0 {
		if err := k.bumpSequences(ctx, nw); err != nil {
			return err
		}
	}
	// What is still lost, by first reason.
	lostWhere := " FROM " + from + " WHERE " + lost
	if len(pkConds) > 0 {
		n, err := k.count(ctx, "SELECT count(*)"+lostWhere+" AND NOT ("+strings.Join(pkConds, " AND ")+")")
		if err != nil {
			return err
		}
		k.notKept(nw.name, "", KeepTypeChanged, n)
		lostWhere += " AND " + strings.Join(pkConds, " AND ")
	}
	for _, n := range notNulls {
		c, err := k.count(ctx, "SELECT count(*)"+lostWhere+" AND NOT ("+n.cond+")")
		if err != nil {
			return err
		}
		k.notKept(nw.name, n.col, KeepNotNull, c)
		lostWhere += " AND " + n.cond
	}
	if fk != "" {
		c, err := k.count(ctx, "SELECT count(*)"+lostWhere+" AND NOT ("+fk+")")
		if err != nil {
			return err
		}
		k.notKept(nw.name, "", KeepForeignKey, c)
		lostWhere += " AND " + fk
	}
	c, err := k.count(ctx, "SELECT count(*)"+lostWhere)
	if err != nil {
		return err
	}
	k.notKept(nw.name, "", KeepConstraint, c)
	return nil
}

// noPrimaryKey reports the pre-run rows of a table without a primary key
// that the final table does not hold as they were (compared as text).
func (k *pgKeeper) noPrimaryKey(ctx context.Context, old, nw *pgKeepTable, common []string, exprs map[string]string) error {
	n, err := k.count(ctx, "SELECT count(*) FROM "+pgQ(k.keep, old.name))
	if err != nil || n == 0 || len(common) == 0 {
		k.notKept(old.name, "", KeepNoPrimaryKey, n)
		return err
	}
	var a, b []string
	for _, c := range common {
		a = append(a, pq.QuoteIdentifier(c)+"::text")
		b = append(b, pq.QuoteIdentifier(c)+"::text")
	}
	n, err = k.count(ctx, "SELECT count(*) FROM (SELECT "+strings.Join(a, ", ")+" FROM "+pgQ(k.keep, old.name)+" EXCEPT ALL SELECT "+strings.Join(b, ", ")+" FROM "+pgQ(k.live, nw.name)+") x")
	k.notKept(old.name, "", KeepNoPrimaryKey, n)
	return err
}

// bumpSequences moves each column's sequence past the largest value, so
// the application's next insert does not collide with a row put back.
func (k *pgKeeper) bumpSequences(ctx context.Context, t *pgKeepTable) error {
	dst := pgQ(k.live, t.name)
	for _, c := range t.cols {
		var seq sql.NullString
		if err := k.tx.QueryRowContext(ctx, "SELECT pg_get_serial_sequence($1, $2)", dst, c.name).Scan(&seq); err != nil {
			return err
		}
		if !seq.Valid {
			continue
		}
		q := "SELECT setval($1::regclass, m) FROM (SELECT max(" + pq.QuoteIdentifier(c.name) + ")::bigint AS m FROM " + dst + ") x WHERE m IS NOT NULL AND m > coalesce(pg_sequence_last_value($1::regclass), 0)"
		if _, err := k.tx.ExecContext(ctx, q, seq.String); err != nil {
			return err
		}
	}
	return nil
}

// guarded runs stmt in a savepoint. When a constraint rejects it (class 23:
// a unique index, a check, a trigger's not-null), it is undone and its
// rows (counted by count) reported as not kept: a skip, never a failed run.
func (k *pgKeeper) guarded(ctx context.Context, stmt, count, table, col string) (int64, error) {
	ok, n, err := k.try(ctx, stmt)
	if err != nil || ok {
		return n, err
	}
	c, err := k.count(ctx, count)
	if err != nil {
		return 0, err
	}
	why := KeepConstraint
	switch k.rejected {
	case "23502":
		why = KeepNotNull
	case "23503":
		why = KeepForeignKey
	}
	k.notKept(table, col, why, c)
	return 0, nil
}

// try runs stmt in a savepoint: ok false (and k.rejected the code) when a
// constraint rejected it and it was undone.
func (k *pgKeeper) try(ctx context.Context, stmt string) (ok bool, n int64, err error) {
	k.sp++
	sp := fmt.Sprintf("regen_keep_%d", k.sp)
	if _, err := k.tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
		return false, 0, err
	}
	res, err := k.tx.ExecContext(ctx, stmt)
	if err == nil {
		n, _ = res.RowsAffected()
		_, err = k.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+sp)
		return err == nil, n, err
	}
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code.Class() != "23" {
		return false, 0, err
	}
	if _, rerr := k.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+sp); rerr != nil {
		return false, 0, errors.Join(err, rerr)
	}
	k.rejected = pe.Code
	return false, 0, nil
}

func containsStr(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
