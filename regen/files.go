package regen

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// FileSet is an exact inventory of the configured folders: every entry with
// its content hash and mode. It is what "byte for byte" is checked against.
type FileSet struct {
	Folders []string    `json:"folders"` // project-relative folders inventoried
	Dirs    []string    `json:"dirs"`
	Files   []FileEntry `json:"files"`
}

type FileEntry struct {
	Path   string `json:"path"` // project-relative, slash-separated
	SHA256 string `json:"sha256,omitempty"`
	// Blob identifies a file git sees as unmodified by the hash the index
	// records (git's SHA-1 of the content) instead of a sha256 of its
	// bytes: 2,000 clean migrations need not be read. A regular file has
	// exactly one of SHA256 and Blob.
	Blob    string      `json:"blob,omitempty"`
	Mode    fs.FileMode `json:"mode"`
	Size    int64       `json:"size"`
	Symlink string      `json:"symlink,omitempty"` // link target; links are never followed
	Backup  string      `json:"backup,omitempty"`  // copy under the backup folder
	Index   bool        `json:"index,omitempty"`   // restorable from the git index
}

func (s *FileSet) lookup() map[string]*FileEntry {
	m := make(map[string]*FileEntry, len(s.Files))
	for i := range s.Files {
		m[s.Files[i].Path] = &s.Files[i]
	}
	return m
}

// inventory walks the folders below root without following symlinks.
func inventory(root string, folders []string) (FileSet, error) {
	return (*fileHasher)(nil).inventory(root, folders)
}

// fileHasher remembers, within one run, the sha256 of files by their stat
// (size, mtime, ctime, inode): the forward steps inventory the folders
// several times, and 2,000 unchanged migrations need hashing once. The
// compensation never uses it: restoring compares real bytes.
type fileHasher struct {
	mu   sync.Mutex
	sums map[string]statSum
	// clean: absolute path -> the index's blob hash, for files git sees as
	// unmodified at the start of the run; they are identified without
	// being read (see FileEntry.Blob).
	clean map[string]string
}

// blobPrefix marks an identity taken from the index rather than read.
const blobPrefix = "blob:"

// trustIndex records the files git reports unmodified, with their blob
// hashes, for the inventories of this run.
func (h *fileHasher) trustIndex(clean map[string]string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.clean = clean
	if h.sums == nil {
		h.sums = make(map[string]statSum, len(clean)) // each is remembered at first sight
	}
	h.mu.Unlock()
}

type statSum struct {
	size, mtime, ctime int64
	ino                uint64
	sum                string
}

func (h *fileHasher) sha256(p string, info fs.FileInfo) (string, error) {
	if sum, ok := h.withoutReading(p, info); ok {
		return sum, nil
	}
	sum, err := sha256File(p)
	if err != nil {
		return "", err
	}
	h.remember(p, info, sum)
	return sum, nil
}

// withoutReading is the file's identity when no read is needed: its stat
// is the one it was hashed with in this run, or git vouches for it and
// this is its first sight (recorded then).
func (h *fileHasher) withoutReading(p string, info fs.FileInfo) (string, bool) {
	ctime, ino, ok := changeStamp(info)
	if h == nil || !ok {
		return "", false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cached, hit := h.sums[p]
	if hit && cached.size == info.Size() && cached.mtime == info.ModTime().UnixNano() && cached.ctime == ctime && cached.ino == ino {
		return cached.sum, true
	}
	blob, isClean := h.clean[p]
	if !isClean || hit {
		return "", false
	}
	sum := blobPrefix + blob
	h.rememberLocked(p, info, sum)
	return sum, true
}

func (h *fileHasher) remember(p string, info fs.FileInfo, sum string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rememberLocked(p, info, sum)
}

func (h *fileHasher) rememberLocked(p string, info fs.FileInfo, sum string) {
	ctime, ino, ok := changeStamp(info)
	if !ok {
		return
	}
	if h.sums == nil {
		h.sums = map[string]statSum{}
	}
	h.sums[p] = statSum{size: info.Size(), mtime: info.ModTime().UnixNano(), ctime: ctime, ino: ino, sum: sum}
}

func (h *fileHasher) inventory(root string, folders []string) (FileSet, error) {
	return h.inventoryStat(root, folders, nil)
}

// knownFS is what a scan taken moments ago already read (the backup's git
// scan lists every folder and stats every tracked file), by project path;
// ok false where it has nothing. nil: everything is read here.
type knownFS struct {
	lstat   func(rel string) (fs.FileInfo, bool)
	listing func(rel string) ([]fs.DirEntry, bool)
}

func (k *knownFS) statOf(rel string) (fs.FileInfo, bool) {
	if k == nil || k.lstat == nil {
		return nil, false
	}
	return k.lstat(rel)
}

// entries lists a folder: as the scan read it, else now.
func (k *knownFS) entries(rel, abs string) ([]fs.DirEntry, error) {
	if k != nil && k.listing != nil {
		if ents, ok := k.listing(rel); ok {
			return ents, nil
		}
	}
	return os.ReadDir(abs)
}

// inventoryStat is inventory with what known already read taken from it.
func (h *fileHasher) inventoryStat(root string, folders []string, known *knownFS) (FileSet, error) {
	set := FileSet{Folders: folders}
	// A path under two of the folders (one inside the other) is listed
	// once; disjoint folders (the usual case) need no set of 2,000 names.
	var seen map[string]bool
	if foldersNest(folders) {
		seen = map[string]bool{}
	}
	first := func(rel string) bool {
		if seen == nil {
			return true
		}
		if seen[rel] {
			return false
		}
		seen[rel] = true
		return true
	}
	var regular []int // indexes into set.Files: stat and hash happen below
	// walk records a folder's entries and walks its folders; links are
	// never followed.
	var walk func(rel, abs string) error
	walk = func(rel, abs string) error {
		ents, err := known.entries(rel, abs)
		if err != nil {
			return err
		}
		for _, d := range ents {
			crel, cabs := rel+"/"+d.Name(), filepath.Join(abs, d.Name())
			if !first(crel) {
				continue
			}
			switch t := d.Type(); {
			case t.IsRegular():
				regular = append(regular, len(set.Files))
				set.Files = append(set.Files, FileEntry{Path: crel})
			case t.IsDir():
				set.Dirs = append(set.Dirs, crel)
				if err := walk(crel, cabs); err != nil {
					return err
				}
			case t&fs.ModeSymlink != 0:
				info, err := os.Lstat(cabs)
				if err != nil {
					return err
				}
				if info.Mode()&fs.ModeSymlink == 0 {
					return fmt.Errorf("%s changed while being read", crel)
				}
				target, err := os.Readlink(cabs)
				if err != nil {
					return err
				}
				set.Files = append(set.Files, FileEntry{Path: crel, Mode: info.Mode(), Symlink: target})
			default:
				info, err := os.Lstat(cabs)
				if err != nil {
					return err
				}
				// Sockets, fifos: recorded so they are never treated as new, never touched.
				set.Files = append(set.Files, FileEntry{Path: crel, Mode: info.Mode()})
			}
		}
		return nil
	}
	for _, folder := range folders {
		base := filepath.Join(root, filepath.FromSlash(folder))
		fi, err := os.Lstat(base)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return set, err
		}
		if !fi.IsDir() {
			return set, fmt.Errorf("%s is not a folder", folder)
		}
		rel := cleanProjectPath(root, base, folder)
		if !first(rel) {
			continue
		}
		set.Dirs = append(set.Dirs, rel)
		if err := walk(rel, base); err != nil {
			return set, err
		}
	}
	if err := h.hashAll(root, set.Files, regular, known); err != nil {
		return set, err
	}
	sort.Strings(set.Dirs)
	byPath := func(a, b FileEntry) int { return strings.Compare(a.Path, b.Path) }
	if !slices.IsSortedFunc(set.Files, byPath) {
		slices.SortFunc(set.Files, byPath)
	}
	return set, nil
}

// cleanProjectPath is the project-relative slash path of the folder at
// base: the folder as configured when it is clean, else filepath.Rel's.
func cleanProjectPath(root, base, folder string) string {
	if c := path.Clean(folder); c == folder && c != "." && !path.IsAbs(c) && c != ".." && !strings.HasPrefix(c, "../") {
		return c
	}
	rel, _ := filepath.Rel(root, base)
	return filepath.ToSlash(rel)
}

// foldersNest: one of folders is another or inside it.
func foldersNest(folders []string) bool {
	for i, a := range folders {
		for _, b := range folders[i+1:] {
			a, b := path.Clean(a), path.Clean(b)
			if a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/") || a == "." || b == "." {
				return true
			}
		}
	}
	return false
}

// hashAll fills the identity (SHA256, or the index's Blob), mode and size
// of the regular files at the indexes regular. A file whose stat is known
// and that needs no read is done here; the rest (a stat, maybe a read
// and a hash each: 2,000 migrations are 2,000 opens) on every core.
func (h *fileHasher) hashAll(root string, files []FileEntry, regular []int, known *knownFS) error {
	fill := func(i int, info fs.FileInfo, sum string) {
		files[i].Mode, files[i].Size = info.Mode().Perm(), info.Size()
		if blob, ok := strings.CutPrefix(sum, blobPrefix); ok {
			files[i].Blob = blob
		} else {
			files[i].SHA256 = sum
		}
	}
	statOf := func(i int, p string) (fs.FileInfo, error) {
		info, ok := known.statOf(files[i].Path)
		if !ok {
			var err error
			if info, err = os.Lstat(p); err != nil {
				return nil, err
			}
		}
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("%s changed while being read", files[i].Path)
		}
		return info, nil
	}
	var slow []int
	for _, i := range regular {
		if _, ok := known.statOf(files[i].Path); ok {
			p := filepath.Join(root, filepath.FromSlash(files[i].Path))
			info, err := statOf(i, p)
			if err != nil {
				return err
			}
			if sum, ok := h.withoutReading(p, info); ok {
				fill(i, info, sum)
				continue
			}
		}
		slow = append(slow, i)
	}
	var next atomic.Int64
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.NumCPU(), len(slow)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := next.Add(1) - 1; n < int64(len(slow)); n = next.Add(1) - 1 {
				i := int(slow[n])
				p := filepath.Join(root, filepath.FromSlash(files[i].Path))
				info, err := statOf(i, p)
				var sum string
				if err == nil {
					sum, err = h.sha256(p, info)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				fill(i, info, sum)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// diffSets lists what differs between a wanted state and the present one.
func diffSets(root string, want, have FileSet) []string {
	var out []string
	hm := have.lookup()
	for _, w := range want.Files {
		h, ok := hm[w.Path]
		switch {
		case !ok:
			out = append(out, "missing "+w.Path)
		case !sameEntry(root, w, *h):
			out = append(out, "changed "+w.Path)
		}
		delete(hm, w.Path)
	}
	var extra []string
	for p := range hm {
		extra = append(extra, "unexpected "+p)
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// indexSource reads a tracked file's content as the git index records it.
type indexSource func(path string) ([]byte, os.FileMode, error)

// restoreFiles makes the folders equal to want. Files that are not in want
// are moved into quarantine (never deleted: they may be someone's work);
// missing or changed files come back from the backup copy, or from the git
// index, each checked against the recorded sha256 before it is written.
func restoreFiles(root string, want FileSet, backupDir, quarantine string, fromIndex indexSource) []string {
	var problems []string
	have, err := inventory(root, want.Folders)
	if err != nil {
		return []string{fmt.Sprintf("cannot read the folders: %v", err)}
	}
	wm := want.lookup()
	for _, h := range have.Files {
		if _, ok := wm[h.Path]; ok {
			continue
		}
		if err := moveAside(root, h.Path, quarantine); err != nil {
			problems = append(problems, fmt.Sprintf("cannot move the new file %s aside: %v", h.Path, err))
		}
	}
	hm := have.lookup()
	for _, w := range want.Files {
		h, ok := hm[w.Path]
		if ok && sameEntry(root, w, *h) {
			continue
		}
		if err := restoreOne(root, w, backupDir, fromIndex); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", w.Path, err))
		}
	}
	// Folders codegen created and that are now empty go; folders that were
	// there come back.
	wantDirs := map[string]bool{}
	for _, d := range want.Dirs {
		wantDirs[d] = true
		os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755)
	}
	after, _ := inventory(root, want.Folders)
	for i := len(after.Dirs) - 1; i >= 0; i-- {
		d := after.Dirs[i]
		if !wantDirs[d] {
			os.Remove(filepath.Join(root, filepath.FromSlash(d))) // only succeeds when empty
		}
	}
	return problems
}

func restoreOne(root string, w FileEntry, backupDir string, fromIndex indexSource) error {
	dst := filepath.Join(root, filepath.FromSlash(w.Path))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if w.Symlink != "" {
		os.Remove(dst)
		return os.Symlink(w.Symlink, dst)
	}
	if !w.Mode.IsRegular() {
		return fmt.Errorf("special file changed; it is not restored")
	}
	if w.Backup != "" {
		src := filepath.Join(backupDir, filepath.FromSlash(w.Backup))
		data, err := os.ReadFile(src)
		if err == nil && sha256Bytes(data) == w.SHA256 {
			return replaceFile(dst, data, w.Mode)
		}
		if err == nil {
			err = fmt.Errorf("the backup copy %s does not match its recorded sha256", src)
		}
		if !w.Index {
			return err
		}
	}
	if w.Index && fromIndex != nil {
		data, _, err := fromIndex(w.Path)
		if err != nil {
			return fmt.Errorf("cannot read it from the git index: %w", err)
		}
		if !contentMatches(w, data) {
			return fmt.Errorf("the git index no longer holds the recorded content")
		}
		return replaceFile(dst, data, w.Mode)
	}
	return fmt.Errorf("no backup copy was recorded")
}

// replaceFile writes data over dst atomically; if dst became a folder or a
// symlink in the meantime, that is moved away by the caller's quarantine.
func replaceFile(dst string, data []byte, mode fs.FileMode) error {
	if fi, err := os.Lstat(dst); err == nil && !fi.Mode().IsRegular() {
		if err := os.Remove(dst); err != nil {
			return err
		}
	}
	return writeFileAtomic(dst, data, mode)
}

// moveAside moves a file into the quarantine folder, keeping its relative
// path. A symlink is moved as a link; its target is never touched.
func moveAside(root, rel, quarantine string) error {
	src := filepath.Join(root, filepath.FromSlash(rel))
	dst := filepath.Join(quarantine, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if exists(dst) {
		dst += ".1"
	}
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
		return os.Remove(src)
	}
	if _, err := copyFileAtomic(src, dst, fi.Mode().Perm()); err != nil {
		return err
	}
	return os.Remove(src)
}

// under tells whether p is inside folder (both slash-separated).
func under(p, folder string) bool {
	return p == folder || strings.HasPrefix(p, folder+"/")
}

// isRegular: only regular files are ever counted or removed; a symlink named
// like a migration is a stray, and its target is never touched.
func isRegular(root, rel string) bool {
	fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(rel)))
	return err == nil && fi.Mode().IsRegular()
}

// sameEntry tells whether the file have (found under root) is the file
// want recorded: same kind, mode and link target, and the same content. The
// two may identify content differently (sha256 or the index's blob hash);
// then the file is read and hashed the way want needs.
func sameEntry(root string, want, have FileEntry) bool {
	if want.Symlink != have.Symlink || want.Mode != have.Mode {
		return false
	}
	if !want.Mode.IsRegular() {
		return true
	}
	switch {
	case want.SHA256 != "" && have.SHA256 != "":
		return want.SHA256 == have.SHA256
	case want.Blob != "" && have.Blob != "":
		return want.Blob == have.Blob
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(want.Path)))
	return err == nil && contentMatches(want, data)
}

// contentMatches checks bytes against the recorded identity.
func contentMatches(want FileEntry, data []byte) bool {
	if want.Blob != "" {
		return gitBlobHash(data) == want.Blob
	}
	return want.SHA256 != "" && sha256Bytes(data) == want.SHA256
}

// gitBlobHash is git's object id of a blob: SHA-1 of "blob <len>\0" and the
// content.
func gitBlobHash(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// listFiles lists the non-folder entries under the folders by name only
// (no stat, no hash, links not followed), sorted.
func listFiles(root string, folders []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, folder := range folders {
		base := filepath.Join(root, filepath.FromSlash(folder))
		if fi, err := os.Lstat(base); err != nil || !fi.IsDir() {
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			continue
		}
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
