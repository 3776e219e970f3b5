package regen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/gitops"
)

// openProjectRepo opens the repository that holds the project's files, and
// says where the project is ("" when none was found; the commands that need
// one say so). Started at a superproject's top (git runs hooks there) with
// the project in a submodule, or in any repository nested below, that is the
// nested repository, with its own git dir (a `.git` file pointing into the
// superproject's .git/modules) and so its own state dir: the superproject
// tracks none of the project's files. As git does in a submodule, the
// repository variables of the environment (which describe the outer
// repository: a superproject's pre-commit hook always has GIT_INDEX_FILE)
// do not apply to it.
func openProjectRepo(dir string) (*gitops.Repo, string, error) {
	git, err := gitops.Open(dir)
	if err != nil {
		return nil, "", err
	}
	root, err := findProjectRoot(dir, git.Root)
	if err != nil {
		return git, "", nil
	}
	nested := nestedRepoTop(git.Root, root)
	if nested == "" {
		return git, root, nil
	}
	inner, err := gitops.OpenNested(nested)
	if err != nil {
		return nil, "", fmt.Errorf("the project %s is in the nested repository %s, which cannot be opened: %w", root, nested, err)
	}
	return inner, root, nil
}

// nestedRepoTop returns the top of the nearest repository nested inside
// outer that contains dir (the first folder from dir up holding `.git`: a
// submodule of a submodule is the project's own repository), or "".
func nestedRepoTop(outer, dir string) string {
	for d := dir; d != outer && strings.HasPrefix(d, outer+string(filepath.Separator)); d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil || !errors.Is(err, os.ErrNotExist) {
			return d
		}
	}
	return ""
}

// checkoutBytes is what `git checkout` writes for a blob at rel: the blob
// through the path's content filters (CRLF, ident, smudge); a symlink's
// target as it is.
func (p *workspace) checkoutBytes(rel string, blob []byte, mode os.FileMode) ([]byte, error) {
	if mode&os.ModeSymlink != 0 {
		return blob, nil
	}
	return p.git.Checkout(p.gitPath(rel), blob)
}
