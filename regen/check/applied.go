package check

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"

	"github.com/regen-tool/regen/regen/phantom"
)

// editedAfterAppliedFindings: a migration whose content (as the check
// reads it: the index with --staged) differs from what regen saw applied
// to the database. Ecto never runs a migration twice, so the edit reaches
// no database that already has the version: the schema and the file now
// disagree. Only versions regen remembered are compared (the store is
// filled by every regen command that reads the applied versions); with no
// store there is nothing to compare and nothing is read.
func (in *checkInput) editedAfterAppliedFindings() []Finding {
	var out []Finding
	gitDir := in.v.Git().GitDir
	for _, cr := range in.repos {
		for _, folder := range []string{cr.cfg.Migrations, cr.cfg.TenantMigrations} {
			if folder == "" {
				continue
			}
			out = append(out, in.editedIn(gitDir, folder, cr)...)
		}
	}
	return out
}

func (in *checkInput) editedIn(gitDir, folder string, cr checkRepo) []Finding {
	dir := in.v.GitPath(folder)
	sums, err := phantom.AppliedRecords(gitDir, dir)
	if err != nil || len(sums) == 0 {
		return nil // an unreadable store is status's to report; the check stays about files
	}
	files := cr.migrations
	if folder != cr.cfg.Migrations {
		files = nil // tenant migrations are listed here, not in checkRepo
		if listed, err := checkListFiles(in.v.Config().Root, folder, false); err == nil {
			files = listed
		}
	}
	var out []Finding
	for _, rel := range files {
		v, ok := migrationVersion(path.Base(rel))
		if !ok {
			continue
		}
		rec, seen := sums[v]
		if !seen {
			continue
		}
		data, err := in.read(rel)
		if err != nil {
			continue // unreadable files are other rules' findings
		}
		h := sha256.Sum256(data)
		if hex.EncodeToString(h[:]) == rec.SHA256 {
			continue
		}
		out = append(out, newCheckFinding(RuleEditedAfterApplied, rel, 0,
			fmt.Sprintf("version %s was edited after it was applied: the database ran the content regen saw then, and Ecto never runs a version twice, so this edit reaches no database that has it.", v),
			"Put the applied content back (`git diff`/`git log -p` on the file shows the change) and put the change in a new migration (`regen NAME`); or, on a dev database, roll the version back with the old file and migrate again."))
	}
	return out
}

// migrationVersion is the version of a migration file name, as Ecto reads
// it (the leading digits).
func migrationVersion(base string) (string, bool) {
	i := 0
	for i < len(base) && base[i] >= '0' && base[i] <= '9' {
		i++
	}
	if i == 0 || i == len(base) || base[i] != '_' {
		return "", false
	}
	n, err := strconv.ParseInt(base[:i], 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}
