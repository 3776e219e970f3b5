package migrator

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// openRW opens a database for writing the way an application would. It uses
// a file: URI too, since the driver cuts a plain path at its first '?'.
func openRW(t testing.TB, path string, pragmas ...string) *sql.DB {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, p := range pragmas {
		if _, err := db.Exec("PRAGMA " + p); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func mustExec(t testing.TB, db interface {
	Exec(string, ...any) (sql.Result, error)
}, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// ectoSchema is what ecto_sqlite3 creates, from fixtures/ash_sqlite/schema.sql.
const ectoSchema = `CREATE TABLE IF NOT EXISTS "schema_migrations" ("version" INTEGER PRIMARY KEY, "inserted_at" TEXT)`

// newBlogDB writes a small migrated database like the AshSqlite fixture's.
func newBlogDB(t testing.TB, path string, pragmas ...string) *sql.DB {
	t.Helper()
	db := openRW(t, path, pragmas...)
	mustExec(t, db,
		ectoSchema,
		`CREATE TABLE "posts" ("id" TEXT NOT NULL PRIMARY KEY, "title" TEXT NOT NULL, "inserted_at" TEXT NOT NULL)`,
		`CREATE TABLE "comments" ("post_id" TEXT NOT NULL CONSTRAINT "comments_post_id_fkey" REFERENCES "posts"("id"), "body" TEXT NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (20261122000123, '2026-11-22T00:01:40'), (20261121234823, '2026-11-21T23:48:29')`,
		`INSERT INTO posts VALUES ('p1', 'Hello', '2026-11-21T23:50:00.000000Z'), ('p2', 'World', '2026-11-21T23:51:00.000000Z')`,
		`INSERT INTO comments VALUES ('p1', 'first'), ('p1', 'first'), ('p2', 'second')`,
	)
	return db
}

func fileSHA(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
