package migrator

import (
	"path/filepath"
	"testing"
)

// BenchmarkSQLiteHolders: the /proc walk every plan (`regen status`
// included) does per SQLite database, on whatever runs on this machine.
func BenchmarkSQLiteHolders(b *testing.B) {
	db := filepath.Join(b.TempDir(), "dev.db")
	mustExec(b, openRW(b, db), "CREATE TABLE t (x)")
	for b.Loop() {
		if _, known := SQLiteHolders(db); !known {
			b.Fatal("holders unknown on Linux")
		}
	}
}
