package gitops

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// decodeIndex parses an index file (taking ownership of data) (versions 2, 3 and 4) into go-git's
// index.Entry values.
//
// go-git's index.Decoder gives the same entries (a test checks this on
// every kind of index the tests create) but spends ~20 ms on a
// 20,000-entry index (a reflective binary.Read per field and one
// allocation per entry), more than twice what a whole
// `git ls-files --others` takes; regen reads the index on every run. This
// parser slices names out of one string and allocates the entries at once.
//
// Required extensions it cannot honour (split index `link`, sparse index
// `sdir`, or any unknown lowercase one) yield an *unsupportedIndexError, so
// that Open switches to the git CLI.
func decodeIndex(data []byte) ([]*index.Entry, error) {
	const hashLen = sha1.Size
	if len(data) < 12+hashLen || string(data[:4]) != "DIRC" {
		return nil, errors.New("not an index file (bad signature)")
	}
	version := binary.BigEndian.Uint32(data[4:8])
	if version < 2 || version > 4 {
		return nil, fmt.Errorf("index version %d is not supported", version)
	}
	body := data[:len(data)-hashLen]
	// A zero trailer means index.skipHash=true: git does not check it either.
	if sum := data[len(data)-hashLen:]; !bytes.Equal(sum, make([]byte, hashLen)) {
		if got := sha1.Sum(body); !bytes.Equal(got[:], sum) {
			return nil, errors.New("index checksum mismatch")
		}
	}
	count := int(binary.BigEndian.Uint32(data[8:12]))
	if count > len(body)/62 {
		return nil, fmt.Errorf("index claims %d entries in %d bytes", count, len(body))
	}
	// Entry names are substrings of the file contents. data is never
	// written after this point (decodeIndex owns it), so viewing it as a
	// string without a copy is sound and saves one large allocation.
	names := unsafe.String(&body[0], len(body))
	entries := make([]index.Entry, count)
	out := make([]*index.Entry, count)
	pos := 12
	prev := ""
	for i := 0; i < count; i++ {
		start := pos
		if pos+62 > len(body) {
			return nil, errors.New("index truncated in an entry")
		}
		e := &entries[i]
		flags := decodeStat(e, body[pos:pos+62])
		pos += 62
		if flags&0x4000 != 0 {
			if version < 3 || pos+2 > len(body) {
				return nil, errors.New("index entry has extended flags it cannot have")
			}
			decodeExtFlags(e, body[pos:pos+2])
			pos += 2
		}
		if version == 4 {
			strip, n := decodeVarint(body[pos:])
			if n == 0 || int(strip) > len(prev) {
				return nil, errors.New("index v4 entry has a bad name prefix")
			}
			pos += n
			end := bytes.IndexByte(body[pos:], 0)
			if end < 0 {
				return nil, errors.New("index truncated in a name")
			}
			e.Name = prev[:len(prev)-int(strip)] + names[pos:pos+end]
			pos += end + 1
		} else {
			nameLen := int(flags & 0xfff)
			if nameLen == 0xfff { // longer names: NUL-terminated
				nameLen = bytes.IndexByte(body[pos:], 0)
				if nameLen < 0 {
					return nil, errors.New("index truncated in a name")
				}
			}
			if pos+nameLen > len(body) {
				return nil, errors.New("index truncated in a name")
			}
			e.Name = names[pos : pos+nameLen]
			// Entries are NUL-padded to a multiple of 8 bytes (1 to 8 NULs).
			pos = start + (pos-start+nameLen+8)&^7
		}
		prev = e.Name
		out[i] = e
	}
	if err := checkExtensions(body, pos); err != nil {
		return nil, err
	}
	return out, nil
}

// checkExtensions walks the extensions after the entries (from pos): a
// 4-byte signature and a 4-byte length each. An uppercase first letter
// means optional (cache-tree, REUC, UNTR, FSMN, EOIE, IEOT ...); any other
// is required and unsupported.
func checkExtensions(body []byte, pos int) error {
	for pos+8 <= len(body) {
		sig := string(body[pos : pos+4])
		size := int(binary.BigEndian.Uint32(body[pos+4 : pos+8]))
		if sig[0] < 'A' || sig[0] > 'Z' {
			return &unsupportedIndexError{ext: sig}
		}
		pos += 8 + size
	}
	if pos != len(body) {
		return errors.New("index extensions are malformed")
	}
	return nil
}

// findExtension returns the data of the extension sig among those after
// the entries (from pos; checkExtensions has checked their bounds), or nil.
func findExtension(body []byte, pos int, sig string) []byte {
	for pos+8 <= len(body) {
		size := int(binary.BigEndian.Uint32(body[pos+4 : pos+8]))
		if string(body[pos:pos+4]) == sig {
			return body[pos+8 : pos+8+size]
		}
		pos += 8 + size
	}
	return nil
}

// decodeStat fills the fixed 62-byte part of an entry and returns its flags.
func decodeStat(e *index.Entry, b []byte) (flags uint16) {
	e.CreatedAt = unixOrZero(b[0:8])
	e.ModifiedAt = unixOrZero(b[8:16])
	e.Dev = binary.BigEndian.Uint32(b[16:20])
	e.Inode = binary.BigEndian.Uint32(b[20:24])
	e.Mode = filemode.FileMode(binary.BigEndian.Uint32(b[24:28]))
	e.UID = binary.BigEndian.Uint32(b[28:32])
	e.GID = binary.BigEndian.Uint32(b[32:36])
	e.Size = binary.BigEndian.Uint32(b[36:40])
	copy(e.Hash[:], b[40:60])
	flags = binary.BigEndian.Uint16(b[60:62])
	e.Stage = index.Stage(flags>>12) & 3
	return flags
}

// decodeExtFlags reads the v3 extended flags (intent-to-add, skip-worktree).
func decodeExtFlags(e *index.Entry, b []byte) {
	ext := binary.BigEndian.Uint16(b)
	e.IntentToAdd = ext&(1<<13) != 0
	e.SkipWorktree = ext&(1<<14) != 0
}

// unsupportedIndexError names a required index extension.
type unsupportedIndexError struct{ ext string }

func (e *unsupportedIndexError) Error() string {
	switch e.ext {
	case "link":
		return "the index is split (`link` extension: core.splitIndex or update-index --split-index)"
	case "sdir":
		return "the index is sparse (`sdir` extension: index.sparse)"
	}
	return fmt.Sprintf("the index has the required extension %q", e.ext)
}

func unixOrZero(b []byte) time.Time {
	sec, nsec := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
	if sec == 0 && nsec == 0 {
		return time.Time{} // as go-git's decoder: no stat data recorded
	}
	return time.Unix(int64(sec), int64(nsec))
}

// decodeVarint is git's offset varint (varint.c): each continuation adds 1
// before shifting, so encodings are unique. n is 0 on malformed input.
func decodeVarint(b []byte) (val uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	c := b[0]
	n = 1
	val = uint64(c & 127)
	for c&128 != 0 {
		val++
		if val == 0 || val>>57 != 0 || n >= len(b) {
			return 0, 0
		}
		c = b[n]
		n++
		val = val<<7 + uint64(c&127)
	}
	return val, n
}
