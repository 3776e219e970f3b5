package main

// `mix run [-e CODE | FILE]`: mixsim cannot evaluate Elixir, but it answers
// the one question regen asks (each repo's config), recognised by a marker,
// and runs scripts made of the Mix calls a task driver uses (see script.go).

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const repoQueryMarker = "regen-repo"

// compiledMarker is what `regen check` prints between compile and the
// codegen check (`mix do compile + run -e CODE + ash.codegen --check`):
// the one statement of that kind mixsim evaluates.
const (
	compiledMarker     = "regen-check-compiled"
	compiledMarkerCode = `IO.puts("` + compiledMarker + `")`
)

type runOpts struct {
	code      string
	haveCode  bool
	file      string // `mix run FILE`
	noCompile bool
}

func parseRunArgs(args []string) (runOpts, error) {
	var o runOpts
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-e", "--eval":
			if i+1 >= len(args) {
				return o, mixError("-e : Missing argument of type string")
			}
			i++
			o.code, o.haveCode = args[i], true
		case "--no-compile":
			o.noCompile = true
		case "--no-start", "--no-deps-check", "--no-halt", "--no-archives-check":
		default:
			if strings.HasPrefix(args[i], "-") {
				return o, mixError("mixsim run supports only -e CODE or FILE, got %q", args[i])
			}
			if o.file == "" && !o.haveCode {
				o.file = args[i] // later arguments are the script's System.argv()
			}
			i = len(args)
		}
	}
	return o, nil
}

// checkEval is the one piece of Elixir mixsim "evaluates".
func (o runOpts) checkEval() error {
	if !strings.Contains(o.code, repoQueryMarker) {
		return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir"}
	}
	return nil
}

func (s *session) runEvalTask(args []string) error {
	o, err := parseRunArgs(args)
	if err != nil {
		return err
	}
	if !o.noCompile {
		if err := s.ensureCompiled(); err != nil {
			return err
		}
	}
	if o.file != "" {
		path := o.file
		if !filepath.IsAbs(path) {
			path = filepath.Join(s.root, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return mixError("No such file: %s", o.file)
		}
		return s.runScript(string(data))
	}
	if !o.haveCode {
		return nil
	}
	if o.code == compiledMarkerCode {
		fmt.Fprintln(s.stdout, compiledMarker)
		return nil
	}
	if isScript(o.code) {
		return s.runScript(o.code)
	}
	if err := o.checkEval(); err != nil {
		return err
	}
	s.printRepoAnswers("")
	return nil
}

// printRepoAnswers prints one answer line per repo; privBase (the app's
// folder relative to an umbrella root) prefixes relative priv paths.
func (s *session) printRepoAnswers(privBase string) {
	for _, r := range s.proj.repos {
		rc := *r
		if privBase != "" && !filepath.IsAbs(rc.priv) {
			rc.priv = filepath.Join(privBase, rc.priv)
		}
		if rc.pg != nil {
			fmt.Fprintln(s.stdout, pgRepoAnswer(s.proj, &rc))
			continue
		}
		fmt.Fprintf(s.stdout, "%s repo=%s adapter=%s database=%s priv=%s migration_source=%s otp_app=%s\n",
			repoQueryMarker,
			encodeWWWForm(rc.module), encodeWWWForm("Ecto.Adapters.SQLite3"),
			encodeWWWForm(rc.database), encodeWWWForm(filepath.ToSlash(rc.priv)),
			encodeWWWForm(rc.migrationSource), encodeWWWForm(s.proj.app))
	}
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
