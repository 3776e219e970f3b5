package migrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// PGBackupPrefix starts the name of every database regen creates; nothing
// without it is ever dropped or used as a restore source.
const PGBackupPrefix = "regen_bk_"

// pgMaxIdent is PostgreSQL's NAMEDATALEN-1: longer names are truncated
// silently by the server, which would break listing.
const pgMaxIdent = 63

// pgBackupCommentPrefix starts the comment regen puts on its backups. The
// comment names the source database exactly, where the sanitized name
// cannot (my-app and my_app give the same name).
const pgBackupCommentPrefix = "regen backup: "

// PGBackupName is the backup database's name for database db and run runID:
// regen_bk_<db>_<runid>, lower-cased, every other byte than [a-z0-9_] made
// '_', at most 63 bytes. The db part is cut to fit; the run id never is,
// since it makes the name unique.
func PGBackupName(db, runID string) (string, error) {
	run := sanitizePGName(runID)
	if run == "" {
		return "", errors.New("backup run id is empty")
	}
	room := pgMaxIdent - len(PGBackupPrefix) - 1 - len(run)
	if room < 1 {
		return "", fmt.Errorf("backup run id %q is too long for a database name (at most %d bytes)", runID, pgMaxIdent-len(PGBackupPrefix)-2)
	}
	part := sanitizePGName(db)
	if part == "" {
		part = "db"
	}
	if len(part) > room {
		part = part[:room]
	}
	return PGBackupPrefix + part + "_" + run, nil
}

func sanitizePGName(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

func pgBackupComment(db, runID string) string {
	return pgBackupCommentPrefix + "db=" + url.QueryEscape(db) + " run=" + url.QueryEscape(runID)
}

// parsePGBackupComment returns the source database a regen comment names.
func parsePGBackupComment(comment string) (db string, ok bool) {
	rest, ok := strings.CutPrefix(comment, pgBackupCommentPrefix)
	if !ok {
		return "", false
	}
	for _, f := range strings.Fields(rest) {
		if v, found := strings.CutPrefix(f, "db="); found {
			db, err := url.QueryUnescape(v)
			return db, err == nil
		}
	}
	return "", false
}

// pgMaintenance is where database-level statements run: never the database
// being copied or dropped, which must have no session at all.
func pgMaintenance(c PGConn) PGConn {
	if c.Database() == "postgres" {
		return c.WithDatabase("template1")
	}
	return c.WithDatabase("postgres")
}

// PGBackupTemplate copies c's database to a new database named by
// PGBackupName, with CREATE DATABASE … TEMPLATE (STRATEGY FILE_COPY on
// PostgreSQL 15+, a file-level copy that does not WAL-log every page). The
// copy needs no other session on the database: if there are any the error
// wraps ErrPGBusy and nothing was created. The backup is commented with its
// source so PGListBackups and PGRestoreTemplate cannot confuse two
// databases.
func PGBackupTemplate(ctx context.Context, c PGConn, runID string) (string, error) {
	dbName := c.Database()
	backup, err := PGBackupName(dbName, runID)
	if err != nil {
		return "", err
	}
	db, err := openPG(ctx, pgMaintenance(c))
	if err != nil {
		return "", err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)`, dbName).Scan(&exists); err != nil {
		return "", c.fail("backing up "+dbName, err)
	}
	if !exists {
		return "", &pgError{msg: fmt.Sprintf("PostgreSQL database %q does not exist on %s", dbName, c.hostPort()), kind: ErrPGNoDatabase}
	}
	n, err := countOtherSessions(ctx, db, dbName)
	if err != nil {
		return "", c.fail("backing up "+dbName, err)
	}
	if n > 0 {
		return "", busyError(dbName, n, nil)
	}
	version, err := pgServerVersion(ctx, db)
	if err != nil {
		return "", c.fail("backing up "+dbName, err)
	}
	stmt := "CREATE DATABASE " + pq.QuoteIdentifier(backup) + " TEMPLATE " + pq.QuoteIdentifier(dbName)
	if version >= 150000 {
		stmt += " STRATEGY FILE_COPY"
	}
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		// A session that connected after the count makes the copy fail
		// (after the server's own 5 s wait): the same answer as before.
		if isPGCode(err, pqerror.ObjectInUse) {
			return "", busyError(dbName, 0, err)
		}
		return "", c.fail("backing up "+dbName+" to "+backup, err)
	}
	comment := "COMMENT ON DATABASE " + pq.QuoteIdentifier(backup) + " IS " + pq.QuoteLiteral(pgBackupComment(dbName, runID))
	if _, err := db.ExecContext(ctx, comment); err != nil {
		// An unmarked copy could never be pruned; do not leave one.
		_, _ = db.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(backup))
		return "", c.fail("marking backup "+backup, err)
	}
	return backup, nil
}

func busyError(dbName string, n int, cause error) error {
	msg := fmt.Sprintf("database %q is in use by other sessions (a running server, psql, an editor?), so it cannot be copied", dbName)
	if n > 0 {
		msg = fmt.Sprintf("database %q has %d other session(s) connected (a running server, psql, an editor?), so it cannot be copied", dbName, n)
	}
	return &pgError{msg: msg, kind: ErrPGBusy, cause: cause}
}

// PGTerminateOthers ends every other session on c's database
// (pg_terminate_backend, waiting up to 5 s for each to exit on PostgreSQL
// 14+) and returns how many it ended. Sessions it may not end (another
// user's, without the privilege) are reported after trying all.
func PGTerminateOthers(ctx context.Context, c PGConn) (int, error) {
	dbName := c.Database()
	db, err := openPG(ctx, pgMaintenance(c))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT pid FROM pg_catalog.pg_stat_activity WHERE `+pgOtherSessionsWhere, dbName)
	if err != nil {
		return 0, c.fail("listing sessions on "+dbName, err)
	}
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			rows.Close()
			return 0, c.fail("listing sessions on "+dbName, err)
		}
		pids = append(pids, pid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, c.fail("listing sessions on "+dbName, err)
	}
	version, err := pgServerVersion(ctx, db)
	if err != nil {
		return 0, c.fail("terminating sessions on "+dbName, err)
	}
	q := `SELECT pg_terminate_backend($1)`
	if version >= 140000 {
		q = `SELECT pg_terminate_backend($1, 5000)`
	}
	ended := 0
	var errs []error
	for _, pid := range pids {
		var ok bool
		if err := db.QueryRowContext(ctx, q, pid).Scan(&ok); err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", pid, err))
			continue
		}
		if ok {
			ended++
		}
	}
	if len(errs) > 0 {
		return ended, c.fail(fmt.Sprintf("terminating sessions on %s (%d of %d ended)", dbName, ended, len(pids)), errors.Join(errs...))
	}
	return ended, nil
}

// pgBackupInfo reads a database's regen comment: exists, and the source
// database it names (ok false: no regen comment).
func pgBackupInfo(ctx context.Context, db *sql.DB, name string) (exists bool, source string, ok bool, err error) {
	var comment sql.NullString
	err = db.QueryRowContext(ctx, `
SELECT shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database WHERE datname = $1`, name).Scan(&comment)
	if errors.Is(err, sql.ErrNoRows) {
		return false, "", false, nil
	}
	if err != nil {
		return false, "", false, err
	}
	source, ok = parsePGBackupComment(comment.String)
	return true, source, ok, nil
}

// PGRestoreTemplate replaces c's database by a copy of backupDB: DROP
// DATABASE … WITH (FORCE) (ending every session on it), then CREATE
// DATABASE … TEMPLATE backupDB, with the dropped database's owner. The
// backup stays; drop it with PGDropBackup. It refuses a backupDB without the
// regen_bk_ prefix or one whose regen comment names another database.
func PGRestoreTemplate(ctx context.Context, c PGConn, backupDB string) error {
	dbName := c.Database()
	if !strings.HasPrefix(backupDB, PGBackupPrefix) || backupDB == dbName {
		return checkRestoreSource(ctx, c, nil, backupDB)
	}
	db, err := openPG(ctx, pgMaintenance(c))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkRestoreSource(ctx, c, db, backupDB); err != nil {
		return err
	}
	var owner sql.NullString
	err = db.QueryRowContext(ctx, `SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = $1`, dbName).Scan(&owner)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c.fail("restoring "+dbName, err)
	}
	version, err := pgServerVersion(ctx, db)
	if err != nil {
		return c.fail("restoring "+dbName, err)
	}
	drop := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(dbName)
	if version >= 130000 {
		drop += " WITH (FORCE)"
	}
	if _, err := db.ExecContext(ctx, drop); err != nil {
		return c.fail("restoring "+dbName+": dropping it", err)
	}
	create := "CREATE DATABASE " + pq.QuoteIdentifier(dbName) + " TEMPLATE " + pq.QuoteIdentifier(backupDB)
	if owner.Valid && owner.String != "" {
		create += " OWNER " + pq.QuoteIdentifier(owner.String)
	}
	if version >= 150000 {
		create += " STRATEGY FILE_COPY"
	}
	// From here on the database is gone until the copy exists: finish it
	// even if the caller's context is cancelled (Ctrl-C mid-restore).
	if _, err := db.ExecContext(context.WithoutCancel(ctx), create); err != nil {
		return c.fail(fmt.Sprintf("restoring %s from %s (the database is dropped; the backup %s is intact, run the restore again)", dbName, backupDB, backupDB), err)
	}
	return nil
}

// PGDropBackup drops one of regen's backups (WITH (FORCE) on PostgreSQL
// 13+). It refuses any name without the regen_bk_ prefix or without regen's
// mark; a backup that is already gone is not an error.
func PGDropBackup(ctx context.Context, c PGConn, backupDB string) error {
	if !strings.HasPrefix(backupDB, PGBackupPrefix) {
		return fmt.Errorf("refusing to drop %q: not a regen backup (no %s prefix)", backupDB, PGBackupPrefix)
	}
	if backupDB == c.Database() {
		return fmt.Errorf("refusing to drop %q: it is the configured database", backupDB)
	}
	db, err := openPG(ctx, pgMaintenance(c))
	if err != nil {
		return err
	}
	defer db.Close()
	exists, _, ok, err := pgBackupInfo(ctx, db, backupDB)
	if err != nil {
		return c.fail("dropping backup "+backupDB, err)
	}
	if !exists {
		return nil
	}
	if !ok {
		return fmt.Errorf("refusing to drop %q: it does not carry regen's backup mark", backupDB)
	}
	version, err := pgServerVersion(ctx, db)
	if err != nil {
		return c.fail("dropping backup "+backupDB, err)
	}
	stmt := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(backupDB)
	if version >= 130000 {
		stmt += " WITH (FORCE)"
	}
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return c.fail("dropping backup "+backupDB, err)
	}
	return nil
}

// PGListBackups lists, sorted by name, regen's backups of c's database:
// names with the regen_bk_ prefix whose regen mark names this database.
func PGListBackups(ctx context.Context, c PGConn) ([]string, error) {
	dbName := c.Database()
	db, err := openPG(ctx, pgMaintenance(c))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `
SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
FROM pg_catalog.pg_database
WHERE starts_with(datname, $1)`, PGBackupPrefix)
	if err != nil {
		return nil, c.fail("listing backups of "+dbName, err)
	}
	defer rows.Close()
	names := []string{}
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			return nil, c.fail("listing backups of "+dbName, err)
		}
		if source, ok := parsePGBackupComment(comment); ok && source == dbName {
			names = append(names, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, c.fail("listing backups of "+dbName, err)
	}
	sort.Strings(names)
	return names, nil
}
