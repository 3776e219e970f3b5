package migrator

import (
	"context"
	"database/sql"
	"reflect"
	"sort"
	"testing"
)

const pgKeepPre = `
CREATE TABLE schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
CREATE TABLE posts (id bigserial PRIMARY KEY, title text NOT NULL, subtitle text, rating int, views text);
INSERT INTO posts (title, subtitle, rating, views) VALUES ('a', 'S1', 1, '10'), ('b', 'S2', 2, 'many'), ('c', 'S3', 3, '30');
CREATE TABLE tags (id bigint PRIMARY KEY, name text);
INSERT INTO tags VALUES (1, 'go'), (2, 'pg');
CREATE TABLE post_tags (id bigint PRIMARY KEY, post_id bigint REFERENCES posts, tag_id bigint REFERENCES tags);
INSERT INTO post_tags VALUES (1, 1, 1), (2, 2, 2);
CREATE TABLE z_categories (id bigserial PRIMARY KEY, name text);
INSERT INTO z_categories (name) VALUES ('one'), ('two');
CREATE TABLE a_items (id bigint PRIMARY KEY, category_id bigint REFERENCES z_categories, parent_id bigint REFERENCES a_items);
INSERT INTO a_items VALUES (1, 1, NULL), (2, 2, 1), (3, 2, 2);
CREATE TABLE logs (msg text);
INSERT INTO logs VALUES ('x'), ('y');
CREATE TABLE old_stuff (id int PRIMARY KEY);
INSERT INTO old_stuff VALUES (1), (2);
`

// pgKeepRun is what a regeneration does to the schema: the feature's
// columns and tables dropped and created again (empty), one column
// dropped, one retyped, a new NOT NULL column without default.
const pgKeepRun = `
ALTER TABLE posts DROP COLUMN subtitle, DROP COLUMN rating, DROP COLUMN views;
ALTER TABLE posts ADD COLUMN subtitle text, ADD COLUMN views integer;
DROP TABLE post_tags, tags, a_items, z_categories, logs, old_stuff;
CREATE TABLE tags (id bigint PRIMARY KEY, name text, slug text NOT NULL);
CREATE TABLE post_tags (id bigint PRIMARY KEY, post_id bigint REFERENCES posts, tag_id bigint REFERENCES tags);
CREATE TABLE z_categories (id bigserial PRIMARY KEY, name text);
CREATE TABLE a_items (id bigint PRIMARY KEY, category_id bigint REFERENCES z_categories, parent_id bigint REFERENCES a_items);
CREATE TABLE logs (msg text);
`

func pgExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
}

func sortReport(r *KeepReport) {
	sort.Slice(r.Kept, func(i, j int) bool {
		return r.Kept[i].Table+"."+r.Kept[i].Column < r.Kept[j].Table+"."+r.Kept[j].Column
	})
	sort.Slice(r.NotKept, func(i, j int) bool {
		return r.NotKept[i].Table+"."+r.NotKept[i].Column < r.NotKept[j].Table+"."+r.NotKept[j].Column
	})
}

// Every reason, both sources: the template copy and regen's keep schema.
func TestPGKeepDataReasonsAndForeignKeyOrder(t *testing.T) {
	for _, mode := range []string{"template", "schema"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			c := newPGTestDB(t, "")
			db := pgOpen(t, c)
			pgExec(t, db, pgKeepPre)
			src := PGKeepSource{RunID: "20261201T000000Z-abc123"}
			if mode == "template" {
				db.Close()
				name, err := PGBackupTemplate(ctx, c, src.RunID)
				if err != nil {
					t.Fatal(err)
				}
				src.CopyDB = name
				db = pgOpen(t, c)
			} else {
				m, err := PGPrepareKeep(ctx, c, src.RunID, []string{""}, "")
				if err != nil {
					t.Fatal(err)
				}
				src.Schemas = m
			}
			pgExec(t, db, pgKeepRun)
			reps, err := PGKeepData(ctx, c, src, []string{""}, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(reps) != 1 {
				t.Fatalf("reports %+v", reps)
			}
			r := reps[0]
			sortReport(&r)
			wantKept := []KeptData{
				{Table: "a_items", Rows: 3},
				{Table: "posts", Column: "subtitle", Rows: 3},
				{Table: "posts", Column: "views", Rows: 2},
				{Table: "z_categories", Rows: 2},
			}
			wantNot := []NotKeptData{
				{Table: "logs", Reason: KeepNoPrimaryKey, Count: 2},
				{Table: "old_stuff", Reason: KeepTableGone, Count: 2},
				{Table: "post_tags", Reason: KeepForeignKey, Count: 2},
				{Table: "posts", Column: "rating", Reason: KeepColumnGone, Count: 3},
				{Table: "posts", Column: "views", Reason: KeepTypeChanged, Count: 1},
				{Table: "tags", Column: "slug", Reason: KeepNotNull, Count: 2},
			}
			if !reflect.DeepEqual(r.Kept, wantKept) {
				t.Errorf("kept:\n got %+v\nwant %+v", r.Kept, wantKept)
			}
			if !reflect.DeepEqual(r.NotKept, wantNot) {
				t.Errorf("not kept:\n got %+v\nwant %+v", r.NotKept, wantNot)
			}
			var sub, views string
			if err := db.QueryRow(`SELECT string_agg(subtitle, ',' ORDER BY id), string_agg(coalesce(views::text, '-'), ',' ORDER BY id) FROM posts`).Scan(&sub, &views); err != nil {
				t.Fatal(err)
			}
			if sub != "S1,S2,S3" || views != "10,-,30" {
				t.Errorf("posts after the carry: subtitle %q views %q", sub, views)
			}
			// The sequence moved past the rows put back.
			var id int64
			if err := db.QueryRow(`INSERT INTO z_categories (name) VALUES ('three') RETURNING id`).Scan(&id); err != nil || id != 3 {
				t.Errorf("next category id %d (%v), want 3", id, err)
			}
			left, err := PGListKeep(ctx, c, "")
			if err != nil {
				t.Fatal(err)
			}
			if mode == "template" && len(left) != 0 {
				t.Errorf("transient keep schemas left: %v", left)
			}
			if mode == "schema" {
				if len(left) != 1 {
					t.Fatalf("keep schemas %v, want 1", left)
				}
				if err := PGDropKeep(ctx, c, src.RunID); err != nil {
					t.Fatal(err)
				}
				if left, _ := PGListKeep(ctx, c, ""); len(left) != 0 {
					t.Errorf("keep schemas after drop: %v", left)
				}
			}
		})
	}
}

// An error inside the carry leaves the database as the run left it.
func TestPGKeepDataFailureRollsBack(t *testing.T) {
	ctx := context.Background()
	c := newPGTestDB(t, "")
	db := pgOpen(t, c)
	pgExec(t, db, pgKeepPre)
	src := PGKeepSource{RunID: "20261201T000000Z-fail01"}
	m, err := PGPrepareKeep(ctx, c, src.RunID, []string{""}, "")
	if err != nil {
		t.Fatal(err)
	}
	src.Schemas = m
	pgExec(t, db, pgKeepRun)
	boom := errTest("injected")
	if _, err := PGKeepData(ctx, c, src, []string{""}, "", func() error { return boom }); err != boom {
		t.Fatalf("err %v, want the injected one", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM posts WHERE subtitle IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("subtitles after a failed carry: %d (%v), want 0", n, err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM z_categories`).Scan(&n); err != nil || n != 0 {
		t.Errorf("categories after a failed carry: %d (%v), want 0", n, err)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

// A dependency on a user type must not block the rollback's DROP TYPE.
func TestPGPrepareKeepUserTypeAsText(t *testing.T) {
	ctx := context.Background()
	c := newPGTestDB(t, "")
	db := pgOpen(t, c)
	pgExec(t, db, `CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TABLE people (id int PRIMARY KEY, mood mood); INSERT INTO people VALUES (1, 'sad')`)
	m, err := PGPrepareKeep(ctx, c, "20261201T000000Z-enum01", []string{""}, "")
	if err != nil {
		t.Fatal(err)
	}
	pgExec(t, db, `ALTER TABLE people DROP COLUMN mood; DROP TYPE mood; CREATE TYPE mood AS ENUM ('ok', 'sad'); ALTER TABLE people ADD COLUMN mood mood`)
	reps, err := PGKeepData(ctx, c, PGKeepSource{Schemas: m}, []string{""}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var mood string
	if err := db.QueryRow(`SELECT mood::text FROM people`).Scan(&mood); err != nil || mood != "sad" {
		t.Errorf("mood %q (%v), report %+v", mood, err, reps)
	}
}

// The forecast's value counts: non-NULL values only; a missing column or
// table is left out, not counted as zero.
func TestPGNonNullCounts(t *testing.T) {
	c := newPGTestDB(t, "")
	db := pgOpen(t, c)
	pgExec(t, db, `CREATE TABLE "Odd Posts" (id int PRIMARY KEY, "sub title" text);
		INSERT INTO "Odd Posts" VALUES (1, 'a'), (2, NULL), (3, 'c');`)
	got, err := PGNonNullCounts(context.Background(), c, "", []TableColumn{
		{Table: "Odd Posts", Column: "sub title"}, {Table: "Odd Posts", Column: "gone"}, {Table: "nope", Column: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[TableColumn{Table: "Odd Posts", Column: "sub title"}] != 2 {
		t.Fatalf("counts %v, want only Odd Posts.sub title = 2", got)
	}
}
