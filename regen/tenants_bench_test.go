package regen_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

// BenchmarkStatusTenants: `regen status` (Engine.Status, which reads git
// and every tenant's schema_migrations) on a project with 1,000 tenant
// schemas, each with 20 applied tenant migrations, and 3 untracked tenant
// migrations. Anchor, same run: one read of the public schema_migrations.
// Target: the whole status under 1 s. Run by scripts/bench-tenants.
func BenchmarkStatusTenants(b *testing.B) {
	p := regentest.NewProjectOf(b, regentest.Postgres)
	const tenants, perTenant = 1000, 20
	var files []string
	for i := 0; i < perTenant+3; i++ {
		v := fmt.Sprintf("2025%010d", i)
		files = append(files, v)
		p.Write("priv/repo/tenant_migrations/"+v+fmt.Sprintf("_t%d.exs", i), fmt.Sprintf("defmodule Blog.Repo.TenantMigrations.T%d do\n  use Ecto.Migration\n\n  def up do\n  end\n\n  def down do\n  end\nend\n", i))
	}
	var sql strings.Builder
	for i := 0; i < tenants; i++ {
		s := fmt.Sprintf("org_%04d", i)
		fmt.Fprintf(&sql, "CREATE SCHEMA %s; CREATE TABLE %s.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));", s, s)
		var rows []string
		for _, v := range files[:perTenant+1] { // the first untracked one is applied everywhere
			rows = append(rows, "("+v+", now())")
		}
		fmt.Fprintf(&sql, "INSERT INTO %s.schema_migrations VALUES %s;", s, strings.Join(rows, ","))
	}
	p.SQL(sql.String())
	// Track the first 20; the last 3 stay untracked.
	for i, v := range files[:perTenant] {
		p.Git("add", "priv/repo/tenant_migrations/"+v+fmt.Sprintf("_t%d.exs", i))
	}
	p.Git("commit", "-qm", "tenant migrations")
	e, err := regen.Open(regen.Options{Dir: p.Root, Getenv: p.Getenv})
	if err != nil {
		b.Fatal(err)
	}
	st, err := e.Status(context.Background()) // warms the repo-config cache like any first run
	if err != nil {
		b.Fatal(err)
	}
	if n := len(st.Plan.Repos[0].Tenants); n != tenants {
		b.Fatalf("tenants seen: %d", n)
	}
	conn, _ := migrator.ParsePGConn(p.DB, os.Getenv)
	b.Run("anchor-one-schema-read", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := migrator.PGAppliedVersions(context.Background(), conn, "", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("status-1000-tenants", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			st, err := e.Status(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if n := len(st.Plan.Repos[0].Tenants[0].Rollback); n != 1 {
				b.Fatalf("rollback set of a tenant: %d", n)
			}
		}
	})
}
