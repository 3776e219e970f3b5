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
)

// database is what the transaction needs from a repo's database: read the
// applied versions, take a backup, put the backup back.
type database interface {
	// Applied returns the applied versions, ascending. A database that does
	// not exist yet has none.
	Applied(ctx context.Context) ([]int64, error)
	// Backup copies the database into dir and says how it will come back.
	Backup(ctx context.Context, dir string) (rec RepoRecord, err error)
	// Restore puts back what Backup recorded.
	Restore(ctx context.Context, rec RepoRecord, backupDir, quarantine string) error
	// State is every table's digest (and row count where cheap): what
	// undo and recover compare to see data changed since the run.
	State(ctx context.Context) (map[string]migrator.TableState, error)
	String() string
}

type sqliteDB struct {
	path   string
	source string
	repo   string
	rep    Reporter // told while a lock held by another process makes regen wait
}

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
	for i, v := range vs {
		out[i] = v.Version
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (d *sqliteDB) Backup(ctx context.Context, dir string) (RepoRecord, error) {
	rec := RepoRecord{Database: d.path, DBRestore: "copy"}
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

func (d *sqliteDB) Restore(ctx context.Context, rec RepoRecord, backupDir, quarantine string) error {
	if rec.DBAbsent {
		return d.moveAside(quarantine)
	}
	if rec.DBBackup == "" {
		return fmt.Errorf("no backup of %s was taken", d.path)
	}
	return d.restoreInPlace(ctx, filepath.Join(backupDir, rec.DBBackup), filepath.Join(quarantine, rec.DBBackup))
}

func openDatabase(r RepoConfig, getenv func(string) string, terminate bool) (database, error) {
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
	return &sqliteDB{path: r.Database, source: r.MigrationSource, repo: r.Name}, nil
}
