package gitops

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrUnknownRef is returned (wrapped, naming the ref) when a ref names no
// commit in the repository.
var ErrUnknownRef = errors.New("unknown revision")

// ErrNoMergeBase is returned (wrapped) when HEAD and a ref share no history.
var ErrNoMergeBase = errors.New("no merge base")

// ResolveRef returns the commit hash a ref names: a branch, tag (annotated
// tags are peeled), remote branch, full or abbreviated hash, or a revision
// expression such as `main~2`.
func (r *Repo) ResolveRef(ref string) (string, error) {
	if err := checkRefArg(ref); err != nil {
		return "", err
	}
	if r.cli != nil {
		return r.cli.resolveRef(ref)
	}
	c, err := r.commitOf(ref)
	if err != nil {
		return "", err
	}
	return c.Hash.String(), nil
}

// MergeBase returns the best common ancestor of HEAD and ref (one of them
// when several exist, as `git merge-base` does).
func (r *Repo) MergeBase(ref string) (string, error) {
	if err := checkRefArg(ref); err != nil {
		return "", err
	}
	if r.cli != nil {
		return r.cli.mergeBase(ref)
	}
	head, err := r.commitOf("HEAD")
	if err != nil {
		return "", err
	}
	other, err := r.commitOf(ref)
	if err != nil {
		return "", err
	}
	bases, err := head.MergeBase(other)
	if err != nil {
		return "", fmt.Errorf("gitops: merge base of HEAD and %s: %w", ref, err)
	}
	if len(bases) == 0 {
		return "", fmt.Errorf("gitops: HEAD and %s: %w (unrelated histories)", ref, ErrNoMergeBase)
	}
	// go-git returns them in no defined order: pick the smallest hash so
	// that repeated runs agree.
	sort.Slice(bases, func(i, j int) bool { return bases[i].Hash.String() < bases[j].Hash.String() })
	return bases[0].Hash.String(), nil
}

// FilesAt lists the files (blobs, symlinks, submodules) under folders in a
// commit's tree, sorted bytewise; only those subtrees are read. commit may
// be any ref ResolveRef accepts.
func (r *Repo) FilesAt(commit string, folders []string) ([]string, error) {
	fs, err := refAndFolders(commit, folders)
	if err != nil || len(fs) == 0 {
		return nil, err
	}
	if r.cli != nil {
		return r.cli.filesAt(commit, fs)
	}
	c, err := r.commitOf(commit)
	if err != nil {
		return nil, err
	}
	return r.treeFiles(c, fs)
}

// BlobAt returns a file's content and mode (as IndexBlob) in a commit.
// A missing path wraps os.ErrNotExist.
func (r *Repo) BlobAt(commit, path string) ([]byte, os.FileMode, error) {
	if err := checkRefArg(commit); err != nil {
		return nil, 0, err
	}
	p, err := cleanRel(path)
	if err != nil {
		return nil, 0, err
	}
	if p == "" {
		return nil, 0, fmt.Errorf("gitops: BlobAt needs a file path")
	}
	if r.cli != nil {
		return r.cli.blobAt(commit, p)
	}
	c, err := r.commitOf(commit)
	if err != nil {
		return nil, 0, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: reading tree of %s: %w", commit, err)
	}
	e, err := tree.FindEntry(p)
	if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, 0, fmt.Errorf("gitops: %s at %s: %w", p, commit, os.ErrNotExist)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: %s at %s: %w", p, commit, err)
	}
	if e.Mode == filemode.Dir {
		return nil, 0, fmt.Errorf("gitops: %s at %s is a folder", p, commit)
	}
	mode, err := osMode(e.Mode)
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: %s: %w", p, err)
	}
	blob, err := r.repo.BlobObject(e.Hash)
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: reading blob of %s at %s: %w", p, commit, err)
	}
	rd, err := blob.Reader()
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: reading blob of %s at %s: %w", p, commit, err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: reading blob of %s at %s: %w", p, commit, err)
	}
	return data, mode, nil
}

// AddedSince lists files under folders that HEAD or the index holds and the
// base commit does not: committed on this branch since base, or staged.
// A file committed since base and then removed from the index still counts
// (it is in HEAD); untracked files do not (see Untracked). Sorted bytewise.
func (r *Repo) AddedSince(base string, folders []string) ([]string, error) {
	fs, err := refAndFolders(base, folders)
	if err != nil || len(fs) == 0 {
		return nil, err
	}
	if r.cli != nil {
		return r.cli.addedSince(base, fs)
	}
	baseCommit, err := r.commitOf(base)
	if err != nil {
		return nil, err
	}
	inBase, err := r.treeFiles(baseCommit, fs)
	if err != nil {
		return nil, err
	}
	var current []string
	head, err := r.HeadHash()
	if err != nil {
		return nil, err
	}
	if head != "" {
		hc, err := r.commitOf(head)
		if err != nil {
			return nil, err
		}
		if current, err = r.treeFiles(hc, fs); err != nil {
			return nil, err
		}
	}
	staged, err := r.Tracked(fs)
	if err != nil {
		return nil, err
	}
	return minus(append(current, staged...), inBase), nil
}

// commitOf resolves ref to a commit the way git's rev-parse does for the
// common forms: a full hash first, then refs in git's DWIM order (so a
// branch named like a hash prefix wins over the prefix, as in git), then
// go-git's revision parser for short hashes and `~`/`^` expressions.
func (r *Repo) commitOf(ref string) (*object.Commit, error) {
	if plumbing.IsHash(ref) {
		return r.peel(plumbing.NewHash(ref), ref)
	}
	for _, pattern := range []string{"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"} {
		name := plumbing.ReferenceName(fmt.Sprintf(pattern, ref))
		got, err := r.repo.Reference(name)
		if err == nil {
			return r.peel(got.Hash(), ref)
		}
	}
	h, err := r.repo.ResolveRevision(ref)
	if err != nil || h.IsZero() {
		return nil, fmt.Errorf("gitops: %q: %w (not a branch, tag, remote branch or commit of %s)", ref, ErrUnknownRef, r.Root)
	}
	return r.peel(h, ref)
}

// peel follows annotated tags to the commit they name.
func (r *Repo) peel(h plumbing.Hash, ref string) (*object.Commit, error) {
	for range 10 { // tags of tags are legal; a bound keeps a cycle from hanging
		if c, err := r.repo.CommitObject(h); err == nil {
			return c, nil
		}
		tag, err := r.repo.TagObject(h)
		if err != nil {
			return nil, fmt.Errorf("gitops: %q: %w (%s is not a commit)", ref, ErrUnknownRef, h)
		}
		h = tag.Target
	}
	return nil, fmt.Errorf("gitops: %q: %w (tag chain too deep)", ref, ErrUnknownRef)
}

// treeFiles lists the non-folder entries under folders in c's tree.
func (r *Repo) treeFiles(c *object.Commit, folders []string) ([]string, error) {
	root, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("gitops: reading tree of %s: %w", c.Hash, err)
	}
	into := map[string]treeEntry{}
	for _, f := range folders {
		if _, err := r.collectTree(root, f, into); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(into))
	for p := range into {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// minus returns the sorted, de-duplicated paths of a not in b.
func minus(a, b []string) []string {
	drop := make(map[string]bool, len(b))
	for _, p := range b {
		drop[p] = true
	}
	var out []string
	for _, p := range a {
		if !drop[p] {
			out = append(out, p)
		}
	}
	return sortedUnique(out)
}

// checkRefArg refuses refs that git would read as an option, and empty ones.
func checkRefArg(ref string) error {
	if ref == "" {
		return fmt.Errorf("gitops: empty revision: %w", ErrUnknownRef)
	}
	if strings.HasPrefix(ref, "-") {
		return fmt.Errorf("gitops: %q: %w (a revision cannot start with -)", ref, ErrUnknownRef)
	}
	return nil
}

// refAndFolders checks the arguments the history functions share.
func refAndFolders(ref string, folders []string) ([]string, error) {
	if err := checkRefArg(ref); err != nil {
		return nil, err
	}
	return cleanFolders(folders)
}
