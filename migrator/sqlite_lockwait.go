package migrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// LockWait is told when a SQLite operation finds the database locked by
// another connection and goes on waiting for it: once per operation, before
// the wait, so a long wait is never silent. what says what regen waits to do
// ("back it up", "restore it"); limit is how long it will wait at most.
type LockWait func(dbPath, what string, limit time.Duration)

// How long regen waits for another connection's lock: a backup that cannot
// start changes nothing, so it gives up sooner than a restore, which must
// finish.
const (
	BackupLockLimit  = 10 * time.Second
	RestoreLockLimit = 60 * time.Second
)

// lockProbeMillis is SQLite's own busy wait per attempt: short, so that
// regen can say what it waits for instead of blocking inside SQLite.
const lockProbeMillis = 200

// SQLiteLockedError: the database stayed locked by another connection for
// the whole limit.
type SQLiteLockedError struct {
	Path    string
	What    string
	Limit   time.Duration
	Holders string // who holds the file open, as far as it can be known
	Err     error
}

func (e *SQLiteLockedError) Error() string {
	return fmt.Sprintf("SQLite database %s stayed locked by another connection for %s while regen waited to %s (%s): %v", e.Path, e.Limit, e.What, e.Holders, e.Err)
}

func (e *SQLiteLockedError) Unwrap() error { return e.Err }

// isBusy: SQLITE_BUSY or SQLITE_LOCKED, in any extended form.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqliteBusy || code == sqliteLocked
}

const sqliteLocked = 6

// retryLocked runs op until it does not fail with SQLITE_BUSY, or limit has
// passed; wait hears about it once, at the first busy answer.
func retryLocked(ctx context.Context, dbPath, what string, limit time.Duration, wait LockWait, op func() error) error {
	deadline := time.Now().Add(limit)
	told := false
	for {
		err := op()
		if err == nil || !isBusy(err) {
			return err
		}
		if time.Now().After(deadline) {
			return &SQLiteLockedError{Path: dbPath, What: what, Limit: limit, Holders: DescribeHolders(SQLiteHolders(dbPath)), Err: err}
		}
		if !told && wait != nil {
			wait(dbPath, what, limit)
			told = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the lock on %s: %w", dbPath, context.Cause(ctx))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DescribeHolders says in words who has a database open, for messages.
func DescribeHolders(holders []Holder, known bool) string {
	if !known {
		return "which process holds it cannot be known on this system"
	}
	if len(holders) == 0 {
		return "no other process has it open now"
	}
	parts := make([]string, len(holders))
	for i, h := range holders {
		parts[i] = h.String()
	}
	return "held open by " + strings.Join(parts, ", ")
}
