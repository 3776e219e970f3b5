package migrator

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkPGKeepData: the carry-over of 50 tables × 10,000 rows whose
// subtitle column the run dropped and re-created, from both sources, against
// the plain backup copy (the template copy) of the same database in the same
// run. keep-from-schema includes PGPrepareKeep (the copy before the
// rollback); keep-from-template only the carry (the copy is the backup).
func BenchmarkPGKeepData(b *testing.B) {
	ctx := context.Background()
	c := newPGTestDB(b, "")
	db := pgOpen(b, c)
	var ddl strings.Builder
	var drop strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&ddl, `CREATE TABLE t%02d (id bigserial PRIMARY KEY, title text NOT NULL, subtitle text, n int);
INSERT INTO t%02d (title, subtitle, n) SELECT 'title ' || g, 'subtitle ' || g, g FROM generate_series(1, 10000) g;
`, i, i)
		fmt.Fprintf(&drop, "ALTER TABLE t%02d DROP COLUMN subtitle; ALTER TABLE t%02d ADD COLUMN subtitle text;\n", i, i)
	}
	if _, err := db.Exec(ddl.String()); err != nil {
		b.Fatal(err)
	}
	db.Close()
	run := func(b *testing.B) {
		db := pgOpen(b, c)
		if _, err := db.Exec(drop.String()); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
	check := func(b *testing.B, reps []KeepReport) {
		if len(reps) != 1 || len(reps[0].Kept) != 50 || reps[0].Kept[0].Rows != 10000 {
			b.Fatalf("report %+v", reps)
		}
	}
	b.Run("template-copy", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			bk, err := PGBackupTemplate(ctx, c, fmt.Sprintf("benchcopy%d", i))
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := PGDropBackup(ctx, c, bk); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
	b.Run("keep-from-template", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			id := fmt.Sprintf("benchtpl%d", i)
			bk, err := PGBackupTemplate(ctx, c, id)
			if err != nil {
				b.Fatal(err)
			}
			run(b)
			b.StartTimer()
			reps, err := PGKeepData(ctx, c, PGKeepSource{CopyDB: bk, RunID: id}, []string{""}, "", nil)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			check(b, reps)
			PGDropBackup(ctx, c, bk)
			b.StartTimer()
		}
	})
	b.Run("keep-from-schema", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			id := fmt.Sprintf("benchkeep%d", i)
			m, err := PGPrepareKeep(ctx, c, id, []string{""}, "")
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			run(b)
			b.StartTimer()
			reps, err := PGKeepData(ctx, c, PGKeepSource{Schemas: m}, []string{""}, "", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			check(b, reps)
			if err := PGDropKeep(ctx, c, id); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}
