package migrator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSQLiteAppliedVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.db")
	db := newBlogDB(t, path)
	mustExec(t, db, `INSERT INTO schema_migrations VALUES (20261122000131, NULL)`)

	got, err := SQLiteAppliedVersions(context.Background(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Version{
		{20261121234823, "2026-11-21T23:48:29"},
		{20261122000123, "2026-11-22T00:01:40"},
		{20261122000131, ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// A timestamp-typed column must still come back as the stored text, not as a
// value the driver parsed and re-formatted.
func TestSQLiteAppliedVersionsKeepsStoredText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.db")
	db := openRW(t, path)
	mustExec(t, db,
		`CREATE TABLE "schema_migrations" ("version" INTEGER PRIMARY KEY, "inserted_at" DATETIME)`,
		`INSERT INTO schema_migrations VALUES (20261121234823, '2026-11-21 23:48:29')`)
	got, err := SQLiteAppliedVersions(context.Background(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].InsertedAt != "2026-11-21 23:48:29" {
		t.Errorf("got %+v", got)
	}
}

func TestSQLiteAppliedVersionsCustomSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.db")
	db := newBlogDB(t, path)
	mustExec(t, db,
		`CREATE TABLE "my migrations" ("version" INTEGER PRIMARY KEY, "inserted_at" TEXT)`,
		`INSERT INTO "my migrations" VALUES (30000000000002, 'b'), (30000000000001, 'a')`)
	got, err := SQLiteAppliedVersions(context.Background(), path, "my migrations")
	if err != nil {
		t.Fatal(err)
	}
	want := []Version{{30000000000001, "a"}, {30000000000002, "b"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The custom source absent from the database: nothing applied there.
	got, err = SQLiteAppliedVersions(context.Background(), path, "other_source")
	if err != nil || len(got) != 0 {
		t.Errorf("missing custom source: %+v, %v", got, err)
	}
}

func TestSQLiteAppliedVersionsMissingTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.db")
	mustExec(t, openRW(t, path), `CREATE TABLE posts (id TEXT)`)
	got, err := SQLiteAppliedVersions(context.Background(), path, "")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("got %#v, %v; want empty, nil", got, err)
	}
}

// The read is the first statement: when it fails on a table that exists
// (here a column is missing), that is an error, not "nothing applied".
func TestSQLiteAppliedVersionsTableItCannotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.db")
	mustExec(t, openRW(t, path), `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)`)
	got, err := SQLiteAppliedVersions(context.Background(), path, "")
	if err == nil || !strings.Contains(err.Error(), "inserted_at") || got != nil {
		t.Errorf("got %#v, %v; want an error naming the missing column", got, err)
	}
}

func TestSQLiteAppliedVersionsMissingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.db")
	_, err := SQLiteAppliedVersions(context.Background(), path, "")
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("err = %v, want ErrNoDatabase", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("reading a missing database created %v", names)
	}
	for _, f := range []func() error{
		func() error { return BackupSQLite(context.Background(), path, filepath.Join(dir, "b")) },
		func() error { _, err := SQLiteTableDigests(context.Background(), path); return err },
		func() error { _, err := SQLiteTableRowCounts(context.Background(), path); return err },
	} {
		if err := f(); !errors.Is(err, ErrNoDatabase) {
			t.Errorf("err = %v, want ErrNoDatabase", err)
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("missing database: files appeared: %v", names)
	}
}

func TestSQLiteAppliedVersionsNotADatabase(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"text.db":  []byte("this is not a database, just some text that is long enough to have a header ....................................."),
		"empty.db": nil, // SQLite treats an empty file as an empty database
		"trunc.db": []byte("SQLite format 3\x00\x10\x00"),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := SQLiteAppliedVersions(context.Background(), path, "")
		if name == "empty.db" {
			if err != nil || len(got) != 0 {
				t.Errorf("%s: %v, %v", name, got, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "not a SQLite database") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want a clear 'not a SQLite database' naming the file", name, err)
		}
	}
	if _, err := SQLiteAppliedVersions(context.Background(), dir, ""); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: err = %v", err)
	}
}

// Paths with URI-significant characters must reach SQLite intact.
func TestSQLiteAppliedVersionsOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my project?#%20 ü")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "dev db?.sqlite3")
	newBlogDB(t, path)
	got, err := SQLiteAppliedVersions(context.Background(), path, "")
	if err != nil || len(got) != 2 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"dev db?.sqlite3"}) {
		t.Errorf("files in dir: %q", names)
	}
	// A relative path works too.
	t.Chdir(dir)
	got, err = SQLiteAppliedVersions(context.Background(), "dev db?.sqlite3", "")
	if err != nil || len(got) != 2 {
		t.Errorf("relative: %+v, %v", got, err)
	}
}

// The read-only open must neither write nor block on a writer: another
// connection holds an open write transaction while we read, and the file's
// bytes are identical afterwards.
func TestSQLiteAppliedVersionsReadOnly(t *testing.T) {
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dev.db")
			writer := newBlogDB(t, path, "journal_mode="+mode)
			if mode == "wal" {
				mustExec(t, writer, "PRAGMA wal_checkpoint(TRUNCATE)")
			}
			before := fileSHA(t, path)

			ctx := context.Background()
			conn, err := writer.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "INSERT INTO schema_migrations VALUES (20990101000000, 'x')"); err != nil {
				t.Fatal(err)
			}

			start := time.Now()
			got, err := SQLiteAppliedVersions(ctx, path, "")
			if err != nil {
				t.Fatalf("reading while a writer holds a RESERVED lock: %v", err)
			}
			if len(got) != 2 {
				t.Errorf("read uncommitted data: %+v", got)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("read took %v", d)
			}
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Fatal(err)
			}
			if _, err := SQLiteTableDigests(ctx, path); err != nil {
				t.Fatal(err)
			}
			if _, err := SQLiteTableRowCounts(ctx, path); err != nil {
				t.Fatal(err)
			}
			if after := fileSHA(t, path); after != before {
				t.Error("reading changed the database file")
			}
		})
	}
}

// A read-only file (as in a read-only checkout) is readable: nothing here
// needs write access.
func TestSQLiteAppliedVersionsReadOnlyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dev.db")
	db := newBlogDB(t, path)
	db.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	got, err := SQLiteAppliedVersions(context.Background(), path, "")
	if err != nil || len(got) != 2 {
		t.Errorf("got %+v, %v", got, err)
	}
}

func TestReadOnlyDSN(t *testing.T) {
	dsn, err := readOnlyDSN("/tmp/a b/c?d#e%f.db")
	if err != nil {
		t.Fatal(err)
	}
	want := "file:/tmp/a%20b/c%3Fd%23e%25f.db?mode=ro&_pragma=busy_timeout(5000)"
	if dsn != want {
		t.Errorf("dsn = %s\nwant %s", dsn, want)
	}
}
