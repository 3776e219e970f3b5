package regen

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/regen/phantom"
	"github.com/regen-tool/regen/regen/project"
)

const sigFolder = "priv/repo/migrations"

// storeFixture: n applied migrations in a real folder, dated an hour back
// (their mtime; a settled file), and a workspace over it.
func storeFixture(t testing.TB, n int) (*workspace, []Migration, map[int64]bool) {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, filepath.FromSlash(sigFolder))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	var files []Migration
	applied := map[int64]bool{}
	for i := 0; i < n; i++ {
		v := int64(20250000000000 + i)
		name := fmt.Sprintf("%d_step_%d.exs", v, i)
		p := filepath.Join(dir, name)
		body := fmt.Sprintf("defmodule M%d do\n  use Ecto.Migration\n  def change, do: create table(:t%d)\nend\n", i, i)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		files = append(files, Migration{Version: v, Path: sigFolder + "/" + name, Applied: true})
		applied[v] = true
	}
	ws := &workspace{cfg: &project.Config{Root: root}, git: &gitops.Repo{Root: root, GitDir: filepath.Join(root, ".git")}}
	return ws, files, applied
}

// later is a clock past Settle for every file written by the test.
func later() time.Time { return time.Now().Add(time.Minute) }

func records(t *testing.T, ws *workspace) map[string]phantom.Applied {
	t.Helper()
	recs, err := phantom.AppliedRecords(ws.git.GitDir, sigFolder)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// The store vouches for an unedited applied file by its stat signature,
// and every way a file can change still reaches the content comparison:
// an edit of the same size, a file replaced by another with its old mtime
// put back (git checkout, cp -p), and a version applied again.
func TestStoreSignatureStillFindsEveryEdit(t *testing.T) {
	ws, files, applied := storeFixture(t, 5)
	stamps := map[int64]string{}
	for v := range applied {
		stamps[v] = "2026-01-01T00:00:00"
	}
	if ed := ws.rememberFolderAt(sigFolder, files, applied, stamps, later(), nil); len(ed) != 0 || ws.storeProblem != "" {
		t.Fatalf("first visit: edited %v, store problem %q", ed, ws.storeProblem)
	}
	recs := records(t, ws)
	for _, m := range files {
		r := recs[strconv.FormatInt(m.Version, 10)]
		if r.Seen == nil {
			t.Fatalf("version %d: no signature recorded for a settled file", m.Version)
		}
	}
	idx := filepath.Join(ws.git.GitDir, "regen", "store", "applied")
	before := dirBytes(t, idx)
	if ed := ws.rememberFolderAt(sigFolder, files, applied, stamps, later(), nil); len(ed) != 0 {
		t.Fatalf("second visit: edited %v", ed)
	}
	if after := dirBytes(t, idx); after != before {
		t.Fatal("a visit that found nothing new rewrote the store's index")
	}

	abs := func(m Migration) string { return filepath.Join(ws.cfg.Root, filepath.FromSlash(m.Path)) }
	old := time.Now().Add(-time.Hour)
	// 1: the same size, other bytes, the old mtime put back.
	data, _ := os.ReadFile(abs(files[1]))
	data[len(data)-5] ^= 0x20
	if err := os.WriteFile(abs(files[1]), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(abs(files[1]), old, old)
	// 2: replaced through a rename by another file, the old mtime put back.
	tmp := abs(files[2]) + ".new"
	if err := os.WriteFile(tmp, []byte("defmodule Other do\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(tmp, old, old)
	if err := os.Rename(tmp, abs(files[2])); err != nil {
		t.Fatal(err)
	}
	// 3: replaced by an identical copy (new inode): not an edit.
	same, _ := os.ReadFile(abs(files[3]))
	tmp = abs(files[3]) + ".new"
	if err := os.WriteFile(tmp, same, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, abs(files[3])); err != nil {
		t.Fatal(err)
	}
	ed := ws.rememberFolderAt(sigFolder, files, applied, stamps, later(), nil)
	got := map[int64]bool{}
	for _, e := range ed {
		got[e.Version] = true
	}
	if len(ed) != 2 || !got[files[1].Version] || !got[files[2].Version] {
		t.Fatalf("edited after applied: got %+v, want versions %d and %d", ed, files[1].Version, files[2].Version)
	}
	// The identical copy is vouched for again under its new signature.
	if r := records(t, ws)[strconv.FormatInt(files[3].Version, 10)]; r.Seen == nil || r.Seen.Ino == recs[strconv.FormatInt(files[3].Version, 10)].Seen.Ino {
		t.Fatalf("the replaced identical file keeps its old signature: %+v", r.Seen)
	}

	// 4: applied again (a new inserted_at): its content now is remembered.
	stamps[files[1].Version] = "2026-02-02T00:00:00"
	ed = ws.rememberFolderAt(sigFolder, files, applied, stamps, later(), nil)
	for _, e := range ed {
		if e.Version == files[1].Version {
			t.Fatalf("version %d was applied again, yet reported edited", e.Version)
		}
	}
	if r := records(t, ws)[strconv.FormatInt(files[1].Version, 10)]; r.SHA256 != sha256Bytes(data) || r.AppliedAt != "2026-02-02T00:00:00" {
		t.Fatalf("re-applied version: record %+v, want the new content and stamp", r)
	}
}

// A file changed within Settle of the stat gets no signature: a second
// write in the same timestamp tick would leave size, mtime and ctime alike.
func TestStoreSignatureNotTakenForARecentFile(t *testing.T) {
	ws, files, applied := storeFixture(t, 2)
	if ed := ws.rememberFolderAt(sigFolder, files, applied, nil, time.Now(), nil); len(ed) != 0 {
		t.Fatalf("edited %v", ed)
	}
	for v, r := range records(t, ws) {
		if r.Seen != nil {
			t.Fatalf("version %s: a signature was recorded for a file changed just now (ctime is now)", v)
		}
	}
	// And such a file is read every time: an edit of the same size with
	// the same mtime is still found.
	p := filepath.Join(ws.cfg.Root, filepath.FromSlash(files[0].Path))
	fi, _ := os.Stat(p)
	data, _ := os.ReadFile(p)
	data[0] ^= 0x20
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(p, fi.ModTime(), fi.ModTime())
	if ed := ws.rememberFolderAt(sigFolder, files, applied, nil, time.Now(), nil); len(ed) != 1 || ed[0].Version != files[0].Version {
		t.Fatalf("edited after applied: got %+v, want version %d", ed, files[0].Version)
	}
}

// A commit reads only what the run applied.
func TestRanNowIsWhatTheRunApplied(t *testing.T) {
	got := ranNow(RepoRecord{Before: []int64{1, 2, 3, 4}, Rollback: []int64{4}, New: []int64{6}, After: []int64{1, 2, 3, 4, 5, 6}})
	want := map[int64]bool{4: true, 5: true, 6: true}
	if len(got) != len(want) {
		t.Fatalf("ranNow = %v, want %v", got, want)
	}
	for v := range want {
		if !got[v] {
			t.Fatalf("ranNow = %v, want %v", got, want)
		}
	}
}

func dirBytes(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := e.Info()
		s += e.Name() + fmt.Sprint(fi.ModTime().UnixNano()) + string(b)
	}
	return s
}

// BenchmarkStoreVisit is the plan's store visit (and status's) over 2,000
// applied migrations that are all remembered and unedited: the work a plan
// does for the store on every run. "signature" is the store as it is now;
// "read-all" forces the reading and hashing of every file (what every
// visit did before the signatures).
func BenchmarkStoreVisit(b *testing.B) {
	// before: a clock earlier than the files' mtime, so no file is ever
	// settled, no signature recorded, and every visit reads every file.
	before := func() time.Time { return time.Now().Add(-2 * time.Hour) }
	for _, c := range []struct {
		name string
		now  func() time.Time
	}{{"signature", later}, {"read-all", before}} {
		b.Run(c.name, func(b *testing.B) {
			ws, files, applied := storeFixture(b, 2000)
			ws.rememberFolderAt(sigFolder, files, applied, nil, c.now(), nil)
			for b.Loop() {
				if ed := ws.rememberFolderAt(sigFolder, files, applied, nil, c.now(), nil); len(ed) != 0 {
					b.Fatal(ed)
				}
			}
		})
	}
}

// The plan hands rememberFolderAt its scan: the signatures come from the
// stats the scan compared the tracked files with (no second lstat), equal
// to the files' own, and an edit is still found through them; a file the
// scan did not stat (untracked) is stat'ed here.
func TestStoreSignatureFromTheScan(t *testing.T) {
	ws, files, applied := storeFixture(t, 4)
	root := ws.cfg.Root
	if err := os.RemoveAll(filepath.Join(root, ".git")); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", files[0].Path, files[1].Path, files[2].Path) // files[3] stays untracked
	git("commit", "-qm", "base")
	repo, err := gitops.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ws.git = repo
	scanNow := func() (*gitops.FolderScan, time.Time) {
		t.Helper()
		now := time.Now()
		scan, err := repo.Scan([]string{sigFolder})
		if err != nil {
			t.Fatal(err)
		}
		return scan, now.Add(time.Minute) // the files are an hour old: settled either way
	}
	scan, now := scanNow()
	if _, ok := scan.Lstat(files[3].Path); ok {
		t.Fatal("the scan stat'ed an untracked file")
	}
	if ed := ws.rememberFolderAt(sigFolder, files, applied, nil, now, scan); len(ed) != 0 || ws.storeProblem != "" {
		t.Fatalf("first visit: edited %v, store problem %q", ed, ws.storeProblem)
	}
	recs := records(t, ws)
	for _, m := range files {
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(m.Path)))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := fileStat(fi)
		if r := recs[strconv.FormatInt(m.Version, 10)]; r.Seen == nil || *r.Seen != want {
			t.Fatalf("%s: signature %+v, the file's %+v", m.Path, r.Seen, want)
		}
	}
	// Same size, other bytes, the old mtime put back, in a tracked and in
	// the untracked file: both found through the next scan.
	old := time.Now().Add(-time.Hour)
	for _, m := range []Migration{files[1], files[3]} {
		p := filepath.Join(root, filepath.FromSlash(m.Path))
		data, _ := os.ReadFile(p)
		data[len(data)-5] ^= 0x20
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chtimes(p, old, old)
	}
	scan, now = scanNow()
	ed := ws.rememberFolderAt(sigFolder, files, applied, nil, now, scan)
	got := map[int64]bool{}
	for _, e := range ed {
		got[e.Version] = true
	}
	if len(ed) != 2 || !got[files[1].Version] || !got[files[3].Version] {
		t.Fatalf("edited after applied: got %+v, want versions %d and %d", ed, files[1].Version, files[3].Version)
	}
}
