package check

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/project"
)

// DefaultCodegenCommand is the codegen check: Ash exits 1 and prints
// "Pending Code Generation Detected for N files" when resources and
// generated files disagree. (A `[commands] check` key in .regen.toml
// overrides it.)
func DefaultCodegenCommand() []string { return []string{"{mix}", "ash.codegen", "--check"} }

var (
	checkPendingRe = regexp.MustCompile(`Pending Code Generation Detected for \d+ files?`)
	// `** (CompileError) lib/blog/post.ex:12: …` and Elixir 1.15+'s
	// `error: …` blocks followed by `└─ lib/blog/post.ex:12:5`.
	checkCompileLocRe = regexp.MustCompile(`(?m)(?:\*\* \([A-Za-z.]*Error\) |└─ )([^\s:]+\.exs?):(\d+)`)
)

// codegenFindings compiles the project, then runs the codegen check. ok is
// false when the project does not compile (the check then did not run: a
// build failure is not drift).
func (c *checker) codegenFindings(ctx context.Context, command []string) (fs []Finding, ok bool, err error) {
	cfg := c.v.Config()
	if err := project.CheckMix(cfg); err != nil {
		return nil, false, withNoCodegenHint(err)
	}
	res, err := c.v.RunMix(ctx, append(append([]string{}, cfg.Mix...), "compile"))
	if err != nil {
		return nil, false, err
	}
	if res.ExitCode != 0 {
		file, line := compileLocation(cfg.Root, res.Output)
		return []Finding{newCheckFinding(RuleCompile, file, line,
			fmt.Sprintf("the project does not compile (`%s compile` exit %d), so codegen drift was not checked:\n%s", strings.Join(cfg.Mix, " "), res.ExitCode, checkLastLines(res.Output, 20)),
			"Fix the compile error, then run the check again.")}, false, nil
	}
	if command == nil {
		command = DefaultCodegenCommand()
	}
	argv := project.Expand(command, cfg.Mix, nil)
	res, err = c.v.RunMix(ctx, argv)
	if err != nil {
		return nil, true, err
	}
	if res.ExitCode == 0 {
		return nil, true, nil
	}
	if m := checkPendingRe.FindString(res.Output); m != "" {
		return []Finding{newCheckFinding(RuleCodegenDrift, "", 0,
			fmt.Sprintf("the resources and the generated migrations and snapshots disagree: `%s` says %q.", strings.Join(argv, " "), m),
			"Generate the missing migration with `regen NAME` (or `mix ash.codegen NAME`) and commit it with its snapshots.")}, true, nil
	}
	return []Finding{newCheckFinding(RuleCodegenFailed, "", 0,
		fmt.Sprintf("`%s` failed (exit %d) without reporting drift:\n%s", strings.Join(argv, " "), res.ExitCode, checkLastLines(res.Output, 20)),
		"Run the command yourself to see why; fix the project, then check again.")}, true, nil
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
	for _, m := range checkCompileLocRe.FindAllStringSubmatch(out, -1) {
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
