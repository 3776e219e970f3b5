package snapshots

import "strings"

// Classify maps a slash path relative to a repo's snapshot folder onto the
// layouts Ash writes, like List does for files on disk; the checks use it
// for paths that come from git (the index, a commit) rather than the disk.
func Classify(rel string) (File, bool) { return classify(rel) }

// InFolder is the one rule for "this project path is a generated snapshot
// file of the snapshot folder": Ash's layout under folder, i.e.
// <table>/<ts>[_dev].json, <schema>.<table>/<ts>.json,
// tenants/<table>/<ts>.json, or extensions.json at its top. The plan
// (what `regen NAME` removes or restores) and `regen check` (what it
// checks and reports as untracked or unstaged) both ask it, so a run never
// touches a file the check does not count as generated, nor the other way
// round. Anything else under the folder is a stray. As with List, the
// File's Path (and so its Key) is relative to folder.
func InFolder(rel, folder string) (File, bool) {
	inner, ok := strings.CutPrefix(rel, strings.TrimSuffix(folder, "/")+"/")
	if !ok || folder == "" {
		return File{}, false
	}
	return classify(inner)
}
