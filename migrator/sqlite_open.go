package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite" // also registers the pure-Go "sqlite" driver
)

// ErrNoDatabase means the SQLite file does not exist. Reading it must not
// create it: an empty new file would look like "nothing applied".
var ErrNoDatabase = errors.New("database does not exist")

// busyTimeoutMillis lets reads wait out a writer (a running migration, the
// dev server) instead of failing at once with SQLITE_BUSY.
const busyTimeoutMillis = 5000

// readOnlyDSN builds a file: URI for modernc's driver. A plain path would
// silently ignore mode=ro; the path is percent-encoded because SQLite decodes
// %XX and treats '?' and '#' as delimiters in URIs.
func readOnlyDSN(dbPath string) (string, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", dbPath, err)
	}
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath() +
		fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)", busyTimeoutMillis), nil
}

// openReadOnly opens an existing SQLite database without any possibility of
// writing to it, and checks that it really is a database: SQLite opens lazily
// and only notices garbage on the first read.
func openReadOnly(ctx context.Context, dbPath string) (*sql.DB, error) {
	db, err := openReadOnlyLazy(dbPath)
	if err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		_ = db.Close()
		return nil, describeOpenError(dbPath, err)
	}
	return db, nil
}

// openReadOnlyLazy is openReadOnly without the first read: for a caller
// whose own first statement is that read (its error through
// describeOpenError).
func openReadOnlyLazy(dbPath string) (*sql.DB, error) {
	info, err := os.Stat(dbPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dbPath, ErrNoDatabase)
	}
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", dbPath, err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("database %s is a directory, not a SQLite file", dbPath)
	}
	dsn, err := readOnlyDSN(dbPath)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dbPath, err)
	}
	// One connection: every statement sees the same read transaction state,
	// and nothing is left open in a pool behind the caller's back.
	db.SetMaxOpenConns(1)
	return db, nil
}

// SQLite primary result codes (sqlite3.h) the messages below distinguish.
const (
	sqliteError   = 1
	sqliteBusy    = 5
	sqliteIOErr   = 10
	sqliteCorrupt = 11
	sqliteFull    = 13
	sqliteNotADB  = 26
)

// IsSQLiteStorageError tells an SQLite error that comes from the storage
// (SQLITE_FULL, SQLITE_IOERR: a full disk, a file size limit, a failing
// disk) from one about the file itself, so the message can say what to do.
func IsSQLiteStorageError(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqliteFull || c == sqliteIOErr
}

// describeOpenError turns SQLite's terse codes into something a user can act
// on; the original error stays wrapped.
func describeOpenError(dbPath string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // extended codes keep the primary in the low byte
		case sqliteNotADB:
			return fmt.Errorf("%s is not a SQLite database (or is corrupt): %w", dbPath, err)
		case sqliteCorrupt:
			return fmt.Errorf("SQLite database %s is corrupt: %w", dbPath, err)
		case sqliteFull:
			return fmt.Errorf("SQLite could not write beside %s: the database or disk is full: %w", dbPath, err)
		case sqliteIOErr:
			// Reading takes writes too (the -shm and -wal files).
			return fmt.Errorf("SQLite reported an I/O error on %s (the disk is full, a file size limit, `ulimit -f`, was reached, or the disk is failing): %w", dbPath, err)
		case sqliteBusy:
			return fmt.Errorf("SQLite database %s stayed locked by another process for %ds (%s): %w", dbPath, busyTimeoutMillis/1000, DescribeHolders(SQLiteHolders(dbPath)), err)
		}
	}
	return fmt.Errorf("reading SQLite database %s: %w", dbPath, err)
}

// quoteIdent quotes an SQL identifier (table or column name) for SQLite.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
