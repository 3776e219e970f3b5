package regen_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/regentest"
)

var tenantSchemas = []string{"org_a", "org_b", "org_c", "org_d"}

func note(p *regentest.Project, extra ...string) string {
	r := p.Resource("Note", "notes", append([]string{"attribute :text, :string, allow_nil?: false, public?: true"}, extra...), nil)
	return strings.Replace(r, "  attributes do", "  multitenancy do\n    strategy :context\n  end\n\n  attributes do", 1)
}

// tenantFeature: four tenant schemas; feature work adds a multitenant
// resource, its tenant migration applied in org_a..org_c but not org_d
// (a tenant in another state); rows in org_a; then the resource changes.
func tenantFeature(t *testing.T) *regentest.Project {
	t.Helper()
	p := regentest.NewProjectOf(t, regentest.Postgres)
	repo, _ := os.ReadFile(p.Root + "/lib/blog/repo.ex")
	p.Write("lib/blog/repo.ex", strings.Replace(string(repo), "  def installed_extensions do",
		"  def all_tenants, do: [\"org_a\", \"org_b\", \"org_c\", \"org_d\"]\n\n  def installed_extensions do", 1))
	for _, s := range tenantSchemas {
		p.SQL(`CREATE SCHEMA ` + s)
	}
	p.Git("add", "-A")
	p.Git("commit", "-qm", "tenants")
	p.Write("lib/blog/note.ex", note(p))
	p.Mix("ash.codegen", "add_notes")
	p.Mix("ash.migrate", "--tenants")
	// org_d lacks it.
	tenantDir := p.Root + "/priv/repo/tenant_migrations"
	p.Mix("ecto.rollback", "-r", "Blog.Repo", "--prefix", "org_d", "--migrations-path", tenantDir, "--all")
	p.SQL(`INSERT INTO org_a.notes (id, text) VALUES ('00000000-0000-0000-0000-000000000001', 'kept')`)
	p.Write("lib/blog/note.ex", note(p, "attribute :pinned, :boolean, public?: true"))
	return p
}

func tenantVersions(t *testing.T, p *regentest.Project) map[string][]migrator.Version {
	t.Helper()
	conn, _ := migrator.ParsePGConn(p.DB, os.Getenv)
	m, err := migrator.PGAppliedVersionsByPrefix(context.Background(), conn, "", tenantSchemas)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tenantDigests(t *testing.T, p *regentest.Project) string {
	t.Helper()
	conn, _ := migrator.ParsePGConn(p.DB, os.Getenv)
	var b strings.Builder
	for _, s := range tenantSchemas {
		d, err := migrator.PGTableDigests(context.Background(), conn, s)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %v\n", s, d)
	}
	return b.String()
}

func TestTenantsRolledBackPerSchemaRegeneratedAndReapplied(t *testing.T) {
	for _, mode := range []string{"0", "1"} {
		t.Run("one_vm="+mode, func(t *testing.T) {
			p := tenantFeature(t)
			p.Env = append(p.Env, "REGEN_ONE_VM="+mode)
			res, err, out := run(t, p, regen.RunOptions{Name: "add_notes", Migrate: true})
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			rp := res.Plan.Repos[0]
			if len(rp.Tenants) != 4 {
				t.Fatalf("tenants: %+v", rp.Tenants)
			}
			for _, tp := range rp.Tenants {
				want := 1
				if tp.Prefix == "org_d" {
					want = 0
				}
				if len(tp.Rollback) != want {
					t.Fatalf("tenant %s rollback %v", tp.Prefix, tp.Rollback)
				}
			}
			if len(rp.TenantNotes) != 1 || !strings.Contains(rp.TenantNotes[0], "3 of 4") {
				t.Fatalf("the odd tenant should be reported: %v", rp.TenantNotes)
			}
			vs := tenantVersions(t, p)
			var first int64
			for _, s := range tenantSchemas {
				if len(vs[s]) != 1 {
					t.Fatalf("%s: %v", s, vs[s])
				}
				if first == 0 {
					first = vs[s][0].Version
				}
				if vs[s][0].Version != first {
					t.Fatalf("tenants disagree: %v", vs)
				}
			}
			if !strings.Contains(strings.Join(p.Migrations(), " "), "") {
				t.Fatal("unreachable")
			}
		})
	}
}

func TestTenantsFailureRestoresEverySchema(t *testing.T) {
	p := tenantFeature(t)
	t.Setenv("MIXSIM_FAIL", "ash.codegen")
	before := p.Capture()
	digests := tenantDigests(t, p)
	versions := fmt.Sprint(tenantVersions(t, p))
	_, err, out := run(t, p, regen.RunOptions{Name: "add_notes", Migrate: true})
	var restored *regen.RestoredError
	if !errors.As(err, &restored) {
		t.Fatalf("want restored, got %v\n%s", err, out)
	}
	mustSame(t, before, p.Capture())
	if got := tenantDigests(t, p); got != digests {
		t.Fatalf("tenant tables differ:\n%s\nvs\n%s", digests, got)
	}
	if got := fmt.Sprint(tenantVersions(t, p)); got != versions {
		t.Fatalf("tenant schema_migrations differ: %s vs %s", versions, got)
	}
}
