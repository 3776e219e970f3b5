package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/regen-tool/regen/regen/regentest"
)

// SQLite under a second process: a dev server or iex keeps the database
// open across a run. Every restore must reach that process (it sees the
// restored data, and its next commit lands in the file), in WAL and
// rollback-journal mode; what recover and undo replace is kept and named.

var journalModes = []string{"wal", "delete"}

// sqliteFeature is the feature project (an untracked, applied migration,
// rows in posts and comments) in the given journal mode, with one mix start
// per step so that faults can name each step.
func sqliteFeature(t *testing.T, mode string) *regentest.Project {
	t.Helper()
	p := feature(t)
	withJournalMode(t, p, mode)
	p.Env = append(p.Env, "REGEN_ONE_VM=0")
	return p
}

// withJournalMode puts the project's database in the journal mode, and its
// config too: ecto_sqlite3 sets WAL on every connection unless the repo
// says otherwise.
func withJournalMode(t *testing.T, p *regentest.Project, mode string) {
	t.Helper()
	if mode != "wal" {
		p.Write("config/config.exs", strings.Replace(regentest.ConfigExs, "pool_size: 5", "pool_size: 5,\n  journal_mode: :"+mode, 1))
		p.Git("commit", "-qm", "journal_mode: :"+mode, "--", "config/config.exs")
	}
	p.SQL("PRAGMA journal_mode=" + mode)
	if got := journalMode(t, p); got != mode {
		t.Fatalf("journal mode %s, want %s", got, mode)
	}
}

// holderMatchesFile checks that the second process sees what a fresh
// connection sees, that both are the state want, and that the holder's
// next commit lands in the file.
func holderMatchesFile(t *testing.T, p *regentest.Project, h *regentest.Holder, want regentest.State) {
	t.Helper()
	seen, fresh := h.State(), p.Tables()
	for name, st := range fresh {
		if seen[name] != st {
			t.Errorf("table %s: the second process sees %+v, the file holds %+v", name, seen[name], st)
		}
		if want.Tables[name] != st.Digest {
			t.Errorf("table %s differs from before the run", name)
		}
	}
	if len(seen) != len(fresh) || len(fresh) != len(want.Tables) {
		t.Errorf("tables: the second process sees %d, the file has %d, before the run %d", len(seen), len(fresh), len(want.Tables))
	}
	posts := p.Count("posts")
	h.Exec(`INSERT INTO posts (id, title, body) VALUES ('00000000-0000-0000-0000-0000000000aa', 'after', 'restore')`)
	if got := p.Count("posts"); got != posts+1 {
		t.Fatalf("the second process's commit after the restore is not in the file: posts %d → %d", posts, got)
	}
}

func journalMode(t *testing.T, p *regentest.Project) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+p.DB+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}

// Every restore path with a second process holding the database open and
// idle: undo after a good run, the compensation of a failed step, recover
// after a kill -9.
func TestReliabilitySQLiteHolderSeesEveryRestore(t *testing.T) {
	for _, mode := range journalModes {
		for _, path := range []string{"undo", "compensation", "recover"} {
			t.Run(mode+"/"+path, func(t *testing.T) {
				p := sqliteFeature(t, mode)
				before := p.Capture()
				h := p.Hold()
				switch path {
				case "undo":
					if out, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
						t.Fatalf("run: exit %d\n%s", code, out)
					}
					if out, code := p.Regen("undo"); code != 0 {
						t.Fatalf("undo: exit %d\n%s", code, out)
					}
				case "compensation":
					cmd := p.RegenCmd("add_subtitle_and_views", "-m")
					cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=fail:after:migrate")
					out, err := cmd.CombinedOutput()
					if code := exitCode(err); code != 1 || !strings.Contains(string(out), "Everything was restored") {
						t.Fatalf("exit %d, want 1 and restored\n%s", code, out)
					}
				case "recover":
					cmd := p.RegenCmd("add_subtitle_and_views", "-m")
					cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:migrate")
					if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
						t.Fatalf("want SIGKILL, got %v\n%s", err, out)
					}
					if out, code := p.Regen("recover"); code != 0 || !strings.Contains(out, "reversed") {
						t.Fatalf("recover: exit %d\n%s", code, out)
					}
				}
				mustSame(t, before, p.Capture())
				if got := journalMode(t, p); got != mode {
					t.Errorf("journal mode %s after the restore, want %s", got, mode)
				}
				holderMatchesFile(t, p, h, before)
			})
		}
	}
}

var keptPath = regexp.MustCompile(`kept at (\S+)`)

// keptDatabase is the path the output names for the replaced database.
func keptDatabase(t *testing.T, out string) string {
	t.Helper()
	m := keptPath.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the output does not say where the replaced database is kept:\n%s", out)
	}
	if _, err := os.Stat(m[1]); err != nil {
		t.Fatalf("the named copy %s: %v", m[1], err)
	}
	return m[1]
}

// hasPost says whether the database at path has the post with that id.
func hasPost(t *testing.T, path, id string) bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM posts WHERE id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

const newPost = "00000000-0000-0000-0000-0000000000bb"

// kill -9 mid-run, then the developer (or the app) writes a row, then
// recover: recover says, before it restores, which table changed, keeps
// the present database aside (the row is in that copy) and names it.
func TestReliabilitySQLiteChangeBetweenCrashAndRecover(t *testing.T) {
	for _, mode := range journalModes {
		t.Run(mode, func(t *testing.T) {
			p := sqliteFeature(t, mode)
			before := p.Capture()
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:codegen")
			if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
				t.Fatalf("want SIGKILL, got %v\n%s", err, out)
			}
			p.SQL(`INSERT INTO posts (id, title, body) VALUES ('` + newPost + `', 'written', 'after the crash')`)
			out, code := p.Regen("recover")
			if code != 0 {
				t.Fatalf("recover: exit %d\n%s", code, out)
			}
			if !strings.Contains(out, "posts: 1 → 2 rows") || strings.Contains(out, "comments:") {
				t.Fatalf("recover should name the changed table (posts) and only it:\n%s", out)
			}
			kept := keptDatabase(t, out)
			if !hasPost(t, kept, newPost) {
				t.Fatalf("the row written after the crash is not in the kept copy %s", kept)
			}
			mustSame(t, before, p.Capture())
		})
	}
}

// undo over rows written after the run: refused (exit 6) naming the table,
// nothing changed; with --force it goes back and keeps the replaced
// database (with the row) where it says.
func TestReliabilityUndoOverNewRows(t *testing.T) {
	for _, kind := range regentest.Kinds {
		t.Run(kind, func(t *testing.T) {
			p := featureOf(t, kind)
			before := p.Capture()
			if out, code := p.Regen("add_subtitle_and_views", "-m"); code != 0 {
				t.Fatalf("run: exit %d\n%s", code, out)
			}
			p.SQL(`INSERT INTO comments (id, body, post_id) VALUES ('00000000-0000-0000-0000-0000000000cc', 'new', '00000000-0000-0000-0000-000000000001')`)
			after := p.Capture()
			out, code := p.Regen("undo")
			if code != 6 || !strings.Contains(out, "comments") || strings.Contains(out, "posts:") {
				t.Fatalf("undo over a new row: exit %d, want 6 naming comments (only)\n%s", code, out)
			}
			if kind == regentest.SQLite && !strings.Contains(out, "comments: 1 → 2 rows") {
				t.Fatalf("want the row counts:\n%s", out)
			}
			mustSame(t, after, p.Capture())
			out, code = p.Regen("undo", "--force")
			if code != 0 {
				t.Fatalf("undo --force: exit %d\n%s", code, out)
			}
			mustSame(t, before, p.Capture())
			if kind == regentest.SQLite {
				kept := keptDatabase(t, out)
				db, err := sql.Open("sqlite", "file:"+kept+"?mode=ro")
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				var n int
				if err := db.QueryRow(`SELECT count(*) FROM comments WHERE id = '00000000-0000-0000-0000-0000000000cc'`).Scan(&n); err != nil || n != 1 {
					t.Fatalf("the new row is not in the kept copy %s: %d %v", kept, n, err)
				}
			}
		})
	}
}

// syncBuffer is an output buffer the test can read while regen writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls out until it contains want; the deadline only guards
// against a hang (nothing is timed).
func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %q:\n%s", want, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A second process holding a write transaction makes the backup wait: regen
// says so while it waits, naming the holder, and goes on once it ends.
func TestReliabilitySQLiteBusyIsExplained(t *testing.T) {
	for _, mode := range journalModes {
		t.Run(mode, func(t *testing.T) {
			p := sqliteFeature(t, mode)
			h := p.Hold()
			h.Exec("BEGIN IMMEDIATE")
			h.Exec(`INSERT INTO posts (id, title, body) VALUES ('` + newPost + `', 'in', 'a transaction')`)
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			out := &syncBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			waitFor(t, out, "is locked by another connection: waiting")
			msg := out.String()
			if !strings.Contains(msg, "to back it up") || !strings.Contains(msg, fmt.Sprintf("pid %d (", h.PID)) || !strings.Contains(msg, "sqliteholder") {
				t.Fatalf("the message should say what regen waits for and name the holder (pid %d):\n%s", h.PID, msg)
			}
			h.Exec("COMMIT")
			if code := exitCode(cmd.Wait()); code != 0 {
				t.Fatalf("exit %d after the holder committed\n%s", code, out.String())
			}
			if !hasPost(t, p.DB, newPost) {
				t.Fatal("the holder's committed row is gone")
			}
		})
	}
}

// The plan says which processes have the database open, before any run.
func TestReliabilitySQLiteHoldersInThePlan(t *testing.T) {
	p := sqliteFeature(t, "wal")
	h := p.Hold()
	for _, args := range [][]string{{"status"}, {"add_subtitle_and_views", "-m", "--dry-run"}} {
		out, code := p.Regen(args...)
		if code != 0 {
			t.Fatalf("regen %v: exit %d\n%s", args, code, out)
		}
		if !strings.Contains(out, "database open in") || !strings.Contains(out, fmt.Sprintf("pid %d (", h.PID)) || !strings.Contains(out, "sqliteholder "+p.DB) {
			t.Fatalf("regen %v should name pid %d and its command line:\n%s", args, h.PID, out)
		}
	}
	h.Close()
	if out, _ := p.Regen("status"); strings.Contains(out, "database open in") {
		t.Fatalf("no holder any more:\n%s", out)
	}
}

// A database the run created stays where it is while another process holds
// it (moving it aside would send that process's writes into the moved
// file): recover says who to stop, and finishes once it is gone.
func TestReliabilitySQLiteCreatedDatabaseHeldOpen(t *testing.T) {
	p := sqliteFeature(t, "delete")
	if err := os.Remove(p.DB); err != nil {
		t.Fatal(err)
	}
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:migrate")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
		t.Fatalf("want SIGKILL, got %v\n%s", err, out)
	}
	if _, err := os.Stat(p.DB); err != nil {
		t.Fatalf("the run should have created the database: %v", err)
	}
	h := p.Hold()
	out, code := p.Regen("recover")
	if code != 5 || !strings.Contains(out, fmt.Sprintf("pid %d (", h.PID)) || !strings.Contains(out, "regen recover") {
		t.Fatalf("recover with the created database held open: exit %d, want 5 naming pid %d\n%s", code, h.PID, out)
	}
	if _, err := os.Stat(p.DB); err != nil {
		t.Fatalf("the held database was moved: %v", err)
	}
	h.Close()
	out, code = p.Regen("recover")
	if code != 0 || !strings.Contains(out, "the run had created it; it was moved to") {
		t.Fatalf("recover once the holder is gone: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(p.DB); err == nil {
		t.Fatal("the database the run created is still there")
	}
}

// The rebuild (rollback by recreating the database) used to move the file
// away under its holders: the holder now follows the rebuilt database.
func TestReliabilitySQLiteHolderFollowsARebuild(t *testing.T) {
	for _, mode := range journalModes {
		t.Run(mode, func(t *testing.T) {
			p := regentest.NewProject(t)
			withJournalMode(t, p, mode)
			tag := func(extra ...string) string {
				return regentest.Resource("Tag", "tags", append([]string{"attribute :label, :string, allow_nil?: false, public?: true"}, extra...), []string{"belongs_to :post, Blog.Post, allow_nil?: false"})
			}
			p.Write("lib/blog/tag.ex", tag())
			p.Mix("ash.codegen", "add_tags")
			p.Mix("ash.migrate")
			p.SQL(`INSERT INTO posts (id, title, body) VALUES ('p1', 'Hello', 'b')`, `INSERT INTO tags (id, label, post_id) VALUES ('t1', 'go', 'p1')`)
			p.Write("lib/blog/tag.ex", tag("attribute :color, :string, public?: true"))
			h := p.Hold()
			if out, code := p.Regen("add_tags", "-m", "--rollback", "rebuild"); code != 0 || !strings.Contains(out, "rebuild") {
				t.Fatalf("run: exit %d\n%s", code, out)
			}
			seen, fresh := h.State(), p.Tables()
			if len(seen) != len(fresh) {
				t.Fatalf("the second process sees %d tables, the file has %d", len(seen), len(fresh))
			}
			for name, st := range fresh {
				if seen[name] != st {
					t.Errorf("table %s: the second process sees %+v, the file holds %+v", name, seen[name], st)
				}
			}
			// The feature's tag row is kept (issue 12's keep_data step).
			if fresh["tags"].Rows != 1 || fresh["posts"].Rows != 1 {
				t.Fatalf("after the rebuild: %+v", fresh)
			}
			h.Exec(`INSERT INTO posts (id, title, body) VALUES ('p2', 'after', 'rebuild')`)
			if n := p.Count("posts"); n != 2 {
				t.Fatalf("the second process's commit after the rebuild is not in the file: %d posts", n)
			}
			if got := journalMode(t, p); got != mode {
				t.Errorf("journal mode %s after the rebuild, want %s", got, mode)
			}
		})
	}
}

// A second process holding a write transaction when the compensation
// restores: regen says what it waits for and for whom, restores once the
// transaction ends, and everything is as before.
func TestReliabilitySQLiteBusyDuringRestoreIsExplained(t *testing.T) {
	for _, mode := range journalModes {
		t.Run(mode, func(t *testing.T) {
			p := sqliteFeature(t, mode)
			before := p.Capture()
			h := p.Hold()
			ready := filepath.Join(t.TempDir(), "ready")
			cmd := p.RegenCmd("add_subtitle_and_views", "-m")
			cmd.Env = append(cmd.Env, "MIXSIM_SLEEP=ash.codegen:60", "MIXSIM_READY_FILE="+ready)
			out := &syncBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill() })
			deadline := time.Now().Add(60 * time.Second)
			for !fileHas(ready) {
				if time.Now().After(deadline) {
					t.Fatalf("codegen never started:\n%s", out.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			h.Exec("BEGIN IMMEDIATE")
			h.Exec(`INSERT INTO posts (id, title, body) VALUES ('` + newPost + `', 'in', 'a transaction')`)
			cmd.Process.Signal(syscall.SIGINT)
			waitFor(t, out, "is locked by another connection: waiting")
			if msg := out.String(); !strings.Contains(msg, "before restoring it") || !strings.Contains(msg, fmt.Sprintf("pid %d (", h.PID)) {
				t.Fatalf("the message should say what regen waits for and name pid %d:\n%s", h.PID, msg)
			}
			h.Exec("ROLLBACK")
			if code := exitCode(cmd.Wait()); code != 130 || !strings.Contains(out.String(), "Everything was restored") {
				t.Fatalf("exit %d, want 130 and restored\n%s", code, out.String())
			}
			mustSame(t, before, p.Capture())
			holderMatchesFile(t, p, h, before)
		})
	}
}

// A database file that is no SQLite database any more (overwritten after a
// crash) is kept byte for byte and the copy put back over it.
func TestReliabilitySQLiteDamagedDatabaseIsKeptThenRestored(t *testing.T) {
	p := sqliteFeature(t, "wal")
	before := p.Capture()
	cmd := p.RegenCmd("add_subtitle_and_views", "-m")
	cmd.Env = append(cmd.Env, "REGEN_TEST_FAULT=kill:after:codegen")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 128+9 {
		t.Fatalf("want SIGKILL, got %v\n%s", err, out)
	}
	garbage := bytes.Repeat([]byte("not a database "), 500)
	if err := os.WriteFile(p.DB, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := p.Regen("recover")
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, out)
	}
	kept, err := os.ReadFile(keptDatabase(t, out))
	if err != nil || !bytes.Equal(kept, garbage) {
		t.Fatalf("the damaged file should be kept byte for byte (%v)", err)
	}
	mustSame(t, before, p.Capture())
}

// `regen check --roundtrip` restores the database after migrating it up,
// down and up: the second process follows that restore too.
func TestReliabilitySQLiteHolderSeesTheRoundtripRestore(t *testing.T) {
	for _, mode := range journalModes {
		t.Run(mode, func(t *testing.T) {
			p := roundtripProject(t)
			withJournalMode(t, p, mode)
			before := p.Capture()
			h := p.Hold()
			if out, code := p.Regen("check", "--roundtrip"); code != 0 {
				t.Fatalf("check --roundtrip: exit %d\n%s", code, out)
			}
			mustSame(t, before, p.Capture())
			holderMatchesFile(t, p, h, before)
		})
	}
}
