package main

// Ash's rename questions (AshSqlite's and AshPostgres's migration
// generator, resolve_renames): when a table loses attributes and gains
// others in one codegen, Ash cannot tell a rename from a drop + add, so it
// asks through Mix.shell(), as Mix.Shell.IO does it:
//
//   - one removed, one added: yes?("Are you renaming T.OLD to T.NEW?")
//   - otherwise, per removed: yes?("Are you renaming T.OLD?"), and on yes
//     prompt("What are you renaming it to?: A, B"), three tries, then
//     raise "Could not get matching name after 3 attempts."
//
// yes? writes the question and " [Yn] " without a newline and reads one
// line: "", y, Y, yes, YES, Yes are yes; end of input is no (checked
// against Elixir 1.14's Mix.Shell.IO). prompt writes the message and " ";
// at end of input Ash's String.trim(:eof) fails. Under --check, Ash's yes?
// answers yes and prompt "response" without asking (ash_postgres's
// migration generator); with --dev nothing is asked (a drop + add).

import (
	"fmt"
	"io"
	"strings"
)

// rename is one attribute Ash was told was renamed.
type rename struct{ from, to string }

// yes is Mix.Shell.IO.yes?/1.
func (s *session) yes(question string) bool {
	fmt.Fprint(s.stdout, question+" [Yn] ")
	line, err := s.input().ReadString('\n')
	if err != nil && line == "" {
		return false // :eof
	}
	switch strings.TrimSpace(line) {
	case "", "y", "Y", "yes", "YES", "Yes":
		return true
	}
	return false
}

// prompt is Mix.Shell.IO.prompt/1; ok false is end of input.
func (s *session) prompt(message string) (string, bool) {
	fmt.Fprint(s.stdout, message+" ")
	line, err := s.input().ReadString('\n')
	if err != nil && line == "" {
		return "", false
	}
	return line, true
}

// resolveRenames asks Ash's questions for each altered table of changes
// and records the renames the user confirmed.
func (s *session) resolveRenames(changes []tableChange, o codegenOpts) error {
	if o.dev {
		return nil
	}
	for i := range changes {
		c := &changes[i]
		if c.old == nil || c.new == nil {
			continue
		}
		adding, removing := attrDiff(c.old, c.new)
		if len(adding) == 0 || len(removing) == 0 {
			continue
		}
		r, err := s.askRenames(c.table, adding, removing, o)
		if err != nil {
			return err
		}
		c.renames = r
	}
	return nil
}

// attrDiff: the sources only the new snapshot has, and only the old one.
func attrDiff(old, nw *snapshot) (adding, removing []string) {
	has := func(s *snapshot, src string) bool {
		for _, a := range s.Attributes {
			if a.Source == src {
				return true
			}
		}
		return false
	}
	for _, a := range nw.Attributes {
		if !has(old, a.Source) {
			adding = append(adding, a.Source)
		}
	}
	for _, a := range old.Attributes {
		if !has(nw, a.Source) {
			removing = append(removing, a.Source)
		}
	}
	return adding, removing
}

func (s *session) askRenames(table string, adding, removing []string, o codegenOpts) ([]rename, error) {
	ask := func(q string) bool { return o.check || s.yes(q) }
	if len(adding) == 1 && len(removing) == 1 {
		if ask(fmt.Sprintf("Are you renaming %s.%s to %s.%s?", table, removing[0], table, adding[0])) {
			return []rename{{removing[0], adding[0]}}, nil
		}
		return nil, nil
	}
	var out []rename
	for _, rm := range removing {
		if len(adding) == 0 {
			break
		}
		if !ask(fmt.Sprintf("Are you renaming %s.%s?", table, rm)) {
			continue
		}
		to, err := s.newAttribute(adding, o)
		if err != nil {
			return nil, err
		}
		out = append(out, rename{rm, to})
		adding = without(adding, to)
	}
	return out, nil
}

// newAttribute is Ash's get_new_attribute: three tries at a name among adding.
func (s *session) newAttribute(adding []string, o codegenOpts) (string, error) {
	for try := 0; try < 3; try++ {
		name, ok := "response", true
		if !o.check {
			name, ok = s.prompt("What are you renaming it to?: " + strings.Join(adding, ", "))
		}
		if !ok {
			return "", &taskError{code: 1, text: "** (FunctionClauseError) no function clause matching in String.trim/1\n\n    The following arguments were given to String.trim/1:\n\n        # 1\n        :eof\n"}
		}
		for _, a := range adding {
			if a == strings.TrimSpace(name) {
				return a, nil
			}
		}
	}
	return "", &taskError{code: 1, text: "** (RuntimeError) Could not get matching name after 3 attempts."}
}

func without(list []string, x string) []string {
	var out []string
	for _, v := range list {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// input is what the tasks read as stdin: end of input unless given.
func (s *session) input() interface {
	ReadString(byte) (string, error)
} {
	if s.in == nil {
		return eofReader{}
	}
	return s.in
}

type eofReader struct{}

func (eofReader) ReadString(byte) (string, error) { return "", io.EOF }
