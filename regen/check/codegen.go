package check

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/project"
)

// DefaultCodegenCommand is the codegen check: Ash exits 1 and prints
// "Pending Code Generation Detected for N files" when resources and
// generated files disagree. (A `[commands] check` key in .regen.toml
// overrides it.)
func DefaultCodegenCommand() []string { return []string{"{mix}", "ash.codegen", "--check"} }

var (
	checkPendingRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Pending Code Generation Detected for \d+ files?`) })
	// `** (CompileError) lib/blog/post.ex:12: …` and Elixir 1.15+'s
	// `error: …` blocks followed by `└─ lib/blog/post.ex:12:5`.
	checkCompileLocRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)(?:\*\* \([A-Za-z.]*Error\) |└─ )([^\s:]+\.exs?):(\d+)`)
	})
)

// compiledMarker is the line the one-start check prints between compile
// and codegen: its presence tells a build failure from drift.
const compiledMarker = "regen-check-compiled"

// codegenArgv is the codegen check's command line as configured.
func codegenArgv(cfg *project.Config, command []string) []string {
	if command == nil {
		command = DefaultCodegenCommand()
	}
	return project.Expand(command, cfg.Mix, nil)
}

// codegenFindings compiles the project, then runs the codegen check. ok is
// false when the project does not compile (the check then did not run: a
// build failure is not drift). A plain mix command runs in one start:
// `mix do compile + run -e <marker> + <its tasks>`; the marker line says
// compile passed. Anything else (a script, an umbrella root, a mix that
// printed no marker yet exited 0, as a mix without `do … + …` would) runs
// as two starts, compile first.
func (c *checker) codegenFindings(ctx context.Context, argv []string) (fs []Finding, ok bool, err error) {
	cfg := c.v.Config()
	if err := project.CheckMix(cfg); err != nil {
		return nil, false, withNoCodegenHint(err)
	}
	if one, can := oneStartArgv(cfg, argv); can {
		res, err := c.v.RunMix(ctx, one)
		if err != nil {
			return nil, false, err
		}
		// The whole output counts: stdout and stderr come through two
		// pipes, so a line of one may land before an earlier one of the other.
		before, after, compiled := cutMarker(res.Output)
		switch {
		case compiled:
			return codegenOutcome(argv, res.ExitCode, before+after), true, nil
		case res.ExitCode != 0:
			return compileFindings(cfg, res.ExitCode, before), false, nil
		}
	}
	res, err := c.v.RunMix(ctx, append(append([]string{}, cfg.Mix...), "compile"))
	if err != nil {
		return nil, false, err
	}
	if res.ExitCode != 0 {
		return compileFindings(cfg, res.ExitCode, res.Output), false, nil
	}
	res, err = c.v.RunMix(ctx, argv)
	if err != nil {
		return nil, true, err
	}
	return codegenOutcome(argv, res.ExitCode, res.Output), true, nil
}

// oneStartArgv is `{mix} do compile + run … -e <marker> + <argv's tasks>`
// when argv is a plain mix command (`{mix} task …` or `{mix} do … + …`).
func oneStartArgv(cfg *project.Config, argv []string) ([]string, bool) {
	if cfg.Umbrella || len(argv) <= len(cfg.Mix) {
		return nil, false
	}
	for i, a := range cfg.Mix {
		if argv[i] != a {
			return nil, false
		}
	}
	rest := argv[len(cfg.Mix):]
	if rest[0] == "do" {
		rest = rest[1:]
	}
	for i, a := range rest {
		// The old comma form, or an empty or flag-first task: not ours to rewrite.
		if strings.HasSuffix(a, ",") || (a == "+" && (i == 0 || i == len(rest)-1 || rest[i+1] == "+")) {
			return nil, false
		}
	}
	if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
		return nil, false
	}
	out := append([]string{}, cfg.Mix...)
	out = append(out, "do", "compile", "+", "run", "--no-start", "--no-compile", "-e", fmt.Sprintf("IO.puts(%q)", compiledMarker), "+")
	return append(out, rest...), true
}

// cutMarker splits the output at the marker line.
func cutMarker(out string) (before, after string, found bool) {
	for off := 0; off < len(out); {
		end := strings.IndexByte(out[off:], '\n')
		next := len(out)
		if end >= 0 {
			next = off + end + 1
		}
		if strings.TrimRight(out[off:next], "\r\n") == compiledMarker {
			return out[:off], out[next:], true
		}
		off = next
	}
	return out, "", false
}

func compileFindings(cfg *project.Config, code int, out string) []Finding {
	file, line := compileLocation(cfg.Root, out)
	return []Finding{newCheckFinding(RuleCompile, file, line,
		fmt.Sprintf("the project does not compile (`%s compile` exit %d), so codegen drift was not checked:\n%s", strings.Join(cfg.Mix, " "), code, checkLastLines(out, 20)),
		"Fix the compile error, then run the check again.")}
}

// codegenOutcome reads the codegen check's exit code and output.
func codegenOutcome(argv []string, code int, out string) []Finding {
	if code == 0 {
		return nil
	}
	if m := checkPendingRe().FindString(out); m != "" {
		return []Finding{newCheckFinding(RuleCodegenDrift, "", 0,
			fmt.Sprintf("the resources and the generated migrations and snapshots disagree: `%s` says %q.", strings.Join(argv, " "), m),
			"Generate the missing migration with `regen NAME` (or `mix ash.codegen NAME`) and commit it with its snapshots.")}
	}
	return []Finding{newCheckFinding(RuleCodegenFailed, "", 0,
		fmt.Sprintf("`%s` failed (exit %d) without reporting drift:\n%s", strings.Join(argv, " "), code, checkLastLines(out, 20)),
		"Run the command yourself to see why; fix the project, then check again.")}
}

// withNoCodegenHint adds the way around a missing mix to its message.
func withNoCodegenHint(err error) error {
	const hint = " Or skip the codegen check with --no-codegen (the static checks need no Elixir)."
	var ie *regen.InputError
	var pe *project.Error
	switch {
	case errors.As(err, &ie):
		return &regen.InputError{What: ie.What, Next: ie.Next + hint}
	case errors.As(err, &pe):
		return &regen.InputError{What: pe.What, Next: pe.Next + hint}
	}
	return err
}

// compileLocation finds the first file:line the compiler blamed, as a
// project-relative path ("" when none is inside the project).
func compileLocation(root, out string) (string, int) {
	for _, m := range checkCompileLocRe().FindAllStringSubmatch(out, -1) {
		file := filepath.ToSlash(m[1])
		if filepath.IsAbs(m[1]) {
			rel, err := filepath.Rel(root, m[1])
			if err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			file = filepath.ToSlash(rel)
		}
		if strings.HasPrefix(file, "deps/") || strings.HasPrefix(file, "_build/") {
			continue
		}
		line, _ := strconv.Atoi(m[2])
		return file, line
	}
	return "", 0
}

// checkLastLines keeps the end of a tool's output for a message.
func checkLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}
