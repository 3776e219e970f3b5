package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrOutsideWorkTree is returned (wrapped) when git's environment names a
// repository whose work tree does not contain the folder regen runs in, or a
// bare repository.
var ErrOutsideWorkTree = errors.New("outside the work tree")

// ErrEnvNotHonoured is returned (wrapped) for a value of git's environment
// that regen cannot pass on to its own git children with the same meaning.
var ErrEnvNotHonoured = errors.New("git environment value not honoured")

// EnvError is what Open returns when git's environment (or core.worktree)
// decided where the repository is and that answer cannot be used: Because
// names the variables, Detail says what git said, Err is ErrNotRepository,
// ErrOutsideWorkTree, ErrEnvNotHonoured or ErrGitNotInstalled.
type EnvError struct {
	Because []string
	Detail  string
	Err     error
}

func (e *EnvError) Error() string { return e.Detail }
func (e *EnvError) Unwrap() error { return e.Err }

// locatingEnv are the environment variables (man git, ENVIRONMENT) that
// change which repository, work tree, index or object store git uses, or
// how it finds them. When one is set, git itself is asked where everything
// is, so that regen acts on the repository git would act on.
//
// Not listed, because they change nothing regen reads: GIT_NAMESPACE (only
// upload-pack, receive-pack and http-backend apply it; rev-parse, ls-files
// and diff ignore it), GIT_PREFIX, GIT_OPTIONAL_LOCKS.
var locatingEnv = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE",
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
	"GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
}

// localRepoEnv is git's own list (environment.c, local_repo_env) of the
// variables that belong to one repository: git clears them when it works in
// a submodule, and so does OpenNested.
var localRepoEnv = []string{
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
	"GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
	"GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX",
	"GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
}

// withoutLocalRepoEnv is the process environment as git gives it to a
// submodule.
func withoutLocalRepoEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !contains(localRepoEnv, name) {
			out = append(out, kv)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cliOnlyEnv are the variables go-git cannot honour (objects read from
// elsewhere, config given in the environment, another shallow file): when
// one is set, every answer comes from the git CLI, with the variable.
var cliOnlyEnv = []string{
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH",
	"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_SHALLOW_FILE", "GIT_REPLACE_REF_BASE", "GIT_GRAFT_FILE",
}

// setEnv lists which of names are present in the environment (an empty
// value counts: git treats a set variable as set).
func setEnv(names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := os.LookupEnv(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// location is where git keeps what one Repo reads.
type location struct {
	root, gitDir, commonDir, indexPath string
	objectDir                          string   // the object store ("" for <commonDir>/objects)
	askedBecause                       []string // the variables or settings that made git answer
	cliOnly                            string   // non-empty: why only the git CLI can serve
}

// askGit asks the git CLI, with the environment env (the process's, or a
// submodule's: nested), where the repository around dir is. It is used
// whenever something git honours and go-git's discovery does not (the
// variables above, core.worktree) is in play: what git answers is what
// regen uses, or regen refuses.
func askGit(dir string, because []string, nested bool) (location, error) {
	env := os.Environ()
	if nested {
		env = withoutLocalRepoEnv()
	}
	loc := location{askedBecause: because}
	what := strings.Join(because, ", ")
	if strings.HasPrefix(what, "GIT_") {
		what += " set"
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return loc, &EnvError{because, fmt.Sprintf("with %s, finding the repository the way git does needs the git CLI, and git is not installed", what), ErrGitNotInstalled}
	}
	out, err := revParse(gitPath, dir, env, "--path-format=absolute", "--is-bare-repository", "--is-inside-work-tree",
		"--absolute-git-dir", "--git-common-dir", "--git-path", "index", "--git-path", "objects")
	if err != nil {
		// "not a git repository", "detected dubious ownership", …: git
		// would not work here, so neither does regen.
		return loc, &EnvError{because, fmt.Sprintf("with %s, git finds no repository it will use from %s (git: %v)", what, dir, err), ErrNotRepository}
	}
	if len(out) != 6 {
		return loc, fmt.Errorf("git rev-parse gave %d lines where 6 were expected (%s set)", len(out), what)
	}
	if out[0] == "true" {
		return loc, &EnvError{because, fmt.Sprintf("with %s, git uses the bare repository %s, which has no work tree", what, out[2]), ErrOutsideWorkTree}
	}
	if out[1] != "true" {
		return loc, &EnvError{because, fmt.Sprintf("with %s, git uses the repository %s, and %s is outside its work tree", what, out[2], dir), ErrOutsideWorkTree}
	}
	top, err := revParse(gitPath, dir, env, "--show-toplevel")
	if err != nil || len(top) != 1 || top[0] == "" {
		return loc, fmt.Errorf("asking git for the work-tree top (%s set): %v", what, err)
	}
	loc.root, loc.gitDir, loc.commonDir, loc.indexPath = realPath(top[0]), realPath(out[2]), realPath(out[3]), out[4]
	if objects := realPath(out[5]); objects != filepath.Join(loc.commonDir, "objects") {
		loc.objectDir = objects
	}
	if nested {
		return loc, nil // none of the process's repository variables apply
	}
	if cli := setEnv(cliOnlyEnv); len(cli) > 0 {
		loc.cliOnly = strings.Join(cli, ", ") + " set (go-git cannot honour it)"
	}
	if alt, ok := os.LookupEnv("GIT_ALTERNATE_OBJECT_DIRECTORIES"); ok {
		for _, a := range filepath.SplitList(alt) {
			if a != "" && !filepath.IsAbs(a) {
				return loc, &EnvError{[]string{"GIT_ALTERNATE_OBJECT_DIRECTORIES"}, fmt.Sprintf("GIT_ALTERNATE_OBJECT_DIRECTORIES holds the relative path %q, which regen's git children, started in other folders, would read as other objects; use absolute paths", a), ErrEnvNotHonoured}
			}
		}
	}
	return loc, nil
}

// revParse runs `git rev-parse args` in dir with the environment env
// unchanged (that is the point) and returns its output lines.
func revParse(gitPath, dir string, env []string, args ...string) ([]string, error) {
	cmd := exec.Command(gitPath, append([]string{"rev-parse"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(env, "GIT_OPTIONAL_LOCKS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if s := strings.TrimSpace(stderr.String()); s != "" {
			return nil, errors.New(strings.TrimPrefix(s, "fatal: "))
		}
		return nil, err
	}
	text := strings.TrimRight(string(out), "\n")
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// ChildEnv is what a child process regen starts (the mix tasks, which may
// run git) must see so that git's environment means there what it meant for
// regen: the variables the user set, made absolute and pointing at this
// repository (a relative GIT_DIR would name another folder from the child's
// working directory). Nothing is added for variables the user did not set.
// For a nested repository (OpenNested) nothing is set: ChildUnset removes
// the outer repository's variables, as git does for a submodule.
func (r *Repo) ChildEnv() []string {
	if r.nested {
		return nil
	}
	var out []string
	for _, n := range setEnv(locatingEnv) {
		switch n {
		case "GIT_DIR":
			out = append(out, n+"="+r.GitDir)
		case "GIT_WORK_TREE":
			out = append(out, n+"="+r.Root)
		case "GIT_COMMON_DIR":
			out = append(out, n+"="+r.CommonDir)
		case "GIT_INDEX_FILE":
			out = append(out, n+"="+r.indexPath)
		case "GIT_OBJECT_DIRECTORY":
			if r.objectDir != "" {
				out = append(out, n+"="+r.objectDir)
			}
		}
	}
	return out
}

// ChildUnset names the variables a child must not inherit: for a nested
// repository, the outer repository's (git's local_repo_env).
func (r *Repo) ChildUnset() []string {
	if !r.nested {
		return nil
	}
	return setEnv(localRepoEnv)
}

// FromEnv names what made git itself say where the repository is (GIT_DIR,
// core.worktree, …), or "" when ordinary discovery found it.
func (r *Repo) FromEnv() string { return strings.Join(r.askedBecause, ", ") }

// coreWorktree tells whether the repository's config sets core.worktree
// (go-git's discovery would put the work tree next to .git instead).
func coreWorktree(commonDir string) bool {
	entries, err := readConfigFile(filepath.Join(commonDir, "config"), 0)
	if err != nil {
		return true // let git read what we cannot
	}
	for _, e := range entries {
		if e.section == "core" && e.subsection == "" && e.key == "worktree" {
			return true
		}
	}
	return false
}

// LocatingEnv names the variables of git's environment that are set and
// decide where the repository is (for messages).
func LocatingEnv() []string { return setEnv(locatingEnv) }

// ownedByUs tells whether dir belongs to the user regen runs as (an
// unknown owner counts as ours: git decides where it can tell).
func ownedByUs(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return true
	}
	st, ok := statOf(fi)
	return !ok || int(st.uid) == os.Geteuid()
}
