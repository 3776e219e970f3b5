package migrator

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// The present database is kept (renamed, marked as regen's) and the live
// one becomes the backup's copy, while a pooled client keeps reconnecting
// and a pinned session is open; a second keep gets a name of its own.
func TestPGKeepAndRestore(t *testing.T) {
	c := newPGTestDB(t, "")
	ctx := context.Background()
	db := pgOpen(t, c)
	mustExec(t, db, `CREATE TABLE t (x int)`, `INSERT INTO t VALUES (1), (2)`)
	db.Close()
	before, err := PGTableDigests(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	backup, err := PGBackupTemplate(ctx, c, "run1")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, pgOpen(t, c), `INSERT INTO t VALUES (3)`)
	changed, err := PGTableDigests(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}

	pinned := pgOpen(t, c)
	if _, err := pinned.Conn(ctx); err != nil {
		t.Fatal(err)
	}
	pool := pgOpen(t, c)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a dev server's pool: reconnects whenever it is ended
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				pool.ExecContext(ctx, `SELECT 1`)
			}
		}
	}()
	kept, err := PGKeepAndRestore(ctx, c, backup, "run2")
	close(stop)
	wg.Wait()
	pool.Close()
	pinned.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := PGBackupName(c.Database(), "run2p"); kept != want {
		t.Errorf("kept as %q, want %q", kept, want)
	}
	if now, err := PGTableDigests(ctx, c, ""); err != nil || !reflect.DeepEqual(now, before) {
		t.Fatalf("the live database is not the backup's state: %v", err)
	}
	if k, err := PGTableDigests(ctx, c.WithDatabase(kept), ""); err != nil || !reflect.DeepEqual(k, changed) {
		t.Fatalf("the kept database is not the present one before the restore: %v", err)
	}
	list, err := PGListBackups(ctx, c)
	if err != nil || !reflect.DeepEqual(list, []string{backup, kept}) {
		t.Fatalf("the kept database carries no mark of this database: %v, %v", list, err)
	}
	again, err := PGKeepAndRestore(ctx, c, backup, "run2")
	if err != nil || again == kept || !strings.HasSuffix(again, "run2p2") {
		t.Fatalf("second keep of the same run: %q, %v", again, err)
	}
	if err := PGDropBackup(ctx, c, kept); err != nil || pgDatabaseExists(t, kept) {
		t.Fatalf("dropping the kept copy: %v", err)
	}
}

// A source that is not regen's backup of this database is refused before
// anything changes.
func TestPGKeepAndRestoreRefusesForeignSources(t *testing.T) {
	c := newPGTestDB(t, "")
	foreign := newPGTestDB(t, "regen_bk_"+randomSuffix(t))
	ctx := context.Background()
	for _, src := range []string{c.Database(), "not_regen", foreign.Database()} {
		if kept, err := PGKeepAndRestore(ctx, c, src, "run1"); err == nil || kept != "" {
			t.Fatalf("restore from %q: kept %q, err %v", src, kept, err)
		}
		if !pgDatabaseExists(t, c.Database()) {
			t.Fatalf("a refused restore from %q removed the database", src)
		}
	}
}
