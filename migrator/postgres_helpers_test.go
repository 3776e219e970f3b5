package migrator

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/lib/pq"
)

// pgTestEnv names the variable holding the test server's URL.
const pgTestEnv = "REGEN_TEST_PG_URL"

// pgTestURL returns the URL of the PostgreSQL server for tests. Without a
// reachable server the test is skipped locally, and fails under CI=true,
// where a skipped database test would hide a broken setup.
func pgTestURL(t testing.TB) string {
	t.Helper()
	stop := t.Skip
	if os.Getenv("CI") == "true" {
		stop = t.Fatal
	}
	raw := os.Getenv(pgTestEnv)
	if raw == "" {
		stop("PostgreSQL not available: set REGEN_TEST_PG_URL (scripts/pg-test-server prints one)")
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	db, err := sql.Open("postgres", raw)
	if err == nil {
		err = db.PingContext(ctx)
		db.Close()
	}
	if err != nil {
		stop("PostgreSQL not available: set REGEN_TEST_PG_URL (scripts/pg-test-server prints one): " + Redact(err.Error(), ""))
		return ""
	}
	return raw
}

// randomSuffix is a short random lower-case hex string for unique names.
func randomSuffix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// pgAdmin opens the server's maintenance database as the test superuser.
func pgAdmin(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", pgTestURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newPGTestDB creates a database of its own for one test (name "" = a
// random one) and drops it, with any backups regen made of it, at cleanup.
func newPGTestDB(t testing.TB, name string) PGConn {
	t.Helper()
	admin := pgAdmin(t)
	if name == "" {
		name = "regen_test_" + randomSuffix(t)
	}
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	c, err := ParsePGConn(pgTestURL(t), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithDatabase(name)
	t.Cleanup(func() {
		ctx := context.Background()
		if names, err := PGListBackups(ctx, c); err == nil {
			for _, b := range names {
				_, _ = admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(b) + " WITH (FORCE)")
			}
		}
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})
	return c
}

// pgOpen opens c for the test's own statements (one connection).
func pgOpen(t testing.TB, c PGConn) *sql.DB {
	t.Helper()
	dsn, err := c.driverDSN()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

// ectoPGSchema is schema_migrations as Ecto creates it on PostgreSQL.
func ectoPGSchema(prefix, source string) string {
	return "CREATE TABLE " + pgQualified(prefix, source) +
		" (version bigint PRIMARY KEY, inserted_at timestamp(0) without time zone)"
}

func pgDatabaseExists(t testing.TB, name string) bool {
	t.Helper()
	var ok bool
	if err := pgAdmin(t).QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func versionNumbers(vs []Version) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}
