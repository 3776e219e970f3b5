package gitops

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// indexSnapshot is one version of the index file: either every entry
// decoded (index v4, core.ignoreCase, or an unsorted index), or the raw
// bytes searched in place (v2/v3, the usual case; see rawIndex).
type indexSnapshot struct {
	stamp   fileStamp
	entries []*index.Entry // sorted by name then stage, as git writes them; nil when raw is set
	raw     *rawIndex
	// For core.ignoreCase: lower-cased entry names and their parent folders.
	lowerNames map[string]bool
	lowerDirs  map[string]bool
}

func (s *indexSnapshot) len() int {
	if s.raw != nil {
		return s.raw.len()
	}
	return len(s.entries)
}

func (s *indexSnapshot) nameAt(i int) string {
	if s.raw != nil {
		return s.raw.nameAt(i)
	}
	return s.entries[i].Name
}

func (s *indexSnapshot) stageAt(i int) index.Stage {
	if s.raw != nil {
		return s.raw.stageAt(i)
	}
	return s.entries[i].Stage
}

func (s *indexSnapshot) modeAt(i int) filemode.FileMode {
	if s.raw != nil {
		return s.raw.modeAt(i)
	}
	return s.entries[i].Mode
}

func (s *indexSnapshot) entryAt(i int) *index.Entry {
	if s.raw != nil {
		return s.raw.entryAt(i)
	}
	return s.entries[i]
}

// fileStamp identifies a version of the index file; git replaces the index
// by renaming a new file over it, so the inode changes on every write.
type fileStamp struct {
	exists    bool
	size      int64
	mtimeNano int64
	ino       uint64
}

func stampOf(fi os.FileInfo) fileStamp {
	st := fileStamp{exists: true, size: fi.Size(), mtimeNano: fi.ModTime().UnixNano()}
	if s, ok := statOf(fi); ok {
		st.ino = s.ino
	}
	return st
}

// index returns the current index, re-reading it only when the file changed
// since the last call (regen lists folders several times per run).
func (r *Repo) index() (*indexSnapshot, error) {
	var want fileStamp
	if fi, err := os.Stat(r.indexPath); err == nil {
		want = stampOf(fi)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.idx != nil && r.idx.stamp == want {
		return r.idx, nil
	}
	snap, err := readIndex(r.indexPath, r.settings.ignoreCase)
	if err != nil {
		return nil, err
	}
	r.idx = snap
	return snap, nil
}

// readIndex decodes the index file. A missing index (nothing was
// ever added) is an empty one.
func readIndex(path string, ignoreCase bool) (*indexSnapshot, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &indexSnapshot{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so the stamp describes exactly the
	// bytes decoded even if git renames a new index over it meanwhile.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	snap := &indexSnapshot{stamp: stampOf(fi)}
	var head [12]byte
	if _, err := f.ReadAt(head[:], 0); err == nil && !ignoreCase {
		if v := indexVersion(head[:]); v == 2 || v == 3 {
			if data, ok := mapFile(f, fi.Size()); ok {
				raw, sorted, err := scanIndex(data, true)
				if err == nil && sorted {
					snap.raw = raw
					return snap, nil
				}
				unmapFile(data) // no view of it was kept; read it below
			}
		}
	}
	// One exact-size read: growing a buffer for a multi-megabyte index
	// costs more than decoding it.
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("gitops: reading %s: %w", path, err)
	}
	if v := indexVersion(data); (v == 2 || v == 3) && !ignoreCase {
		raw, sorted, err := scanIndex(data, false)
		if err != nil {
			return nil, fmt.Errorf("gitops: reading %s: %w", path, err)
		}
		if sorted {
			snap.raw = raw
			return snap, nil
		}
	}
	entries, err := decodeIndex(data)
	if err != nil {
		return nil, fmt.Errorf("gitops: reading %s: %w", path, err)
	}
	snap.entries = entries
	if !sort.SliceIsSorted(snap.entries, func(i, j int) bool { return entryLess(snap.entries[i], snap.entries[j]) }) {
		sort.SliceStable(snap.entries, func(i, j int) bool { return entryLess(snap.entries[i], snap.entries[j]) })
	}
	if ignoreCase {
		snap.lowerNames = make(map[string]bool, len(snap.entries))
		snap.lowerDirs = make(map[string]bool)
		for _, e := range snap.entries {
			n := asciiLower(e.Name)
			snap.lowerNames[n] = true
			for i := strings.LastIndexByte(n, '/'); i > 0; i = strings.LastIndexByte(n[:i], '/') {
				if snap.lowerDirs[n[:i]] {
					break
				}
				snap.lowerDirs[n[:i]] = true
			}
		}
	}
	return snap, nil
}

// indexVersion reads the header's version (0 when there is no header).
func indexVersion(data []byte) uint32 {
	if len(data) < 12 || string(data[:4]) != "DIRC" {
		return 0
	}
	return binary.BigEndian.Uint32(data[4:8])
}

func entryLess(a, b *index.Entry) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Stage < b.Stage
}

// indexFailureReason turns a read error into the fallback reason shown by
// Backend.
func indexFailureReason(err error) string {
	var u *unsupportedIndexError
	if errors.As(err, &u) {
		return u.Error() + ", which go-git cannot read"
	}
	return "cannot decode the index: " + err.Error()
}

// search returns the position of the first entry whose name is >= name.
func (s *indexSnapshot) search(name string) int {
	return sort.Search(s.len(), func(i int) bool { return s.nameAt(i) >= name })
}

// tracked reports whether any entry (any stage) has this path.
func (s *indexSnapshot) tracked(name string) bool {
	if s.lowerNames != nil {
		return s.lowerNames[asciiLower(name)]
	}
	i := s.search(name)
	return i < s.len() && s.nameAt(i) == name
}

// childSpan returns the positions [lo, hi) of the entries inside folder
// dir ("" for the top: all of them) and the length of the prefix they all
// have (dir + "/"), for childTracked; false when names are not looked up
// in the sorted entries (core.ignoreCase).
func (s *indexSnapshot) childSpan(dir string) (lo, hi, skip int, ok bool) {
	if s.lowerNames != nil {
		return 0, 0, 0, false
	}
	if dir == "" {
		return 0, s.len(), 0, true
	}
	// Everything with the prefix sorts before prefix with '/' bumped to '0'.
	return s.search(dir + "/"), s.search(dir + "0"), len(dir) + 1, true
}

// childTracked is tracked(dir + "/" + name) within childSpan(dir): the
// entries there are sorted by what follows the prefix.
func (s *indexSnapshot) childTracked(lo, hi, skip int, name string) bool {
	i := lo + sort.Search(hi-lo, func(k int) bool { return s.nameAt(lo + k)[skip:] >= name })
	return i < hi && s.nameAt(i)[skip:] == name
}

// entry returns the entry of name at stage 0 (merged), or nil.
func (s *indexSnapshot) entry(name string) *index.Entry {
	i := s.search(name)
	if i < s.len() && s.nameAt(i) == name && s.stageAt(i) == stageMerged {
		return s.entryAt(i)
	}
	return nil
}

// gitlink reports whether name is a submodule entry.
func (s *indexSnapshot) gitlink(name string) bool {
	i := s.search(name)
	return i < s.len() && s.nameAt(i) == name && s.modeAt(i) == filemode.Submodule
}

// hasUnder reports whether the index tracks anything inside folder dir,
// which makes git descend into it even when it holds a nested `.git`.
func (s *indexSnapshot) hasUnder(dir string) bool {
	if s.lowerDirs != nil {
		return s.lowerDirs[asciiLower(dir)]
	}
	prefix := dir + "/"
	i := s.search(prefix)
	return i < s.len() && strings.HasPrefix(s.nameAt(i), prefix)
}

// span returns the positions [lo, hi) of the entries at folder or inside
// it ("" is the whole index). Entries at folder itself sort before those
// inside it, but other names (folder+"-x", folder+".y") may come between:
// so two ranges, the first of which is the exact name.
func (s *indexSnapshot) spans(folder string) [][2]int {
	if folder == "" {
		return [][2]int{{0, s.len()}}
	}
	var out [][2]int
	i := s.search(folder)
	j := i
	for j < s.len() && s.nameAt(j) == folder {
		j++
	}
	if j > i {
		out = append(out, [2]int{i, j})
	}
	prefix := folder + "/"
	lo := s.search(prefix)
	// Everything with the prefix sorts before prefix with '/' bumped to '0'.
	hi := s.search(folder + "0")
	if hi > lo {
		out = append(out, [2]int{lo, hi})
	}
	return out
}

// under returns the entries at folder or inside it ("" is the whole index),
// decoding only those.
func (s *indexSnapshot) under(folder string) []*index.Entry {
	if folder == "" && s.raw == nil {
		return s.entries
	}
	var out []*index.Entry
	for _, sp := range s.spans(folder) {
		for i := sp[0]; i < sp[1]; i++ {
			out = append(out, s.entryAt(i))
		}
	}
	return out
}

// namesUnder is under without decoding the entries.
func (s *indexSnapshot) namesUnder(folder string) []string {
	var out []string
	for _, sp := range s.spans(folder) {
		for i := sp[0]; i < sp[1]; i++ {
			out = append(out, s.ownName(i))
		}
	}
	return out
}

// ownName is nameAt for a name that leaves the package's lookups: a copy
// when the index is mapped (see rawIndex).
func (s *indexSnapshot) ownName(i int) string {
	if s.raw != nil {
		return s.raw.ownName(i)
	}
	return s.entries[i].Name
}

// IndexBlob returns the content and file mode the index records for a
// path, to restore a tracked file byte for byte: 0644 or 0755 for regular
// files; os.ModeSymlink|0777 for a symlink, whose data is the link target.
// The content is the blob as stored (no autocrlf/smudge conversion).
func (r *Repo) IndexBlob(path string) (data []byte, mode os.FileMode, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	p, err := cleanRel(path)
	if err != nil {
		return nil, 0, err
	}
	if p == "" {
		return nil, 0, fmt.Errorf("gitops: IndexBlob needs a file path")
	}
	if r.cli != nil {
		return r.cli.indexBlob(p)
	}
	snap, err := r.index()
	if err != nil {
		return nil, 0, err
	}
	e := snap.entry(p)
	if e == nil {
		return nil, 0, fmt.Errorf("gitops: %s: %w", p, ErrNotInIndex)
	}
	mode, err = osMode(e.Mode)
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: %s: %w", p, err)
	}
	blob, err := r.repo.BlobObject(e.Hash)
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: reading blob %s of %s: %w", e.Hash, p, err)
	}
	rd, err := blob.Reader()
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: reading blob %s of %s: %w", e.Hash, p, err)
	}
	defer rd.Close()
	data, err = io.ReadAll(rd)
	if err != nil {
		return nil, 0, fmt.Errorf("gitops: reading blob %s of %s: %w", e.Hash, p, err)
	}
	// The caller restores user files from this: make corruption impossible
	// to miss rather than silently write wrong bytes.
	if got := plumbing.ComputeHash(plumbing.BlobObject, data); got != e.Hash {
		return nil, 0, fmt.Errorf("gitops: blob of %s hashes to %s, index says %s", p, got, e.Hash)
	}
	return data, mode, nil
}

// osMode maps a git file mode to what the caller should create.
func osMode(m filemode.FileMode) (os.FileMode, error) {
	switch m {
	case filemode.Regular, filemode.Deprecated:
		return 0o644, nil
	case filemode.Executable:
		return 0o755, nil
	case filemode.Symlink:
		return os.ModeSymlink | 0o777, nil
	case filemode.Submodule:
		return 0, errors.New("is a submodule, not a file")
	}
	return 0, fmt.Errorf("has unexpected mode %o", uint32(m))
}

// stageMerged is stage 0, a normal entry. go-git's index.Merged constant is
// 1 (the conflict base stage), so it cannot be used for this test.
const stageMerged index.Stage = 0
