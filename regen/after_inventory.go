package regen

import (
	"path/filepath"
	"slices"
	"strings"
)

// The commit records the folders as the run leaves them (undo compares
// against it): 2,000 migrations are a walk and 2,000 stats. Once no step
// left can change a file in the folders (the rest only touch databases:
// Step.KeepsFiles), that inventory is taken in the background while those
// steps run, and the commit (or verify, which needs the migration files'
// names) waits for it. A file someone else changes meanwhile is one undo
// reports, exactly as a change just after the commit would be.

// pendingInventory is an inventory being taken.
type pendingInventory struct {
	done chan struct{}
	set  FileSet
	err  error
}

func (p *pendingInventory) wait() (FileSet, error) {
	<-p.done
	return p.set, p.err
}

// filesSettled: none of steps changes a file in the folders.
func filesSettled(steps []Step) bool {
	for _, s := range steps {
		if !s.KeepsFiles {
			return false
		}
	}
	return true
}

// startAfterInventory starts the commit's inventory when the steps left
// change no file: not when a SQLite database (or its -wal, -journal) lives
// in a folder inventoried, since keep_data writes it.
func (t *txn) startAfterInventory(rest []Step) {
	if t.after != nil || t.j == nil || !filesSettled(rest) || t.databaseInFolders() {
		return
	}
	p := &pendingInventory{done: make(chan struct{})}
	root, folders := t.j.Root, t.j.Files.Folders
	go func() {
		defer close(p.done)
		p.set, p.err = t.e.hashes.inventory(root, folders)
	}()
	t.after = p
}

// awaitAfterInventory lets a background inventory finish (before the
// compensation puts files back; it only reads them).
func (t *txn) awaitAfterInventory() {
	if t.after != nil {
		t.after.wait()
	}
}

// afterInventory is the commit's inventory: the one taken in the
// background, else taken now.
func (t *txn) afterInventory(root string, folders []string) (FileSet, error) {
	if t.after != nil && filepath.Clean(root) == filepath.Clean(t.j.Root) && slices.Equal(folders, t.j.Files.Folders) {
		return t.after.wait()
	}
	return t.e.hashes.inventory(root, folders)
}

// migrationNames are the project-relative paths of the entries under
// folder as the run leaves it: from the background inventory when there is
// one, else listed now.
func (t *txn) migrationNames(folder string) ([]string, error) {
	if t.after != nil {
		if set, err := t.after.wait(); err == nil && covers(set.Folders, folder) {
			var out []string
			prefix := folder + "/"
			for _, f := range set.Files {
				if strings.HasPrefix(f.Path, prefix) {
					out = append(out, f.Path)
				}
			}
			return out, nil
		}
	}
	return listFiles(t.root, []string{folder})
}

// covers: folder is one of folders or inside one.
func covers(folders []string, folder string) bool {
	for _, f := range folders {
		if folder == f || strings.HasPrefix(folder, f+"/") {
			return true
		}
	}
	return false
}

// databaseInFolders: a repo's SQLite database file (or one beside it that
// SQLite writes) is inside an inventoried folder.
func (t *txn) databaseInFolders() bool {
	for _, r := range t.j.Repos {
		if r.Kind != KindSQLite || r.Database == "" {
			continue
		}
		db := r.Database
		if !filepath.IsAbs(db) {
			db = filepath.Join(t.j.Root, db)
		}
		for _, f := range t.j.Files.Folders {
			dir := filepath.Join(t.j.Root, filepath.FromSlash(f))
			if rel, err := filepath.Rel(dir, filepath.Clean(db)); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return true
			}
		}
	}
	return false
}
