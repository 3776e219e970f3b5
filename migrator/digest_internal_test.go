package migrator

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"hash"
	"path/filepath"
	"testing"
)

// refHashResult is hashResult as first written (two hash writes per value):
// the digests journals of older regens hold must come out the same.
func refHashResult(rows *sql.Rows, h hash.Hash) error {
	cols, _ := rows.Columns()
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n uint64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for _, v := range vals {
			if v.Valid {
				writeField(h, "v"+v.String)
			} else {
				writeField(h, "n")
			}
		}
		n++
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	h.Write(buf[:])
	return rows.Err()
}

// The buffered digest is byte for byte the first one: NULL and ” apart,
// values larger than the buffer, no rows at all.
func TestHashResultIsTheFirstDigest(t *testing.T) {
	ctx := context.Background()
	db := openRW(t, filepath.Join(t.TempDir(), "d.db"))
	mustExec(t, db,
		`CREATE TABLE t (a TEXT, b INTEGER, c REAL)`,
		`INSERT INTO t VALUES (NULL, 1, 1.5), ('', NULL, 2), ('x', 0, NULL)`,
		`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000)
		 INSERT INTO t SELECT hex(randomblob(x % 50)), x, x / 7.0 FROM n`,
		`INSERT INTO t VALUES (hex(randomblob(40000)), 2, 3)`,
		`CREATE TABLE empty (a TEXT)`)
	for _, q := range []string{"SELECT a, b, c FROM t ORDER BY rowid", "SELECT a FROM empty"} {
		digest := func(f func(*sql.Rows, hash.Hash) error) string {
			rows, err := db.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			h := sha256.New()
			if err := f(rows, h); err != nil {
				t.Fatal(err)
			}
			return string(h.Sum(nil))
		}
		if digest(hashResult) != digest(refHashResult) {
			t.Fatalf("%s: the digest changed", q)
		}
	}
}
