package migrator

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestPGBackupName(t *testing.T) {
	cases := []struct{ db, run, want string }{
		{"blog_dev", "20261122-000923-ab12", "regen_bk_blog_dev_20261122_000923_ab12"},
		{"My-App.Dev", "R1", "regen_bk_my_app_dev_r1"},
		{"ünï", "1", "regen_bk___n___1"}, // per byte: ü and ï are two each
		{strings.Repeat("x", 80), "20261122000923", "regen_bk_" + strings.Repeat("x", 63-9-1-14) + "_20261122000923"},
	}
	for _, tc := range cases {
		got, err := PGBackupName(tc.db, tc.run)
		if err != nil {
			t.Errorf("PGBackupName(%q, %q): %v", tc.db, tc.run, err)
			continue
		}
		if got != tc.want {
			t.Errorf("PGBackupName(%q, %q) = %q, want %q", tc.db, tc.run, got, tc.want)
		}
		if len(got) > 63 {
			t.Errorf("%q is longer than 63 bytes", got)
		}
		for _, r := range got {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				t.Errorf("%q has %q", got, r)
			}
		}
	}
	if _, err := PGBackupName("db", ""); err == nil {
		t.Error("an empty run id must be refused")
	}
	if _, err := PGBackupName("db", strings.Repeat("r", 53)); err == nil {
		t.Error("a run id leaving no room for the database must be refused")
	}
	if got, err := PGBackupName("db", strings.Repeat("r", 52)); err != nil || len(got) != 63 {
		t.Errorf("longest run id: %q, %v", got, err)
	}
}

// The backup is a full copy: after destroying rows and a table, the restore
// gives back every table, row and version identical.
func TestPGBackupAndRestore(t *testing.T) {
	c := newPGTestDB(t, "")
	ctx := context.Background()
	db := pgOpen(t, c)
	mustExec(t, db,
		ectoPGSchema("", "schema_migrations"),
		`INSERT INTO schema_migrations VALUES (20261121235329, '2026-11-21 23:53:33')`,
		`CREATE TABLE posts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL)`,
		`CREATE TABLE comments (id serial PRIMARY KEY, post_id uuid REFERENCES posts(id), body text)`,
		`INSERT INTO posts (title) SELECT 'post ' || g FROM generate_series(1, 200) g`,
		`INSERT INTO comments (post_id, body) SELECT id, 'c' FROM posts`,
		`CREATE SCHEMA org_a`, ectoPGSchema("org_a", "schema_migrations"),
		`INSERT INTO org_a.schema_migrations VALUES (1, NULL)`,
	)
	db.Close() // the copy needs the database to itself

	before, err := PGTableDigests(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	beforeTenant, err := PGTableDigests(ctx, c, "org_a")
	if err != nil {
		t.Fatal(err)
	}
	backup, err := PGBackupTemplate(ctx, c, "run1")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := PGBackupName(c.Database(), "run1"); backup != want {
		t.Errorf("backup name %q, want %q", backup, want)
	}
	list, err := PGListBackups(ctx, c)
	if err != nil || !reflect.DeepEqual(list, []string{backup}) {
		t.Fatalf("PGListBackups = %v, %v", list, err)
	}

	// Destroy: rows, a table, a version, a tenant schema.
	db2 := pgOpen(t, c)
	mustExec(t, db2,
		`DELETE FROM comments WHERE id % 2 = 0`,
		`DROP TABLE posts CASCADE`,
		`DELETE FROM schema_migrations`,
		`DROP SCHEMA org_a CASCADE`,
		`CREATE TABLE stray (x int)`,
	)
	mid, err := PGTableDigests(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(mid, before) {
		t.Fatal("the damage did not change the digests: the test proves nothing")
	}

	// The restore ends the open session itself (WITH (FORCE)).
	if err := PGRestoreTemplate(ctx, c, backup); err != nil {
		t.Fatal(err)
	}
	after, err := PGTableDigests(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("after restore:\n%v\nwant\n%v", after, before)
	}
	afterTenant, err := PGTableDigests(ctx, c, "org_a")
	if err != nil || !reflect.DeepEqual(afterTenant, beforeTenant) {
		t.Errorf("tenant schema after restore: %v (%v), want %v", afterTenant, err, beforeTenant)
	}
	vs, err := PGAppliedVersions(ctx, c, "", "")
	if err != nil || !reflect.DeepEqual(vs, []Version{{20261121235329, "2026-11-21 23:53:33"}}) {
		t.Errorf("versions after restore: %v, %v", vs, err)
	}
	// The backup survives the restore (a second restore must be possible),
	// and goes when dropped.
	if !pgDatabaseExists(t, backup) {
		t.Fatal("the restore consumed the backup")
	}
	if err := PGDropBackup(ctx, c, backup); err != nil {
		t.Fatal(err)
	}
	if pgDatabaseExists(t, backup) {
		t.Error("PGDropBackup left the backup")
	}
	if err := PGDropBackup(ctx, c, backup); err != nil {
		t.Errorf("dropping a gone backup: %v", err)
	}
	if list, err := PGListBackups(ctx, c); err != nil || len(list) != 0 {
		t.Errorf("after drop: %v, %v", list, err)
	}
}

// Another session (a running dev server) blocks the copy: ErrPGBusy and no
// backup; after PGTerminateOthers the copy works.
func TestPGBackupBusyAndTerminate(t *testing.T) {
	c := newPGTestDB(t, "")
	ctx := context.Background()
	other := pgOpen(t, c)
	mustExec(t, other, `CREATE TABLE t (x int)`)
	// A pinned connection: the pool would silently reconnect.
	otherConn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer otherConn.Close()

	_, err = PGBackupTemplate(ctx, c, "busy1")
	if !errors.Is(err, ErrPGBusy) {
		t.Fatalf("with another session: %v, want ErrPGBusy", err)
	}
	if !strings.Contains(err.Error(), "1 other session") {
		t.Errorf("message: %v", err)
	}
	if name, _ := PGBackupName(c.Database(), "busy1"); pgDatabaseExists(t, name) {
		t.Error("a refused backup left a database behind")
	}

	n, err := PGTerminateOthers(ctx, c)
	if err != nil || n != 1 {
		t.Fatalf("PGTerminateOthers = %d, %v", n, err)
	}
	if _, err := otherConn.ExecContext(ctx, `SELECT 1`); err == nil {
		t.Error("the other session still works after being terminated")
	}
	otherConn.Close()
	other.Close()
	if n, err := PGOtherSessions(ctx, c); err != nil || n != 0 {
		t.Errorf("after terminate: %d others, %v", n, err)
	}
	backup, err := PGBackupTemplate(ctx, c, "busy2")
	if err != nil {
		t.Fatalf("after terminating: %v", err)
	}
	if !pgDatabaseExists(t, backup) {
		t.Error("no backup database")
	}
	if n, err := PGTerminateOthers(ctx, c); err != nil || n != 0 {
		t.Errorf("nothing left to terminate: %d, %v", n, err)
	}
}

// regen never restores from, drops or lists a database it did not make.
func TestPGBackupRefusesForeignDatabases(t *testing.T) {
	suffix := randomSuffix(t)
	// Two databases whose names sanitize alike.
	a := newPGTestDB(t, "regen_test_"+suffix+"-x")
	b := newPGTestDB(t, "regen_test_"+suffix+"_x")
	ctx := context.Background()
	admin := pgAdmin(t)

	backupA, err := PGBackupTemplate(ctx, a, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if list, err := PGListBackups(ctx, b); err != nil || len(list) != 0 {
		t.Errorf("b lists a's backup: %v, %v", list, err)
	}
	if err := PGRestoreTemplate(ctx, b, backupA); err == nil || !strings.Contains(err.Error(), "backup of") {
		t.Errorf("restoring b from a's backup: %v", err)
	}
	if !pgDatabaseExists(t, b.Database()) {
		t.Fatal("a refused restore dropped the database")
	}

	// Names without the prefix, and prefixed names without regen's mark.
	fake := "regen_bk_fake_" + suffix
	mustExec(t, admin, `CREATE DATABASE `+pgQualified("", fake))
	t.Cleanup(func() { _, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + pgQualified("", fake) + ` WITH (FORCE)`) })
	for _, name := range []string{b.Database(), "postgres", fake} {
		if err := PGDropBackup(ctx, a, name); err == nil {
			t.Errorf("PGDropBackup(%q) was allowed", name)
		}
		if err := PGRestoreTemplate(ctx, a, name); err == nil {
			t.Errorf("PGRestoreTemplate from %q was allowed", name)
		}
		if !pgDatabaseExists(t, name) {
			t.Errorf("%q was dropped", name)
		}
	}
	if list, err := PGListBackups(ctx, a); err != nil || !reflect.DeepEqual(list, []string{backupA}) {
		t.Errorf("a's backups: %v, %v (the unmarked %s must not count)", list, err, fake)
	}
	if !pgDatabaseExists(t, a.Database()) {
		t.Error("the database itself is gone")
	}
}

func TestPGBackupOfMissingDatabase(t *testing.T) {
	base, err := ParsePGConn(pgTestURL(t), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	c := base.WithDatabase("regen_missing_" + randomSuffix(t))
	if _, err := PGBackupTemplate(context.Background(), c, "r"); !errors.Is(err, ErrPGNoDatabase) {
		t.Errorf("backup of a missing database: %v", err)
	}
}
