package migrator

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitCommandLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"mix", []string{"mix"}},
		{"  docker compose   exec app mix  ", []string{"docker", "compose", "exec", "app", "mix"}},
		{"docker compose exec -T app mix", []string{"docker", "compose", "exec", "-T", "app", "mix"}},
		{`"/opt/my tools/mix"`, []string{"/opt/my tools/mix"}},
		{`/opt/my\ tools/mix run`, []string{"/opt/my tools/mix", "run"}},
		{`sh -c 'echo $HOME; ls *'`, []string{"sh", "-c", "echo $HOME; ls *"}},
		{`env MIX_ENV="dev test" mix`, []string{"env", "MIX_ENV=dev test", "mix"}},
		{`a"b"'c'd`, []string{"abcd"}},
		{`"" x ''`, []string{"", "x", ""}},
		{`"a \"quoted\" \\ \$x \y"`, []string{`a "quoted" \ $x \y`}},
		{`'it\'s'`, nil}, // single quotes take no escapes: the second ' opens a new quote
		{`it\'s`, []string{"it's"}},
		{"a\tb\nc", []string{"a", "b", "c"}},
		{"mix \\\nrun", []string{"mix", "run"}},
		{"\"line\\\ncontinued\"", []string{"linecontinued"}},
		{"héllo wörld", []string{"héllo", "wörld"}},
		{`$(rm -rf /) ; && | > <`, []string{"$(rm", "-rf", "/)", ";", "&&", "|", ">", "<"}},
	} {
		got, err := SplitCommandLine(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("SplitCommandLine(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitCommandLine(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSplitCommandLineErrors(t *testing.T) {
	for in, want := range map[string]string{
		`docker "compose exec`: `unbalanced " quote opened at byte 8`,
		`mix 'run`:             "unbalanced ' quote",
		`mix \`:                "lone backslash",
		``:                     "empty",
		"   \t\n":              "empty",
		`"a\"`:                 "unbalanced",
	} {
		_, err := SplitCommandLine(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SplitCommandLine(%q) error = %v, want %q", in, err, want)
		}
	}
}

func FuzzSplitCommandLine(f *testing.F) {
	for _, s := range []string{"docker compose exec app mix", `"a b" 'c d' e\ f`, `"unbalanced`, `\`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := SplitCommandLine(s)
		if err == nil && len(args) == 0 {
			t.Fatal("no error and no words")
		}
		// Words without quotes or backslashes split exactly at blanks (the
		// shell's default IFS, not Unicode spaces), bytes unchanged.
		if !strings.ContainsAny(s, "\"'\\") && err == nil {
			want := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' })
			if !reflect.DeepEqual(args, want) {
				t.Fatalf("plain words %q split as %q", want, args)
			}
		}
	})
}
