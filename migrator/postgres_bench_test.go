package migrator

import (
	"context"
	"sort"
	"testing"
	"time"
)

// BenchmarkPGAppliedVersionsByPrefix is `regen status` over 1,000 tenant
// schemas of 20 versions each: find the tenants, read every tenant's
// versions. The anchor reads one schema (connect + one table), the cheapest
// database question regen asks; x_anchor says how many anchors the whole
// 1,000-tenant read costs. Target: the whole read under 1 s.
//
//	export REGEN_TEST_PG_URL=$(scripts/pg-test-server)
//	go test ./migrator/ -run '^$' -bench PGAppliedVersionsByPrefix -benchtime 10x
func BenchmarkPGAppliedVersionsByPrefix(b *testing.B) {
	const tenants, versions = 1000, 20
	c := newPGTestDB(b, "")
	db := pgOpen(b, c)
	// One server-side loop: 1,000 CREATE SCHEMA round trips from here would
	// dominate the setup.
	mustExec(b, db, `
DO $$
BEGIN
  FOR i IN 1..1000 LOOP
    EXECUTE format('CREATE SCHEMA %I', 'org_' || lpad(i::text, 4, '0'));
    EXECUTE format('CREATE TABLE %I.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0))', 'org_' || lpad(i::text, 4, '0'));
    EXECUTE format('INSERT INTO %I.schema_migrations SELECT 20260101000000 + g, now() FROM generate_series(1, 20) g', 'org_' || lpad(i::text, 4, '0'));
  END LOOP;
END $$`)
	db.Close()
	ctx := context.Background()

	readAll := func(b *testing.B) {
		prefixes, err := PGTenantPrefixes(ctx, c, "")
		if err != nil {
			b.Fatal(err)
		}
		got, err := PGAppliedVersionsByPrefix(ctx, c, "", prefixes)
		if err != nil {
			b.Fatal(err)
		}
		if len(prefixes) != tenants || len(got) != tenants || len(got["org_0500"]) != versions {
			b.Fatalf("read %d tenants, org_0500 has %d versions", len(got), len(got["org_0500"]))
		}
	}
	anchor := func(b *testing.B) {
		vs, err := PGAppliedVersions(ctx, c, "", "org_0001")
		if err != nil || len(vs) != versions {
			b.Fatalf("anchor: %d versions, %v", len(vs), err)
		}
	}
	// The anchor's own median, measured here so the ratio is reported in
	// the same run as the figure it explains.
	median := func(f func(*testing.B), n int) time.Duration {
		ds := make([]time.Duration, n)
		for i := range ds {
			start := time.Now()
			f(b)
			ds[i] = time.Since(start)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[n/2]
	}
	anchorTime := median(anchor, 9)

	b.Run("anchor_one_schema", func(b *testing.B) {
		for b.Loop() {
			anchor(b)
		}
	})
	b.Run("tenants_1000", func(b *testing.B) {
		start := time.Now()
		n := 0
		for b.Loop() {
			readAll(b)
			n++
		}
		per := time.Since(start) / time.Duration(max(n, 1))
		b.ReportMetric(float64(per)/float64(anchorTime), "x_anchor")
		b.ReportMetric(per.Seconds(), "s/read")
		if per > time.Second {
			b.Errorf("reading 1,000 tenants took %v per read; target is under 1 s", per)
		}
	})
}
