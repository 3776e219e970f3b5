package phantom

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The text index keeps every field, whatever bytes a file name or a stamp
// holds (a tab or a newline cannot break a line), and the signatures.
func TestAppliedIndexTextRoundTrip(t *testing.T) {
	gitDir := filepath.Join(t.TempDir(), ".git")
	if err := os.Mkdir(gitDir, 0o700); err != nil {
		t.Fatal(err)
	}
	sig := Stat{Size: 12, Mtime: 1700000000000000001, Ctime: 1700000000000000002, Ino: 1 << 40}
	files := []AppliedFile{
		{Version: "20240101000001", FileName: "20240101000001_a\tb\nc.exs", Content: []byte("one\n"), AppliedAt: "2024-01-01 00:00:00", Seen: &sig},
		{Version: "20240101000002", FileName: "20240101000002_\"q\".exs", Content: []byte("two\n")},
	}
	if err := Remember(gitDir, mig, files); err != nil {
		t.Fatal(err)
	}
	recs, err := AppliedRecords(gitDir, mig)
	if err != nil {
		t.Fatal(err)
	}
	a, b := recs["20240101000001"], recs["20240101000002"]
	if a.FileName != files[0].FileName || a.AppliedAt != files[0].AppliedAt || a.SHA256 != sha256Hex([]byte("one\n")) || a.Seen == nil || *a.Seen != sig {
		t.Fatalf("record 1: %+v", a)
	}
	if b.FileName != files[1].FileName || b.Seen != nil || b.AppliedAt != "" {
		t.Fatalf("record 2: %+v", b)
	}
	if _, err := os.Lstat(appliedTextPath(gitDir, mig)); err != nil {
		t.Fatalf("no text index: %v", err)
	}
}

// An index written by an earlier regen (JSON) is read, and replaced by the
// text one on the next write: no remembered content is lost on upgrade.
func TestAppliedIndexJSONFromEarlierVersionsIsKept(t *testing.T) {
	gitDir := filepath.Join(t.TempDir(), ".git")
	legacy := appliedPath(gitDir, mig)
	if err := os.MkdirAll(filepath.Dir(legacy), 0o700); err != nil {
		t.Fatal(err)
	}
	sum := sha256Hex([]byte("applied\n"))
	body := `{"migrations_dir":"` + mig + `","versions":{"20240101000001":{"file":"20240101000001_x.exs","sha256":"` + sum + `","inserted_at":"2024-01-01 00:00:00"}}}`
	if err := os.WriteFile(legacy, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := AppliedRecords(gitDir, mig)
	if err != nil || recs["20240101000001"].SHA256 != sum {
		t.Fatalf("legacy index not read: %v %v", recs, err)
	}
	// A new version is remembered: both are in the text index, the JSON is gone.
	if err := Remember(gitDir, mig, []AppliedFile{{Version: "20240101000002", FileName: "20240101000002_y.exs", Content: []byte("y\n")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the JSON index is still there after the text one was written (%v)", err)
	}
	recs, err = AppliedRecords(gitDir, mig)
	if err != nil || recs["20240101000001"].SHA256 != sum || recs["20240101000002"].FileName != "20240101000002_y.exs" {
		t.Fatalf("after the upgrade: %v %v", recs, err)
	}
}

// A torn or foreign text index is reported damaged, and replaced.
func TestAppliedIndexDamagedIsReportedAndReplaced(t *testing.T) {
	gitDir := filepath.Join(t.TempDir(), ".git")
	p := appliedTextPath(gitDir, mig)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		"regen-applied\t1\ndir\t\"" + mig + "\"\nv\t20240101000001\tabc", // torn
		"regen-applied\t1\ndir\t\"other/dir\"\n",                         // another folder's
		"regen-applied\t9\ndir\t\"" + mig + "\"\n",                       // a future format
	} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var damaged *DamagedError
		if _, err := AppliedRecords(gitDir, mig); !errors.As(err, &damaged) {
			t.Fatalf("%q: err = %v, want DamagedError", body, err)
		}
	}
	if err := Remember(gitDir, mig, []AppliedFile{{Version: "20240101000003", FileName: "20240101000003_z.exs", Content: []byte("z\n")}}); err != nil {
		t.Fatal(err)
	}
	if recs, err := AppliedRecords(gitDir, mig); err != nil || len(recs) != 1 {
		t.Fatalf("after replacing: %v %v", recs, err)
	}
}

// SettledStat vouches only for a file left alone for Settle.
func TestSettledStat(t *testing.T) {
	now := time.Now()
	old := now.Add(-2 * Settle).UnixNano()
	if SettledStat(Stat{Mtime: old, Ctime: old}, now) == nil {
		t.Fatal("an old file was not settled")
	}
	for _, s := range []Stat{{Mtime: old, Ctime: now.UnixNano()}, {Mtime: now.UnixNano(), Ctime: old}, {Mtime: now.Add(-Settle / 2).UnixNano(), Ctime: old}} {
		if SettledStat(s, now) != nil {
			t.Fatalf("%+v was settled at %d", s, now.UnixNano())
		}
	}
}

// parseStat reads what formatApplied writes, and refuses exactly what
// strconv refuses: the fast decimal path must not widen or narrow it.
func TestParseStatAgreesWithStrconv(t *testing.T) {
	ref := func(s string) (*Stat, bool) {
		f := strings.Split(s, ",")
		if len(f) != 4 {
			return nil, false
		}
		var n [3]int64
		for i := range n {
			v, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return nil, false
			}
			n[i] = v
		}
		ino, err := strconv.ParseUint(f[3], 10, 64)
		if err != nil {
			return nil, false
		}
		return &Stat{Size: n[0], Mtime: n[1], Ctime: n[2], Ino: ino}, true
	}
	for _, s := range []string{
		"105,1796219495925596402,1796219495925596402,9978150",
		"0,0,0,0", "12,-5,-1700000000000000000,1",
		"1,9223372036854775807,9223372036854775808,1", // one past MaxInt64
		"1,2,3,18446744073709551615", "1,2,3,18446744073709551616",
		"1,2,3,-1", "+1,2,3,4", "1,2,3,+4", "007,2,3,4", "1,2,3", "1,2,3,4,5",
		"1,,3,4", "1,2,3,", "1_0,2,3,4", "1,2,3,0x4", " 1,2,3,4", "99999999999999999999,2,3,4",
	} {
		got, ok := parseStat(s)
		want, wantOK := ref(s)
		if ok != wantOK || (ok && *got != *want) {
			t.Errorf("parseStat(%q) = %+v, %v; strconv: %+v, %v", s, got, ok, want, wantOK)
		}
	}
}
