package snapshots

// Classify maps a slash path relative to a repo's snapshot folder onto the
// layouts Ash writes, like List does for files on disk; the checks use it
// for paths that come from git (the index, a commit) rather than the disk.
func Classify(rel string) (File, bool) { return classify(rel) }
