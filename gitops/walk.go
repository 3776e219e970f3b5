package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
)

// Untracked lists files under the given folders (slash-separated, relative
// to Root) that are not in the index and not ignored, like
// `git ls-files --others --exclude-standard -- folders`. Files inside
// untracked folders are listed one by one. A symlink is listed as itself and
// never followed. A folder holding its own `.git` (a nested repository that
// is not a submodule) is listed once, as "path/" with a trailing slash, as
// git does; callers should treat it as a non-migration entry. Folders that
// do not exist give no entries. The result is sorted bytewise.
func (r *Repo) Untracked(folders []string) (_ []string, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	if r.cli != nil {
		return r.cli.lsFiles(folders, "--others", "--exclude-standard")
	}
	u, _, err := r.walk(folders, false)
	return u, err
}

// Ignored lists untracked files under the folders that ignore rules hide,
// like `git ls-files --others --ignored --exclude-standard` (for reporting).
func (r *Repo) Ignored(folders []string) (_ []string, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	if r.cli != nil {
		return r.cli.lsFiles(folders, "--others", "--ignored", "--exclude-standard")
	}
	_, ig, err := r.walk(folders, true)
	return ig, err
}

// Tracked lists the index entries under the folders (a file staged with
// `git add` is tracked; a submodule is listed as its path).
func (r *Repo) Tracked(folders []string) (_ []string, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	if r.cli != nil {
		return r.cli.lsFiles(folders)
	}
	dirs, err := cleanFolders(folders)
	if err != nil {
		return nil, err
	}
	snap, err := r.index()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range dirs {
		out = append(out, snap.namesUnder(f)...)
	}
	return sortedUnique(out), nil
}

// walker carries one Untracked/Ignored run.
type walker struct {
	r           *Repo
	snap        *indexSnapshot
	rules       *ignoreRules
	wantIgnored bool
	untracked   []string
	ignored     []string
	top         string                   // the configured folder walked
	listings    map[string][]fs.DirEntry // nil, or where the entries of top and the folders below it are kept
}

func (r *Repo) walk(folders []string, wantIgnored bool) (untracked, ignored []string, err error) {
	dirs, err := cleanFolders(folders)
	if err != nil {
		return nil, nil, err
	}
	snap, err := r.index()
	if err != nil {
		return nil, nil, err
	}
	untracked, ignored, err = r.walkSnap(dirs, snap, wantIgnored, nil)
	if err != nil {
		return nil, nil, err
	}
	return untracked, ignored, nil
}

// walkSnap walks the cleaned folders against one index snapshot. The
// untracked list is the same whether or not ignored files are wanted
// (nothing under an ignored folder is untracked).
func (r *Repo) walkSnap(dirs []string, snap *indexSnapshot, wantIgnored bool, listings map[string][]fs.DirEntry) (untracked, ignored []string, err error) {
	base, err := r.baseRules()
	if err != nil {
		return nil, nil, err
	}
	for _, f := range dirs {
		rules := &ignoreRules{files: base.files, flags: base.flags}
		w := &walker{r: r, snap: snap, rules: rules, wantIgnored: wantIgnored, top: f, listings: listings}
		if err := w.folder(f); err != nil {
			return nil, nil, err
		}
		untracked = append(untracked, w.untracked...)
		ignored = append(ignored, w.ignored...)
	}
	return sortedUnique(untracked), sortedUnique(ignored), nil
}

// folder walks one configured folder. Its ancestors are visited first, as
// git's prep_exclude does, to load their .gitignore files and to notice an
// excluded ancestor (which hides everything below it), a symlinked or
// non-folder ancestor (git does not look through it) or an ancestor that is
// a nested repository (git does not look inside it).
func (w *walker) folder(folder string) error {
	excluded := false
	if folder != "" {
		parts := strings.Split(folder, "/")
		for _, p := range parts {
			if p == ".git" {
				return nil // git never looks inside a .git
			}
		}
		top, err := readGitignore(w.r.Root, "")
		if err != nil {
			return err
		}
		defer w.rules.push(top)()
		for i := 1; i < len(parts); i++ {
			rel := strings.Join(parts[:i], "/")
			abs := filepath.Join(w.r.Root, filepath.FromSlash(rel))
			fi, err := os.Lstat(abs)
			if err != nil || !fi.IsDir() {
				return ignoreMissing(err)
			}
			if w.snap.gitlink(rel) || (!w.snap.hasUnder(rel) && isNestedRepo(abs)) {
				return nil
			}
			if !excluded && w.rules.excluded(rel, true) {
				excluded = true
			}
			if !excluded {
				l, err := readGitignore(abs, rel)
				if err != nil {
					return err
				}
				defer w.rules.push(l)()
			}
		}
		abs := filepath.Join(w.r.Root, filepath.FromSlash(folder))
		fi, err := os.Lstat(abs)
		if err != nil {
			return ignoreMissing(err)
		}
		// The folder itself is one more entry of its parent.
		return w.entry(folder, filepath.Dir(abs), fi.Mode().Type(), excluded)
	}
	return w.dir("", w.r.Root, excluded)
}

// entry handles one directory entry as git's treat_path does; parentAbs
// is the folder holding it (its own path is only built for folders).
func (w *walker) entry(rel, parentAbs string, typ fs.FileMode, parentExcluded bool) error {
	switch {
	case typ.IsRegular() || typ&fs.ModeSymlink != 0:
		if w.snap.tracked(rel) {
			return nil
		}
		w.add(rel, parentExcluded || w.rules.excluded(rel, false))
		return nil
	case typ.IsDir():
		if w.snap.gitlink(rel) {
			return nil // a submodule: tracked as a whole
		}
		excluded := parentExcluded || w.rules.excluded(rel, true)
		abs := filepath.Join(parentAbs, rel[strings.LastIndexByte(rel, '/')+1:])
		if !w.snap.hasUnder(rel) && isNestedRepo(abs) {
			w.add(rel+"/", excluded)
			return nil
		}
		if excluded && !w.wantIgnored {
			return nil // nothing below an ignored folder can be untracked
		}
		return w.dir(rel, abs, excluded)
	}
	return nil // sockets, fifos, devices: git ignores them
}

// dir lists one folder's entries, with its .gitignore in force.
func (w *walker) dir(rel, abs string, excluded bool) error {
	ents, err := readDirUnsorted(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
			return nil // removed while we walked
		}
		return fmt.Errorf("gitops: listing %s: %w", abs, err)
	}
	if w.listings != nil && (rel == w.top || w.top != "" && strings.HasPrefix(rel, w.top+"/")) {
		w.listings[rel] = ents
	}
	if !excluded {
		for _, e := range ents {
			if e.Name() == ".gitignore" {
				l, err := readGitignore(abs, rel)
				if err != nil {
					return err
				}
				defer w.rules.push(l)()
				break
			}
		}
	}
	// The entries of this folder sit in one range of the sorted index: a
	// tracked file (nearly every one of 2,000 migrations) is found there
	// by its name alone, without building its path.
	lo, hi, skip, byName := w.snap.childSpan(rel)
	for _, e := range ents {
		name := e.Name()
		if name == ".git" {
			continue // git never lists an entry named .git
		}
		typ := e.Type()
		if byName && (typ.IsRegular() || typ&fs.ModeSymlink != 0) && w.snap.childTracked(lo, hi, skip, name) {
			continue // what entry does with a tracked file: nothing
		}
		if err := w.entry(joinRel(rel, name), abs, typ, excluded); err != nil {
			return err
		}
	}
	return nil
}

// readDirUnsorted is os.ReadDir without the sort: the answers are sorted
// once at the end.
func readDirUnsorted(abs string) ([]fs.DirEntry, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

func (w *walker) add(rel string, excluded bool) {
	if excluded {
		if w.wantIgnored {
			w.ignored = append(w.ignored, rel)
		}
		return
	}
	w.untracked = append(w.untracked, rel)
}

// isNestedRepo approximates git's is_nonbare_repository_dir: the folder
// holds a `.git` folder that is a repository, or a `gitdir:` file.
func isNestedRepo(abs string) bool {
	dotGit := filepath.Join(abs, ".git")
	fi, err := os.Stat(dotGit)
	if err != nil {
		return false
	}
	if fi.IsDir() {
		return isGitDirectory(dotGit)
	}
	if fi.Mode().IsRegular() {
		_, err := readGitFile(dotGit)
		return err == nil
	}
	return false
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// ignoreMissing turns "does not exist" into an empty answer.
func ignoreMissing(err error) error {
	if err == nil || errors.Is(err, os.ErrNotExist) || isNotDir(err) {
		return nil
	}
	return fmt.Errorf("gitops: %w", err)
}
