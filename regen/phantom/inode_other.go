//go:build !unix

package phantom

import "io/fs"

// inode is not known here: size and mtime carry the signature.
func inode(fs.FileInfo) uint64 { return 0 }
