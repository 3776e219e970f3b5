package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// gitCLI answers through the installed git when go-git cannot read the
// repository. Commands run without a shell; paths always follow `--` and
// are literal pathspecs, so names with spaces, globs or a leading dash are
// safe.
type gitCLI struct {
	git  string
	root string
	env  []string
}

// droppedEnv names environment variables that would make the child look at
// another repository, work tree, index, object store or pathspec mode than
// the one this Repo describes. cliEnv sets the repository, work tree and
// index again, explicitly and absolutely.
func droppedEnv(name string) bool {
	switch name {
	case "GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS",
		"GIT_OPTIONAL_LOCKS", "GIT_PREFIX", "GIT_IMPLICIT_WORK_TREE":
		return true
	}
	// Config from the environment (GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT)
	// is kept: git honours it everywhere.
	return contains(locatingEnv, name)
}

func newGitCLI(r *Repo) (*gitCLI, error) {
	p, err := exec.LookPath("git")
	if err != nil {
		return nil, ErrGitNotInstalled
	}
	return &gitCLI{git: p, root: r.Root, env: r.cliEnv()}, nil
}

// cliEnv is the environment of every git child: the process's, with the
// repository, work tree and index named explicitly and absolutely, so that
// neither a variable of the user's (a relative GIT_DIR, GIT_CEILING_DIRECTORIES)
// nor discovery from the child's folder can point it anywhere else.
func (r *Repo) cliEnv() []string {
	base := os.Environ()
	if r.nested {
		base = withoutLocalRepoEnv()
	}
	var env []string
	for _, kv := range base {
		if name, _, _ := strings.Cut(kv, "="); !droppedEnv(name) {
			env = append(env, kv)
		}
	}
	// Reading must not take index.lock: the user may be running git too.
	env = append(env, "GIT_OPTIONAL_LOCKS=0", "GIT_DIR="+r.GitDir, "GIT_WORK_TREE="+r.Root, "GIT_INDEX_FILE="+r.indexPath)
	if _, ok := os.LookupEnv("GIT_COMMON_DIR"); ok && !r.nested {
		env = append(env, "GIT_COMMON_DIR="+r.CommonDir)
	}
	if r.objectDir != "" {
		env = append(env, "GIT_OBJECT_DIRECTORY="+r.objectDir)
	}
	if alt, ok := os.LookupEnv("GIT_ALTERNATE_OBJECT_DIRECTORIES"); ok && !r.nested {
		env = append(env, "GIT_ALTERNATE_OBJECT_DIRECTORIES="+alt) // absolute entries only (askGit)
	}
	return env
}

// run executes git with args and returns stdout.
func (g *gitCLI) run(args ...string) ([]byte, error) { return g.runInput(nil, args...) }

// runInput is run with stdin (nil: none).
func (g *gitCLI) runInput(stdin io.Reader, args ...string) ([]byte, error) {
	full := append([]string{"-C", g.root, "--literal-pathspecs", "-c", "core.quotePath=false"}, args...)
	cmd := exec.Command(g.git, full...)
	cmd.Env = g.env
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &cliError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return out, nil
}

type cliError struct {
	args   []string
	err    error
	stderr string
}

func (e *cliError) Error() string {
	msg := fmt.Sprintf("gitops: git %s: %v", strings.Join(e.args, " "), e.err)
	if e.stderr != "" {
		msg += ": " + e.stderr
	}
	return msg
}

func (e *cliError) Unwrap() error { return e.err }

// pathspecs turns cleaned folders into literal pathspecs ("." for the top).
func pathspecs(folders []string) []string {
	out := make([]string, len(folders))
	for i, f := range folders {
		if f == "" {
			f = "."
		}
		out[i] = f
	}
	return out
}

// splitZ splits NUL-terminated output.
func splitZ(out []byte) []string {
	var res []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			res = append(res, string(f))
		}
	}
	return res
}

func (g *gitCLI) lsFiles(folders []string, flags ...string) ([]string, error) {
	fs, err := cleanFolders(folders)
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, nil // without a pathspec git would list the whole tree
	}
	args := append([]string{"ls-files", "-z"}, flags...)
	args = append(append(args, "--"), pathspecs(fs)...)
	out, err := g.run(args...)
	if err != nil {
		return nil, err
	}
	return sortedUnique(splitZ(out)), nil
}

func (g *gitCLI) changed(folders []string) ([]Change, error) {
	fs, err := cleanFolders(folders)
	if err != nil {
		return nil, err
	}
	if len(fs) == 0 {
		return nil, nil
	}
	specs := append([]string{"--"}, pathspecs(fs)...)
	// Submodule work trees are not inspected on the go-git side either.
	unstaged, err := g.run(append([]string{"diff", "--no-ext-diff", "--no-renames", "--ignore-submodules=all", "--name-status", "-z"}, specs...)...)
	if err != nil {
		return nil, err
	}
	staged, err := g.run(append([]string{"diff", "--cached", "--no-ext-diff", "--no-renames", "--name-status", "-z"}, specs...)...)
	if err != nil {
		return nil, err
	}
	parts := []struct {
		fields []string
		staged bool
	}{{splitZ(unstaged), false}, {splitZ(staged), true}}
	// git diff also prints a combined-diff "M" for a conflicted path; a
	// conflict is reported once, as Unmerged, like the go-git side does.
	unmerged := map[string]bool{}
	for _, part := range parts {
		for i := 0; i+1 < len(part.fields); i += 2 {
			if part.fields[i] == "U" {
				unmerged[part.fields[i+1]] = true
			}
		}
	}
	var out []Change
	for p := range unmerged {
		out = append(out, Change{Path: p, Kind: Unmerged, Staged: true})
	}
	for _, part := range parts {
		f := part.fields
		for i := 0; i+1 < len(f); i += 2 {
			c := Change{Path: f[i+1], Staged: part.staged}
			if unmerged[c.Path] {
				continue
			}
			switch f[i][0] {
			case 'M':
				c.Kind = Modified
			case 'D':
				c.Kind = Deleted
			case 'T':
				c.Kind = TypeChanged
			case 'A':
				c.Kind = Added
			default:
				return nil, fmt.Errorf("gitops: unexpected git diff status %q for %s", f[i], c.Path)
			}
			out = append(out, c)
		}
	}
	sortChanges(out)
	return out, nil
}

func (g *gitCLI) indexBlob(path string) ([]byte, os.FileMode, error) {
	out, err := g.run("ls-files", "-s", "-z", "--", path)
	if err != nil {
		return nil, 0, err
	}
	for _, rec := range splitZ(out) {
		meta, name, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || name != path || len(f) != 3 || f[2] != "0" {
			continue
		}
		return g.blob(path, f[0], f[1], "ls-files -s")
	}
	return nil, 0, fmt.Errorf("gitops: %s: %w", path, ErrNotInIndex)
}

// blob reads an object's content with the mode git listed for it (octal,
// as ls-files and ls-tree print it).
func (g *gitCLI) blob(path, octalMode, hash, listedBy string) ([]byte, os.FileMode, error) {
	m, err := strconv.ParseUint(octalMode, 8, 32)
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: git %s: bad mode %q", listedBy, octalMode)
	}
	mode, err := osMode(filemode.FileMode(m))
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: %s: %w", path, err)
	}
	data, err := g.run("cat-file", "blob", hash)
	if err != nil {
		return nil, 0, err
	}
	return data, mode, nil
}

func (g *gitCLI) headHash() (string, error) {
	out, err := g.run("rev-parse", "-q", "--verify", "HEAD^{commit}")
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 && len(bytes.TrimSpace(out)) == 0 {
		return "", nil // unborn branch
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
