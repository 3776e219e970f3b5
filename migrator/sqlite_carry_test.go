package migrator

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func execAll(t testing.TB, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestSQLiteCarryOverKeepsCommonDataAndReportsTheRest(t *testing.T) {
	dir := t.TempDir()
	old, fresh := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	execAll(t, old,
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, inserted_at TEXT)`,
		`INSERT INTO schema_migrations VALUES (1, '2020-01-01T00:00:00'), (2, '2020-02-02T00:00:00')`,
		`CREATE TABLE posts (id TEXT PRIMARY KEY, title TEXT NOT NULL, subtitle TEXT)`,
		`INSERT INTO posts VALUES ('p1', 'a', 's1'), ('p2', 'b', NULL)`,
		`CREATE TABLE comments (id TEXT PRIMARY KEY, post_id TEXT REFERENCES posts(id))`,
		`INSERT INTO comments VALUES ('c1', 'p1')`,
		`CREATE TABLE tags (id TEXT PRIMARY KEY, post_id TEXT REFERENCES posts(id))`,
		`INSERT INTO tags VALUES ('t1', 'p1'), ('t2', 'p2')`)
	execAll(t, fresh,
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, inserted_at TEXT)`,
		`INSERT INTO schema_migrations VALUES (1, '2026-11-22T00:00:00')`,
		`CREATE TABLE posts (id TEXT PRIMARY KEY, title TEXT NOT NULL)`,
		`INSERT INTO posts VALUES ('seed', 'from a migration')`,
		`CREATE TABLE comments (id TEXT PRIMARY KEY, post_id TEXT REFERENCES posts(id))`)
	rep, err := SQLiteCarryOver(context.Background(), fresh, old, "")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%+v", *rep)
	for _, want := range []string{"{Name:comments Rows:1}", "{Name:posts Rows:2}", "{Name:tags Rows:2}", "{Table:posts Column:subtitle NonNull:1}"} {
		if !strings.Contains(got, want) {
			t.Fatalf("report %s lacks %s", got, want)
		}
	}
	counts, _ := SQLiteTableRowCounts(context.Background(), fresh)
	if counts["posts"] != 2 || counts["comments"] != 1 || counts["schema_migrations"] != 1 {
		t.Fatalf("rows after: %v", counts)
	}
	vs, _ := SQLiteAppliedVersions(context.Background(), fresh, "")
	if len(vs) != 1 || vs[0].InsertedAt != "2020-01-01T00:00:00" {
		t.Fatalf("inserted_at not kept: %+v", vs)
	}
}

func TestSQLiteCarryOverRefusesBrokenForeignKeys(t *testing.T) {
	dir := t.TempDir()
	old, fresh := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	execAll(t, old, `CREATE TABLE comments (id TEXT PRIMARY KEY, post_id TEXT)`, `INSERT INTO comments VALUES ('c1', 'gone')`)
	execAll(t, fresh, `CREATE TABLE posts (id TEXT PRIMARY KEY)`, `CREATE TABLE comments (id TEXT PRIMARY KEY, post_id TEXT REFERENCES posts(id))`)
	before, _ := SQLiteTableDigests(context.Background(), fresh)
	if _, err := SQLiteCarryOver(context.Background(), fresh, old, ""); err == nil || !strings.Contains(err.Error(), "foreign keys") {
		t.Fatalf("want a foreign key error, got %v", err)
	}
	after, _ := SQLiteTableDigests(context.Background(), fresh)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatal("a failed carry-over must leave the new database untouched")
	}
}

// BenchmarkSQLiteCarryOver: 50 tables × 10,000 rows carried into a fresh
// schema, against the anchor of copying the old file.
func BenchmarkSQLiteCarryOver(b *testing.B) {
	dir := b.TempDir()
	old := filepath.Join(dir, "old.db")
	var schema []string
	stmts := []string{"PRAGMA journal_mode=WAL"}
	for i := 0; i < 50; i++ {
		ddl := fmt.Sprintf("CREATE TABLE t%d (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, note TEXT)", i)
		schema = append(schema, ddl)
		stmts = append(stmts, ddl, fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10000)
			INSERT INTO t%d SELECT x, 'name ' || x, x * 7, 'some text for row ' || x FROM c`, i))
	}
	execAll(b, old, stmts...)
	fi, _ := os.Stat(old)
	b.Logf("old database: %.1f MB", float64(fi.Size())/1e6)
	b.Run("anchor-file-copy", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dst := filepath.Join(b.TempDir(), "copy.db")
			in, _ := os.Open(old)
			out, _ := os.Create(dst)
			io.Copy(out, in)
			out.Sync()
			in.Close()
			out.Close()
		}
	})
	b.Run("carry-over", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			fresh := filepath.Join(b.TempDir(), "new.db")
			execAll(b, fresh, schema...)
			b.StartTimer()
			if _, err := SQLiteCarryOver(context.Background(), fresh, old, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
