package gitops

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/regen-tool/regen/migrator/fsatomic"
)

// HEAD's entries under a set of folders, kept under the git directory
// keyed by the commit: commits never change, so the listing of one is
// always right, and reading it back spares go-git's pack index of the
// whole repository (on 100,000 files, most of `regen status`'s CPU). A
// missing, damaged or other commit's file is read from the objects again.

// The file: a header naming the commit and the folders, the tree object
// of each folder ("trees", the zero hash where HEAD has no such folder),
// one line per entry, and "end" (a torn file has none).
const headCacheFormat = "regen head-entries v2"

// headCacheFile is one file per folder set, so that callers asking for
// different folders do not evict each other.
func (r *Repo) headCacheFile(folders []string) string {
	id := sha256.Sum256([]byte(strings.Join(folders, "\x00")))
	return filepath.Join(r.GitDir, "regen", "head-"+hex.EncodeToString(id[:8]))
}

// headEntries fills into with HEAD's blobs, symlinks and submodules under
// the folders.
func (r *Repo) headEntries(commit plumbing.Hash, folders []string) (map[string]treeEntry, error) {
	file := r.headCacheFile(folders)
	if got, ok := readHeadCache(file, commit, folders); ok {
		return got, nil
	}
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		return nil, fmt.Errorf("gitops: reading HEAD commit: %w", err)
	}
	root, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("gitops: reading HEAD tree: %w", err)
	}
	into := map[string]treeEntry{}
	trees := make([]plumbing.Hash, len(folders))
	for i, f := range folders {
		if trees[i], err = r.collectTree(root, f, into); err != nil {
			return nil, err
		}
	}
	writeHeadCache(file, commit, folders, trees, into) // best effort: the next call reads the objects
	return into, nil
}

// headCacheBody returns the file's entry lines and the folders' trees, or
// false when the file is not a whole one for this commit and folder set.
func headCacheBody(data []byte, commit plumbing.Hash, folders []string) (body []byte, trees []plumbing.Hash, ok bool) {
	header := fmt.Sprintf("%s %s %q\n", headCacheFormat, commit, folders)
	if !bytes.HasPrefix(data, []byte(header)) || !bytes.HasSuffix(data, []byte("end\n")) {
		return nil, nil, false
	}
	body = data[len(header) : len(data)-len("end\n")]
	line, body, found := bytes.Cut(body, []byte("\n"))
	f := strings.Fields(string(line))
	if !found || len(f) != len(folders)+1 || f[0] != "trees" {
		return nil, nil, false
	}
	trees = make([]plumbing.Hash, len(folders))
	for i, h := range f[1:] {
		if len(h) != 2*len(trees[i]) {
			return nil, nil, false
		}
		if _, err := hex.Decode(trees[i][:], []byte(h)); err != nil {
			return nil, nil, false
		}
	}
	return body, trees, true
}

// readHeadTrees returns the tree object of each folder at commit, as kept
// with the listing (false: no whole file for them).
// Only the header and the trees line are read, and the last bytes ("end"):
// not the 2,000 entries.
func readHeadTrees(file string, commit plumbing.Hash, folders []string) ([]plumbing.Hash, bool) {
	f, err := os.Open(file)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
	head := make([]byte, min(fi.Size(), int64(4096+len(folders)*(2*len(plumbing.ZeroHash)+1))))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, false
	}
	var tail [len("end\n")]byte
	if _, err := f.ReadAt(tail[:], fi.Size()-int64(len(tail))); err != nil {
		return nil, false
	}
	// The entries the header and trees line are followed by are not read:
	// cut after the trees line, and end it as a whole file would.
	header := fmt.Sprintf("%s %s %q\n", headCacheFormat, commit, folders)
	if !bytes.HasPrefix(head, []byte(header)) {
		return nil, false
	}
	nl := bytes.IndexByte(head[len(header):], '\n')
	if nl < 0 {
		return nil, false
	}
	_, trees, ok := headCacheBody(append(head[:len(header)+nl+1:len(header)+nl+1], tail[:]...), commit, folders)
	return trees, ok
}

// readHeadCache returns the listing kept for commit, or false when there
// is none to trust.
func readHeadCache(file string, commit plumbing.Hash, folders []string) (map[string]treeEntry, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	body, _, ok := headCacheBody(data, commit, folders)
	if !ok {
		return nil, false
	}
	// Sized once: growing a map of 2,000 entries was half the read.
	got := make(map[string]treeEntry, bytes.Count(body, []byte("\n")))
	for len(body) > 0 {
		var line []byte
		line, body, _ = bytes.Cut(body, []byte("\n"))
		p, e, ok := parseHeadCacheLine(line)
		if !ok {
			return nil, false
		}
		got[p] = e
	}
	return got, true
}

// parseHeadCacheLine reads `<octal mode> <40 hex> <quoted path>`, as
// writeHeadCache writes it, without a string per field.
func parseHeadCacheLine(line []byte) (string, treeEntry, bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 1 || sp > 11 || len(line) < sp+1+40+1+2 || line[sp+1+40] != ' ' {
		return "", treeEntry{}, false
	}
	var mode uint64
	for _, c := range line[:sp] {
		if c < '0' || c > '7' {
			return "", treeEntry{}, false
		}
		mode = mode<<3 | uint64(c-'0')
	}
	if mode > 1<<32-1 {
		return "", treeEntry{}, false
	}
	var e treeEntry
	if _, err := hex.Decode(e.hash[:], line[sp+1:sp+1+40]); err != nil {
		return "", treeEntry{}, false
	}
	e.mode = filemode.FileMode(mode)
	p, ok := unquotePath(line[sp+1+40+1:])
	if !ok || p == "" {
		return "", treeEntry{}, false
	}
	return p, e, true
}

// unquotePath is strconv.Unquote, with a shortcut for what nearly every
// path is: printable ASCII with nothing to unescape.
func unquotePath(q []byte) (string, bool) {
	if len(q) >= 2 && q[0] == '"' && q[len(q)-1] == '"' {
		plain := true
		for _, c := range q[1 : len(q)-1] {
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				plain = false
				break
			}
		}
		if plain {
			return string(q[1 : len(q)-1]), true
		}
	}
	p, err := strconv.Unquote(string(q))
	return p, err == nil
}

func writeHeadCache(file string, commit plumbing.Hash, folders []string, trees []plumbing.Hash, entries map[string]treeEntry) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s %q\ntrees", headCacheFormat, commit, folders)
	for _, t := range trees {
		b.WriteString(" " + t.String())
	}
	b.WriteString("\n")
	for p, e := range entries {
		fmt.Fprintf(&b, "%o %s %q\n", uint32(e.mode), e.hash, p)
	}
	b.WriteString("end\n")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return
	}
	_ = fsatomic.WriteFile(file, b.Bytes(), 0o600)
}
