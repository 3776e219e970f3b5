package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// The git CLI side of history.go. Revisions are checked by checkRefArg
// (no leading dash) and passed through `rev-parse --verify --end-of-options`
// once, so later commands only ever see a full hash.

func (g *gitCLI) resolveRef(ref string) (string, error) {
	out, err := g.run("rev-parse", "-q", "--verify", "--end-of-options", ref+"^{commit}")
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(bytes.TrimSpace(out)) == 0 {
		return "", fmt.Errorf("gitops: %q: %w (not a branch, tag, remote branch or commit of %s)", ref, ErrUnknownRef, g.root)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func (g *gitCLI) mergeBase(ref string) (string, error) {
	head, err := g.resolveRef("HEAD")
	if err != nil {
		return "", err
	}
	other, err := g.resolveRef(ref)
	if err != nil {
		return "", err
	}
	out, err := g.run("merge-base", head, other)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return "", fmt.Errorf("gitops: HEAD and %s: %w (unrelated histories)", ref, ErrNoMergeBase)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// lsTree lists the non-folder paths under folders in a commit.
func (g *gitCLI) lsTree(hash string, folders []string) ([]string, error) {
	args := append([]string{"ls-tree", "-r", "-z", "--full-tree", "--name-only", hash, "--"}, pathspecs(folders)...)
	out, err := g.run(args...)
	if err != nil {
		return nil, err
	}
	return sortedUnique(splitZ(out)), nil
}

func (g *gitCLI) filesAt(commit string, folders []string) ([]string, error) {
	h, err := g.resolveRef(commit)
	if err != nil {
		return nil, err
	}
	return g.lsTree(h, folders)
}

func (g *gitCLI) blobAt(commit, path string) ([]byte, os.FileMode, error) {
	h, err := g.resolveRef(commit)
	if err != nil {
		return nil, 0, err
	}
	out, err := g.run("ls-tree", "-z", "--full-tree", h, "--", path)
	if err != nil {
		return nil, 0, err
	}
	for _, rec := range splitZ(out) {
		meta, name, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || name != path || len(f) != 3 {
			continue
		}
		if f[1] == "tree" {
			return nil, 0, fmt.Errorf("gitops: %s at %s is a folder", path, commit)
		}
		return g.blob(path, f[0], f[2], "ls-tree")
	}
	return nil, 0, fmt.Errorf("gitops: %s at %s: %w", path, commit, os.ErrNotExist)
}

func (g *gitCLI) addedSince(base string, folders []string) ([]string, error) {
	b, err := g.resolveRef(base)
	if err != nil {
		return nil, err
	}
	inBase, err := g.lsTree(b, folders)
	if err != nil {
		return nil, err
	}
	head, err := g.headHash()
	if err != nil {
		return nil, err
	}
	var current []string
	if head != "" {
		if current, err = g.lsTree(head, folders); err != nil {
			return nil, err
		}
	}
	staged, err := g.lsFiles(folders)
	if err != nil {
		return nil, err
	}
	return minus(append(current, staged...), inBase), nil
}
