package migrator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"modernc.org/sqlite"
)

// RestoreSQLiteInPlace puts the backup's pages back into the live database
// at dbPath through SQLite's online backup API, under the database's write
// lock. Other connections (a dev server, iex, a DB browser) keep their file
// open and see the restored database at their next read, in WAL and
// rollback-journal mode alike; replacing the file by rename would leave
// them writing into the replaced inode. It then checks that the live
// database holds exactly the backup's pages. A database file that is gone is
// put back by copying (no connection can be reading a file that is not
// there).
//
// wait is told when another connection holds the lock (see LockWait).
func RestoreSQLiteInPlace(ctx context.Context, backup, dbPath string, wait LockWait) error {
	if info, err := os.Stat(backup); err != nil {
		return fmt.Errorf("backup %s: %w", backup, err)
	} else if !info.Mode().IsRegular() {
		return fmt.Errorf("backup %s is not a regular file", backup)
	}
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return RestoreSQLite(backup, dbPath)
	} else if err != nil {
		return fmt.Errorf("database %s: %w", dbPath, err)
	}
	err := writePagesInPlace(ctx, dbPath, backup, "restore it", wait, func(conn *sql.Conn) error {
		leaveWAL(ctx, conn, backup)
		return nil
	})
	if err != nil {
		return fmt.Errorf("restoring %s from %s: %w", dbPath, backup, err)
	}
	return CheckSameAsBackup(ctx, dbPath, backup)
}

// writePagesInPlace writes the pages of the database file src into the live
// database at dbPath through the online backup API, under its write lock
// (waiting as RestoreLockLimit allows, telling wait), then runs after on the
// same connection: the one way regen writes a whole database in place.
func writePagesInPlace(ctx context.Context, dbPath, src, what string, wait LockWait, after func(*sql.Conn) error) error {
	uri, err := immutableURI(src)
	if err != nil {
		return err
	}
	db, err := openReadWrite(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", dbPath, describeOpenError(dbPath, err))
	}
	defer conn.Close()
	err = retryLocked(ctx, dbPath, what, RestoreLockLimit, wait, func() error {
		return conn.Raw(func(dc any) error { return restorePages(dc, uri) })
	})
	if err != nil {
		return err
	}
	if err := after(conn); err != nil {
		return err
	}
	return conn.Close()
}

// leaveWAL gives back a rollback-journal database that was switched to WAL
// since its backup: WAL mode is persistent in the file, and the backup API
// keeps a WAL destination in WAL. It needs the database to itself, so with
// other connections open the database stays in WAL (their data is the same).
func leaveWAL(ctx context.Context, conn *sql.Conn, backup string) {
	header := make([]byte, 20)
	f, err := os.Open(backup)
	if err != nil {
		return
	}
	_, err = io.ReadFull(f, header)
	f.Close()
	if err != nil || header[18] != 1 {
		return
	}
	var mode string
	if conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode) == nil && strings.EqualFold(mode, "wal") {
		_ = conn.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode)
	}
}

// restorer is the part of modernc's connection that runs sqlite3_backup
// with the connection as destination.
type restorer interface {
	NewRestore(srcURI string) (*sqlite.Backup, error)
}

// restorePages copies every page of src into the connection's database in
// one step: one write transaction, so no reader sees half of it.
func restorePages(dc any, src string) error {
	r, ok := dc.(restorer)
	if !ok {
		return fmt.Errorf("the SQLite driver offers no online backup")
	}
	bk, err := r.NewRestore(src)
	if err != nil {
		return err
	}
	_, err = bk.Step(-1)
	if ferr := bk.Finish(); err == nil {
		err = ferr
	}
	return err
}

// CheckSameAsBackup verifies that the live database holds exactly the
// backup's pages (SQLitePageDigest); when it does not, it names the tables
// that differ.
func CheckSameAsBackup(ctx context.Context, dbPath, backup string) error {
	got, err := SQLitePageDigest(ctx, dbPath)
	if err != nil {
		return fmt.Errorf("checking %s after the restore: %w", dbPath, err)
	}
	want, err := sqlitePageDigestOf(ctx, backup, true)
	if err != nil {
		return fmt.Errorf("checking the backup %s: %w", backup, err)
	}
	if got == want {
		return nil
	}
	detail := "its pages differ from the copy's"
	live, lerr := SQLiteTableStates(ctx, dbPath)
	copyStates, cerr := sqliteTableStatesOf(ctx, backup, true)
	if lerr == nil && cerr == nil {
		if d := DiffTableStates(copyStates, live); len(d) > 0 {
			detail = "tables differ from the copy: " + strings.Join(d, "; ")
		}
	}
	return fmt.Errorf("%s does not match its copy %s after the restore (%s; another process may have written to it right after)", dbPath, backup, detail)
}

// Header fields SQLite itself rewrites when pages are written into a live
// database, so that other connections notice: the file format bytes (WAL or
// not), the change counter, the schema cookie, version-valid-for and the
// library version. Everything else must be identical.
var maskedHeader = [][2]int{{18, 20}, {24, 28}, {40, 44}, {92, 100}}

// SQLitePageDigest is the sha256 of the page size, the page count and every
// page as SQLite reads it (what the -wal holds included), with the header
// fields of maskedHeader zeroed. Two databases with the same digest hold
// the same bytes in every page: a byte-level comparison that stays true
// when a restore went through SQLite into a live database.
func SQLitePageDigest(ctx context.Context, dbPath string) (string, error) {
	return sqlitePageDigestOf(ctx, dbPath, false)
}

func sqlitePageDigestOf(ctx context.Context, dbPath string, immutable bool) (string, error) {
	db, err := openForReading(ctx, dbPath, immutable)
	if err != nil {
		return "", err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", describeOpenError(dbPath, err)
	}
	defer tx.Rollback()
	var pageSize int64
	if err := tx.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return "", describeOpenError(dbPath, err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT pgno, data FROM sqlite_dbpage('main') ORDER BY pgno")
	if err != nil {
		return "", describeOpenError(dbPath, err)
	}
	defer rows.Close()
	h := sha256.New()
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(pageSize))
	h.Write(buf[:])
	var n uint64
	for rows.Next() {
		var pgno int64
		var data []byte
		if err := rows.Scan(&pgno, &data); err != nil {
			return "", err
		}
		if pgno == 1 {
			data = append([]byte(nil), data...)
			for _, r := range maskedHeader {
				if r[1] <= len(data) {
					clear(data[r[0]:r[1]])
				}
			}
		}
		h.Write(data)
		n++
	}
	if err := rows.Err(); err != nil {
		return "", describeOpenError(dbPath, err)
	}
	binary.BigEndian.PutUint64(buf[:], n)
	h.Write(buf[:])
	return hex.EncodeToString(h.Sum(nil)), nil
}

// openForReading opens a database read-only; immutable is for regen's own
// copies, which no one writes: SQLite then takes no lock and needs no
// -shm beside a copy of a WAL database.
func openForReading(ctx context.Context, dbPath string, immutable bool) (*sql.DB, error) {
	if !immutable {
		return openReadOnly(ctx, dbPath)
	}
	uri, err := immutableURI(dbPath)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dbPath); err != nil {
		return nil, fmt.Errorf("database %s: %w", dbPath, err)
	}
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func immutableURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	return "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?mode=ro&immutable=1", nil
}

// openReadWrite opens an existing database for writing (never creating
// it), with a short busy wait so callers can say what they wait for.
func openReadWrite(dbPath string) (*sql.DB, error) {
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", dbPath, err)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + fmt.Sprintf("?mode=rw&_pragma=busy_timeout(%d)", lockProbeMillis)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dbPath, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// TableState is one table's row count and digest (see SQLiteTableDigests).
// Rows is -1 where it was not counted.
type TableState struct {
	Rows   int64  `json:"rows"`
	Digest string `json:"digest"`
}

// SQLiteTableStates reads every table's row count and digest in one read
// transaction (one snapshot of the database).
func SQLiteTableStates(ctx context.Context, dbPath string) (map[string]TableState, error) {
	return sqliteTableStatesOf(ctx, dbPath, false)
}

func sqliteTableStatesOf(ctx context.Context, dbPath string, immutable bool) (map[string]TableState, error) {
	db, err := openForReading(ctx, dbPath, immutable)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, describeOpenError(dbPath, err)
	}
	defer conn.Close()
	st, err := SQLiteConnTableStates(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dbPath, describeOpenError(dbPath, err))
	}
	return st, nil
}

// SQLiteConnTableStates is SQLiteTableStates on a connection the caller
// holds (one snapshot: it runs in a read transaction of its own).
func SQLiteConnTableStates(ctx context.Context, conn *sql.Conn) (map[string]TableState, error) {
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	tables, err := listTables(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]TableState, len(tables))
	for _, t := range tables {
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t.name)).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting rows of %s: %w", t.name, err)
		}
		h := sha256.New()
		writeField(h, t.sql)
		if err := hashAttachedSchema(ctx, tx, h, t.name); err != nil {
			return nil, fmt.Errorf("digest of %s: %w", t.name, err)
		}
		if err := hashRows(ctx, tx, h, t.name); err != nil {
			return nil, fmt.Errorf("digest of %s: %w", t.name, err)
		}
		out[t.name] = TableState{Rows: n, Digest: hex.EncodeToString(h.Sum(nil))}
	}
	return out, nil
}

// DiffTableStates says, per table, how now differs from then ("posts: 1 →
// 2 rows"), sorted by table.
func DiffTableStates(then, now map[string]TableState) []string {
	names := map[string]bool{}
	for n := range then {
		names[n] = true
	}
	for n := range now {
		names[n] = true
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var out []string
	for _, n := range sorted {
		a, inThen := then[n]
		b, inNow := now[n]
		switch {
		case !inThen:
			out = append(out, fmt.Sprintf("%s: new table%s", n, rowsNote(" (", b.Rows, " rows)")))
		case !inNow:
			out = append(out, fmt.Sprintf("%s: table gone%s", n, rowsNote(" (had ", a.Rows, " rows)")))
		case a.Digest == b.Digest:
		case a.Rows >= 0 && b.Rows >= 0 && a.Rows != b.Rows:
			out = append(out, fmt.Sprintf("%s: %d → %d rows", n, a.Rows, b.Rows))
		default:
			out = append(out, fmt.Sprintf("%s: rows or schema changed%s", n, rowsNote(" (", b.Rows, " rows now)")))
		}
	}
	return out
}

func rowsNote(pre string, n int64, post string) string {
	if n < 0 {
		return ""
	}
	return fmt.Sprintf("%s%d%s", pre, n, post)
}

// SQLiteBackupTableStates is SQLiteTableStates of one of regen's own copies
// (opened immutable: no lock, no -shm beside it).
func SQLiteBackupTableStates(ctx context.Context, path string) (map[string]TableState, error) {
	return sqliteTableStatesOf(ctx, path, true)
}

// EmptySQLiteInPlace turns the live database at dbPath into an empty one
// (no tables), through SQLite's backup API from an empty database made in
// scratchDir: connections that have it open see the empty database, and
// then whatever is built in it, rather than going on with a file that was
// moved away under them. Its journal mode (WAL or not) stays.
func EmptySQLiteInPlace(ctx context.Context, dbPath, scratchDir string, wait LockWait) error {
	f, err := os.CreateTemp(scratchDir, "empty-*.db")
	if err != nil {
		return err
	}
	empty := f.Name()
	f.Close()
	defer os.Remove(empty)
	err = writePagesInPlace(ctx, dbPath, empty, "empty it for the rebuild", wait, func(conn *sql.Conn) error {
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil || n != 0 {
			return fmt.Errorf("%d schema objects left (%v)", n, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("emptying %s: %w", dbPath, err)
	}
	return nil
}

// SQLiteUnchangedSince reports whether the live database at dbPath still is,
// byte for byte, the backup taken of it (a backup is a checkpointed byte
// copy), with nothing pending in a -wal or hot -journal. Such a database
// needs no restore: writing the same pages again would still bump its
// header counters and change its bytes. The comparison stops at the first
// difference, so a changed database costs one block.
func SQLiteUnchangedSince(dbPath, backup string) bool {
	for _, suffix := range []string{"-wal", "-journal"} {
		if info, err := os.Stat(dbPath + suffix); err == nil && info.Size() > 0 {
			return false
		}
	}
	a, err := os.Open(dbPath)
	if err != nil {
		return false
	}
	defer a.Close()
	b, err := os.Open(backup)
	if err != nil {
		return false
	}
	defer b.Close()
	ia, erra := a.Stat()
	ib, errb := b.Stat()
	if erra != nil || errb != nil || ia.Size() != ib.Size() {
		return false
	}
	bufA, bufB := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(a, bufA)
		nb, eb := io.ReadFull(b, bufB)
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == ea
		}
		if ea != nil || eb != nil {
			return false
		}
	}
}
