// Command benchtool is the helper of scripts/bench: it builds the benchmark
// scenarios and times processes. It is not part of regen.
//
//	benchtool bigrepo  -dir D -tracked N -ignored N -migs N   synthetic Ash+SQLite repository
//	benchtool feature  -dir D -mixsim PATH [-migs N] [-real]  feature scenario played by the stand-in (-real: under real Mix, realmix)
//	benchtool phantomrepo -dir D -plain D2 [-branches 50 -commits 2000 -phantoms 1000]  phantoms across branches, and the same repository without
//	benchtool sqlitedb -path P -mb N                          a development database of about N MB
//	benchtool snapshot SRC DST                                migrator.SnapshotSQLite, as regen backs up
//	benchtool time [-n N] [-warmup N] [-prepare CMD] [-dir D] -- A ... [';;' A2 ...] [::: B ...]
//	benchtool hfjson FILE                                     medians (ms) from hyperfine --export-json
//
// time runs each measure (separated by :::) N times, interleaved so that a
// noisy neighbour hits every measure alike; the processes of one measure
// (separated by ;;) run one after the other and are timed together. It
// prints one line per measure: median, min and max in ms, and the peak RSS
// in KiB of the measure's first process (wait4 rusage, what
// /usr/bin/time -f %M reports).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/regen-tool/regen/regen/regentest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/scripts/benchtool/realmix"

	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool bigrepo|feature|sqlitedb|snapshot|time|hfjson ...")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "bigrepo":
		err = bigRepo(args)
	case "feature":
		err = feature(args)
	case "phantomrepo":
		err = phantomRepo(args)
	case "sqlitedb":
		err = sqliteDB(args)
	case "snapshot":
		if len(args) != 2 {
			err = errors.New("usage: benchtool snapshot SRC DST")
		} else {
			err = migrator.SnapshotSQLite(context.Background(), args[0], args[1])
		}
	case "time":
		err = timeCmd(args)
	case "hfjson":
		err = hyperfineJSON(args)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

// ---- scenarios ---------------------------------------------------------

const migs = "priv/repo/migrations"
const snaps = "priv/resource_snapshots/repo"

func write(root, rel, content string) error {
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}

func run(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func migration(i int) (version, body string) {
	version = fmt.Sprintf("2024%010d", i)
	body = fmt.Sprintf("defmodule Blog.Repo.Migrations.Step%d do\n  use Ecto.Migration\n\n  def up do\n  end\n\n  def down do\n  end\nend\n", i)
	return version, body
}

// insertVersions creates schema_migrations if needed and adds versions.
func insertVersions(dbPath string, versions []string) error {
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, inserted_at TEXT)`); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	for _, v := range versions {
		if _, err := tx.Exec(`INSERT INTO schema_migrations (version, inserted_at) VALUES (?, '2024-01-01T00:00:00')`, v); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// bigRepo writes the discovery scenario: `tracked` files in all (the
// migrations included), `ignored` files under ignored folders, a migrations
// folder with migs tracked, 5 untracked and 3 ignored files, a few tracked
// snapshots, and .regen.toml naming the database so that no mix runs.
func bigRepo(args []string) error {
	fl := flag.NewFlagSet("bigrepo", flag.ExitOnError)
	dir := fl.String("dir", "", "folder to create")
	tracked := fl.Int("tracked", 100000, "tracked files in all")
	ignored := fl.Int("ignored", 20000, "ignored files")
	nmigs := fl.Int("migs", 2000, "tracked migrations")
	fl.Parse(args)
	if *dir == "" {
		return errors.New("bigrepo: -dir is required")
	}
	root := *dir
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"mix.exs":           regentest.MixExs,
		"config/config.exs": regentest.ConfigExs,
		".gitignore":        "/_build/\n/deps/\n*.db\n*.db-*\n*.swp\n*.bak\n",
		".regen.toml": `preset = "ash_sqlite"

[[repos]]
name = "repo"
module = "Blog.Repo"
migrations = "` + migs + `"
snapshots = "` + snaps + `"
database = "blog_dev.db"
`,
	}
	nsnaps := 0
	if *tracked >= 1000 {
		nsnaps = 20
	}
	for i := 0; i < nsnaps; i++ {
		files[fmt.Sprintf("%s/table%02d/2024%010d.json", snaps, i, i)] = fmt.Sprintf("{\"table\": \"table%02d\"}\n", i)
	}
	var versions []string
	for i := 0; i < *nmigs; i++ {
		v, body := migration(i)
		files[fmt.Sprintf("%s/%s_step_%d.exs", migs, v, i)] = body
		versions = append(versions, v)
	}
	// The rest of the tracked files: 100 per folder, 20 folders per
	// parent, like lib/ and test/ of a large application.
	rest := *tracked - len(files)
	for i := 0; i < rest; i++ {
		top := "lib"
		if i%4 == 3 {
			top = "test"
		}
		files[fmt.Sprintf("%s/area%03d/mod%02d/file%03d.ex", top, i/2000, (i/100)%20, i%100)] = fmt.Sprintf("defmodule M%d do\nend\n", i)
	}
	for rel, content := range files {
		if err := write(root, rel, content); err != nil {
			return err
		}
	}
	for i := 0; i < *ignored; i++ {
		top := "_build/dev/lib"
		if i%2 == 1 {
			top = "deps"
		}
		if err := write(root, fmt.Sprintf("%s/dep%03d/f%03d.beam", top, i/200, i%200), "beam"); err != nil {
			return err
		}
	}
	env := gitEnv(root)
	if err := run(root, env, "git", "init", "-q", "-b", "main"); err != nil {
		return err
	}
	if err := run(root, env, "git", "add", "-A"); err != nil {
		return err
	}
	if err := run(root, env, "git", "commit", "-q", "-m", "synthetic"); err != nil {
		return err
	}
	for i := 0; i < 5; i++ {
		if err := write(root, fmt.Sprintf("%s/2025%010d_feature_%d.exs", migs, i, i), "defmodule X do\nend\n"); err != nil {
			return err
		}
	}
	for _, n := range []string{"notes.swp", "20250000000009_old.exs.bak", ".20250000000001_feature_1.exs.swp"} {
		if err := write(root, migs+"/"+n, "x"); err != nil {
			return err
		}
	}
	return insertVersions(filepath.Join(root, "blog_dev.db"), versions)
}

// gitEnv keeps the developer's git config out of the scenarios.
func gitEnv(root string) []string {
	home := filepath.Join(filepath.Dir(root), ".home-"+filepath.Base(root))
	os.MkdirAll(home, 0o755)
	return []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.com", "GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.com",
	}
}

func resource(module, table string, attributes []string) string {
	return regentest.Resource(module, table, attributes, nil)
}

// feature writes the regeneration scenario, played by the stand-in: a
// committed baseline (plus migs tracked, applied migrations), feature work
// generated and migrated (untracked, applied), then the resource changed
// again, so `regen NAME -m` has one migration to roll back, a snapshot to
// remove, and codegen + migrate to run.
func feature(args []string) error {
	fl := flag.NewFlagSet("feature", flag.ExitOnError)
	dir := fl.String("dir", "", "folder to create")
	mixsim := fl.String("mixsim", "", "the stand-in binary")
	nmigs := fl.Int("migs", 0, "extra tracked, applied migrations")
	real := fl.Bool("real", false, "a real Mix project whose task shims run the stand-in (realmix)")
	fl.Parse(args)
	if *dir == "" || *mixsim == "" {
		return errors.New("feature: -dir and -mixsim are required")
	}
	root := *dir
	env := gitEnv(root)
	mix := func(a ...string) error {
		return run(root, []string{"MIXSIM_BOOT_DELAY_MS=0", "MIXSIM_LOG="}, *mixsim, a...)
	}
	post := func(extra ...string) error {
		return write(root, "lib/blog/post.ex", resource("Post", "posts", append([]string{
			"attribute :title, :string, allow_nil?: false, public?: true",
			"attribute :body, :string, public?: true"}, extra...)))
	}
	for rel, content := range map[string]string{
		"mix.exs":           regentest.MixExs,
		"config/config.exs": regentest.ConfigExs,
		".gitignore":        "/_build/\n/deps/\n*.db\n*.db-*\n",
	} {
		if err := write(root, rel, content); err != nil {
			return err
		}
	}
	if *real {
		abs, err := filepath.Abs(*mixsim)
		if err != nil {
			return err
		}
		if err := realmix.Write(root, abs); err != nil {
			return err
		}
	}
	if err := post(); err != nil {
		return err
	}
	steps := []func() error{
		func() error { return run(root, env, "git", "init", "-q", "-b", "main") },
		func() error { return mix("ash.codegen", "initial_blog") },
		func() error { return mix("ash.migrate") },
		func() error {
			var versions []string
			for i := 0; i < *nmigs; i++ {
				v, body := migration(i)
				// After the baseline's version, so Ecto's order is unchanged.
				v = "2025" + v[4:]
				if err := write(root, fmt.Sprintf("%s/%s_step_%d.exs", migs, v, i), body); err != nil {
					return err
				}
				versions = append(versions, v)
			}
			if len(versions) == 0 {
				return nil
			}
			return insertVersions(filepath.Join(root, "blog_dev.db"), versions)
		},
		func() error { return run(root, env, "git", "add", "-A") },
		func() error { return run(root, env, "git", "commit", "-q", "-m", "baseline") },
		func() error { return post("attribute :subtitle, :string, public?: true") },
		func() error { return mix("ash.codegen", "add_subtitle") },
		func() error { return mix("ash.migrate") },
		func() error {
			return post("attribute :subtitle, :string, public?: true", "attribute :views, :integer, public?: true")
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// sqliteDB writes a database of about mb MB with a schema_migrations table,
// ~1 KiB rows and an index, like a development database with data.
func sqliteDB(args []string) error {
	fl := flag.NewFlagSet("sqlitedb", flag.ExitOnError)
	path := fl.String("path", "", "database file")
	mb := fl.Int("mb", 200, "approximate size in MB")
	fl.Parse(args)
	if *path == "" {
		return errors.New("sqlitedb: -path is required")
	}
	db, err := sql.Open("sqlite", "file:"+*path)
	if err != nil {
		return err
	}
	defer db.Close()
	rows := *mb * 1000 * 1000 / 1000 // measured: ~1,000 bytes per row with the index
	for _, q := range []string{
		`PRAGMA journal_mode = WAL`,
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, inserted_at TEXT)`,
		`INSERT INTO schema_migrations VALUES (20240101000000, '2024-01-01T00:00:00')`,
		`CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, views INTEGER)`,
		fmt.Sprintf(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d)
		 INSERT INTO posts SELECT x, 'post ' || x, hex(randomblob(480)), x * 7 FROM n`, rows),
		`CREATE INDEX posts_title ON posts(title)`,
		`PRAGMA wal_checkpoint(TRUNCATE)`,
	} {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// ---- timing --------------------------------------------------------------

type measure struct {
	procs   [][]string
	samples []time.Duration
	maxRSS  int64
}

func timeCmd(args []string) error {
	fl := flag.NewFlagSet("time", flag.ExitOnError)
	n := fl.Int("n", 15, "timed runs per measure")
	warmup := fl.Int("warmup", 2, "untimed runs per measure first")
	prepare := fl.String("prepare", "", "shell command run (untimed) before every run")
	dir := fl.String("dir", "", "working folder of the timed processes (may be recreated by -prepare)")
	fl.Parse(args)
	rest := fl.Args()
	var ms []*measure
	cur := &measure{}
	var proc []string
	flush := func() {
		if len(proc) > 0 {
			cur.procs = append(cur.procs, proc)
		}
		proc = nil
	}
	for _, a := range rest {
		switch a {
		case ";;":
			flush()
		case ":::":
			flush()
			ms = append(ms, cur)
			cur = &measure{}
		default:
			proc = append(proc, a)
		}
	}
	flush()
	ms = append(ms, cur)
	for _, m := range ms {
		if len(m.procs) == 0 {
			return errors.New("time: an empty measure")
		}
	}
	for i := 0; i < *warmup+*n; i++ {
		for k := range ms {
			// Rotate the order so no measure always runs first.
			m := ms[(i+k)%len(ms)]
			if *prepare != "" {
				if err := run("", nil, "sh", "-c", *prepare); err != nil {
					return err
				}
			}
			d, rss, err := runMeasure(*dir, m.procs)
			if err != nil {
				return err
			}
			if i >= *warmup {
				m.samples = append(m.samples, d)
				m.maxRSS = max(m.maxRSS, rss)
			}
		}
	}
	for _, m := range ms {
		s := m.samples
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		fmt.Printf("%.2f %.2f %.2f %d\n", msOf(median(s)), msOf(s[0]), msOf(s[len(s)-1]), m.maxRSS)
	}
	return nil
}

func median(s []time.Duration) time.Duration {
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func msOf(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// runMeasure runs the processes one after the other with stdout and stderr
// discarded; any non-zero exit is an error (a benchmark of a failing run
// measures nothing).
func runMeasure(dir string, procs [][]string) (time.Duration, int64, error) {
	var firstRSS int64
	start := time.Now()
	for i, p := range procs {
		cmd := exec.Command(p[0], p[1:]...)
		cmd.Dir = dir
		var out strings.Builder
		cmd.Stderr = &out
		if err := cmd.Run(); err != nil {
			return 0, 0, fmt.Errorf("%s: %v\n%s", strings.Join(p, " "), err, out.String())
		}
		if i == 0 {
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				firstRSS = int64(ru.Maxrss)
			}
		}
	}
	return time.Since(start), firstRSS, nil
}

// hyperfineJSON prints the median (ms) of every command in a hyperfine
// --export-json file, one a line.
func hyperfineJSON(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: benchtool hfjson FILE")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var doc struct {
		Results []struct {
			Median float64 `json:"median"`
			Min    float64 `json:"min"`
			Max    float64 `json:"max"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	for _, r := range doc.Results {
		fmt.Printf("%.2f %.2f %.2f 0\n", r.Median*1000, r.Min*1000, r.Max*1000)
	}
	return nil
}
