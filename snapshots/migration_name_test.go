package snapshots

import (
	"fmt"
	"testing"
)

func TestParseMigrationName(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int64
		slug    string
		ok, dev bool
	}{
		{"20261121234823_initial_blog.exs", 20261121234823, "initial_blog", true, false},
		{"20261121235328_initial_blog_extensions_1.exs", 20261121235328, "initial_blog_extensions_1", true, false},
		{"20261122000131_migrate_resources1_dev.exs", 20261122000131, "migrate_resources1_dev", true, true},
		{"20261122000131_dev.exs", 20261122000131, "dev", true, true},
		{"20261122000131_a.exs", 20261122000131, "a", true, false},
		{"00000000000000_0.exs", 0, "0", true, false},
		{"99999999999999_x.exs", 99999999999999, "x", true, false},
		{"20261122000131__.exs", 20261122000131, "_", true, false},
		{"20261122000131_add_dev_tools.exs", 20261122000131, "add_dev_tools", true, false},
		{"20261122000131_devx.exs", 20261122000131, "devx", true, false},

		{"2026112100000_short.exs", 0, "", false, false},          // 13 digits
		{"202611210000001_long.exs", 0, "", false, false},         // 15 digits
		{"20261121000000_Initial.exs", 0, "", false, false},       // uppercase
		{"20261121000000_add-materials.exs", 0, "", false, false}, // dash
		{"20261121000000_add materials.exs", 0, "", false, false}, // space
		{"20261121000000_initial.exs~", 0, "", false, false},      // editor backup
		{"20261121000000_initial.ex", 0, "", false, false},        // not a script
		{"20261121000000_initial.EXS", 0, "", false, false},       // suffix case
		{"20261121000000_café.exs", 0, "", false, false},          // unicode letter
		{"٢٠٢٦١١٢١٠٠٠٠٠٠_x.exs", 0, "", false, false},             // Arabic-Indic digits
		{"20261121000000_.exs", 0, "", false, false},              // empty slug
		{"20261121000000.exs", 0, "", false, false},               // no slug
		{"20261121000000-initial.exs", 0, "", false, false},       // wrong separator
		{".20261121000000_initial.exs.swp", 0, "", false, false},  // swap file
		{".formatter.exs", 0, "", false, false},                   // tracked non-migration
		{"priv/20261121000000_initial.exs", 0, "", false, false},  // a path, not a name
		{"20261121000000_initial.exs\n", 0, "", false, false},     // trailing newline
		{"", 0, "", false, false},
	} {
		v, slug, ok := ParseMigrationName(tc.name)
		if ok != tc.ok || v != tc.version || slug != tc.slug {
			t.Errorf("ParseMigrationName(%q) = %d, %q, %v; want %d, %q, %v", tc.name, v, slug, ok, tc.version, tc.slug, tc.ok)
		}
		if got := IsMigrationName(tc.name); got != tc.ok {
			t.Errorf("IsMigrationName(%q) = %v", tc.name, got)
		}
		if got := IsDevMigration(tc.name); got != tc.dev {
			t.Errorf("IsDevMigration(%q) = %v, want %v", tc.name, got, tc.dev)
		}
	}
}

func TestMigrationModuleSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"initial_blog":           "InitialBlog",
		"migrate_resources1_dev": "MigrateResources1Dev",
		"add_1x":                 "Add1x",
		"a__b_":                  "AB",
	} {
		if got := MigrationModuleSuffix(in); got != want {
			t.Errorf("MigrationModuleSuffix(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, s := range []string{
		"20261121234823_initial_blog.exs",
		"20261122000131_migrate_resources1_dev.exs",
		"2026112100000_short.exs",
		"20261121000000_Initial.exs",
		"20261121000000_initial.exs~",
		"20261121000000_café.exs",
		".formatter.exs",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, slug, ok := ParseMigrationName(name)
		if ok != IsMigrationName(name) {
			t.Fatal("IsMigrationName disagrees with ParseMigrationName")
		}
		if !ok {
			if IsDevMigration(name) {
				t.Fatal("a non-migration cannot be a dev migration")
			}
			return
		}
		// Accepted names round-trip exactly: nothing is normalised away.
		if back := fmt.Sprintf("%014d_%s.exs", v, slug); back != name {
			t.Fatalf("round trip %q -> %d %q -> %q", name, v, slug, back)
		}
	})
}
