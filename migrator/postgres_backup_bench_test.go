package migrator

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"
)

// BenchmarkPGTemplateBackup: a template backup (CREATE DATABASE … TEMPLATE)
// of a development database of about 300 MB, and its restore, against the
// anchor of creating an empty database in the same run. Run by scripts/bench
// when PostgreSQL is there.
func BenchmarkPGTemplateBackup(b *testing.B) {
	raw := pgTestURL(b)
	admin, err := sql.Open("postgres", raw)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("regen_bench_%d", time.Now().UnixNano()%1e9)
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		b.Fatal(err)
	}
	defer admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
	c, err := ParsePGConn(raw, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	c = c.WithDatabase(name)
	db, err := sql.Open("postgres", mustDSN(b, c))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE posts (id bigint PRIMARY KEY, title text, body text);
		INSERT INTO posts SELECT g, 'title ' || g, repeat(md5(g::text), 8) FROM generate_series(1, 1000000) g`); err != nil {
		b.Fatal(err)
	}
	var size int64
	db.QueryRow(`SELECT pg_database_size(current_database())`).Scan(&size)
	db.Close()
	b.Logf("database size: %.0f MB", float64(size)/1e6)
	ctx := context.Background()
	b.Run("anchor-create-empty-database", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			n := fmt.Sprintf("regen_bench_empty_%d", i)
			if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(n)); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			admin.Exec("DROP DATABASE " + pq.QuoteIdentifier(n))
			b.StartTimer()
		}
	})
	b.Run("template-backup", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			bk, err := PGBackupTemplate(ctx, c, fmt.Sprintf("bench%d", i))
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			PGDropBackup(ctx, c, bk)
			b.StartTimer()
		}
	})
	b.Run("template-restore", func(b *testing.B) {
		bk, err := PGBackupTemplate(ctx, c, "benchrestore")
		if err != nil {
			b.Fatal(err)
		}
		defer PGDropBackup(ctx, c, bk)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := PGRestoreTemplate(ctx, c, bk); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func mustDSN(b *testing.B, c PGConn) string {
	dsn, err := c.driverDSN()
	if err != nil {
		b.Fatal(err)
	}
	return dsn
}
