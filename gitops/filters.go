package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
)

// Content filters sit between the index and the work tree: core.autocrlf,
// the text, eol, crlf, ident, filter and working-tree-encoding attributes.
// Where one applies, a file git sees as clean need not hold its index
// blob's bytes (CRLF on disk, LF in the blob; `$Id$` expanded; a smudged
// file), so the blob can neither identify it nor be written back as it is.

// filterAttrs are the attributes that convert content on checkout or add.
var filterAttrs = []string{"text", "eol", "crlf", "ident", "filter", "working-tree-encoding"}

// Filtered returns the paths (repo-relative, as given) whose content a
// filter may convert between the index and the work tree. When that cannot
// be decided exactly (no git CLI to read attributes, config this package
// does not evaluate), every path counts as filtered: the caller then reads
// the real bytes instead of trusting the index.
func (r *Repo) Filtered(paths []string) (map[string]bool, error) {
	if len(paths) == 0 {
		return map[string]bool{}, nil
	}
	all := func() map[string]bool {
		m := make(map[string]bool, len(paths))
		for _, p := range paths {
			m[p] = true
		}
		return m
	}
	autocrlf, sure := r.settings.autocrlf, r.cli == nil && !r.settings.includeIf
	var cli *gitCLI
	if !sure {
		var err error
		if cli, err = newGitCLI(r); err != nil {
			return all(), nil
		}
		v, err := cli.run("config", "--get", "core.autocrlf")
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
			return all(), nil
		}
		autocrlf = err == nil && !parseFalse(string(v))
	}
	if autocrlf {
		return all(), nil // every text file may be converted
	}
	if sure && !r.attributeSources(paths) {
		return map[string]bool{}, nil
	}
	if cli == nil {
		var err error
		if cli, err = newGitCLI(r); err != nil {
			return all(), nil // attributes exist and only git can evaluate them
		}
	}
	return cli.filtered(paths)
}

// attributeSources tells whether any attributes file could set a
// converting attribute for the paths: the global and system files,
// info/attributes, attr.tree, GIT_ATTR_SOURCE, and a .gitattributes (on disk
// or in the index) in the work-tree top or any folder above a path. A file
// on disk that names none of the converting attributes (nor defines a
// macro) cannot: `*.ex diff=elixir` needs no `git check-attr`.
func (r *Repo) attributeSources(paths []string) bool {
	if r.settings.attrTree {
		return true
	}
	if _, ok := os.LookupEnv("GIT_ATTR_SOURCE"); ok {
		return true
	}
	global := r.settings.attributesFile
	if global == "" {
		global = xdgConfigPath("attributes")
	} else if !filepath.IsAbs(global) {
		global = filepath.Join(r.Root, global)
	}
	files := []string{global, filepath.Join(r.CommonDir, "info", "attributes")}
	if !envBool("GIT_ATTR_NOSYSTEM") {
		files = append(files, "/etc/gitattributes")
	}
	for _, f := range files {
		if f != "" && mayConvert(f) {
			return true
		}
	}
	snap, _ := r.index()
	seen := map[string]bool{}
	for _, p := range paths {
		for dir := path.Dir(p); ; dir = path.Dir(dir) {
			if dir == "." {
				dir = ""
			}
			if seen[dir] {
				break
			}
			seen[dir] = true
			rel := joinRel(dir, ".gitattributes")
			abs := filepath.Join(r.Root, filepath.FromSlash(rel))
			if mayConvert(abs) || (!exists(abs) && snap != nil && snap.tracked(rel)) {
				return true // on disk and converting, or only in the index (not read here)
			}
			if dir == "" {
				break
			}
		}
	}
	return false
}

// attrTokens are the words an attributes line needs to set a converting
// attribute (or define a macro that might).
var attrTokens = [][]byte{[]byte("text"), []byte("eol"), []byte("crlf"), []byte("ident"), []byte("filter"), []byte("working-tree-encoding"), []byte("[attr]")}

// mayConvert tells whether an attributes file exists and mentions a
// converting attribute; an unreadable one counts as converting.
func mayConvert(file string) bool {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) || isNotDir(err) {
		return false
	}
	if err != nil {
		return true
	}
	for _, t := range attrTokens {
		if bytes.Contains(data, t) {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// filtered asks `git check-attr` which of the paths have a converting
// attribute set: anything but unspecified or unset (-text is binary: no
// conversion).
func (g *gitCLI) filtered(paths []string) (map[string]bool, error) {
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p)
		in.WriteByte(0)
	}
	out, err := g.runInput(&in, append([]string{"check-attr", "-z", "--stdin"}, filterAttrs...)...)
	if err != nil {
		return nil, err
	}
	f := bytes.Split(out, []byte{0})
	res := map[string]bool{}
	for i := 0; i+2 < len(f); i += 3 {
		if v := string(f[i+2]); v != "unspecified" && v != "unset" {
			res[string(f[i])] = true
		}
	}
	return res, nil
}

// Checkout turns a blob's content (from IndexBlob or BlobAt) into the bytes
// `git checkout` would write at path: the blob itself where no filter
// applies, else git's own conversion (`git cat-file --filters`), which runs
// the smudge filters, eol conversion, ident and working-tree-encoding.
func (r *Repo) Checkout(path string, blob []byte) ([]byte, error) {
	p, err := cleanRel(path)
	if err != nil {
		return nil, err
	}
	filtered, err := r.Filtered([]string{p})
	if err != nil {
		return nil, err
	}
	if !filtered[p] {
		return blob, nil
	}
	cli, err := newGitCLI(r)
	if err != nil {
		return nil, fmt.Errorf("gitops: %s: a git filter applies to it and %w to convert it as git checkout would", p, err)
	}
	out, err := cli.run("cat-file", "--filters", "--path="+p, blobHash(blob))
	if err != nil {
		return nil, err
	}
	return out, nil
}

func blobHash(data []byte) string { return plumbing.ComputeHash(plumbing.BlobObject, data).String() }
