package migrator

import (
	"strings"
	"testing"
)

// The one redactor's other users: RepoConfig.String (its url= was masked
// by a copy of its own, url.Redacted, which kept a ?password= in the query)
// and WithoutPassword (the journal's record; was a regexp copy in regen).
func TestRepoConfigStringHidesEveryPasswordForm(t *testing.T) {
	for _, c := range []RepoConfig{
		{Repo: "R", Adapter: "Ecto.Adapters.Postgres", URL: "postgres://u:s3cret@h/db", Password: "s3cret"},
		{Repo: "R", Adapter: "Ecto.Adapters.Postgres", URL: "postgres://u@h/db?password=s3cret"},
		{Repo: "R", Adapter: "Ecto.Adapters.Postgres", URL: "postgres://u:p%40ss@h/db", Password: "p@ss"},
	} {
		s := c.String()
		if strings.Contains(s, "s3cret") || strings.Contains(s, "p%40ss") || strings.Contains(s, "p@ss") || !strings.Contains(s, "***") {
			t.Errorf("%q", s)
		}
	}
}

func TestWithoutPassword(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u:s3cret@h:5432/db", "postgres://u@h:5432/db"},
		{"postgres://u@h/db?password=s3cret&sslmode=disable", "postgres://u@h/db?sslmode=disable"},
		{"host=h user=u password='a b\\'c' dbname=d", "host=h user=u  dbname=d"},
		{"host=h PASSWORD=x dbname=d", "host=h  dbname=d"},
		{"host=h dbname=d", "host=h dbname=d"},
		{"postgres://u:%zz@h/db", ""},
	} {
		if got := WithoutPassword(c.in); got != c.want {
			t.Errorf("WithoutPassword(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if !HasSecret("postgres://u:x@h/db") || !HasSecret("postgres://h/db?password=x") || !HasSecret("password=x") || HasSecret("postgres://u@h/db") {
		t.Error("HasSecret disagrees with Redact's rules")
	}
}
