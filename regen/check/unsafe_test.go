package check

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func unsafeMigration(body string) string {
	return "defmodule Blog.Repo.Migrations.X do\n  use Ecto.Migration\n\n" + body + "end\n"
}

func upDown(up, down string) string {
	return unsafeMigration("  def up do\n" + up + "  end\n\n  def down do\n" + down + "  end\n")
}

func hitSummary(hits []unsafeHit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s@%d", h.rule, h.line))
	}
	return out
}

// Each rule: a source that trips it (rule@line) and the same source with
// `# regen:allow` (on the line or the line above) that does not.
func TestScanUnsafeRules(t *testing.T) {
	cases := []struct {
		name     string
		src      string
		postgres bool
		want     []string
	}{
		{"drop-column", upDown("    alter table(:posts) do\n      remove :body\n    end\n", "    alter table(:posts) do\n      add :body, :text\n    end\n"), false, []string{"drop-column@6"}},
		{"drop-column in down is fine", upDown("    alter table(:posts) do\n      add :body, :text\n    end\n", "    alter table(:posts) do\n      remove :body\n    end\n"), false, []string{}},
		{"rename column", upDown("    rename table(:posts), :title, to: :name\n", "    rename table(:posts), :name, to: :title\n"), false, []string{"rename@5"}},
		{"rename table", upDown("    rename table(:posts), to: table(:articles)\n", ""), false, []string{"rename@5"}},
		{"index without concurrently (postgres)", upDown("    create index(:posts, [:title])\n", ""), true, []string{"index-not-concurrent@5"}},
		{"unique index without concurrently (postgres)", upDown("    create unique_index(:posts, [:title],\n      name: \"posts_title_index\")\n", ""), true, []string{"index-not-concurrent@5"}},
		{"concurrent index", upDown("    create index(:posts, [:title], concurrently: true)\n", ""), true, []string{}},
		{"index on sqlite is not flagged", upDown("    create index(:posts, [:title])\n", ""), false, []string{}},
		{"modify null false without default", upDown("    alter table(:posts) do\n      modify :title, :text, null: false\n    end\n", ""), false, []string{"not-null-without-default@6"}},
		{"modify null false with default", upDown("    alter table(:posts) do\n      modify :title, :text, null: false, default: \"\"\n    end\n", ""), false, []string{}},
		{"add not null to an existing table", upDown("    alter table(:posts) do\n      add :views, :bigint,\n        null: false\n    end\n", ""), false, []string{"not-null-without-default@6"}},
		{"add not null in a new table is fine", upDown("    create table(:tags, primary_key: false) do\n      add :label, :text, null: false\n    end\n", ""), false, []string{}},
		{"execute in change with one argument", unsafeMigration("  def change do\n    execute \"CREATE EXTENSION citext\"\n  end\n"), false, []string{"execute-without-down@5"}},
		{"execute in change with its reverse", unsafeMigration("  def change do\n    execute(\"CREATE EXTENSION citext\", \"DROP EXTENSION citext\")\n  end\n"), false, []string{}},
		{"execute heredoc in up without down", unsafeMigration("  def up do\n    execute \"\"\"\n    UPDATE posts SET title = 'x, y'\n    \"\"\"\n  end\n"), false, []string{"execute-without-down@5"}},
		{"execute in up with a down", upDown("    execute \"UPDATE posts SET x = 1\"\n", "    execute \"UPDATE posts SET x = 0\"\n"), false, []string{}},
		{"strings and comments do not count", upDown("    # remove :body would be bad\n    execute(\"SELECT 'remove :x; end'\", \"SELECT 1\")\n", ""), false, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := hitSummary(scanUnsafe(c.src, c.postgres))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("hits = %v, want %v\n%s", got, c.want, c.src)
			}
			if len(c.want) == 0 {
				return
			}
			// Silenced on the line itself, and on the line above.
			rule := strings.SplitN(c.want[0], "@", 2)[0]
			lines := strings.Split(c.src, "\n")
			var line int
			fmt.Sscanf(strings.SplitN(c.want[0], "@", 2)[1], "%d", &line)
			// (A heredoc's opening line cannot carry a comment in Elixir.)
			if !strings.HasSuffix(lines[line-1], `"""`) {
				onLine := append([]string{}, lines...)
				onLine[line-1] += " # regen:allow " + rule
				if h := scanUnsafe(strings.Join(onLine, "\n"), c.postgres); len(h) != 0 {
					t.Errorf("allow on the line: still %v", hitSummary(h))
				}
			}
			above := append(append(append([]string{}, lines[:line-1]...), "    # regen:allow other-rule, "+rule), lines[line-1:]...)
			if h := scanUnsafe(strings.Join(above, "\n"), c.postgres); len(h) != 0 {
				t.Errorf("allow on the line above: still %v", hitSummary(h))
			}
			wrong := append(append(append([]string{}, lines[:line-1]...), "    # regen:allow other-rule"), lines[line-1:]...)
			if h := scanUnsafe(strings.Join(wrong, "\n"), c.postgres); len(h) != 1 {
				t.Errorf("another rule's allow must not silence %s: %v", rule, hitSummary(h))
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		glob, name string
		want       bool
	}{
		{"lib/**/*.ex", "lib/blog/post.ex", true},
		{"lib/**/*.ex", "lib/post.ex", true},
		{"lib/**/*.ex", "lib/blog/deep/er/post.ex", true},
		{"lib/**/*.ex", "lib/blog/post.exs", false},
		{"lib/**/*.ex", "test/post.ex", false},
		{"**/resources/*.ex", "lib/blog/resources/post.ex", true},
		{"mix.exs", "mix.exs", true},
	} {
		if got := checkGlobMatch(c.glob, c.name); got != c.want {
			t.Errorf("checkGlobMatch(%q, %q) = %v", c.glob, c.name, got)
		}
	}
	if r := checkGlobRoot("lib/**/*.ex"); r != "lib" {
		t.Errorf("checkGlobRoot = %q", r)
	}
}

func TestAlmostMigration(t *testing.T) {
	for name, want := range map[string]string{
		"20300101000000_AddTags.exs": "20300101000000_add_tags.exs",
		"2030010100000_add.exs":      "",
		".formatter.exs":             "-",
		"20300101000000_add.exs":     "-",
		"README.md":                  "-",
	} {
		got, almost := almostMigration(name)
		if want == "-" {
			if almost {
				t.Errorf("%s is not almost a migration", name)
			}
			continue
		}
		if !almost || got != want {
			t.Errorf("almostMigration(%s) = %q %v, want %q", name, got, almost, want)
		}
	}
}
