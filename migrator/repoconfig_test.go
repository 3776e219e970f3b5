package migrator

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestRepoConfigQuery(t *testing.T) {
	q := RepoConfigQuery()
	for _, want := range []string{
		"regen-repo ",
		"Mix.Project.config()[:app]",
		"Application.get_env(app, :ecto_repos, [])",
		"repo.config()",
		"repo.__adapter__()",
		"Path.expand(database)",
		"Ecto.Adapters.SQLite3",
		"URI.encode_www_form",
		"Enum.map_join(",
		"IO.puts(",
	} {
		if !strings.Contains(q, want) {
			t.Errorf("query lacks %q", want)
		}
	}
	// Every field the parser knows is printed.
	for _, field := range []string{"repo", "adapter", "database", "priv", "migration_source", "otp_app", "hostname", "port", "username", "password", "url"} {
		if !strings.Contains(q, "\n    "+field+": ") {
			t.Errorf("query does not print %s", field)
		}
	}
	// Balanced do/end and brackets: a cheap guard against editing slips,
	// since no Elixir is available to compile it here.
	opens := strings.Count(q, " do\n") + strings.Count(q, "fn\n") + strings.Count(q, "fn {")
	ends := strings.Count(q, "end\n") + strings.Count(q, "end)")
	if opens != ends {
		t.Errorf("do/fn %d vs end %d", opens, ends)
	}
	for _, pair := range []string{"()", "[]", "{}"} {
		if strings.Count(q, pair[:1]) != strings.Count(q, pair[1:]) {
			t.Errorf("unbalanced %s", pair)
		}
	}
}

func TestParseRepoConfig(t *testing.T) {
	// What `mix run --no-start --no-compile -e …` prints on a real umbrella-ish
	// project: dependency noise first, then one line per repo.
	out := "==> exqlite\n" +
		"Compiling 1 file (.ex)\n" +
		"\x1b[33mwarning:\x1b[0m something regen-repo-like but not ours\n" +
		"regen-repo repo=AppSqlite.Repo adapter=Ecto.Adapters.SQLite3 database=%2Fhome%2Fdev%2Fmy+app%2Fapp_dev.db priv= migration_source= otp_app=app_sqlite hostname= port= username= password= url=\r\n" +
		"  regen-repo repo=Indented.Repo\n" +
		"regen-repo repo=AppPostgres.Repo adapter=Ecto.Adapters.Postgres database=app_d%C3%A9v priv=priv%2Fpg_repo migration_source=my_migrations otp_app=app_postgres hostname=db.local port=5433 username=postgres password=p%40ss+w%3Drd%26%2B url= future_field=x\n" +
		"regen-repo repo=App.ReadRepo adapter=Ecto.Adapters.Postgres database= priv= migration_source= otp_app=app hostname=localhost port=5432 username=u password= url=ecto%3A%2F%2Fu%3Asecret%40localhost%2Fapp\n" +
		"done\n"
	got, err := ParseRepoConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []RepoConfig{
		{Repo: "AppSqlite.Repo", Adapter: AdapterSQLite3, Database: "/home/dev/my app/app_dev.db", OTPApp: "app_sqlite"},
		{Repo: "AppPostgres.Repo", Adapter: AdapterPostgres, Database: "app_dév", Priv: "priv/pg_repo", MigrationSource: "my_migrations",
			OTPApp: "app_postgres", Hostname: "db.local", Port: 5433, Username: "postgres", Password: "p@ss w=rd&+"},
		{Repo: "App.ReadRepo", Adapter: AdapterPostgres, OTPApp: "app", Hostname: "localhost", Port: 5432, Username: "u", URL: "ecto://u:secret@localhost/app"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}

	if !got[0].IsSQLite() || got[0].IsPostgres() || !got[1].IsPostgres() {
		t.Error("adapter helpers")
	}
	if got[0].Source() != "schema_migrations" || got[1].Source() != "my_migrations" {
		t.Error("Source")
	}
	if got[0].PrivDir() != "priv/repo" || got[1].PrivDir() != "priv/pg_repo" || got[2].PrivDir() != "priv/read_repo" {
		t.Errorf("PrivDir: %s %s %s", got[0].PrivDir(), got[1].PrivDir(), got[2].PrivDir())
	}
	// Printing a config never shows the password.
	for _, rc := range got {
		for _, s := range []string{fmt.Sprint(rc), fmt.Sprintf("%+v", rc), fmt.Sprintf("%v", &rc), fmt.Sprint([]RepoConfig{rc})} {
			if strings.Contains(s, "p@ss") || strings.Contains(s, "secret") {
				t.Errorf("password leaked: %s", s)
			}
		}
	}
	if s := got[1].String(); s != "AppPostgres.Repo (Ecto.Adapters.Postgres) postgres@db.local:5433/app_dév" {
		t.Errorf("String() = %q", s)
	}
}

func TestParseRepoConfigErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "no \"regen-repo\" line",
		"==> exqlite\nCompiling 1 file (.ex)": "no \"regen-repo\" line",
		"regen-repo adapter=Ecto.Adapters.SQLite3": "no repo= field",
		"regen-repo repo=A.Repo port=abc":          `port "abc"`,
		"regen-repo repo=A.Repo port=70000":        `port "70000"`,
		"regen-repo repo=A.Repo database=%ZZ":      "database",
		"regen-repo repo=A.Repo broken":            `field "broken" is not key=value`,
	} {
		_, err := ParseRepoConfig(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRepoConfig(%q) error = %v, want %q", in, err, want)
		}
	}
	if _, err := ParseRepoConfig("==> exqlite\n"); !errors.Is(err, ErrNoRepos) {
		t.Errorf("no repos: %v does not wrap ErrNoRepos", err)
	}
}

func TestUnderscore(t *testing.T) {
	for in, want := range map[string]string{
		"Repo": "repo", "ReadRepo": "read_repo", "HTTPRepo": "http_repo", "Repo2": "repo2", "V2Repo": "v2_repo",
	} {
		if got := underscore(in); got != want {
			t.Errorf("underscore(%q) = %q, want %q", in, got, want)
		}
	}
}
