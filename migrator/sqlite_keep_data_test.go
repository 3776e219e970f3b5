package migrator

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// keepPair writes the pre-run database (old) and the database as a run
// left it (new).
func keepPair(t testing.TB, oldStmts, newStmts []string) (newPath, oldPath string) {
	dir := t.TempDir()
	oldPath, newPath = filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	execAll(t, oldPath, append([]string{ectoSchema}, oldStmts...)...)
	execAll(t, newPath, append([]string{ectoSchema}, newStmts...)...)
	return newPath, oldPath
}

func queryStrings(t testing.TB, path, q string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(s.String))
	}
	return out
}

func TestSQLiteKeepDataPutsBackWhatTheRunLost(t *testing.T) {
	newPath, oldPath := keepPair(t, []string{
		`CREATE TABLE posts (id TEXT NOT NULL PRIMARY KEY, title TEXT NOT NULL, subtitle TEXT, rating INTEGER, score TEXT)`,
		`INSERT INTO posts VALUES ('p1', 'a', 'sub one', 5, '12'), ('p2', 'b', NULL, 3, 'high'), ('p3', 'c', 'sub three', NULL, '1.5')`,
		`CREATE TABLE tags (id INTEGER PRIMARY KEY, post_id TEXT REFERENCES posts(id), name TEXT)`,
		`INSERT INTO tags VALUES (1, 'p1', 'x'), (2, 'p2', 'y'), (3, 'gone', 'z')`,
		`CREATE TABLE labels (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO labels VALUES (1, 'l1'), (2, NULL)`,
		`CREATE TABLE old_feature (id INTEGER PRIMARY KEY)`,
		`INSERT INTO old_feature VALUES (1), (2)`,
		`CREATE TABLE logs (line TEXT)`,
		`INSERT INTO logs VALUES ('one')`,
	}, []string{
		`CREATE TABLE posts (id TEXT NOT NULL PRIMARY KEY, title TEXT NOT NULL, subtitle TEXT, score INTEGER)`,
		`INSERT INTO posts VALUES ('p1', 'a', NULL, NULL), ('p2', 'b changed by the run? no, by the user', NULL, NULL)`,
		`CREATE TABLE tags (id INTEGER PRIMARY KEY, post_id TEXT REFERENCES posts(id), name TEXT)`,
		`CREATE TABLE labels (id INTEGER PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL)`,
		`CREATE TABLE logs (line TEXT)`,
	})
	rep, err := SQLiteKeepData(context.Background(), newPath, oldPath, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantKept := []KeptData{
		{Table: "posts", Rows: 1},
		{Table: "posts", Column: "score", Rows: 1},
		{Table: "posts", Column: "subtitle", Rows: 1},
		{Table: "posts", Column: "title", Rows: 1},
		{Table: "tags", Rows: 2},
	}
	if !reflect.DeepEqual(rep.Kept, wantKept) {
		t.Errorf("kept %+v\nwant %+v", rep.Kept, wantKept)
	}
	wantNot := []NotKeptData{
		{Table: "labels", Column: "name", Reason: KeepNotNull, Count: 1},
		{Table: "labels", Column: "slug", Reason: KeepNotNull, Count: 2},
		{Table: "logs", Reason: KeepNoPrimaryKey, Count: 1},
		{Table: "old_feature", Reason: KeepTableGone, Count: 2},
		{Table: "posts", Column: "rating", Reason: KeepColumnGone, Count: 2},
		{Table: "posts", Column: "score", Reason: KeepTypeChanged, Count: 2},
		{Table: "tags", Reason: KeepForeignKey, Count: 1},
	}
	if !reflect.DeepEqual(rep.NotKept, wantNot) {
		t.Errorf("not kept %+v\nwant %+v", rep.NotKept, wantNot)
	}
	if got := queryStrings(t, newPath, `SELECT id || ':' || title || ':' || coalesce(subtitle, '-') || ':' || coalesce(score, '-') || ':' || typeof(score) FROM posts ORDER BY id`); !reflect.DeepEqual(got, []string{"p1:a:sub one:12:integer", "p2:b:-:-:null", "p3:c:sub three:-:null"}) {
		t.Errorf("posts: %q", got)
	}
	if got := queryStrings(t, newPath, `SELECT id FROM tags ORDER BY id`); !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Errorf("tags: %q (the row whose post is gone must be skipped)", got)
	}
	if got := queryStrings(t, newPath, `SELECT count(*) FROM labels`); got[0] != "0" {
		t.Errorf("labels: %q rows, want none (slug is NOT NULL without default)", got)
	}
	if got := queryStrings(t, newPath, `SELECT count(*) FROM pragma_foreign_key_check`); got[0] != "0" {
		t.Errorf("foreign keys broken after the carry: %q", got)
	}
}

// A parent row the carry inserts and then removes for its own foreign key
// takes the children it would have kept with it; a value it changed that
// breaks a foreign key gets the run's value back.
func TestSQLiteKeepDataForeignKeyCascadeAndRevert(t *testing.T) {
	newPath, oldPath := keepPair(t, []string{
		`CREATE TABLE authors (id INTEGER PRIMARY KEY)`,
		`INSERT INTO authors VALUES (1)`,
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id))`,
		`INSERT INTO posts VALUES (10, 1), (11, 99)`,
		`CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts(id))`,
		`INSERT INTO comments VALUES (100, 10), (101, 11)`,
	}, []string{
		`CREATE TABLE authors (id INTEGER PRIMARY KEY)`,
		`INSERT INTO authors VALUES (1), (2)`,
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id))`,
		`INSERT INTO posts VALUES (11, 2)`,
		`CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts(id))`,
	})
	rep, err := SQLiteKeepData(context.Background(), newPath, oldPath, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, newPath, `SELECT id || ':' || author_id FROM posts ORDER BY id`); !reflect.DeepEqual(got, []string{"10:1", "11:2"}) {
		t.Errorf("posts: %q (11 keeps the run's author)", got)
	}
	if got := queryStrings(t, newPath, `SELECT id FROM comments ORDER BY id`); !reflect.DeepEqual(got, []string{"100", "101"}) {
		t.Errorf("comments: %q", got)
	}
	want := []NotKeptData{{Table: "posts", Reason: KeepForeignKey, Count: 1}}
	if !reflect.DeepEqual(rep.NotKept, want) {
		t.Errorf("not kept %+v, want %+v", rep.NotKept, want)
	}
}

// An error during the carry leaves the database as the run left it.
func TestSQLiteKeepDataRollsBackOnError(t *testing.T) {
	newPath, oldPath := keepPair(t, []string{
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO posts VALUES (1, 'a'), (2, 'a')`,
		`CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO tags VALUES (1, 'a'), (2, 'a')`,
	}, []string{
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, name TEXT)`,
		`CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`,
	})
	before, err := os.ReadFile(newPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SQLiteKeepData(context.Background(), newPath, oldPath, "", nil); err == nil {
		t.Fatal("want the unique violation as an error")
	}
	if got := queryStrings(t, newPath, `SELECT count(*) FROM posts`); got[0] != "0" {
		t.Errorf("posts has %s rows after a failed carry, want 0", got[0])
	}
	after, err := os.ReadFile(newPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("the database changed bytes after a rolled-back carry")
	}
}

func TestSQLiteAffinityConversionRule(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.db")
	execAll(t, p, `CREATE TABLE v (x)`, `INSERT INTO v VALUES (12), (1.5), (2.0), ('12'), ('012'), ('abc'), ('1.5'), (x'01')`)
	for _, c := range []struct {
		aff  string
		want []string
	}{
		{"INTEGER", []string{"12", "2", "12"}},
		{"REAL", []string{"12", "1.5", "2", "1.5"}},
		{"TEXT", []string{"12", "1.5", "2", "12", "012", "abc", "1.5", "\x01"}},
	} {
		got := queryStrings(t, p, "SELECT x FROM v WHERE "+convertsExpr("x", c.aff)+" ORDER BY rowid")
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: converts %q, want %q", c.aff, got, c.want)
		}
	}
}

// Virtual tables (FTS5) are not copied into, and their shadow tables are
// not touched: reported, the index stays as the run left it.
func TestSQLiteKeepDataLeavesVirtualTables(t *testing.T) {
	fts := []string{`CREATE VIRTUAL TABLE docs USING fts5(body)`}
	newPath, oldPath := keepPair(t, append(fts, `INSERT INTO docs (body) VALUES ('hello world'), ('second')`), fts)
	rep, err := SQLiteKeepData(context.Background(), newPath, oldPath, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []NotKeptData{{Table: "docs", Reason: KeepVirtual, Count: 2}}
	if !reflect.DeepEqual(rep.NotKept, want) || len(rep.Kept) != 0 {
		t.Fatalf("kept %+v, not kept %+v; want only %+v", rep.Kept, rep.NotKept, want)
	}
	if got := queryStrings(t, newPath, `SELECT count(*) FROM docs WHERE docs MATCH 'hello'`); got[0] != "0" {
		t.Errorf("the FTS index was written into: %q", got)
	}
	if got := queryStrings(t, newPath, `SELECT count(*) FROM pragma_integrity_check WHERE integrity_check != 'ok'`); got[0] != "0" {
		t.Errorf("integrity check: %q", got)
	}
}
