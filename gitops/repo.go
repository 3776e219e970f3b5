package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// ErrNotRepository is returned (wrapped, naming the path) by Open when
// neither the path nor any parent folder holds a `.git`.
var ErrNotRepository = errors.New("not a git repository")

// ErrGitNotInstalled is returned (wrapped, naming what go-git cannot read)
// when the repository needs the git CLI fallback and git is not on PATH.
var ErrGitNotInstalled = errors.New("git is not installed")

// ErrNotInIndex is returned by IndexBlob for a path with no stage-0 index
// entry (never added, or in a merge conflict).
var ErrNotInIndex = errors.New("path is not in the index")

const (
	backendGoGit = "go-git"
	backendCLI   = "git-cli"
)

// Repo is an opened work tree.
type Repo struct {
	Root      string // absolute work-tree top (symlinks resolved)
	GitDir    string // this worktree's own git dir (for a linked worktree: .git/worktrees/<name>; else <root>/.git)
	CommonDir string // the common git dir (same as GitDir unless a linked worktree)

	indexPath string   // GitDir/index, or $GIT_INDEX_FILE (set for pre-commit hooks)
	settings  settings // config values read once at Open

	// Exactly one of repo and cli is set: the fallback answers everything so
	// that results never mix two readers of the same repository.
	repo   *goGitRepo
	cli    *gitCLI
	reason string // why cli is used

	objectDir    string   // GIT_OBJECT_DIRECTORY made absolute ("" for CommonDir/objects)
	askedBecause []string // what made git itself locate the repository (see env.go)
	nested       bool     // opened as a submodule: the process's repository variables do not apply

	mu  sync.Mutex
	idx *indexSnapshot // reloaded when the index file changes
}

// Open finds the work tree containing path (the top or any subfolder) and
// prepares to answer questions about it. `.git` may be a directory or a
// `gitdir: ...` file (linked worktree, submodule).
func Open(path string) (*Repo, error) { return open(path, false) }

// OpenNested opens the repository at path (a submodule, or any repository
// nested in the work tree of another) the way git works in a submodule:
// the repository variables of the process's environment (GIT_DIR,
// GIT_INDEX_FILE, ..., which describe the outer repository; a pre-commit
// hook always has GIT_INDEX_FILE) do not apply to it.
func OpenNested(path string) (*Repo, error) { return open(path, true) }

func open(path string, nested bool) (_ *Repo, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("gitops: %s: %w", path, err)
	}
	// Resolve symlinks so that Root compares equal to git's own answer
	// (`git rev-parse --show-toplevel` resolves them too).
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("gitops: %s: %w", path, err)
	}
	loc, err := locate(abs, nested)
	var envErr *EnvError
	if errors.As(err, &envErr) {
		return nil, err // says itself where and why
	}
	if err != nil {
		if errors.Is(err, ErrNotRepository) {
			return nil, fmt.Errorf("gitops: %s (or any parent folder): %w", abs, err)
		}
		return nil, fmt.Errorf("gitops: %s: %w", abs, err)
	}
	root, gitDir, commonDir := loc.root, loc.gitDir, loc.commonDir
	r := &Repo{Root: root, GitDir: gitDir, CommonDir: commonDir, indexPath: loc.indexPath,
		objectDir: loc.objectDir, askedBecause: loc.askedBecause, nested: nested}
	r.settings, err = loadSettings(root, commonDir)
	if err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}

	reason := r.settings.unsupported
	if reason == "" {
		reason = loc.cliOnly
	}
	if reason == "" {
		reason = historyRewrite(commonDir, nested)
	}
	if reason == "" {
		if _, err := r.index(); err != nil {
			reason = indexFailureReason(err)
		}
	}
	if reason == "" {
		r.repo, err = openGoGit(gitDir, commonDir)
		if err != nil {
			reason = "go-git cannot open the repository: " + err.Error()
		}
	}
	if reason != "" {
		cli, err := newGitCLI(r)
		if err != nil {
			return nil, fmt.Errorf("gitops: %s: go-git cannot read this repository (%s) and %w; installing git fixes this", root, reason, err)
		}
		r.repo, r.cli, r.reason = nil, cli, reason
		r.idx = nil
	}
	return r, nil
}

// Backend says which reader answers ("go-git" or "git-cli") and, for the
// fallback, why, so that `regen status` can show it.
func (r *Repo) Backend() (name, reason string) {
	if r.cli != nil {
		return backendCLI, r.reason
	}
	return backendGoGit, ""
}

// HeadHash returns the current HEAD commit hash ("" for an unborn branch).
func (r *Repo) HeadHash() (string, error) {
	if r.cli != nil {
		return r.cli.headHash()
	}
	ref, err := r.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("gitops: reading HEAD: %w", err)
	}
	return ref.Hash().String(), nil
}

// locate finds the repository the way git would: go-git-free discovery
// when nothing git honours changes it, else git's own answer (see askGit).
func locate(abs string, nested bool) (location, error) {
	vars := setEnv(locatingEnv)
	indexFile := ""
	if len(vars) == 1 && vars[0] == "GIT_INDEX_FILE" && os.Getenv("GIT_INDEX_FILE") != "" && !nested {
		// Only the index moves (git sets this for every commit hook):
		// discovery is git's, and git reads a relative value from the
		// work-tree top, where it runs hooks. Saves two git runs per hook.
		indexFile, vars = os.Getenv("GIT_INDEX_FILE"), nil
	}
	if len(vars) > 0 && !nested {
		return askGit(abs, vars, false)
	}
	root, gitDir, err := findGitDir(abs)
	if err != nil {
		return location{}, err
	}
	commonDir, err := readCommonDir(gitDir)
	if err != nil {
		return location{}, fmt.Errorf("%s: %w", gitDir, err)
	}
	if !ownedByUs(root) || !ownedByUs(gitDir) {
		// git refuses a repository another user owns unless safe.directory
		// allows it (and knows about sudo): let git decide.
		return askGit(abs, []string{"safe.directory (the repository belongs to another user)"}, nested)
	}
	if coreWorktree(commonDir) {
		// The work tree is elsewhere than next to .git (submodules with an
		// absorbed git dir set it too): git resolves it.
		return askGit(abs, []string{"core.worktree"}, nested)
	}
	loc := location{root: root, gitDir: gitDir, commonDir: commonDir, indexPath: filepath.Join(gitDir, "index")}
	if indexFile != "" {
		if !filepath.IsAbs(indexFile) {
			indexFile = filepath.Join(root, indexFile)
		}
		loc.indexPath, loc.askedBecause = filepath.Clean(indexFile), []string{"GIT_INDEX_FILE"}
	}
	if cli := setEnv(cliOnlyEnv); len(cli) > 0 && !nested {
		loc.cliOnly = strings.Join(cli, ", ") + " set (go-git cannot honour it)"
	}
	return loc, nil
}

// historyRewrite says why go-git would read other history than git (it
// knows neither grafts nor replace refs), or "".
func historyRewrite(commonDir string, nested bool) string {
	if exists(filepath.Join(commonDir, "info", "grafts")) {
		return "the repository has grafts (info/grafts), which go-git does not apply"
	}
	if _, ok := os.LookupEnv("GIT_NO_REPLACE_OBJECTS"); ok && !nested {
		return ""
	}
	if entries, err := os.ReadDir(filepath.Join(commonDir, "refs", "replace")); err == nil && len(entries) > 0 {
		return "the repository has replace refs, which go-git does not apply"
	}
	if data, err := os.ReadFile(filepath.Join(commonDir, "packed-refs")); err == nil && bytes.Contains(data, []byte(" refs/replace/")) {
		return "the repository has replace refs, which go-git does not apply"
	}
	return ""
}

// findGitDir walks up from dir to the first folder holding `.git`.
// Like git without GIT_DISCOVERY_ACROSS_FILESYSTEM, it stops at a
// filesystem boundary: a project on a mounted volume is not part of a
// repository on the filesystem below it.
func findGitDir(dir string) (root, gitDir string, err error) {
	startDev, haveDev := deviceOf(dir)
	for {
		dotGit := filepath.Join(dir, ".git")
		fi, err := os.Stat(dotGit) // a symlinked .git folder counts, as in git
		switch {
		case err == nil && fi.IsDir():
			if isGitDirectory(dotGit) {
				if resolved, err := filepath.EvalSymlinks(dotGit); err == nil {
					dotGit = resolved
				}
				return dir, dotGit, nil
			}
		case err == nil && fi.Mode().IsRegular():
			target, err := readGitFile(dotGit)
			if err != nil {
				return "", "", err
			}
			return dir, target, nil
		case err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", ErrNotRepository
		}
		if dev, ok := deviceOf(parent); haveDev && ok && dev != startDev {
			return "", "", fmt.Errorf("%w (stopped at the filesystem boundary %s, as git does without GIT_DISCOVERY_ACROSS_FILESYSTEM)", ErrNotRepository, dir)
		}
		dir = parent
	}
}

// readGitFile resolves a `gitdir: <path>` file; a relative path is relative
// to the folder holding the file.
func readGitFile(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	line := strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r")
	target, ok := strings.CutPrefix(line, "gitdir: ")
	if !ok || target == "" {
		return "", fmt.Errorf("%s: not a `gitdir: <path>` file", file)
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(file), target)
	}
	if resolved, err := filepath.EvalSymlinks(target); err == nil {
		target = resolved
	}
	if !isGitDirectory(target) {
		return "", fmt.Errorf("%s points to %s, which is not a git directory", file, target)
	}
	return filepath.Clean(target), nil
}

// readCommonDir follows a linked worktree's `commondir` file.
func readCommonDir(gitDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if errors.Is(err, os.ErrNotExist) {
		return gitDir, nil
	}
	if err != nil {
		return "", err
	}
	dir := strings.TrimSpace(string(b))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(gitDir, dir)
	}
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		dir = resolved
	}
	return filepath.Clean(dir), nil
}

// isGitDirectory approximates git's is_git_directory: HEAD plus the objects
// and refs folders (the latter may live in a commondir).
func isGitDirectory(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		return false
	}
	common := dir
	if c, err := readCommonDir(dir); err == nil {
		common = c
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(common, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// openGoGit opens the object and ref storage without repeating discovery;
// a linked worktree reads HEAD and its index from gitDir and everything
// else from commonDir.
func openGoGit(gitDir, commonDir string) (*goGitRepo, error) {
	var fs billy.Filesystem = osfs.New(gitDir)
	if commonDir != gitDir {
		fs = dotgit.NewRepositoryFilesystem(osfs.New(gitDir), osfs.New(commonDir))
	}
	return openStorage(filesystem.NewStorage(fs, cache.NewObjectLRUDefault()))
}
