// Package gitops answers the questions regen asks git about the configured
// folders: which files are untracked (and not ignored), which are ignored,
// which are tracked, which tracked files changed, what the index holds for a
// path, and what HEAD is.
//
// It reads the index and walks only the requested folders instead of using
// go-git's Worktree.Status, which scans the whole work tree (110x slower than
// `git ls-files` on a large repository) and does not read .git/info/exclude.
// The index is parsed into go-git's index.Entry values by a small reader of
// its own (indexread.go), checked against go-git's decoder in the tests,
// because go-git's decoder alone costs twice a whole `git ls-files` run.
// Ignore rules follow git's own algorithm (dir.c and wildmatch.c), because
// go-git's gitignore matcher differs from git on `[!x]`, `foo/**` with
// negation, backtracking `**` and escapes; the tests compare every answer with
// the git CLI.
//
// Where go-git cannot read a repository (split or sparse index, per-worktree
// config, other repository extensions, an undecodable index) the package
// answers through the git CLI instead and Backend says why.
//
// Where git's environment or config moves the repository (GIT_DIR,
// GIT_WORK_TREE, GIT_INDEX_FILE, object directories, ceilings,
// core.worktree; see env.go) the git CLI says where everything is; where a
// content filter may apply (filters.go) the index blob is not trusted to be
// the work-tree bytes.
//
// Known simplifications, each documented where it applies: `includeIf`
// sections of git config are not evaluated (settings read from such a
// config are treated as unsure where that matters: filters ask git), and
// GIT_CONFIG_PARAMETERS sends every answer to the CLI fallback.
package gitops
