package regen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/regen-tool/regen/migrator"
)

// restoreInPlace keeps the present database at kept, then writes the
// backup into the live file through SQLite (other connections see it) and
// checks it page by page. Rows written since the backup (by the app, by
// hand) would otherwise exist nowhere.
func (d *sqliteDB) restoreInPlace(ctx context.Context, backup, kept string) error {
	if !exists(d.path) {
		// Gone: nothing to keep, and no connection can read a file that is
		// not there, so a copy is as good.
		return d.restoreByCopy(ctx, backup)
	}
	if migrator.SQLiteUnchangedSince(d.path, backup) {
		// Untouched since the backup (a refusal before the first change):
		// nothing to keep aside, and rewriting it would change its bytes.
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(kept), 0o700); err != nil {
		return err
	}
	keepWait := func(p, _ string, limit time.Duration) { d.lockWait(p, "keep a copy of it before restoring it", limit) }
	err := migrator.SnapshotSQLiteWait(ctx, d.path, kept, keepWait)
	var locked *migrator.SQLiteLockedError
	switch {
	case errors.As(err, &locked):
		return fmt.Errorf("cannot keep a copy of it before restoring: %w", err)
	case err != nil:
		// Not a readable database any more (overwritten, truncated): no
		// connection can be using it, so keep its bytes and copy over it.
		if _, cerr := copyFileAtomic(d.path, kept, 0o600); cerr != nil {
			return fmt.Errorf("cannot keep a copy of it before restoring (%v): %w", err, cerr)
		}
		return d.restoreByCopy(ctx, backup)
	}
	return migrator.RestoreSQLiteInPlace(ctx, backup, d.path, d.lockWait)
}

func (d *sqliteDB) restoreByCopy(ctx context.Context, backup string) error {
	if err := migrator.RestoreSQLite(backup, d.path); err != nil {
		return err
	}
	return migrator.CheckSameAsBackup(ctx, d.path, backup)
}

// moveAside handles a database the run created: it is moved into
// quarantine, never deleted. A process holding it open would go on writing
// into the moved file, so then it stays, and the error says who to stop.
func (d *sqliteDB) moveAside(quarantine string) error {
	if hs, known := migrator.SQLiteHolders(d.path); known && len(hs) > 0 {
		return fmt.Errorf("it did not exist before the run and is now %s: moved aside, their writes would go into the moved file. Stop them, then run `regen recover`", migrator.DescribeHolders(hs, known))
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		p := d.path + suffix
		if exists(p) {
			if err := os.MkdirAll(quarantine, 0o700); err != nil {
				return err
			}
			if err := os.Rename(p, filepath.Join(quarantine, filepath.Base(p))); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockWait says, while it waits, what regen waits for and for whom.
func (d *sqliteDB) lockWait(dbPath, what string, limit time.Duration) {
	if d.rep == nil {
		return
	}
	d.rep.Warn("%s is locked by another connection: waiting (up to %s) to %s; %s", dbPath, limit, what, migrator.DescribeHolders(migrator.SQLiteHolders(dbPath)))
}

func (d *sqliteDB) State(ctx context.Context) (map[string]migrator.TableState, error) {
	st, err := migrator.SQLiteTableStates(ctx, d.path)
	if errors.Is(err, migrator.ErrNoDatabase) {
		return map[string]migrator.TableState{}, nil
	}
	return st, err
}

// Holders lists the other processes that have the database file open.
func (d *sqliteDB) Holders() []string {
	hs, known := migrator.SQLiteHolders(d.path)
	if !known {
		return []string{"cannot be known on this system (no /proc, no lsof)"}
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func (d *sqliteDB) ReadHint(err error) string {
	if migrator.IsSQLiteStorageError(err) {
		return "Check the free space (`df -h`) and the file size limit (`ulimit -f`) where the database is, then run again."
	}
	return "Check the database path (.regen.toml `database`) and that the file is a SQLite database."
}

// BackupState reads the copy in the backup folder (read-only).
func (d *sqliteDB) BackupState(ctx context.Context, rec RepoRecord, backupDir string) (map[string]migrator.TableState, error) {
	if rec.DBBackup == "" {
		return nil, nil
	}
	return migrator.SQLiteBackupTableStates(ctx, filepath.Join(backupDir, rec.DBBackup))
}

// RowCounts counts every table: one cheap query each.
func (d *sqliteDB) RowCounts(ctx context.Context, _ []string) map[string]int64 {
	rows, _ := migrator.SQLiteTableRowCounts(ctx, d.path)
	return rows
}

// Tenants: SQLite has no schemas to hold tenants.
func (d *sqliteDB) Tenants() (tenantSchemas, bool) { return nil, false }

// Rebuilder: AshSqlite's `down` raises for a table with a foreign key; a
// rebuild is the way to roll back there.
func (d *sqliteDB) Rebuilder() (rebuilder, bool) { return d, true }

// movedFiles: the compensation moved files (not only the database copy)
// into quarantine.
func movedFiles(quarantine string) bool {
	entries, err := os.ReadDir(quarantine)
	if err != nil {
		return false
	}
	for _, en := range entries {
		if en.Name() != "database" {
			return true
		}
	}
	return false
}

// EmptyForRebuild copies the database to old and empties the live file
// in place for the rebuild: a process holding it open (a dev server) then
// follows the rebuilt database instead of keeping the file that a rename
// would have moved away under it.
func (d *sqliteDB) EmptyForRebuild(ctx context.Context, old string) error {
	if err := migrator.SnapshotSQLiteWait(ctx, d.path, old, d.lockWait); err != nil {
		return err
	}
	return migrator.EmptySQLiteInPlace(ctx, d.path, filepath.Dir(old), d.lockWait)
}

// CarryRebuilt copies the data of old into the rebuilt database, for every
// table and column both have.
func (d *sqliteDB) CarryRebuilt(ctx context.Context, old string) (*migrator.CarryReport, error) {
	return migrator.SQLiteCarryOver(ctx, d.path, old, d.source)
}
