package check

import (
	"fmt"

	"github.com/regen-tool/regen/gitops"
)

// gitStateFindings: generated files a commit would miss. In the work-tree
// mode those are untracked files and unstaged edits; with --staged the
// commit is what is staged, so both are "not staged".
func (in *checkInput) gitStateFindings() []Finding {
	var out []Finding
	for _, rel := range in.untracked {
		if in.staged {
			out = append(out, newCheckFinding(RuleNotStaged, rel, 0,
				"generated file is not staged: this commit would leave it out.",
				fmt.Sprintf("Stage it with `git add %s` (or delete it if it is left over).", rel)))
			continue
		}
		out = append(out, newCheckFinding(RuleUntracked, rel, 0,
			"git does not track this generated file: a commit would miss it.",
			fmt.Sprintf("Add it with `git add %s` (or delete it if it is left over).", rel)))
	}
	for _, c := range in.unstaged {
		rule, what := RuleUnstaged, "differs from the index: a commit would miss this change."
		if in.staged {
			rule, what = RuleNotStaged, "has changes that are not staged: this commit would record the staged version."
		}
		fix := fmt.Sprintf("Stage the change with `git add %s`, or drop it with `git restore %s`.", c.Path, c.Path)
		if c.Kind == gitops.Deleted {
			what = "is deleted in the work tree but still in the index."
			fix = fmt.Sprintf("Record the deletion with `git rm %s`, or bring it back with `git restore %s`.", c.Path, c.Path)
		}
		out = append(out, newCheckFinding(rule, c.Path, 0, what, fix))
	}
	return out
}
