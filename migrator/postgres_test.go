package migrator

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestPGAppliedVersions(t *testing.T) {
	c := newPGTestDB(t, "")
	db := pgOpen(t, c)
	ctx := context.Background()

	// Nothing there yet: no table, no schema.
	for _, prefix := range []string{"", "org_a", "no_such_schema"} {
		vs, err := PGAppliedVersions(ctx, c, "", prefix)
		if err != nil || vs == nil || len(vs) != 0 {
			t.Fatalf("prefix %q before migrating: %v, %v (want empty, nil)", prefix, vs, err)
		}
	}

	mustExec(t, db,
		ectoPGSchema("", "schema_migrations"),
		`INSERT INTO schema_migrations VALUES (20261121235329, '2026-11-21 23:53:33'), (20261121235328, '2026-11-21 23:53:32'), (20261122000001, NULL)`,
		`CREATE SCHEMA org_a`,
		ectoPGSchema("org_a", "schema_migrations"),
		`INSERT INTO org_a.schema_migrations VALUES (20261122000923, '2026-11-22 00:09:30')`,
		ectoPGSchema("", "my_versions"),
		`INSERT INTO my_versions VALUES (1, '2020-01-01 00:00:00')`,
	)
	got, err := PGAppliedVersions(ctx, c, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Version{
		{20261121235328, "2026-11-21 23:53:32"},
		{20261121235329, "2026-11-21 23:53:33"},
		{20261122000001, ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("public: %v, want %v", got, want)
	}
	// The public table does not list tenant versions, and the reverse.
	got, err = PGAppliedVersions(ctx, c, "schema_migrations", "org_a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []Version{{20261122000923, "2026-11-22 00:09:30"}}) {
		t.Errorf("org_a: %v", got)
	}
	got, err = PGAppliedVersions(ctx, c, "my_versions", "public")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(versionNumbers(got), []int64{1}) {
		t.Errorf("custom source: %v", got)
	}
	// A custom source missing in a tenant is "nothing applied".
	got, err = PGAppliedVersions(ctx, c, "my_versions", "org_a")
	if err != nil || len(got) != 0 {
		t.Errorf("custom source missing in org_a: %v, %v", got, err)
	}
}

// A schema name that needs quoting must neither break nor inject.
func TestPGAppliedVersionsQuotesIdentifiers(t *testing.T) {
	c := newPGTestDB(t, "")
	db := pgOpen(t, c)
	odd := `Org "B"; DROP TABLE x`
	mustExec(t, db,
		`CREATE TABLE x (id int)`,
		`CREATE SCHEMA `+pgQualified("", odd),
		ectoPGSchema(odd, "schema_migrations"),
		`INSERT INTO `+pgQualified(odd, "schema_migrations")+` VALUES (7, NULL)`,
	)
	got, err := PGAppliedVersions(context.Background(), c, "", odd)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(versionNumbers(got), []int64{7}) {
		t.Errorf("got %v", got)
	}
	byPrefix, err := PGAppliedVersionsByPrefix(context.Background(), c, "", []string{odd})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(versionNumbers(byPrefix[odd]), []int64{7}) {
		t.Errorf("by prefix: %v", byPrefix)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM x`).Scan(&n); err != nil {
		t.Fatalf("table x is gone: %v", err)
	}
}

func TestPGTenantPrefixesAndVersionsByPrefix(t *testing.T) {
	c := newPGTestDB(t, "")
	db := pgOpen(t, c)
	ctx := context.Background()

	prefixes, err := PGTenantPrefixes(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if prefixes == nil || len(prefixes) != 0 {
		t.Fatalf("no tenants yet: %v", prefixes)
	}

	mustExec(t, db, ectoPGSchema("", "schema_migrations"), `INSERT INTO schema_migrations VALUES (1, NULL)`)
	for i, s := range []string{"org_c", "org_a", "Org_B"} {
		mustExec(t, db, `CREATE SCHEMA `+pgQualified("", s), ectoPGSchema(s, "schema_migrations"))
		for v := 0; v <= i; v++ {
			mustExec(t, db, fmt.Sprintf(`INSERT INTO %s VALUES (%d, '2026-11-22 00:00:0%d')`, pgQualified(s, "schema_migrations"), 100+v, v))
		}
	}
	// A schema without the table, and a table of that name that is a view,
	// are not tenants.
	mustExec(t, db, `CREATE SCHEMA org_empty`, `CREATE SCHEMA org_view`,
		`CREATE VIEW org_view.schema_migrations AS SELECT 1::bigint AS version, now()::timestamp AS inserted_at`)

	prefixes, err = PGTenantPrefixes(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Org_B", "org_a", "org_c"}; !reflect.DeepEqual(prefixes, want) {
		t.Errorf("PGTenantPrefixes = %v, want %v", prefixes, want)
	}
	if other, err := PGTenantPrefixes(ctx, c, "other_source"); err != nil || len(other) != 0 {
		t.Errorf("another source: %v, %v", other, err)
	}

	got, err := PGAppliedVersionsByPrefix(ctx, c, "", append(prefixes, "org_empty", "no_schema", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int64{
		"org_c":     {100},
		"org_a":     {100, 101},
		"Org_B":     {100, 101, 102},
		"org_empty": {},
		"no_schema": {},
		"":          {1},
	}
	if len(got) != len(want) {
		t.Errorf("keys: %v", got)
	}
	for k, w := range want {
		if !reflect.DeepEqual(versionNumbers(got[k]), w) {
			t.Errorf("%q: %v, want %v", k, got[k], w)
		}
	}
	if b := got["Org_B"]; len(b) != 3 || b[2].InsertedAt != "2026-11-22 00:00:02" {
		t.Errorf("inserted_at: %v", b)
	}
	empty, err := PGAppliedVersionsByPrefix(ctx, c, "", nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("no prefixes: %v, %v", empty, err)
	}
}

func TestPGOtherSessions(t *testing.T) {
	c := newPGTestDB(t, "")
	ctx := context.Background()
	n, err := PGOtherSessions(ctx, c)
	if err != nil || n != 0 {
		t.Fatalf("alone: %d, %v", n, err)
	}
	pgOpen(t, c) // a second session, like a running dev server
	n, err = PGOtherSessions(ctx, c)
	if err != nil || n != 1 {
		t.Fatalf("with one other session: %d, %v", n, err)
	}
}

// A wrong password, a closed port and a missing database are each one clear
// line of their class, and the password is nowhere in the text.
func TestPGConnectionErrorsClassified(t *testing.T) {
	base, err := ParsePGConn(pgTestURL(t), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := base.params()
	if err != nil {
		t.Fatal(err)
	}
	const badPW = "Wr0ng pa$$'w@rd"
	wrong := p
	wrong.params = append([]pgParam(nil), p.params...)
	wrong.set("password", badPW)
	refused := p
	refused.params = append([]pgParam(nil), p.params...)
	refused.set("port", "1")
	refused.set("password", badPW)

	cases := []struct {
		name string
		c    PGConn
		kind error
		says string
	}{
		{"wrong password", PGConn{URL: wrong.render()}, ErrPGAuth, "rejected the password"},
		{"refused port", PGConn{URL: refused.render()}, ErrPGUnreachable, "connection refused"},
		{"missing database", base.WithDatabase("regen_no_such_db_" + randomSuffix(t)), ErrPGNoDatabase, "does not exist"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[string]error{}
			_, calls["PGAppliedVersions"] = PGAppliedVersions(ctx, tc.c, "", "")
			_, calls["PGTenantPrefixes"] = PGTenantPrefixes(ctx, tc.c, "")
			_, calls["PGOtherSessions"] = PGOtherSessions(ctx, tc.c)
			_, calls["PGTableDigests"] = PGTableDigests(ctx, tc.c, "")
			for name, err := range calls {
				if !errors.Is(err, tc.kind) {
					t.Errorf("%s: %v, want %v", name, err, tc.kind)
					continue
				}
				msg := err.Error()
				if !strings.Contains(msg, tc.says) || strings.Contains(msg, "\n") {
					t.Errorf("%s: %q should be one line saying %q", name, msg, tc.says)
				}
				for _, secret := range []string{badPW, "regen-test-pw", "Wr0ng"} {
					if strings.Contains(msg, secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
						t.Errorf("%s: error leaks a password: %q", name, msg)
					}
				}
			}
		})
	}
}

func TestPGTableDigests(t *testing.T) {
	c := newPGTestDB(t, "")
	db := pgOpen(t, c)
	ctx := context.Background()
	mustExec(t, db,
		`CREATE TABLE posts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, body text, n numeric)`,
		`INSERT INTO posts (id, title, body, n) VALUES ('00000000-0000-0000-0000-000000000001', 'a', '', 1.0), ('00000000-0000-0000-0000-000000000002', 'b', NULL, 1)`,
		`CREATE TABLE empty (x int)`,
	)
	d1, err := PGTableDigests(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(d1) != 2 || d1["posts"] == "" || d1["empty"] == "" {
		t.Fatalf("digests: %v", d1)
	}
	again, err := PGTableDigests(ctx, c, "public")
	if err != nil || !reflect.DeepEqual(d1, again) {
		t.Fatalf("digest is not stable: %v vs %v (%v)", d1, again, err)
	}
	changes := []string{
		`UPDATE posts SET body = NULL WHERE title = 'a'`, // '' -> NULL
		`UPDATE posts SET n = 1.00 WHERE title = 'b'`,    // same value, other text
		`CREATE INDEX posts_title ON posts (title)`,
		`ALTER TABLE posts ALTER COLUMN body SET DEFAULT 'x'`,
	}
	prev := d1["posts"]
	for _, stmt := range changes {
		mustExec(t, db, stmt)
		d, err := PGTableDigests(ctx, c, "")
		if err != nil {
			t.Fatal(err)
		}
		if d["posts"] == prev {
			t.Errorf("digest unchanged after %s", stmt)
		}
		if d["empty"] != d1["empty"] {
			t.Errorf("an untouched table's digest changed after %s", stmt)
		}
		prev = d["posts"]
	}
}

// A connection that cannot finish in time is its own clear line.
func TestPGConnectTimeoutClassified(t *testing.T) {
	c, err := ParsePGConn(pgTestURL(t), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	for _, cx := range []context.Context{ctx, ctx2} {
		_, err := PGAppliedVersions(cx, c, "", "")
		if err == nil || strings.Contains(err.Error(), "regen-test-pw") {
			t.Errorf("expired context: %v", err)
		}
	}
	_, err = PGAppliedVersions(ctx2, c, "", "")
	if !errors.Is(err, ErrPGUnreachable) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("deadline exceeded: %v, want a timeout of class ErrPGUnreachable", err)
	}
}
