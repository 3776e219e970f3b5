package gitops

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"unsafe"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// rawIndex is a version 2 or 3 index kept as the file's bytes. regen asks
// about a few folders of what may be a 100,000-entry index: decoding every
// entry costs more than a whole `git ls-files` run, so only the entry
// boundaries are found (one pass over the flags) and the entries under the
// requested folders are decoded when asked for. The index is sorted by
// path, so lookups are binary searches over the raw names. (Version 4
// compresses each name against the previous one, so it cannot be searched
// without decoding everything: decodeIndex serves it.)
//
// When the file is mapped (mapFile), names seen through nameAt point into
// the mapping: they are only compared, never kept. Everything that leaves
// a lookup (entryAt, ownName) is copied, and every exported method that
// reads the mapping runs under guardMapped, so a file truncated in place
// while mapped (git never does this, it renames a new index over the old
// one, but go-git's index writer truncates) gives an error, not a crash.
type rawIndex struct {
	data   []byte
	names  string   // data viewed as a string: names are substrings of it
	offs   []uint32 // where each entry starts in data
	mapped bool     // data is a file mapping, not heap memory
	tree   []byte   // the cache-tree extension's data, nil when none (cachetree.go)
}

// scanIndex checks the structure of a version 2/3 index (taking ownership
// of data, which is a file mapping when mapped is set) and records where each entry starts. sorted is false when the
// names are out of order, which git never writes: the caller then decodes
// and sorts everything.
//
// The SHA-1 trailer is not checked, as git does not check it when it reads
// the index (only `git fsck` does, since git 2.13): hashing a 10 MB index
// costs more than all the rest of `regen status`. Git writes the index to
// a lock file and renames it, so a torn index cannot be read; the
// structure is still checked (entry count, every bound, the extensions
// ending exactly at the trailer).
func scanIndex(data []byte, mapped bool) (x *rawIndex, sorted bool, err error) {
	const hashLen = sha1.Size
	if len(data) < 12+hashLen || string(data[:4]) != "DIRC" {
		return nil, false, errors.New("not an index file (bad signature)")
	}
	if len(data) > 1<<32-1 {
		return nil, false, errors.New("index file too large")
	}
	version := binary.BigEndian.Uint32(data[4:8])
	if version != 2 && version != 3 {
		return nil, false, fmt.Errorf("scanIndex: index version %d", version)
	}
	body := data[:len(data)-hashLen]
	count := int(binary.BigEndian.Uint32(data[8:12]))
	if count > len(body)/62 {
		return nil, false, fmt.Errorf("index claims %d entries in %d bytes", count, len(body))
	}
	x = &rawIndex{data: data, names: unsafe.String(&data[0], len(data)), offs: make([]uint32, count), mapped: mapped}
	sorted = true
	pos := 12
	prev := ""
	for i := 0; i < count; i++ {
		start := pos
		if pos+62 > len(body) {
			return nil, false, errors.New("index truncated in an entry")
		}
		flags := binary.BigEndian.Uint16(body[pos+60 : pos+62])
		pos += 62
		if flags&0x4000 != 0 {
			if version < 3 || pos+2 > len(body) {
				return nil, false, errors.New("index entry has extended flags it cannot have")
			}
			pos += 2
		}
		nameLen := int(flags & 0xfff)
		if nameLen == 0xfff { // longer names: NUL-terminated
			nameLen = bytes.IndexByte(body[pos:], 0)
			if nameLen < 0 {
				return nil, false, errors.New("index truncated in a name")
			}
		}
		if pos+nameLen > len(body) {
			return nil, false, errors.New("index truncated in a name")
		}
		name := x.names[pos : pos+nameLen]
		if name < prev {
			sorted = false
		}
		prev = name
		x.offs[i] = uint32(start)
		// Entries are NUL-padded to a multiple of 8 bytes (1 to 8 NULs).
		pos = start + (pos-start+nameLen+8)&^7
	}
	if err := checkExtensions(body, pos); err != nil {
		return nil, false, err
	}
	x.tree = findExtension(body, pos, "TREE")
	return x, sorted, nil
}

func (x *rawIndex) len() int { return len(x.offs) }

// nameAt returns entry i's path without copying it.
func (x *rawIndex) nameAt(i int) string {
	off := int(x.offs[i])
	flags := binary.BigEndian.Uint16(x.data[off+60 : off+62])
	p := off + 62
	if flags&0x4000 != 0 {
		p += 2
	}
	n := int(flags & 0xfff)
	if n == 0xfff {
		n = bytes.IndexByte(x.data[p:], 0) // found by scanIndex
	}
	return x.names[p : p+n]
}

func (x *rawIndex) stageAt(i int) index.Stage {
	off := int(x.offs[i])
	return index.Stage(binary.BigEndian.Uint16(x.data[off+60:off+62])>>12) & 3
}

func (x *rawIndex) modeAt(i int) filemode.FileMode {
	off := int(x.offs[i])
	return filemode.FileMode(binary.BigEndian.Uint32(x.data[off+24 : off+28]))
}

// entryAt decodes entry i as decodeIndex would.
func (x *rawIndex) entryAt(i int) *index.Entry {
	off := int(x.offs[i])
	e := &index.Entry{}
	if flags := decodeStat(e, x.data[off:off+62]); flags&0x4000 != 0 {
		decodeExtFlags(e, x.data[off+62:off+64])
	}
	e.Name = x.ownName(i)
	return e
}

// ownName is nameAt as a string that stays valid: a copy when mapped.
func (x *rawIndex) ownName(i int) string {
	if x.mapped {
		return strings.Clone(x.nameAt(i))
	}
	return x.nameAt(i)
}

// guardMapped, deferred as `defer guardMapped(debug.SetPanicOnFault(true),
// &err)` by the exported methods that read the index, turns a fault on the
// mapped index into an error.
func guardMapped(old bool, err *error) {
	debug.SetPanicOnFault(old)
	p := recover()
	if p == nil {
		return
	}
	if f, ok := p.(interface{ Addr() uintptr }); ok {
		*err = fmt.Errorf("gitops: the index file was rewritten in place while it was read (fault at %#x); run again", f.Addr())
		return
	}
	panic(p)
}
