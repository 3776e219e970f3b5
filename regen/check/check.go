// Package check is `regen check`: the static checks of the generated files,
// the codegen check, the unsafe-operation scan and the round trip, and their
// machine formats. It sits above the engine: it reads the project through
// regen.CheckView, runs mix through the engine's runner and the round trip
// through its journaled transaction; regen never imports it.
package check

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/regen-tool/regen/regen"
)

// Rule ids of `regen check`. They are part of the output contract (JSON,
// GitHub annotation titles, `# regen:allow <rule>` comments): never rename.
const (
	RuleMigrationName    = "migration-name"
	RuleDuplicateVersion = "duplicate-version"
	RuleDuplicateModule  = "duplicate-module"
	RuleDevFile          = "dev-file"
	RuleSnapshotParse    = "snapshot-parse"
	RuleSnapshotFolder   = "snapshot-folder"
	RuleUntracked        = "untracked"
	RuleUnstaged         = "unstaged"
	RuleNotStaged        = "not-staged"
	RuleMergeOrder       = "merge-order"
	RuleSnapshotConflict = "snapshot-conflict"
	RuleCompile          = "compile"
	RuleCodegenDrift     = "codegen-drift"
	RuleCodegenFailed    = "codegen-failed"
	RuleRoundtrip        = "roundtrip"
	RuleDropColumn       = "drop-column"
	RuleRename           = "rename"
	RuleIndexConcurrent  = "index-not-concurrent"
	RuleNotNullDefault   = "not-null-without-default"
	RuleExecuteNoDown    = "execute-without-down"
	// RuleEditedAfterApplied: a migration differs from the content regen
	// saw applied (issue 13, regen's store).
	RuleEditedAfterApplied = "edited-after-applied"
)

// SeverityError is the only severity today: every finding fails the check.
// The field exists so that advisory rules can be added without a format
// change.
const SeverityError = "error"

// Finding is one problem `regen check` found.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"` // project-relative, slash-separated; "" for the project as a whole
	Line     int    `json:"line,omitempty"` // 1-based; 0 when the whole file is meant
	Message  string `json:"message"`
	Fix      string `json:"fix"`
}

// Codegen modes of Options.Codegen.
const (
	CodegenAlways = "always"
	CodegenAuto   = "auto" // only when staged changes touch CodegenPaths or generated files
	CodegenNever  = "never"
)

// Options select what `regen check` looks at.
type Options struct {
	// Staged checks what a commit would record (the index) instead of the
	// work tree: untracked or unstaged generated files become findings.
	Staged bool
	// Base enables the merge checks against that ref (branch, tag, hash).
	Base string
	// Codegen: always (default), auto or never.
	Codegen string
	// CodegenPaths are project-relative globs (`**` allowed) whose staged
	// changes trigger the codegen check in auto mode; changes in the
	// migrations and snapshot folders always do. nil: the .ex files of the
	// sources mix compiles (elixirc_paths, sources.go).
	CodegenPaths []string
	// CodegenCommand overrides `{mix} ash.codegen --check` (nil: default).
	CodegenCommand []string
	// Roundtrip migrates the new migrations up, down and up again.
	Roundtrip bool
	// Unsafe scans the new migrations for unsafe operations.
	Unsafe bool
	// Fresh runs the codegen check even when its inputs are those of the
	// last clean one (record.go).
	Fresh bool
	// Now is the clock of the record (nil: time.Now).
	Now func() time.Time
}

// Report is the outcome of a check that could run.
type Report struct {
	Findings []Finding `json:"findings"`
	// GitPrefix is the project root relative to the git work-tree top
	// ("" when equal): GitHub annotations need repository paths.
	GitPrefix string `json:"-"`
	// Notes say what was skipped and why (for people, not for machines).
	Notes []string `json:"-"`
}

// FindingsError is returned by the command when a check found
// problems: exit code 1.
type FindingsError struct{ Count int }

func (e *FindingsError) Error() string {
	if e.Count == 1 {
		return "check: 1 finding"
	}
	return fmt.Sprintf("check: %d findings", e.Count)
}

// checker runs one check on the engine's view of the project.
type checker struct{ v *regen.CheckView }

// Run runs the static checks, then (as asked) the unsafe-operation scan,
// the codegen check and the round trip. An error means the check could not
// run (exit 2); findings are in the report.
func Run(ctx context.Context, e *regen.Engine, opts Options) (*Report, error) {
	if opts.Codegen == "" {
		opts.Codegen = CodegenAlways
	}
	switch opts.Codegen {
	case CodegenAlways, CodegenAuto, CodegenNever:
	default:
		return nil, &regen.InputError{What: fmt.Sprintf("--codegen %q: want always, auto or never.", opts.Codegen), Next: ""}
	}
	v, err := e.CheckView()
	if err != nil {
		return nil, err
	}
	c := &checker{v: v}
	rep := &Report{GitPrefix: v.GitPrefix()}
	if opts.CodegenPaths == nil {
		cfg := v.Config()
		sources := readProjectSources(cfg.Root, cfg.Umbrella)
		opts.CodegenPaths = sources.codegenGlobs()
		if sources.Outside != "" && opts.Codegen == CodegenAuto {
			// A staged change there is outside what regen looks at: no
			// commit can be said to leave the resources alone.
			opts.Codegen = CodegenAlways
			rep.Notes = append(rep.Notes, "the codegen check runs for every commit: "+sources.Outside+", outside the project, where regen cannot see staged changes")
		}
	}
	in, err := checkInputs(v, opts.Staged)
	if err != nil {
		return nil, err
	}
	rep.Findings = append(rep.Findings, in.staticFindings()...)
	rep.Findings = append(rep.Findings, in.gitStateFindings()...)
	rep.Findings = append(rep.Findings, in.editedAfterAppliedFindings()...)
	var mergeBase string
	if opts.Base != "" {
		fs, mb, err := in.baseFindings(opts.Base)
		if err != nil {
			return nil, err
		}
		mergeBase = mb
		rep.Findings = append(rep.Findings, fs...)
	}
	var fresh []checkMigration
	if opts.Unsafe || opts.Roundtrip {
		if fresh, err = in.newMigrations(mergeBase); err != nil {
			return nil, err
		}
	}
	if opts.Unsafe {
		rep.Findings = append(rep.Findings, in.unsafeFindings(fresh)...)
	}
	compiled := true
	run, why, err := in.wantCodegen(opts)
	if err != nil {
		return nil, err
	}
	if run {
		fs, ok, note, err := c.codegenChecked(ctx, opts)
		if err != nil {
			return nil, err
		}
		compiled = ok
		rep.Findings = append(rep.Findings, fs...)
		if note != "" {
			rep.Notes = append(rep.Notes, note)
		}
	} else {
		rep.Notes = append(rep.Notes, "codegen check skipped: "+why)
	}
	if opts.Roundtrip {
		switch {
		case !compiled:
			rep.Notes = append(rep.Notes, "round trip skipped: the project does not compile")
		case len(fresh) == 0:
			rep.Notes = append(rep.Notes, "round trip skipped: no new migrations")
		default:
			fs, notes, err := c.roundtripFindings(ctx, fresh)
			if err != nil {
				return nil, err
			}
			rep.Findings = append(rep.Findings, fs...)
			rep.Notes = append(rep.Notes, notes...)
		}
	}
	SortFindings(rep.Findings)
	return rep, nil
}

// SortFindings orders findings by file, line, rule and message, so that
// every output format is stable.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		switch {
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Rule != b.Rule:
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

func newCheckFinding(rule, file string, line int, message, fix string) Finding {
	return Finding{Rule: rule, Severity: SeverityError, File: file, Line: line, Message: message, Fix: fix}
}
