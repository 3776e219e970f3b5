package main

// `mix run -e CODE`: mixsim cannot evaluate Elixir, but it answers the one
// question regen asks (each repo's config), recognised by a marker.

import (
	"fmt"
	"path/filepath"
	"strings"
)

const repoQueryMarker = "regen-repo"

func (s *session) runEvalTask(args []string) error {
	code, haveCode, noCompile := "", false, false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-e", "--eval":
			if i+1 >= len(args) {
				return mixError("-e : Missing argument of type string")
			}
			i++
			code, haveCode = args[i], true
		case "--no-compile":
			noCompile = true
		case "--no-start", "--no-deps-check", "--no-halt", "--no-archives-check":
		default:
			return mixError("mixsim run supports only -e CODE, got %q", args[i])
		}
	}
	if !noCompile {
		if err := s.ensureCompiled(); err != nil {
			return err
		}
	}
	if !haveCode {
		return nil
	}
	if !strings.Contains(code, repoQueryMarker) {
		return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir"}
	}
	for _, r := range s.proj.repos {
		if r.pg != nil {
			fmt.Fprintln(s.stdout, pgRepoAnswer(s.proj, r))
			continue
		}
		fmt.Fprintf(s.stdout, "%s repo=%s adapter=%s database=%s priv=%s migration_source=%s otp_app=%s\n",
			repoQueryMarker,
			encodeWWWForm(r.module), encodeWWWForm("Ecto.Adapters.SQLite3"),
			encodeWWWForm(r.database), encodeWWWForm(filepath.ToSlash(r.priv)),
			encodeWWWForm(r.migrationSource), encodeWWWForm(s.proj.app))
	}
	return nil
}

// encodeWWWForm mirrors URI.encode_www_form/1: unreserved bytes stay,
// space becomes '+', everything else is %XX (uppercase).
func encodeWWWForm(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
