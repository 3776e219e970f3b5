package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/regen-tool/regen/migrator/fsatomic"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// backupMode keeps database copies private: they hold the user's dev data.
const backupMode = 0o600

// defaultDBMode is used when restoring over a database file that is gone
// (so its mode cannot be kept): what SQLite creates under the usual umask.
const defaultDBMode = 0o644

// sqliteSidecars are the files SQLite keeps beside a database. After a
// restore any of them would belong to the replaced database and must go:
// a stale -wal would be replayed onto the restored file.
func sqliteSidecars() []string { return []string{"-wal", "-shm", "-journal"} }

// BackupSQLite writes a consistent copy of a possibly live database to dst,
// which must not exist. VACUUM INTO on a read-only connection reads one
// snapshot through SQLite's own locking, so it includes committed data still
// in the -wal and works while another process has the database open, where a
// file copy could tear. dst is created 0600 and fsynced with its directory.
func BackupSQLite(ctx context.Context, dbPath, dst string) (err error) {
	db, err := openReadOnly(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()

	absDst, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("backup destination %s: %w", dst, err)
	}
	// Creating the file first claims the name exclusively and fixes its mode
	// before any data lands in it; VACUUM INTO accepts an empty file.
	f, err := os.OpenFile(absDst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, backupMode)
	if err != nil {
		return fmt.Errorf("creating backup %s: %w", dst, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(absDst)
		return fmt.Errorf("creating backup %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(absDst)
		}
	}()

	var journalMode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journalMode); err != nil {
		return fmt.Errorf("backing up %s: %w", dbPath, describeOpenError(dbPath, err))
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", absDst); err != nil {
		return fmt.Errorf("backing up %s to %s: %w", dbPath, dst, describeOpenError(dbPath, err))
	}
	// VACUUM INTO always writes a rollback-journal database. WAL mode is
	// persistent in the file header, so carry it over: a restore must give
	// back the database as it was, not just its rows.
	if strings.EqualFold(journalMode, "wal") {
		if err := setWALMode(ctx, absDst); err != nil {
			return fmt.Errorf("backup %s: %w", dst, err)
		}
	}
	if err := os.Chmod(absDst, backupMode); err != nil {
		return fmt.Errorf("backup %s: %w", dst, err)
	}
	if err := syncFile(absDst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(absDst))
}

// setWALMode switches a closed database file to WAL. Closing the only
// connection checkpoints and removes the -wal and -shm it created.
func setWALMode(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: filepath.ToSlash(path)}).EscapedPath())
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		_ = db.Close()
		return fmt.Errorf("setting WAL mode: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("setting WAL mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("setting WAL mode: SQLite kept %q", mode)
	}
	return nil
}

// RestoreSQLite puts backup back at dbPath byte for byte. The copy goes to a
// temporary file in the same directory and is renamed over dbPath, so at
// every instant dbPath is either the old or the restored database, never a
// half-written one. The -wal, -shm and -journal files are removed before the
// rename so SQLite cannot replay the replaced database's log onto the
// restored one. dbPath keeps its file mode; a symlinked dbPath is restored
// at its target so the link survives.
func RestoreSQLite(backup, dbPath string) (err error) {
	src, err := os.Open(backup)
	if err != nil {
		return fmt.Errorf("opening backup %s: %w", backup, err)
	}
	defer src.Close()
	if info, err := src.Stat(); err != nil {
		return fmt.Errorf("backup %s: %w", backup, err)
	} else if !info.Mode().IsRegular() {
		return fmt.Errorf("backup %s is not a regular file", backup)
	}

	target := dbPath
	if resolved, err := filepath.EvalSymlinks(dbPath); err == nil {
		target = resolved
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s: %w", dbPath, err)
	}
	mode := fs.FileMode(defaultDBMode)
	if info, err := os.Stat(target); err == nil {
		mode = info.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s: %w", dbPath, err)
	}

	// The stale -wal/-shm go only once the new file is durable, just before
	// it takes the name: never beside the old file's pages nor the new one's.
	removeSidecars := func() error {
		for _, suffix := range sqliteSidecars() {
			if err := os.Remove(target + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing stale %s: %w", target+suffix, err)
			}
		}
		return nil
	}
	if _, err := fsatomic.WriteReader(target, src, mode, removeSidecars); err != nil {
		return fmt.Errorf("restoring %s: %w", dbPath, err)
	}
	return nil
}
