package gitops

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// The index's cache-tree extension (TREE) records, for each folder whose
// entries have not changed since git last wrote trees from the index, the
// tree object those entries make. Git invalidates a folder's record (and
// every ancestor's) whenever an entry under it changes, and uses a valid
// record itself instead of comparing the entries (`git commit`, `git
// diff-index --cached`). Equal to HEAD's tree of the same folder, it says
// that no entry under the folder differs from HEAD: nothing is staged
// there, and StagedNew need not list HEAD's files to know it.
//
// The extension is a pre-order list of nodes: a NUL-terminated path
// component ("" for the top), the number of index entries it covers (-1
// when invalid), a space, the number of subtrees, a newline and, when
// valid, the 20-byte tree name.

// cacheTree is the TREE extension's data (nil when the index has none, or
// is not searched in place: a decoded index keeps no extension).
func (s *indexSnapshot) cacheTree() []byte {
	if s.raw == nil {
		return nil
	}
	return s.raw.tree
}

// cacheTreeOf returns the tree the index's entries under folder ("" for
// the whole index) make, when the cache tree has a valid record of it.
func cacheTreeOf(tree []byte, folder string) (plumbing.Hash, bool) {
	if len(tree) == 0 {
		return plumbing.ZeroHash, false
	}
	var parts []string
	if folder != "" {
		parts = strings.Split(folder, "/")
	}
	pos := 0
	n, ok := readCacheTreeNode(tree, pos)
	if !ok || n.name != "" {
		return plumbing.ZeroHash, false
	}
	for _, want := range parts {
		pos = n.next
		found := false
		for i := 0; i < n.subtrees; i++ {
			child, ok := readCacheTreeNode(tree, pos)
			if !ok {
				return plumbing.ZeroHash, false
			}
			if child.name == want {
				n, found = child, true
				break
			}
			if pos, ok = skipCacheTree(tree, pos, 0); !ok {
				return plumbing.ZeroHash, false
			}
		}
		if !found {
			return plumbing.ZeroHash, false
		}
	}
	if n.count < 0 {
		return plumbing.ZeroHash, false
	}
	return n.hash, true
}

type cacheTreeNode struct {
	name     string
	count    int // entries covered; -1: invalid
	subtrees int
	hash     plumbing.Hash // when count >= 0
	next     int           // where its first subtree (or the next node) starts
}

func readCacheTreeNode(tree []byte, pos int) (cacheTreeNode, bool) {
	var n cacheTreeNode
	end := bytes.IndexByte(tree[pos:], 0)
	if end < 0 {
		return n, false
	}
	n.name = string(tree[pos : pos+end])
	pos += end + 1
	nl := bytes.IndexByte(tree[pos:], '\n')
	if nl < 0 {
		return n, false
	}
	count, subs, found := strings.Cut(string(tree[pos:pos+nl]), " ")
	if !found {
		return n, false
	}
	var err1, err2 error
	n.count, err1 = strconv.Atoi(count)
	n.subtrees, err2 = strconv.Atoi(subs)
	if err1 != nil || err2 != nil || n.count < -1 || n.subtrees < 0 {
		return n, false
	}
	pos += nl + 1
	if n.count >= 0 {
		if pos+len(n.hash) > len(tree) {
			return n, false
		}
		copy(n.hash[:], tree[pos:pos+len(n.hash)])
		pos += len(n.hash)
	}
	n.next = pos
	return n, true
}

// skipCacheTree returns where the node at pos and all its subtrees end.
func skipCacheTree(tree []byte, pos, depth int) (int, bool) {
	if depth > 4096 {
		return 0, false // deeper than any path git can hold: not a cache tree
	}
	n, ok := readCacheTreeNode(tree, pos)
	if !ok {
		return 0, false
	}
	pos = n.next
	for i := 0; i < n.subtrees; i++ {
		if pos, ok = skipCacheTree(tree, pos, depth+1); !ok {
			return 0, false
		}
	}
	return pos, true
}
