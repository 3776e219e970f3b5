package migrator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

// SnapshotSQLite copies the database file byte for byte, so that a restore
// gives back the very file the user had (sha256 identical), not merely the
// same rows. It holds the write lock (BEGIN IMMEDIATE) while copying, so no
// other writer can change the file underneath, and checkpoints a WAL first so
// that the main file holds every committed page. When the WAL cannot be
// emptied (another process keeps writing), it falls back to VACUUM INTO,
// which is consistent but not byte-identical. dst must not exist.
//
// The checkpoint is the one write it makes to the user's database: it moves
// committed pages from the -wal into the main file, which SQLite does by
// itself at every last close; the data does not change.
func SnapshotSQLite(ctx context.Context, dbPath, dst string) error {
	return SnapshotSQLiteWait(ctx, dbPath, dst, nil)
}

// SnapshotSQLiteWait is SnapshotSQLite telling wait when another connection
// holds the lock it needs (see LockWait); it waits BackupLockLimit at most.
func SnapshotSQLiteWait(ctx context.Context, dbPath, dst string, wait LockWait) error {
	if _, err := os.Stat(dbPath); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNoDatabase, dbPath)
	} else if err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("backup target %s already exists", dst)
	}
	db, err := openReadWrite(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", dbPath, err)
	}
	defer conn.Close()
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("%s is not a readable SQLite database: %w", dbPath, err)
	}
	wal := strings.EqualFold(mode, "wal")
	// One limit and one message for the whole backup, however many tries.
	deadline := time.Now().Add(BackupLockLimit)
	once := onceWait(wait)
	locked := func(op func() error) error {
		return retryLocked(ctx, dbPath, "back it up", max(time.Until(deadline), 0), once, op)
	}
	for attempt := 0; attempt < 3; attempt++ {
		if wal {
			// A checkpoint blocked by a reader is no error: the check
			// below then finds the -wal not empty and tries again.
			if _, err := conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				return fmt.Errorf("cannot checkpoint %s: %w", dbPath, err)
			}
		}
		if err := locked(func() error { _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); return err }); err != nil {
			return fmt.Errorf("cannot lock %s for the backup (another process is writing to it): %w", dbPath, err)
		}
		if wal {
			if fi, err := os.Stat(dbPath + "-wal"); err == nil && fi.Size() > 0 {
				conn.ExecContext(ctx, "ROLLBACK")
				continue // a writer slipped in between checkpoint and lock
			}
		}
		// The lock is held for the copy only: once createCopy returns, dst
		// holds the locked file's bytes (a clone's extents are shared
		// copy-on-write, so later writes to the database never reach it),
		// and its fsyncs need not keep writers waiting.
		out, _, err := createCopy(dbPath, dst)
		conn.ExecContext(ctx, "ROLLBACK")
		if err != nil {
			return err
		}
		return syncCopy(out, dst)
	}
	// Writers kept slipping in: a consistent (not byte-identical) copy.
	if _, err = conn.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("cannot back up %s: %w", dbPath, err)
	}
	if err := os.Chmod(dst, 0o600); err != nil {
		return err
	}
	if err := syncFile(dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// onceWait passes on only the first call.
func onceWait(wait LockWait) LockWait {
	if wait == nil {
		return nil
	}
	told := false
	return func(dbPath, what string, limit time.Duration) {
		if !told {
			told = true
			wait(dbPath, what, limit)
		}
	}
}

func snapshotCopyFile(src, dst string) error {
	_, err := snapshotCopy(src, dst)
	return err
}

// snapshotCopy makes dst a durable copy of src (a clone where the file
// system can: createCopy) and says whether it was cloned. The fsyncs are
// the same either way: a clone's new extent map is not durable until
// dst's fsync, nor its name until the folder's.
func snapshotCopy(src, dst string) (cloned bool, err error) {
	out, cloned, err := createCopy(src, dst)
	if err != nil {
		return false, err
	}
	return cloned, syncCopy(out, dst)
}

// syncCopy makes the copy createCopy left open at dst durable: its bytes
// (or a clone's extent map), then its name. dst is removed when it cannot be.
func syncCopy(out *os.File, dst string) error {
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(dst)
		return err
	}
	return syncDir(filepath.Dir(dst))
}
