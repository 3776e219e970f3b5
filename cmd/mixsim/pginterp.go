package main

// The migration DSL rendered as PostgreSQL DDL, the way Ecto's Postgres
// adapter does it: types, prefixes (the migration's --prefix is every
// table's default schema), references, modify, drop constraint.

import (
	"fmt"
	"strings"
)

// pgType is Ecto.Adapters.Postgres's column type for a migration type.
func pgType(t string) string {
	switch t {
	case "string":
		return "varchar(255)"
	case "binary_id":
		return "uuid"
	case "id":
		return "bigint"
	case "utc_datetime", "naive_datetime":
		return "timestamp(0)"
	case "utc_datetime_usec", "naive_datetime_usec":
		return "timestamp"
	case "time":
		return "time(0)"
	case "time_usec":
		return "time"
	case "map":
		return "jsonb"
	case "decimal":
		return "numeric"
	case "float":
		return "float"
	case "binary":
		return "bytea"
	}
	return t
}

func pgDefaultSQL(v value) string {
	switch v.kind {
	case vBool:
		if v.b {
			return "true"
		}
		return "false"
	case vString:
		return "'" + strings.ReplaceAll(v.s, "'", "''") + "'"
	}
	return defaultSQL(v)
}

// pgPrefixOf resolves a prefix: option: prefix() is the migration's
// prefix, a string is itself, none is the migration's prefix.
func pgPrefixOf(opts value, migPrefix string) string {
	if v, ok := opts.get("prefix"); ok {
		switch v.kind {
		case vString, vAtom:
			return v.s
		case vCall:
			if v.s == "prefix" {
				return migPrefix
			}
		}
	}
	return migPrefix
}

func pgName(prefix, name string) string {
	if prefix == "" {
		return quoteIdent(name)
	}
	return quoteIdent(prefix) + "." + quoteIdent(name)
}

// pgLogName is how Ecto logs a table: org_a.notes, or notes.
func pgLogName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// pgReference renders a references(...) type: the column type and the
// REFERENCES clause (without the column name).
func pgReference(ref value, migPrefix string) (typ, clause, name string) {
	kw := value{kind: vKeyword}
	if len(ref.args) > 1 && ref.args[len(ref.args)-1].kind == vKeyword {
		kw = ref.args[len(ref.args)-1]
	}
	typ = "bigint"
	if v, ok := kw.get("type"); ok {
		typ = pgType(v.s)
	}
	col := "id"
	if v, ok := kw.get("column"); ok {
		col = v.s
	}
	if v, ok := kw.get("name"); ok {
		name = v.s
	}
	clause = "REFERENCES " + pgName(pgPrefixOf(kw, migPrefix), ref.args[0].s) + "(" + quoteIdent(col) + ")"
	if v, ok := kw.get("on_delete"); ok && v.kind == vAtom {
		switch v.s {
		case "delete_all":
			clause += " ON DELETE CASCADE"
		case "nilify_all":
			clause += " ON DELETE SET NULL"
		case "restrict":
			clause += " ON DELETE RESTRICT"
		}
	}
	return typ, clause, name
}

func pgColumnDef(c colOp, migPrefix string, pkInline bool) (string, error) {
	var b strings.Builder
	b.WriteString(quoteIdent(c.name))
	refClause, refName := "", ""
	switch c.typ.kind {
	case vAtom:
		b.WriteString(" " + pgType(c.typ.s))
	case vCall:
		if c.typ.s != "references" || len(c.typ.args) == 0 {
			return "", fmt.Errorf("unsupported column type %s(...)", c.typ.s)
		}
		typ, clause, name := pgReference(c.typ, migPrefix)
		b.WriteString(" " + typ)
		refClause, refName = clause, name
	default:
		return "", fmt.Errorf("column %s has no type", c.name)
	}
	if v, ok := c.opts.get("default"); ok {
		b.WriteString(" DEFAULT " + pgDefaultSQL(v))
	}
	if v, ok := c.opts.get("null"); ok && v.kind == vBool && !v.b {
		b.WriteString(" NOT NULL")
	}
	if v, ok := c.opts.get("primary_key"); ok && v.kind == vBool && v.b && pkInline {
		b.WriteString(" PRIMARY KEY")
	}
	if refClause != "" {
		if refName != "" {
			b.WriteString(" CONSTRAINT " + quoteIdent(refName))
		}
		b.WriteString(" " + refClause)
	}
	return b.String(), nil
}

// pgModify renders `modify :col, type, opts` as ALTER COLUMN clauses.
func pgModify(c colOp, migPrefix string) ([]string, error) {
	col := quoteIdent(c.name)
	var parts []string
	switch c.typ.kind {
	case vAtom:
		t := pgType(c.typ.s)
		parts = append(parts, "ALTER COLUMN "+col+" TYPE "+t+" USING "+col+"::"+t)
	case vCall:
		if c.typ.s != "references" || len(c.typ.args) == 0 {
			return nil, fmt.Errorf("unsupported column type %s(...)", c.typ.s)
		}
		typ, clause, name := pgReference(c.typ, migPrefix)
		parts = append(parts, "ALTER COLUMN "+col+" TYPE "+typ)
		cons := "ADD "
		if name != "" {
			cons += "CONSTRAINT " + quoteIdent(name) + " "
		}
		parts = append(parts, cons+"FOREIGN KEY ("+col+") "+clause)
	}
	if v, ok := c.opts.get("null"); ok && v.kind == vBool {
		if v.b {
			parts = append(parts, "ALTER COLUMN "+col+" DROP NOT NULL")
		} else {
			parts = append(parts, "ALTER COLUMN "+col+" SET NOT NULL")
		}
	}
	if v, ok := c.opts.get("default"); ok {
		parts = append(parts, "ALTER COLUMN "+col+" SET DEFAULT "+pgDefaultSQL(v))
	}
	return parts, nil
}

// pgSQLFor returns the log line and SQL of one statement run with the
// migration prefix migPrefix ("" = the search_path).
func pgSQLFor(st stmt, migPrefix string) (string, []string, error) {
	switch st.kind {
	case "create_table":
		prefix := pgPrefixOf(st.tblOpts, migPrefix)
		var defs []string
		pks := pkColumns(st.cols)
		if defaultID(st) {
			defs = append(defs, `"id" bigserial PRIMARY KEY`)
		}
		for _, c := range st.cols {
			if c.op != "add" {
				return "", nil, fmt.Errorf("%s inside create table", c.op)
			}
			d, err := pgColumnDef(c, migPrefix, len(pks) == 1)
			if err != nil {
				return "", nil, err
			}
			defs = append(defs, d)
		}
		if len(pks) > 1 {
			defs = append(defs, "PRIMARY KEY ("+strings.Join(pks, ", ")+")")
		}
		verb, log := createTableVerb(st.ifExist)
		return log + pgLogName(prefix, st.table), []string{verb + pgName(prefix, st.table) + " (" + strings.Join(defs, ", ") + ")"}, nil
	case "alter_table":
		prefix := pgPrefixOf(st.tblOpts, migPrefix)
		var parts []string
		for _, c := range st.cols {
			switch c.op {
			case "add":
				d, err := pgColumnDef(c, migPrefix, true)
				if err != nil {
					return "", nil, err
				}
				parts = append(parts, "ADD COLUMN "+d)
			case "remove":
				parts = append(parts, "DROP COLUMN "+quoteIdent(c.name))
			case "modify":
				m, err := pgModify(c, migPrefix)
				if err != nil {
					return "", nil, err
				}
				parts = append(parts, m...)
			}
		}
		log := "alter table " + pgLogName(prefix, st.table)
		if len(parts) == 0 {
			return log, nil, nil
		}
		return log, []string{"ALTER TABLE " + pgName(prefix, st.table) + " " + strings.Join(parts, ", ")}, nil
	case "rename_column":
		prefix := pgPrefixOf(st.tblOpts, migPrefix)
		return "rename column " + st.from + " to " + st.to + " on table " + pgLogName(prefix, st.table), []string{"ALTER TABLE " + pgName(prefix, st.table) + " RENAME COLUMN " + quoteIdent(st.from) + " TO " + quoteIdent(st.to)}, nil
	case "drop_table":
		prefix := pgPrefixOf(st.tblOpts, migPrefix)
		if st.ifExist {
			return "drop table if exists " + pgLogName(prefix, st.table), []string{"DROP TABLE IF EXISTS " + pgName(prefix, st.table)}, nil
		}
		return "drop table " + pgLogName(prefix, st.table), []string{"DROP TABLE " + pgName(prefix, st.table)}, nil
	case "create_index":
		return "create index " + st.index.name, []string{createIndexSQL(st, pgName(migPrefix, st.index.table))}, nil
	case "drop_index":
		return "drop index " + st.index.name, []string{dropIndexVerb(st.ifExist) + pgName(migPrefix, st.index.name)}, nil
	case "execute":
		return "execute " + fmt.Sprintf("%q", st.sql), []string{st.sql}, nil
	case "drop_constraint":
		prefix := pgPrefixOf(st.tblOpts, migPrefix)
		verb := "DROP CONSTRAINT "
		if st.ifExist {
			verb += "IF EXISTS "
		}
		return "drop constraint " + st.index.name + " from table " + pgLogName(prefix, st.table),
			[]string{"ALTER TABLE " + pgName(prefix, st.table) + " " + verb + quoteIdent(st.index.name)}, nil
	}
	return "", nil, fmt.Errorf("not DDL")
}

// pgConstraintStmt reads `drop constraint(:t, "name"[, prefix: ...])`,
// which the shared parser leaves unsupported (SQLite has no such thing).
func pgConstraintStmt(st stmt) stmt {
	head, rest, _ := strings.Cut(st.text, " ")
	if head != "drop" && head != "drop_if_exists" {
		return st
	}
	args, err := parseArgList(rest)
	if err != nil || len(args) != 1 || args[0].kind != vCall || args[0].s != "constraint" || len(args[0].args) < 2 {
		return st
	}
	a := args[0].args
	if a[0].kind != vAtom && a[0].kind != vString || a[1].kind != vString && a[1].kind != vAtom {
		return st
	}
	out := stmt{kind: "drop_constraint", line: st.line, text: st.text, table: a[0].s, ifExist: head == "drop_if_exists",
		tblOpts: value{kind: vKeyword}}
	out.index.name = a[1].s
	if len(a) > 2 && a[len(a)-1].kind == vKeyword {
		out.tblOpts = a[len(a)-1]
	}
	return out
}
