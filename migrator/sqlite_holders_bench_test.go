package migrator

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSQLiteHolders: what every plan (`regen status` included) asks
// per SQLite database. unopened: nobody has it open (the write lease
// answers); held: this process has it open, so the /proc walk runs over
// whatever runs on this machine.
func BenchmarkSQLiteHolders(b *testing.B) {
	db := filepath.Join(b.TempDir(), "dev.db")
	rw := openRW(b, db)
	mustExec(b, rw, "CREATE TABLE t (x)")
	rw.Close()
	bench := func(b *testing.B) {
		for b.Loop() {
			if _, known := SQLiteHolders(db); !known {
				b.Fatal("holders unknown on Linux")
			}
		}
	}
	b.Run("unopened", bench)
	held, err := os.Open(db)
	if err != nil {
		b.Fatal(err)
	}
	defer held.Close()
	b.Run("held", bench)
}
