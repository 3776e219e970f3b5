package main

// Scripts for `mix run`: mixsim runs the statements a task driver is made
// of, with Mix's semantics, and refuses anything else.
//
//	Mix.Task.run("t", ["a", …])     runs t unless it already ran in this VM
//	Mix.Task.rerun("t", [...])      reenables t, then runs it
//	Mix.Task.reenable("t")          lets t run again
//	regen_check = fn … end          the database check (marker "regen-check"),
//	regen_check.(STATUS, ["Repo", "identity", …])
//	                                compares each repo's database with the
//	                                expected identity; on a difference prints
//	                                one "regen-check mismatch" line per repo
//	                                to stderr and halts with STATUS.
//
// A task that fails ends the script with its exit status, as the exception
// would end `mix run`.

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

const checkMarker = "regen-check"

func isScript(code string) bool {
	return strings.Contains(code, "Mix.Task.") || strings.Contains(code, checkMarker)
}

func (s *session) runScript(code string) error {
	lines := strings.Split(code, "\n")
	checkDefined := false
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "regen_check = fn"):
			j := i + 1
			for j < len(lines) && lines[j] != "end" {
				j++
			}
			if j == len(lines) || !strings.Contains(strings.Join(lines[i:j], "\n"), checkMarker) {
				return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir"}
			}
			checkDefined, i = true, j
		case strings.HasPrefix(line, "regen_check.("):
			if !checkDefined {
				return &exception{kind: "CompileError", msg: "undefined variable \"regen_check\""}
			}
			args, err := parseArgList(strings.TrimPrefix(line, "regen_check."))
			if err != nil || len(args) != 2 || args[0].kind != vNumber || args[1].kind != vList {
				return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir: " + line}
			}
			status, _ := strconv.Atoi(args[0].s)
			if err := s.checkRepos(status, args[1].list); err != nil {
				return err
			}
		case strings.HasPrefix(line, "Mix.Task."):
			if err := s.mixTaskCall(line); err != nil {
				return err
			}
		default:
			return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir: " + line}
		}
	}
	return nil
}

// mixTaskCall runs one Mix.Task.run/rerun/reenable line.
func (s *session) mixTaskCall(line string) error {
	fn, rest, _ := strings.Cut(strings.TrimPrefix(line, "Mix.Task."), "(")
	args, err := parseArgList("(" + rest)
	if err != nil || len(args) == 0 || args[0].kind != vString {
		return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir: " + line}
	}
	name := args[0].s
	var argv []string
	if len(args) > 1 {
		if args[1].kind != vList {
			return &exception{kind: "FunctionClauseError", msg: "no function clause matching in Mix.Task.run/2"}
		}
		for _, a := range args[1].list {
			if a.kind != vString {
				return &exception{kind: "RuntimeError", msg: "mixsim: task arguments must be strings: " + line}
			}
			argv = append(argv, a.s)
		}
	}
	switch fn {
	case "reenable":
		s.reenable(name)
		return nil
	case "rerun":
		s.reenable(name)
	case "run":
	default:
		return &exception{kind: "UndefinedFunctionError", msg: fmt.Sprintf("function Mix.Task.%s is undefined or private", fn)}
	}
	if code := s.invoke(name, argv); code != 0 {
		return &taskError{code: code} // the task already printed its error
	}
	return nil
}

// checkRepos is regen_check: expected holds repo module, identity pairs.
func (s *session) checkRepos(status int, expected []value) error {
	var pairs []string
	for _, v := range expected {
		pairs = append(pairs, v.s)
	}
	bad := s.mismatchLines(pairs)
	if len(bad) == 0 {
		return nil
	}
	fmt.Fprintln(s.stderr, strings.Join(bad, "\n"))
	return &taskError{code: status}
}

// mismatchLines are the check's lines for the (module, identity) pairs
// whose repo has another database here.
func (s *session) mismatchLines(expected []string) []string {
	var bad []string
	for i := 0; i+1 < len(expected); i += 2 {
		mod, want := expected[i], expected[i+1]
		r := s.proj.repo(mod)
		got := "missing"
		if r != nil {
			got = repoIdentity(r)
		}
		if got != want {
			bad = append(bad, fmt.Sprintf("%s mismatch repo=%s expected=%s actual=%s env=%s",
				checkMarker, encodeWWWForm(mod), encodeWWWForm(want), encodeWWWForm(got), encodeWWWForm(s.proj.env)))
		}
	}
	return bad
}

// repoIdentity names the database a repo's config points at, as the check
// computes it from repo.config(): "sqlite <absolute path>" or
// "postgres <host>:<port>/<database>" (URL parts over the keyword options).
func repoIdentity(r *repoConf) string {
	if r.pg == nil {
		return "sqlite " + r.database
	}
	c := r.pg
	host, port, db := c.hostname, c.port, c.database
	if c.url != "" {
		if u, err := url.Parse(c.url); err == nil {
			if h := u.Hostname(); h != "" {
				host = h
			}
			if p, err := strconv.Atoi(u.Port()); err == nil {
				port = p
			}
			if d := strings.TrimPrefix(u.Path, "/"); d != "" {
				db = d
			}
		}
	}
	if host == "" {
		host = "localhost"
	}
	if port == 0 {
		port = 5432
	}
	return fmt.Sprintf("postgres %s:%d/%s", host, port, db)
}
