package gitops

import (
	"runtime/debug"
	"strings"
)

// IndexHashes returns the blob hash (hex SHA-1) the index records for each
// of the folders' tracked files (stage 0 only; conflicted paths have none).
// A file that git sees as unmodified has exactly that content, so a caller
// can identify it without reading it: paths a content filter may convert
// (autocrlf, eol, ident, filter=…; see Filtered) are left out, since their
// bytes on disk are not the blob's.
func (r *Repo) IndexHashes(folders []string) (_ map[string]string, err error) {
	defer guardMapped(debug.SetPanicOnFault(true), &err)
	fs, err := cleanFolders(folders)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if len(fs) == 0 {
		return out, nil
	}
	if r.cli != nil {
		// `ls-files -s`: "<mode> <hash> <stage>\t<path>"
		data, err := r.cli.run(append([]string{"ls-files", "-s", "-z", "--"}, pathspecs(fs)...)...)
		if err != nil {
			return nil, err
		}
		for _, rec := range splitZ(data) {
			meta, path, ok := strings.Cut(rec, "\t")
			fields := strings.Fields(meta)
			if ok && len(fields) == 3 && fields[2] == "0" {
				out[path] = fields[1]
			}
		}
		return r.unfiltered(out)
	}
	snap, err := r.index()
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		for _, name := range snap.namesUnder(f) {
			if e := snap.entry(name); e != nil {
				out[name] = e.Hash.String()
			}
		}
	}
	return r.unfiltered(out)
}

// unfiltered drops the paths a content filter may convert.
func (r *Repo) unfiltered(hashes map[string]string) (map[string]string, error) {
	paths := make([]string, 0, len(hashes))
	for p := range hashes {
		paths = append(paths, p)
	}
	filtered, err := r.Filtered(paths)
	if err != nil {
		return nil, err
	}
	for p := range filtered {
		delete(hashes, p)
	}
	return hashes, nil
}
