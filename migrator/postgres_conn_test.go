package migrator

import (
	"fmt"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestParsePGConn(t *testing.T) {
	cases := []struct {
		name, in string
		env      map[string]string
		wantURL  string
		wantDB   string
		wantStr  string
	}{
		{
			name:    "local URL gets sslmode=disable",
			in:      "postgres://postgres:s3cret@localhost:5432/blog_dev",
			wantURL: "postgres://postgres:s3cret@localhost:5432/blog_dev?sslmode=disable",
			wantDB:  "blog_dev",
			wantStr: "postgres://postgres:***@localhost:5432/blog_dev",
		},
		{
			name:    "127.0.0.1 without port",
			in:      "postgresql://u:p@127.0.0.1/db",
			wantURL: "postgres://u:p@127.0.0.1/db?sslmode=disable",
			wantDB:  "db",
			wantStr: "postgres://u:***@127.0.0.1:5432/db",
		},
		{
			name:    "IPv6 loopback",
			in:      "postgres://u@[::1]:6543/db",
			wantURL: "postgres://u@[::1]:6543/db?sslmode=disable",
			wantDB:  "db",
			wantStr: "postgres://u@[::1]:6543/db",
		},
		{
			name:    "remote host keeps the driver's default",
			in:      "postgres://u:p@db.example.com/app",
			wantURL: "postgres://u:p@db.example.com/app",
			wantDB:  "app",
			wantStr: "postgres://u:***@db.example.com:5432/app",
		},
		{
			name:    "explicit sslmode wins over locality",
			in:      "postgres://u:p@localhost/app?sslmode=require",
			wantURL: "postgres://u:p@localhost/app?sslmode=require",
			wantDB:  "app",
		},
		{
			name:    "PGSSLMODE wins over locality",
			in:      "postgres://u:p@localhost/app",
			env:     map[string]string{"PGSSLMODE": "verify-full"},
			wantURL: "postgres://u:p@localhost/app?sslmode=verify-full",
			wantDB:  "app",
		},
		{
			name:    "PGSSLMODE applies to a remote host",
			in:      "postgres://u@db.example.com/app",
			env:     map[string]string{"PGSSLMODE": "prefer"},
			wantURL: "postgres://u@db.example.com/app?sslmode=prefer",
			wantDB:  "app",
		},
		{
			name:    "escaped password survives",
			in:      "postgres://u:p%40ss%2Fw%20d@localhost/app",
			wantURL: "postgres://u:p%40ss%2Fw%20d@localhost/app?sslmode=disable",
			wantDB:  "app",
			wantStr: "postgres://u:***@localhost:5432/app",
		},
		{
			name:    "unix socket in the query",
			in:      "postgres://u@/app?host=/var/run/postgresql",
			wantURL: "postgres://u@/app?host=%2Fvar%2Frun%2Fpostgresql&sslmode=disable",
			wantDB:  "app",
			wantStr: "postgres://u@/app?host=/var/run/postgresql",
		},
		{
			name:    "key=value, local",
			in:      "host=localhost port=5432 user=postgres password=s3cret dbname=blog_dev",
			wantURL: "host=localhost port=5432 user=postgres password=s3cret dbname=blog_dev sslmode=disable",
			wantDB:  "blog_dev",
			wantStr: "postgres://postgres:***@localhost:5432/blog_dev",
		},
		{
			name:    "key=value, quoted password with a space and a quote",
			in:      `host=db.internal user=app password='it''s x' dbname=prod`,
			wantURL: "",
		},
		{
			name:    "key=value, quoted with backslash escapes",
			in:      `host = db.internal user=app password='it\'s a \\secret' dbname=prod`,
			wantURL: `host=db.internal user=app password='it\'s a \\secret' dbname=prod`,
			wantDB:  "prod",
			wantStr: "postgres://app:***@db.internal:5432/prod",
		},
		{
			name:    "key=value, socket directory",
			in:      "host=/tmp/regen-pg/sock user=postgres dbname=x",
			wantURL: "host=/tmp/regen-pg/sock user=postgres dbname=x sslmode=disable",
			wantDB:  "x",
			wantStr: "postgres://postgres@/x?host=/tmp/regen-pg/sock",
		},
		{
			name:    "no dbname: the user name",
			in:      "user=alice host=localhost",
			wantURL: "user=alice host=localhost sslmode=disable",
			wantDB:  "alice",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			c, err := ParsePGConn(tc.in, getenv)
			if tc.wantURL == "" {
				// Only checked for not leaking: '' inside quotes is not an
				// escape in libpq, so this one is malformed.
				if err == nil {
					t.Fatalf("ParsePGConn(%q) = %q, want an error", tc.in, c.URL)
				}
				if strings.Contains(err.Error(), "it") && strings.Contains(err.Error(), "x'") {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePGConn: %v", err)
			}
			if c.URL != tc.wantURL {
				t.Errorf("URL = %q, want %q", c.URL, tc.wantURL)
			}
			if got := c.Database(); got != tc.wantDB {
				t.Errorf("Database() = %q, want %q", got, tc.wantDB)
			}
			if tc.wantStr != "" && c.String() != tc.wantStr {
				t.Errorf("String() = %q, want %q", c.String(), tc.wantStr)
			}
		})
	}
}

func TestParsePGConnErrorsHideThePassword(t *testing.T) {
	const pw = "Zq9-very-secret"
	for _, in := range []string{
		"postgres://u:" + pw + "@localhost:notaport/db",
		"postgres://u:" + pw + "@local host/db",
		"mysql://u:" + pw + "@localhost/db",
		"host=localhost password='" + pw,
		"host=localhost password=" + pw + " broken",
		"postgres://u:" + pw + "@localhost/db?%zz",
	} {
		_, err := ParsePGConn(in, noEnv)
		if err == nil {
			t.Errorf("ParsePGConn(%q): want an error", in)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("ParsePGConn(%q) error leaks the password: %v", in, err)
		}
	}
	if _, err := ParsePGConn("   ", noEnv); err == nil {
		t.Error("an empty connection string must be an error")
	}
}

func TestPGConnWithDatabaseAndPrinting(t *testing.T) {
	c, err := ParsePGConn("postgres://u:pw-1234@localhost:5432/blog_dev?application_name=x", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	other := c.WithDatabase("postgres")
	if other.Database() != "postgres" || c.Database() != "blog_dev" {
		t.Fatalf("WithDatabase: %q / %q", other.Database(), c.Database())
	}
	if !strings.Contains(other.URL, "application_name=x") || !strings.Contains(other.URL, "pw-1234") {
		t.Errorf("WithDatabase lost parameters: %s", other.String())
	}
	kv, err := ParsePGConn("host=localhost user=u password='a b' dbname=one", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := kv.WithDatabase("two").URL; got != "host=localhost user=u password='a b' dbname=two sslmode=disable" {
		t.Errorf("key=value WithDatabase = %q", got)
	}
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprintf("%v %s %+v %#v", c, c, c, c), fmt.Sprint([]PGConn{c}),
		fmt.Sprintf("%#v", kv), kv.String(),
	} {
		if strings.Contains(s, "pw-1234") || strings.Contains(s, "'a b'") {
			t.Errorf("printing a PGConn leaks the password: %s", s)
		}
		if !strings.Contains(s, "***") {
			t.Errorf("printed PGConn does not show that a password is set: %s", s)
		}
	}
	// The driver gets a timeout and a name, the URL stays the user's.
	dsn, err := c.driverDSN()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dsn, "connect_timeout=10") || !strings.Contains(dsn, "dbname=blog_dev") || strings.Contains(c.URL, "connect_timeout") {
		t.Errorf("driverDSN = %q (URL %q)", Redact(dsn, "pw-1234"), c.String())
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, pw, want string }{
		{"postgres://u:s3cret@h:5432/db", "s3cret", "postgres://u:***@h:5432/db"},
		{"postgres://u:p%40ss@h/db", "p@ss", "postgres://u:***@h/db"},
		{"connect: user=u password=s3cret host=h", "s3cret", "connect: user=u password=*** host=h"},
		{"user=u password='a b\\'c' host=h", "a b'c", "user=u password=*** host=h"},
		{"postgres://h/db?password=a+b&x=1", "a b", "postgres://h/db?password=***&x=1"},
		{"raw mention of hunter2 in a message", "hunter2", "raw mention of *** in a message"},
		// Secrets regen was not told about still go.
		{"dial postgres://alice:unknown@db:5432/x failed", "", "dial postgres://alice:***@db:5432/x failed"},
		{"PASSWORD = 'x y' dbname=z", "", "PASSWORD = *** dbname=z"},
		{"ecto://u:p@ss@host/db", "", "ecto://u:***@host/db"},
		// Nothing to remove.
		{"postgres://u@h:5432/db", "", "postgres://u@h:5432/db"},
		{"password authentication failed for user \"u\"", "", "password authentication failed for user \"u\""},
	}
	for _, tc := range cases {
		if got := Redact(tc.in, tc.pw); got != tc.want {
			t.Errorf("Redact(%q, %q) = %q, want %q", tc.in, tc.pw, got, tc.want)
		}
	}
}
