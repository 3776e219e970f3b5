package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/regen"
	"github.com/regen-tool/regen/regen/project"
	"github.com/regen-tool/regen/snapshots"
)

// checkInput is what the static checks read, gathered once: the listing of
// every configured folder (the work tree, or the index with --staged) and
// git's view of the generated files.
type checkInput struct {
	v      *regen.CheckView
	staged bool
	repos  []checkRepo
	// untracked: generated files git does not track (project-relative).
	untracked []string
	// unstaged: tracked generated files whose work tree differs from the index.
	unstaged []gitops.Change
	// unstagedSet marks the paths of unstaged, to read them from the index
	// in staged mode.
	unstagedSet map[string]bool
}

// checkRepo lists one repo's generated files (project-relative paths).
type checkRepo struct {
	cfg        project.RepoConfig
	migrations []string // entries directly in the migrations folder, any name
	snapshots  []string // files anywhere under the snapshots folder
}

func checkInputs(v *regen.CheckView, staged bool) (*checkInput, error) {
	in := &checkInput{v: v, staged: staged, unstagedSet: map[string]bool{}}
	var folders []string
	for _, r := range v.Config().Repos {
		folders = append(folders, r.Migrations, r.Snapshots)
	}
	gitFolders := v.GitPaths(folders)
	untracked, err := v.Git().Untracked(gitFolders)
	if err != nil {
		return nil, checkGitError(err)
	}
	changed, err := v.Git().Changed(gitFolders)
	if err != nil {
		return nil, checkGitError(err)
	}
	var tracked []string
	if staged {
		if tracked, err = v.Git().Tracked(gitFolders); err != nil {
			return nil, checkGitError(err)
		}
	}
	for _, g := range untracked {
		rel := v.ProjectPath(g)
		if in.generated(rel) {
			in.untracked = append(in.untracked, rel)
		}
	}
	for _, c := range changed {
		if c.Staged || c.Kind == gitops.Unmerged {
			continue
		}
		c.Path = v.ProjectPath(c.Path)
		if in.generated(c.Path) {
			in.unstaged = append(in.unstaged, c)
			in.unstagedSet[c.Path] = true
		}
	}
	for _, r := range v.Config().Repos {
		cr := checkRepo{cfg: r}
		if staged {
			for _, g := range tracked {
				rel := v.ProjectPath(g)
				if dir, _ := path.Split(rel); strings.TrimSuffix(dir, "/") == r.Migrations {
					cr.migrations = append(cr.migrations, rel)
				} else if _, ok := snapshots.InFolder(rel, r.Snapshots); ok {
					cr.snapshots = append(cr.snapshots, rel)
				}
			}
		} else {
			if cr.migrations, err = checkListFiles(v.Config().Root, r.Migrations, false); err != nil {
				return nil, err
			}
			if cr.snapshots, err = checkListFiles(v.Config().Root, r.Snapshots, true); err != nil {
				return nil, err
			}
		}
		in.repos = append(in.repos, cr)
	}
	return in, nil
}

// generated tells whether a project path is a file codegen writes (or one
// that looks like a migration): the files a commit must not miss.
func (in *checkInput) generated(rel string) bool {
	for _, r := range in.v.Config().Repos {
		dir, base := path.Split(rel)
		if strings.TrimSuffix(dir, "/") == r.Migrations {
			if snapshots.IsMigrationName(base) {
				return true
			}
			_, almost := almostMigration(base)
			return almost
		}
		if checkUnder(rel, r.Snapshots) {
			_, ok := snapshots.InFolder(rel, r.Snapshots)
			return ok
		}
	}
	return false
}

// read returns a generated file's content as the check sees it: from the
// index in staged mode when the work tree differs, else from the disk.
func (in *checkInput) read(rel string) ([]byte, error) {
	if in.staged && in.unstagedSet[rel] {
		// As checked out: a filter's stored form (rot13, encrypted, LF for
		// a CRLF file) is not the content the check reads.
		data, mode, err := in.v.Git().IndexBlob(in.v.GitPath(rel))
		if err == nil {
			data, err = in.v.CheckoutBytes(rel, data, mode)
		}
		return data, err
	}
	return os.ReadFile(filepath.Join(in.v.Config().Root, filepath.FromSlash(rel)))
}

// checkListFiles lists regular files in a project folder (recursively or
// only its direct entries), as project-relative paths. Symlinks are never
// followed; a missing folder has no files.
func checkListFiles(root, folder string, recursive bool) ([]string, error) {
	base := filepath.Join(root, filepath.FromSlash(folder))
	if !recursive {
		entries, err := os.ReadDir(base)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, &regen.InputError{What: fmt.Sprintf("cannot read %s: %v.", folder, err), Next: "Check the folder's permissions."}
		}
		var out []string
		for _, e := range entries {
			if e.Type().IsRegular() {
				out = append(out, folder+"/"+e.Name())
			}
		}
		return out, nil
	}
	var out []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == base {
				return filepath.SkipDir
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, &regen.InputError{What: fmt.Sprintf("cannot read %s: %v.", folder, err), Next: "Check the folder's permissions."}
	}
	return out, nil
}

func checkUnder(rel, folder string) bool { return strings.HasPrefix(rel, folder+"/") }

// checkGitError makes a git failure a cannot-run error that says so.
func checkGitError(err error) error {
	return &regen.InputError{What: fmt.Sprintf("cannot read the git repository: %v.", err), Next: "Check the repository with `git status`."}
}
