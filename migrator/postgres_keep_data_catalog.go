package migrator

import (
	"context"
	"database/sql"
	"sort"

	"github.com/lib/pq"
)

// The catalog facts the PostgreSQL carry-over (postgres_keep_data.go) reads
// about the tables of one schema.

type pgQueryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

type pgKeepCol struct {
	name     string
	typ      string // format_type: usable after ::
	userType bool   // not a built-in type: kept as text in regen's copies
	notNull  bool
	deflt    string // default expression, "" none
	identity bool   // GENERATED … AS IDENTITY
	computed bool   // GENERATED ALWAYS AS (…) STORED: never written
}

type pgKeepFK struct {
	cols         []string
	parentSchema string
	parent       string
	parentCols   []string
}

type pgKeepTable struct {
	name string
	cols []pgKeepCol
	pk   []string
	fks  []pgKeepFK
}

func (t *pgKeepTable) col(name string) (pgKeepCol, bool) {
	for _, c := range t.cols {
		if c.name == name {
			return c, true
		}
	}
	return pgKeepCol{}, false
}

// pgKeepTables lists schema's ordinary and partitioned tables (not skip),
// sorted by name, with columns in attnum order, primary key and foreign keys.
func pgKeepTables(ctx context.Context, q pgQueryer, schema, skip string) (map[string]*pgKeepTable, error) {
	tables := map[string]*pgKeepTable{}
	rows, err := q.QueryContext(ctx, `
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       t.typnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace),
       a.attnotnull, coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity <> '', a.attgenerated <> ''
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> $2
ORDER BY c.relname, a.attnum`, pq.QuoteIdentifier(schema), skip)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var tname string
		var c pgKeepCol
		if err := rows.Scan(&tname, &c.name, &c.typ, &c.userType, &c.notNull, &c.deflt, &c.identity, &c.computed); err != nil {
			rows.Close()
			return nil, err
		}
		if c.computed {
			c.deflt = "" // not a default: the expression is the value
		}
		t := tables[tname]
		if t == nil {
			t = &pgKeepTable{name: tname}
			tables[tname] = t
		}
		t.cols = append(t.cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Keys: conkey/confkey in order, resolved to names.
	rows, err = q.QueryContext(ctx, `
SELECT c.relname, k.contype,
       array(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i)::text[],
       coalesce(pn.nspname, ''), coalesce(p.relname, ''),
       array(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i)::text[]
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_catalog.pg_class p ON p.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relnamespace = $1::regnamespace AND k.contype IN ('p', 'f')
ORDER BY c.relname, k.conname`, pq.QuoteIdentifier(schema))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var tname, kind, pschema, parent string
		var cols, pcols pq.StringArray
		if err := rows.Scan(&tname, &kind, &cols, &pschema, &parent, &pcols); err != nil {
			return nil, err
		}
		t := tables[tname]
		if t == nil {
			continue
		}
		if kind == "p" {
			t.pk = cols
		} else {
			t.fks = append(t.fks, pgKeepFK{cols: cols, parentSchema: pschema, parent: parent, parentCols: pcols})
		}
	}
	return tables, rows.Err()
}

// pgParentsFirst orders the tables so every table comes after the tables
// of the same schema its foreign keys name (a cycle is broken by name).
func pgParentsFirst(tables map[string]*pgKeepTable, schema string) []string {
	var names []string
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	done, visiting := map[string]bool{}, map[string]bool{}
	var out []string
	var visit func(n string)
	visit = func(n string) {
		if done[n] || visiting[n] {
			return
		}
		visiting[n] = true
		for _, fk := range tables[n].fks {
			if fk.parentSchema == schema && fk.parent != n && tables[fk.parent] != nil {
				visit(fk.parent)
			}
		}
		visiting[n], done[n] = false, true
		out = append(out, n)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}
