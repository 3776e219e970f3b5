package main

// Interpreter for the subset of Ecto's migration DSL that AshSqlite writes
// (and that tests write by hand), translated to SQL the way ecto_sqlite3
// does. Unsupported statements fail when executed, like a runtime error.

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

type colOp struct {
	op   string // add, remove, modify
	name string
	typ  value // atom or references(...) call; zero for bare remove
	opts value // keyword
}

type stmt struct {
	kind    string // create_table, alter_table, drop_table, create_index, drop_index, execute, raise, noop, unsupported
	line    int
	text    string
	table   string
	ifExist bool // drop_if_exists / create_if_not_exists
	tblOpts value
	cols    []colOp
	index   indexSpec
	sql     string
	downSQL string // execute "up", "down"
	msg     string
	from    string // rename_column: the column's old and new names
	to      string
}

type indexSpec struct {
	table   string
	columns []string
	name    string
	unique  bool
}

type migration struct {
	module  string
	up      []stmt
	down    []stmt
	change  []stmt
	hasUp   bool
	hasDown bool
	hasChg  bool
}

var reDefFn = regexp.MustCompile(`^\s*def\s+(up|down|change)(\(\))?\s+do\s*$`)

func parseMigrationFile(path string) (*migration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	src := string(data)
	m := &migration{}
	if mm := reDefmodule.FindStringSubmatch(src); mm != nil {
		m.module = mm[1]
	} else {
		return nil, fmt.Errorf("no defmodule")
	}
	lines := strings.Split(src, "\n")
	stripped := strings.Split(stripStringsAndComments(src), "\n")
	for i := 0; i < len(lines); i++ {
		fm := reDefFn.FindStringSubmatch(stripped[i])
		if fm == nil {
			continue
		}
		depth := 1
		j := i + 1
		for ; j < len(lines); j++ {
			depth += blockDelta(stripped[j])
			if depth == 0 {
				break
			}
		}
		if depth != 0 {
			return nil, fmt.Errorf("line %d: missing terminator: end", i+1)
		}
		body, err := parseStatements(joinLogicalLines(strings.Join(lines[i+1:j], "\n"), i+2))
		if err != nil {
			return nil, err
		}
		switch fm[1] {
		case "up":
			m.up, m.hasUp = body, true
		case "down":
			m.down, m.hasDown = body, true
		case "change":
			m.change, m.hasChg = body, true
		}
		i = j
	}
	return m, nil
}

// parseStatements turns logical lines into statements; `... do` opens a
// table block closed by a lone `end`.
func parseStatements(lls []logicalLine) ([]stmt, error) {
	var out []stmt
	for k := 0; k < len(lls); k++ {
		ll := lls[k]
		text := ll.text
		var inner []logicalLine
		if strings.HasSuffix(text, " do") {
			text = strings.TrimSuffix(text, " do")
			depth := 1
			for k++; k < len(lls); k++ {
				depth += blockDelta(stripStringsAndComments(lls[k].text))
				if depth == 0 {
					break
				}
				inner = append(inner, lls[k])
			}
		}
		st := parseStatement(text, ll.line)
		if inner != nil {
			if st.kind != "create_table" && st.kind != "alter_table" {
				st = stmt{kind: "unsupported", line: ll.line, text: ll.text}
			}
			for _, in := range inner {
				c, err := parseColOp(in.text)
				if err != nil {
					st = stmt{kind: "unsupported", line: in.line, text: in.text}
					break
				}
				st.cols = append(st.cols, c...)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func parseStatement(text string, line int) stmt {
	st := stmt{line: line, text: text, kind: "unsupported"}
	head, rest, _ := strings.Cut(text, " ")
	if i := strings.Index(head, "("); i > 0 {
		// raise("x") / execute("x") / flush()
		head, rest = head[:i], text[i:]
	}
	args, err := parseArgList(rest)
	if err != nil {
		return st
	}
	first := value{}
	if len(args) > 0 {
		first = args[0]
	}
	switch head {
	case "flush":
		st.kind = "noop"
	case "raise":
		if first.kind == vString {
			st.kind, st.msg = "raise", first.s
		}
	case "execute":
		if first.kind == vString {
			st.kind, st.sql = "execute", first.s
			if len(args) > 1 && args[1].kind == vString {
				st.downSQL = args[1].s
			}
		}
	case "rename":
		// rename table(:t), :from, to: :to (Ash's rename of an attribute)
		if first.kind == vCall && first.s == "table" && len(first.args) > 0 && len(args) == 3 && args[1].kind == vAtom && args[2].kind == vKeyword {
			if to, ok := args[2].get("to"); ok && to.kind == vAtom {
				st.kind, st.table, st.from, st.to = "rename_column", first.args[0].s, args[1].s, to.s
				if len(first.args) > 1 && first.args[len(first.args)-1].kind == vKeyword {
					st.tblOpts = first.args[len(first.args)-1]
				} else {
					st.tblOpts = value{kind: vKeyword}
				}
			}
		}
	case "create", "create_if_not_exists", "alter", "drop", "drop_if_exists":
		if first.kind != vCall || len(first.args) == 0 || first.args[0].kind != vAtom && first.args[0].kind != vString {
			return st
		}
		st.ifExist = strings.HasSuffix(head, "exists")
		target := first.args[0].s
		opts := value{kind: vKeyword}
		if len(first.args) > 1 && first.args[len(first.args)-1].kind == vKeyword {
			opts = first.args[len(first.args)-1]
		}
		switch first.s {
		case "table":
			st.table, st.tblOpts = target, opts
			switch head {
			case "create", "create_if_not_exists":
				st.kind = "create_table"
			case "alter":
				st.kind = "alter_table"
			default:
				st.kind = "drop_table"
			}
		case "index", "unique_index":
			if head == "alter" {
				return st
			}
			ix := indexSpec{table: target, unique: first.s == "unique_index"}
			if len(first.args) > 1 && first.args[1].kind == vList {
				for _, c := range first.args[1].list {
					ix.columns = append(ix.columns, c.s)
				}
			} else if len(first.args) > 1 && first.args[1].kind == vAtom {
				ix.columns = []string{first.args[1].s}
			}
			if v, ok := opts.get("name"); ok {
				ix.name = v.s
			}
			if v, ok := opts.get("unique"); ok && v.kind == vBool {
				ix.unique = v.b
			}
			if ix.name == "" {
				ix.name = target + "_" + strings.Join(ix.columns, "_") + "_index"
			}
			st.index = ix
			if strings.HasPrefix(head, "create") {
				st.kind = "create_index"
			} else {
				st.kind = "drop_index"
			}
		}
	}
	return st
}

// parseArgList reads `(a, b)` or `a, b` (Elixir's optional parentheses).
func parseArgList(rest string) ([]value, error) {
	p, err := newParser(rest)
	if err != nil {
		return nil, err
	}
	if p.isPunct("(") {
		// `(a, b)` only if the closing paren ends the statement.
		save := p.pos
		p.pos++
		args, err := p.parseArgs(")")
		if err == nil && p.isPunct(")") {
			p.pos++
			if p.atEOF() {
				return args, nil
			}
		}
		p.pos = save
	}
	args, err := p.parseArgs("")
	if err != nil {
		return nil, err
	}
	if !p.atEOF() {
		return nil, fmt.Errorf("trailing input %q", p.rest())
	}
	return args, nil
}

func parseColOp(text string) ([]colOp, error) {
	head, rest, _ := strings.Cut(text, " ")
	if head == "timestamps()" || head == "timestamps" {
		typ := value{kind: vAtom, s: "naive_datetime"}
		nn := value{kind: vKeyword, kw: []kv{{"null", value{kind: vBool}}}}
		return []colOp{{"add", "inserted_at", typ, nn}, {"add", "updated_at", typ, nn}}, nil
	}
	if head != "add" && head != "remove" && head != "modify" {
		return nil, fmt.Errorf("unsupported %q", head)
	}
	args, err := parseArgList(rest)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 || args[0].kind != vAtom && args[0].kind != vString {
		return nil, fmt.Errorf("column name expected")
	}
	c := colOp{op: head, name: args[0].s, opts: value{kind: vKeyword}}
	if len(args) > 1 && args[1].kind != vKeyword {
		c.typ = args[1]
	}
	if last := args[len(args)-1]; last.kind == vKeyword && len(args) > 1 {
		c.opts = last
	}
	if c.op != "remove" && c.typ.kind != vAtom && c.typ.kind != vCall {
		return nil, fmt.Errorf("column type expected")
	}
	return []colOp{c}, nil
}

// reverseStatements inverts a `change` body for rollback, as Ecto's
// command recorder does; irreversible commands are reported.
func reverseStatements(sts []stmt) ([]stmt, *stmt) {
	var out []stmt
	for i := len(sts) - 1; i >= 0; i-- {
		st := sts[i]
		r := st
		switch st.kind {
		case "create_table":
			r = stmt{kind: "drop_table", line: st.line, table: st.table, ifExist: st.ifExist}
		case "create_index":
			r.kind = "drop_index"
		case "rename_column":
			r.from, r.to = st.to, st.from
		case "alter_table":
			r.cols = nil
			for j := len(st.cols) - 1; j >= 0; j-- {
				c := st.cols[j]
				switch {
				case c.op == "add":
					r.cols = append(r.cols, colOp{op: "remove", name: c.name})
				case c.op == "remove" && c.typ.kind != 0:
					r.cols = append(r.cols, colOp{op: "add", name: c.name, typ: c.typ, opts: c.opts})
				default:
					return nil, &sts[i]
				}
			}
		case "execute":
			if st.downSQL == "" {
				return nil, &sts[i]
			}
			r.sql, r.downSQL = st.downSQL, ""
		case "noop":
		default:
			return nil, &sts[i]
		}
		out = append(out, r)
	}
	return out, nil
}

// --- SQL, the way ecto_sqlite3 renders DDL ---

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqliteType(t string) string {
	switch t {
	case "uuid", "binary_id", "string", "text", "map", "array",
		"date", "time", "time_usec", "utc_datetime", "utc_datetime_usec", "naive_datetime", "naive_datetime_usec":
		return "TEXT"
	case "bigint", "integer", "id", "serial", "bigserial", "boolean":
		return "INTEGER"
	case "float":
		return "NUMERIC"
	case "decimal":
		return "DECIMAL"
	case "binary":
		return "BLOB"
	}
	return strings.ToUpper(t)
}

func defaultSQL(v value) string {
	switch v.kind {
	case vNil:
		return "NULL"
	case vBool:
		if v.b {
			return "1"
		}
		return "0"
	case vString:
		return "'" + strings.ReplaceAll(v.s, "'", "''") + "'"
	case vNumber:
		return v.s
	case vCall:
		if v.s == "fragment" && len(v.args) > 0 {
			return v.args[0].s
		}
	}
	return v.raw
}

// columnDef renders one column; pkInline says whether PRIMARY KEY goes on
// the column (single-column primary key) or into a table constraint.
func columnDef(c colOp, pkInline bool) (string, error) {
	var b strings.Builder
	b.WriteString(quoteIdent(c.name))
	var ref *value
	typ := ""
	switch c.typ.kind {
	case vAtom:
		typ = c.typ.s
	case vCall:
		if c.typ.s != "references" {
			return "", fmt.Errorf("unsupported column type %s(...)", c.typ.s)
		}
		ref = &c.typ
		typ = "bigint"
		if len(ref.args) > 1 {
			if v, ok := ref.args[len(ref.args)-1].get("type"); ok {
				typ = v.s
			}
		}
	default:
		return "", fmt.Errorf("column %s has no type", c.name)
	}
	b.WriteString(" " + sqliteType(typ))
	if v, ok := c.opts.get("default"); ok {
		b.WriteString(" DEFAULT " + defaultSQL(v))
	}
	if v, ok := c.opts.get("null"); ok && v.kind == vBool && !v.b {
		b.WriteString(" NOT NULL")
	}
	if v, ok := c.opts.get("primary_key"); ok && v.kind == vBool && v.b && pkInline {
		b.WriteString(" PRIMARY KEY")
		if typ == "serial" || typ == "bigserial" {
			b.WriteString(" AUTOINCREMENT")
		}
	}
	if ref != nil {
		refTable := ref.args[0].s
		kw := value{kind: vKeyword}
		if len(ref.args) > 1 && ref.args[len(ref.args)-1].kind == vKeyword {
			kw = ref.args[len(ref.args)-1]
		}
		col := "id"
		if v, ok := kw.get("column"); ok {
			col = v.s
		}
		if v, ok := kw.get("name"); ok {
			b.WriteString(" CONSTRAINT " + quoteIdent(v.s))
		}
		b.WriteString(" REFERENCES " + quoteIdent(refTable) + "(" + quoteIdent(col) + ")")
		if v, ok := kw.get("on_delete"); ok && v.kind == vAtom {
			switch v.s {
			case "delete_all":
				b.WriteString(" ON DELETE CASCADE")
			case "nilify_all":
				b.WriteString(" ON DELETE SET NULL")
			case "restrict":
				b.WriteString(" ON DELETE RESTRICT")
			}
		}
	}
	return b.String(), nil
}

// sqlFor returns the log line and SQL statements of one DDL statement.
func sqlFor(st stmt) (string, []string, error) {
	switch st.kind {
	case "create_table":
		var defs []string
		pks := pkColumns(st.cols)
		if defaultID(st) {
			defs = append(defs, `"id" INTEGER PRIMARY KEY AUTOINCREMENT`)
		}
		for _, c := range st.cols {
			if c.op != "add" {
				return "", nil, fmt.Errorf("%s inside create table", c.op)
			}
			d, err := columnDef(c, len(pks) == 1)
			if err != nil {
				return "", nil, err
			}
			defs = append(defs, d)
		}
		if len(pks) > 1 {
			defs = append(defs, "PRIMARY KEY ("+strings.Join(pks, ", ")+")")
		}
		verb, log := createTableVerb(st.ifExist)
		return log + st.table, []string{verb + quoteIdent(st.table) + " (" + strings.Join(defs, ", ") + ")"}, nil
	case "alter_table":
		var sqls []string
		for _, c := range st.cols {
			switch c.op {
			case "add":
				d, err := columnDef(c, true)
				if err != nil {
					return "", nil, err
				}
				sqls = append(sqls, "ALTER TABLE "+quoteIdent(st.table)+" ADD COLUMN "+d)
			case "remove":
				sqls = append(sqls, "ALTER TABLE "+quoteIdent(st.table)+" DROP COLUMN "+quoteIdent(c.name))
			case "modify":
				return "alter table " + st.table, nil, &exception{kind: "ArgumentError", msg: "ALTER COLUMN not supported by SQLite3"}
			}
		}
		return "alter table " + st.table, sqls, nil
	case "rename_column":
		return "rename column " + st.from + " to " + st.to + " on table " + st.table, []string{"ALTER TABLE " + quoteIdent(st.table) + " RENAME COLUMN " + quoteIdent(st.from) + " TO " + quoteIdent(st.to)}, nil
	case "drop_table":
		if st.ifExist {
			return "drop table if exists " + st.table, []string{"DROP TABLE IF EXISTS " + quoteIdent(st.table)}, nil
		}
		return "drop table " + st.table, []string{"DROP TABLE " + quoteIdent(st.table)}, nil
	case "create_index":
		return "create index " + st.index.name, []string{createIndexSQL(st, quoteIdent(st.index.table))}, nil
	case "drop_index":
		return "drop index " + st.index.name, []string{dropIndexVerb(st.ifExist) + quoteIdent(st.index.name)}, nil
	case "execute":
		return "execute " + fmt.Sprintf("%q", st.sql), []string{st.sql}, nil
	}
	return "", nil, fmt.Errorf("not DDL")
}

// pkColumns lists the quoted columns declared primary_key: true.
func pkColumns(cols []colOp) []string {
	var pks []string
	for _, c := range cols {
		if v, ok := c.opts.get("primary_key"); ok && v.kind == vBool && v.b {
			pks = append(pks, quoteIdent(c.name))
		}
	}
	return pks
}

// defaultID: Ecto adds an "id" key unless the table says primary_key: false.
func defaultID(st stmt) bool {
	v, ok := st.tblOpts.get("primary_key")
	return !ok || !(v.kind == vBool && !v.b)
}

// createTableVerb is the SQL verb and the log words of a create table.
func createTableVerb(ifExist bool) (verb, log string) {
	if ifExist {
		return "CREATE TABLE IF NOT EXISTS ", "create table if not exists "
	}
	return "CREATE TABLE ", "create table "
}

// createIndexSQL is a create_index statement on table (already quoted the
// database's way).
func createIndexSQL(st stmt, table string) string {
	var cols []string
	for _, c := range st.index.columns {
		cols = append(cols, quoteIdent(c))
	}
	verb := "CREATE INDEX "
	if st.index.unique {
		verb = "CREATE UNIQUE INDEX "
	}
	if st.ifExist {
		verb += "IF NOT EXISTS "
	}
	return verb + quoteIdent(st.index.name) + " ON " + table + " (" + strings.Join(cols, ", ") + ")"
}

func dropIndexVerb(ifExist bool) string {
	if ifExist {
		return "DROP INDEX IF EXISTS "
	}
	return "DROP INDEX "
}
