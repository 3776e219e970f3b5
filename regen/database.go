package regen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen/project"
)

// database is what the engine needs from a repo's database. The engine
// never asks which kind it holds: what differs between SQLite and
// PostgreSQL is said by these methods (only openDatabase and openRecorded
// know the kinds).
type database interface {
	String() string
	// Applied returns the applied versions, ascending. A database that does
	// not exist yet has none.
	Applied(ctx context.Context) ([]int64, error)
	// ReadHint is the way on when Applied failed with err.
	ReadHint(err error) string
	// AppliedStamps is each version's inserted_at as the last Applied read
	// it (regen's store tells a re-application from an edit by it).
	AppliedStamps() map[int64]string
	// Backup copies the database into dir (or beside it, in the server)
	// and records how it will come back.
	Backup(ctx context.Context, dir string) (rec RepoRecord, err error)
	// PrepareRestore runs while the run's migration files are still in
	// place, before the files are restored: what a restore needs of them.
	PrepareRestore(ctx context.Context, req restoreRequest) error
	// Restore puts back what Backup recorded (re-migration included) and
	// says where what it replaced was kept.
	Restore(ctx context.Context, req restoreRequest) (restored, error)
	// BackupWhere says where the backup of rec is, for messages; gone: it
	// is known not to exist any more.
	BackupWhere(rec RepoRecord, backupDir string) (where string, gone bool)
	// Release frees what the database holds for rec outside the run's
	// backup folder: after a verified restore the backup (the database is
	// now that copy); when the run's backup is pruned, also the copies kept
	// before restores.
	Release(ctx context.Context, rec RepoRecord, pruned bool)
	// State is every table's digest (and row count where cheap): what
	// undo and recover compare to see data changed since the run.
	State(ctx context.Context) (map[string]migrator.TableState, error)
	// BackupState is the same of rec's backup, nil when it is not read.
	BackupState(ctx context.Context, rec RepoRecord, backupDir string) (map[string]migrator.TableState, error)
	// RowCounts counts, read-only, the rows of tables (more where that is
	// as cheap); a count that cannot be read is left out.
	RowCounts(ctx context.Context, tables []string) map[string]int64
	// Holders lists, for the plan, other processes using the database.
	Holders() []string
	// Tenants gives the database's tenant schemas; false when it has none
	// (schema-based multitenancy needs schemas).
	Tenants() (tenantSchemas, bool)
	// Rebuilder gives how the database is recreated from the tracked
	// migrations with its data carried over (when a `down` fails); false
	// when it is not rebuilt.
	Rebuilder() (rebuilder, bool)

	// Issue 12, dev data survives regeneration: the keep_data step (see
	// keepdata.go). Kept in a block of its own; the issue 11 methods
	// grow above.
	keepDataDB
}

// tenantSchemas reads the tenant schemas of a database.
type tenantSchemas interface {
	// TenantPrefixes lists the tenant schemas.
	TenantPrefixes(ctx context.Context) ([]string, error)
	// TenantApplied reads each prefix's applied versions; every prefix
	// asked for is a key.
	TenantApplied(ctx context.Context, prefixes []string) (map[string][]int64, error)
}

// rebuilder recreates a database for a rollback its `down`s cannot do.
type rebuilder interface {
	// EmptyForRebuild keeps a copy of the database at old and empties the
	// live database in place.
	EmptyForRebuild(ctx context.Context, old string) error
	// CarryRebuilt copies the data of old into the rebuilt database.
	CarryRebuilt(ctx context.Context, old string) (*migrator.CarryReport, error)
}

// restoreRequest is what a restore of one database is given.
type restoreRequest struct {
	Rec        RepoRecord
	BackupDir  string
	Quarantine string // where what the restore replaces or moves goes
	RunID      string // the open run: names a kept copy
	// KeepPresent says whether the present data must be kept before it
	// is replaced: asked only where keeping costs a full copy.
	KeepPresent func() bool
	// Remigrate runs a recorded command over copies of the given
	// versions' migration files (mix is the engine's); nil where none may
	// run (the restore before a rebuild).
	Remigrate remigrateFunc
}

// remigrateFunc runs command (a recorded template with {dir}) over copies
// of versions' migration files, in a folder named by phase.
type remigrateFunc func(ctx context.Context, command []string, versions []int64, phase string) error

// restored says where a restore kept what it replaced.
type restored struct {
	Kept     string // the database as it was before the restore: "at PATH" or "as database NAME…"
	KeptCopy string // a copy to record in the journal, dropped when the run is pruned
	Moved    string // the run had created the database: moved here
}

// keepDataDB is what the keep_data step needs from a repo's database. The
// step runs after migrate and before the final verify, only for databases
// the run migrated; PrepareKeep runs right after the backup (before the
// rollback), DropKeep at commit and after a compensation or recover.
type keepDataDB interface {
	// PrepareKeep takes what KeepData will read that the backup does not
	// hold (PostgreSQL without a template copy: the affected tables
	// copied into a schema of regen's own). It records what it made in rec
	// (journalled right after), so DropKeep finds it after a crash. SQLite:
	// nothing, the backup copy is read.
	PrepareKeep(ctx context.Context, rec *RepoRecord, runID string) error
	// KeepData carries the pre-run data back into the migrated database:
	// one report per database (PostgreSQL: per schema). An error means
	// nothing of the carry stayed (one transaction) and fails the run.
	KeepData(ctx context.Context, rec RepoRecord, backupDir string, during func() error) ([]migrator.KeepReport, error)
	// NonNullCounts counts the non-NULL values of each column that exists
	// now (the keep-data forecast); a column or table that does not exist is
	// left out.
	NonNullCounts(ctx context.Context, cols []migrator.TableColumn) (map[migrator.TableColumn]int64, error)
	// DropKeep removes what PrepareKeep made (only regen's own names).
	// Idempotent: commit, compensation and recover may all call it.
	DropKeep(ctx context.Context, rec RepoRecord) error
}

type sqliteDB struct {
	path   string
	source string
	repo   string
	rep    Reporter // told while a lock held by another process makes regen wait
	stamps map[int64]string
}

func (d *sqliteDB) AppliedStamps() map[int64]string { return d.stamps }

func (d *sqliteDB) String() string { return d.path }

func (d *sqliteDB) Applied(ctx context.Context) ([]int64, error) {
	vs, err := migrator.SQLiteAppliedVersions(ctx, d.path, d.source)
	if errors.Is(err, migrator.ErrNoDatabase) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(vs))
	d.stamps = make(map[int64]string, len(vs))
	for i, v := range vs {
		out[i] = v.Version
		d.stamps[v.Version] = v.InsertedAt
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (d *sqliteDB) Backup(ctx context.Context, dir string) (RepoRecord, error) {
	rec := RepoRecord{Database: d.path, Kind: KindSQLite, DBRestore: RestoreCopy}
	if _, err := os.Stat(d.path); errors.Is(err, os.ErrNotExist) {
		rec.DBAbsent = true
		return rec, nil
	}
	// Two repos' databases may share a file name: the repo keeps them apart.
	name := "db-" + strings.NewReplacer("/", "_", string(filepath.Separator), "_").Replace(d.repo) + "-" + filepath.Base(d.path)
	if err := migrator.SnapshotSQLiteWait(ctx, d.path, filepath.Join(dir, name), d.lockWait); err != nil {
		return rec, fmt.Errorf("cannot back up the database %s: %w", d.path, err)
	}
	rec.DBBackup = name
	return rec, nil
}

// PrepareRestore: a copy needs none of the migration files.
func (d *sqliteDB) PrepareRestore(context.Context, restoreRequest) error { return nil }

func (d *sqliteDB) Restore(ctx context.Context, req restoreRequest) (restored, error) {
	rec := req.Rec
	if rec.DBAbsent {
		if err := d.moveAside(req.Quarantine); err != nil {
			return restored{}, err
		}
		var res restored
		if moved := filepath.Join(req.Quarantine, filepath.Base(d.path)); exists(moved) {
			res.Moved = moved
		}
		return res, nil
	}
	if rec.DBBackup == "" {
		return restored{}, fmt.Errorf("no backup of %s was taken", d.path)
	}
	kept := filepath.Join(req.Quarantine, rec.DBBackup)
	if err := d.restoreInPlace(ctx, filepath.Join(req.BackupDir, rec.DBBackup), kept); err != nil {
		return restored{}, err
	}
	var res restored
	if exists(kept) {
		res.Kept = "at " + kept
	}
	return res, nil
}

func (d *sqliteDB) BackupWhere(rec RepoRecord, backupDir string) (string, bool) {
	p := filepath.Join(backupDir, rec.DBBackup)
	return p, rec.DBBackup != "" && !exists(p)
}

// Release: a SQLite database's copies are files in the run's backup
// folder; they go with it.
func (d *sqliteDB) Release(context.Context, RepoRecord, bool) {}

// openDatabase opens a configured repo's database.
func openDatabase(r project.RepoConfig, getenv func(string) string, terminate bool, rep Reporter) (database, error) {
	if r.Database == "" {
		return nil, &InputError{
			What: fmt.Sprintf("the database of repo %q is not known.", r.Name),
			Next: "Set `database = \"path/to/dev.db\"` for this repo in .regen.toml.",
		}
	}
	if r.Adapter == "postgres" {
		conn, err := migrator.ParsePGConn(r.Database, getenv)
		if err != nil {
			return nil, &InputError{What: fmt.Sprintf("repo %q: %v", r.Name, err), Next: "Fix the connection string (.regen.toml `database`, DATABASE_URL, or the project's config)."}
		}
		return &pgDB{conn: conn, source: r.MigrationSource, terminate: terminate, repo: r.Name}, nil
	}
	return &sqliteDB{path: r.Database, source: r.MigrationSource, repo: r.Name, rep: rep}, nil
}

// openRecorded opens the database a journal record names. A PostgreSQL
// record has no password: the connection of live (the loaded project's
// database of that repo) is used when there is one; otherwise lib/pq finds
// PGPASSWORD or ~/.pgpass.
func openRecorded(rec RepoRecord, live database, getenv func(string) string, rep Reporter) database {
	if rec.Kind == KindPostgres {
		if pg, ok := live.(*pgDB); ok {
			return &pgDB{conn: pg.conn, source: rec.Source, repo: rec.Name}
		}
		if conn, err := migrator.ParsePGConn(rec.Database, getenv); err == nil {
			return &pgDB{conn: conn, source: rec.Source, repo: rec.Name}
		}
	}
	return &sqliteDB{path: rec.Database, source: rec.Source, repo: rec.Name, rep: rep}
}
