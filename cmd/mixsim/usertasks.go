package main

// The project's own Mix tasks (lib/mix/tasks/*.ex, `defmodule Mix.Tasks.X`),
// in the one shape the Mix-model tests use to compare mixsim with the real
// Mix (realmix_test.go): a task that records its call and may hand over to
// another task, reenable one, or raise.
//
//	File.write!("calls.log", "tag " <> Enum.join(args, " ") <> "\n", [:append])
//	Mix.Task.run("t", args) | Mix.Task.run("t", ["x", … | args])   (or rerun)
//	Mix.Task.reenable("t")
//	if "--fail" in args, do: Mix.raise("message")

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

var (
	reTaskModule = regexp.MustCompile(`(?m)^defmodule Mix\.Tasks\.([A-Za-z0-9_.]+) do`)
	reRecord     = regexp.MustCompile(`^File\.write!\("([^"]+)",\s*"([^"]*)"\s*<>\s*Enum\.join\(args,\s*" "\)\s*<>\s*"\\n",\s*\[:append\]\)$`)
	reRunTask    = regexp.MustCompile(`^Mix\.Task\.(run|rerun)\("([^"]+)",\s*(args|\[(.*)\|\s*args\])\)$`)
	reReenable   = regexp.MustCompile(`^Mix\.Task\.reenable\("([^"]+)"\)$`)
	reRaiseIf    = regexp.MustCompile(`^if "([^"]+)" in args, do: Mix\.raise\("([^"]*)"\)$`)
)

// userTask finds the project's task module for name: its run/1 body lines.
func (s *session) userTask(name string) ([]string, bool) {
	files, err := libFiles(s.root)
	if err != nil {
		return nil, false
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(s.root, f))
		if err != nil {
			continue
		}
		m := reTaskModule.FindStringSubmatch(string(data))
		if m == nil || taskName(m[1]) != name {
			continue
		}
		var body []string
		in := false
		for _, l := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(t, "def run("):
				in = true
			case in && t == "end" && strings.HasPrefix(l, "  end"):
				return body, true
			case in && t != "":
				body = append(body, t)
			}
		}
		return body, true
	}
	return nil, false
}

// taskName is Mix's name for a task module suffix: Ecto.Rollback -> ecto.rollback.
func taskName(mod string) string {
	parts := strings.Split(mod, ".")
	for i, p := range parts {
		var b strings.Builder
		for j, r := range p {
			if unicode.IsUpper(r) && j > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ".")
}

func (s *session) runUserTask(body, args []string) error {
	for _, line := range body {
		switch {
		case reRecord.MatchString(line):
			m := reRecord.FindStringSubmatch(line)
			f, err := os.OpenFile(filepath.Join(s.root, m[1]), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			_, err = f.WriteString(m[2] + strings.Join(args, " ") + "\n")
			f.Close()
			if err != nil {
				return err
			}
		case reRunTask.MatchString(line):
			m := reRunTask.FindStringSubmatch(line)
			argv := args
			if m[4] != "" {
				pre, err := parseArgList(strings.TrimSpace(m[4]))
				if err != nil {
					return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir: " + line}
				}
				argv = nil
				for _, v := range pre {
					argv = append(argv, v.s)
				}
				argv = append(argv, args...)
			}
			if m[1] == "rerun" {
				s.reenable(m[2])
			}
			if code := s.invoke(m[2], argv); code != 0 {
				return &taskError{code: code}
			}
		case reReenable.MatchString(line):
			s.reenable(reReenable.FindStringSubmatch(line)[1])
		case reRaiseIf.MatchString(line):
			m := reRaiseIf.FindStringSubmatch(line)
			for _, a := range args {
				if a == m[1] {
					return mixError("%s", m[2])
				}
			}
		default:
			return &exception{kind: "RuntimeError", msg: "mixsim cannot evaluate Elixir: " + line}
		}
	}
	return nil
}
