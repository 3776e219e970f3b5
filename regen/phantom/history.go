package phantom

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/migrator/fsatomic"
)

// The history index (store/history/<key>.json) maps every migration
// version that any commit reachable from git's tips adds or changes to the
// newest such commit. It is keyed by a fingerprint of the tips (every ref
// and every reflog entry): while they are unchanged, Resolve runs two
// cheap git commands (the tips) and no walk at all. When tips were only
// added (a commit, a checkout, a new branch: the old tips stay in the
// reflogs), only the commits not reachable from the old tips are walked;
// when a tip went away (a deleted branch, a dropped stash, an expired
// reflog) the index is rebuilt, so that it never names a commit by a ref
// that no longer holds it.

// historyVersion changes when the index's meaning changes: an older index
// is rebuilt.
const historyVersion = 2

type historyEntry struct {
	Commit string `json:"commit"`
	Time   int64  `json:"time"` // committer time, to pick the newest
	Path   string `json:"path"`
	Blob   string `json:"blob"`
	Ref    string `json:"ref"` // Location.Ref
}

type historyIndex struct {
	Format      int               `json:"format"`
	Dir         string            `json:"migrations_dir"`
	Fingerprint string            `json:"fingerprint"`
	Tips        []string          `json:"tips"` // every tip hash indexed
	Refs        map[string]string `json:"refs"` // the refs among them: name -> hash
	// StatSig is the stat signature of git's ref and reflog files when the
	// index was last found current: while it holds, no git command runs.
	StatSig  string                  `json:"stat_sig"`
	Versions map[string]historyEntry `json:"versions"`
}

// gitFile is one version's file found in git.
type gitFile struct {
	historyEntry
	content []byte
}

// tip is one starting point of the search: a ref or a reflog entry.
type tip struct {
	name, hash string
	reflog     bool // a reflog entry or an older stash (the second pass)
}

func historyPath(gitDir, dir string) string {
	return filepath.Join(storeDir(gitDir), "history", dirKey(dir)+".txt")
}

// findInGit answers from the history index (brought up to date first) and
// reads the blobs of the versions asked for. Any git failure yields what
// could be found (nothing): the store answers next.
func findInGit(ctx context.Context, repo *gitops.Repo, gitDir, dir string, versions []string, skipContent, noWrite bool) map[string]gitFile {
	idx, err := currentHistory(ctx, repo, gitDir, dir, noWrite)
	if err != nil {
		return map[string]gitFile{}
	}
	out := map[string]gitFile{}
	if skipContent {
		// Every commit the index names is reachable from a current tip, so
		// its blobs are there: no need to read them to say where they are.
		for _, v := range versions {
			if e, ok := idx.Versions[v]; ok {
				out[v] = gitFile{historyEntry: e}
			}
		}
		return out
	}
	var want []historyEntry
	for _, v := range versions {
		if e, ok := idx.Versions[v]; ok {
			want = append(want, e)
		}
	}
	blobs := readBlobs(ctx, repo, want)
	for _, v := range versions {
		e, ok := idx.Versions[v]
		if !ok {
			continue
		}
		if data, ok := blobs[e.Blob]; ok {
			out[v] = gitFile{historyEntry: e, content: data}
		}
	}
	return out
}

// currentHistory loads the index and updates it to git's current tips,
// saving it when it changed (a store that cannot be written only costs the
// walk again next time).
func currentHistory(ctx context.Context, repo *gitops.Repo, gitDir, dir string, noWrite bool) (*historyIndex, error) {
	old := loadHistory(gitDir, dir)
	sig := refsSignature(repo)
	if old != nil && sig != "" && old.StatSig == sig {
		return old, nil
	}
	tips, raw, err := gitTips(ctx, repo)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(raw, dir)
	if old != nil && old.Fingerprint == fp {
		old.StatSig = sig
		if !noWrite {
			saveHistory(gitDir, old)
		}
		return old, nil
	}
	idx := &historyIndex{Format: historyVersion, Dir: dir, Fingerprint: fp, StatSig: sig, Versions: map[string]historyEntry{}}
	var exclude []string
	if old != nil && subset(old.Tips, tips) && refsKept(ctx, repo, old.Refs, tips) {
		idx.Versions, exclude = old.Versions, old.Tips
	}
	if err := walkHistory(ctx, repo, dir, tips, exclude, idx.Versions); err != nil {
		return nil, err
	}
	idx.Refs = map[string]string{}
	for _, t := range tips {
		idx.Tips = append(idx.Tips, t.hash)
		if !t.reflog && t.name != "HEAD" { // HEAD moves back and forth with every checkout
			idx.Refs[t.name] = t.hash
		}
	}
	idx.Tips = sortedUnique(idx.Tips)
	if !noWrite {
		saveHistory(gitDir, idx)
	}
	return idx, nil
}

// refsSignature is a hash of the stat data (name, size, mtime, inode) of
// every file git keeps refs and reflogs in: loose refs, packed-refs,
// reftable, the reflogs, HEAD. Git replaces a ref file by renaming a new
// one over it and appends to a reflog, so any ref change changes the
// signature; an equal signature means the tips are those indexed. ""
// when it cannot be computed (the git commands decide then).
func refsSignature(repo *gitops.Repo) string {
	h := sha256.New()
	add := func(p string) {
		fi, err := os.Lstat(p)
		if err != nil {
			fmt.Fprintf(h, "%s\x00-\x00", p)
			return
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%d\x00", p, fi.Size(), fi.ModTime().UnixNano(), inode(fi))
	}
	walk := func(root string) bool {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == root {
					return nil
				}
				return err
			}
			add(p) // folders too: a ref created or removed changes its folder
			return nil
		})
		return err == nil
	}
	dirs := []string{repo.CommonDir}
	if repo.GitDir != repo.CommonDir {
		dirs = append(dirs, repo.GitDir)
	}
	for _, d := range dirs {
		add(filepath.Join(d, "HEAD"))
		add(filepath.Join(d, "packed-refs"))
		for _, sub := range []string{"refs", "logs", "reftable"} {
			if !walk(filepath.Join(d, sub)) {
				return ""
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func loadHistory(gitDir, dir string) *historyIndex {
	data, err := readRegular(historyPath(gitDir, dir))
	if err != nil {
		return nil
	}
	idx, ok := parseHistory(data)
	if !ok || idx.Dir != dir {
		return nil
	}
	return idx
}

// The index is a text file of tab-separated lines, read on every status
// (a JSON decoder takes ten times as long on 1,000 phantoms):
//
//	regen-phantom-history <format>
//	dir <dir> / fingerprint <fp> / statsig <sig>
//	tip <hash>
//	ref <name> <hash>
//	v <version> <commit> <blob> <time> <path> <ref label>
const historyMagic = "regen-phantom-history"

func formatHistory(idx *historyIndex) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\t%d\ndir\t%s\nfingerprint\t%s\nstatsig\t%s\n", historyMagic, historyVersion, idx.Dir, idx.Fingerprint, idx.StatSig)
	for _, t := range idx.Tips {
		fmt.Fprintf(&b, "tip\t%s\n", t)
	}
	names := make([]string, 0, len(idx.Refs))
	for n := range idx.Refs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "ref\t%s\t%s\n", n, idx.Refs[n])
	}
	vs := make([]string, 0, len(idx.Versions))
	for v := range idx.Versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	for _, v := range vs {
		e := idx.Versions[v]
		fmt.Fprintf(&b, "v\t%s\t%s\t%s\t%d\t%s\t%s\n", v, e.Commit, e.Blob, e.Time, e.Path, e.Ref)
	}
	return b.Bytes()
}

func parseHistory(data []byte) (*historyIndex, bool) {
	idx := &historyIndex{Refs: map[string]string{}, Versions: map[string]historyEntry{}}
	ok := eachRecord(data, historyMagic, historyVersion, func(kind, val string) bool {
		switch kind {
		case "dir":
			idx.Dir = val
		case "fingerprint":
			idx.Fingerprint = val
		case "statsig":
			idx.StatSig = val
		case "tip":
			idx.Tips = append(idx.Tips, val)
		case "ref":
			n, h, ok := strings.Cut(val, "\t")
			if !ok {
				return false
			}
			idx.Refs[n] = h
		case "v":
			f := strings.SplitN(val, "\t", 6)
			if len(f) != 6 {
				return false
			}
			t, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				return false
			}
			idx.Versions[f[0]] = historyEntry{Commit: f[1], Blob: f[2], Time: t, Path: f[4], Ref: f[5]}
		default:
			return false
		}
		return true
	})
	if !ok || idx.Fingerprint == "" {
		return nil, false // a torn or foreign file: rebuilt
	}
	return idx, true
}

func saveHistory(gitDir string, idx *historyIndex) {
	p := historyPath(gitDir, idx.Dir)
	if ensureDir(gitDir, filepath.Dir(p)) == nil {
		_ = fsatomic.WriteFile(p, formatHistory(idx), 0o600) // not saved: walked again next time
	}
}

func fingerprint(raw []byte, dir string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00", historyVersion, dir)
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil))
}

// gitTips lists every ref (peeled) and every reflog entry, with the raw
// output as the fingerprint's input.
func gitTips(ctx context.Context, repo *gitops.Repo) ([]tip, []byte, error) {
	refs, err := repo.Output(ctx, nil, "for-each-ref", "--format=%(objectname) %(*objectname) %(objecttype) %(*objecttype) %(refname)")
	if err != nil {
		return nil, nil, err
	}
	// An empty reflog (a new repository) makes git log -g fail: no tips.
	logs, _ := repo.Output(ctx, nil, "log", "-g", "--all", "--format=%H %gD")
	var tips []tip
	for _, line := range strings.Split(string(refs), "\n") {
		f := strings.Fields(line)
		var hash, typ, name string
		switch len(f) {
		case 3: // hash type name
			hash, typ, name = f[0], f[1], f[2]
		case 5: // an annotated tag: hash peeled type peeledtype name
			hash, typ, name = f[1], f[3], f[4]
		default:
			continue
		}
		if typ == "commit" {
			tips = append(tips, tip{name: name, hash: hash})
		}
	}
	head, _ := repo.HeadHash() // "" on an unborn branch
	if head != "" {
		tips = append(tips, tip{name: "HEAD", hash: head}) // a detached HEAD with no reflog
	}
	for _, line := range strings.Split(string(logs), "\n") {
		hash, name, ok := strings.Cut(line, " ")
		if ok && !strings.HasPrefix(name, "refs/stash@{0}") {
			tips = append(tips, tip{name: name, hash: hash, reflog: true})
		}
	}
	return tips, append(append(refs, logs...), head...), nil
}

// subset: every tip hash indexed before is still a tip.
func subset(old []string, now []tip) bool {
	have := map[string]bool{}
	for _, t := range now {
		have[t.hash] = true
	}
	for _, h := range old {
		if !have[h] {
			return false
		}
	}
	return true
}

// refsKept: every ref the index was built from still exists and only moved
// forward, so every commit it names a ref after is still on that ref.
func refsKept(ctx context.Context, repo *gitops.Repo, old map[string]string, now []tip) bool {
	cur := map[string]string{}
	for _, t := range now {
		if !t.reflog {
			cur[t.name] = t.hash
		}
	}
	for name, hash := range old {
		h, ok := cur[name]
		if !ok {
			return false
		}
		if h != hash {
			if _, err := repo.Output(ctx, nil, "merge-base", "--is-ancestor", hash, h); err != nil {
				return false
			}
		}
	}
	return true
}

// walkHistory runs the two passes: the refs, each commit named after the
// ref that reaches it first (branches before reflog entries, so that a
// commit on a branch is never called "reflog"), then the reflog entries
// and older stashes, without what the refs reach. exclude (tips already
// indexed) bounds both passes to new commits.
func walkHistory(ctx context.Context, repo *gitops.Repo, dir string, tips []tip, exclude []string, into map[string]historyEntry) error {
	var refs, reflogs []string
	for _, t := range tips {
		if t.reflog {
			reflogs = append(reflogs, t.name)
		} else {
			refs = append(refs, t.name)
		}
	}
	sort.SliceStable(refs, func(i, j int) bool { return refRank(refs[i]) < refRank(refs[j]) })
	if err := logPass(ctx, repo, dir, refs, exclude, into); err != nil {
		return err
	}
	if len(reflogs) == 0 {
		return nil
	}
	return logPass(ctx, repo, dir, reflogs, append(append([]string{}, exclude...), refs...), into)
}

func refRank(name string) int {
	switch {
	case strings.HasPrefix(name, "refs/heads/"):
		return 0
	case strings.HasPrefix(name, "refs/tags/"):
		return 1
	case strings.HasPrefix(name, "refs/remotes/"):
		return 2
	case name == "HEAD":
		return 3
	case name == "refs/stash":
		return 4
	}
	return 5
}

// logPass is one `git log` over revs minus exclude, keeping for each
// version the newest commit that adds or changes its file. Revisions go on
// stdin (no command-line length limit, no option injection).
func logPass(ctx context.Context, repo *gitops.Repo, dir string, revs, exclude []string, into map[string]historyEntry) error {
	if len(revs) == 0 {
		return nil
	}
	var in bytes.Buffer
	for _, r := range revs {
		in.WriteString(r + "\n")
	}
	for _, r := range exclude { // "^rev": git before 2.42 takes no --not on stdin
		in.WriteString("^" + r + "\n")
	}
	out, err := repo.Output(ctx, &in, "log", "--stdin", "--ignore-missing", "--source", "--full-history", "-m", "--root",
		"--raw", "--no-abbrev", "--no-renames", "--diff-filter=AM", "--format=%x00%H %ct %S", "--", dir+"/")
	if err != nil {
		return err
	}
	parseLog(out, dir, into)
	return nil
}

// parseLog reads logPass's output.
func parseLog(out []byte, dir string, into map[string]historyEntry) {
	var commit, ref string
	var when int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "\x00") {
			f := strings.SplitN(line[1:], " ", 3)
			commit, ref, when = "", "", 0
			if len(f) >= 2 {
				commit = f[0]
				when, _ = strconv.ParseInt(f[1], 10, 64)
				if len(f) == 3 {
					ref = refLabel(f[2])
				} else {
					ref = "reflog"
				}
			}
			continue
		}
		if commit == "" || !strings.HasPrefix(line, ":") {
			continue
		}
		meta, p, ok := strings.Cut(line, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 5 || (f[1] != "100644" && f[1] != "100755") {
			continue // symlinks and submodules are never a migration's file
		}
		if path.Dir(p) != dir {
			continue
		}
		v, ok := fileVersion(path.Base(p))
		if !ok {
			continue
		}
		if old, had := into[v]; had && old.Time >= when {
			continue
		}
		into[v] = historyEntry{Commit: commit, Time: when, Path: p, Blob: f[3], Ref: ref}
	}
}

// refLabel names a --source for people: "branch feature", "tag v1", …
func refLabel(src string) string {
	switch {
	case strings.HasPrefix(src, "refs/heads/") && !strings.Contains(src, "@{"):
		return "branch " + strings.TrimPrefix(src, "refs/heads/")
	case strings.HasPrefix(src, "refs/tags/"):
		return "tag " + strings.TrimPrefix(src, "refs/tags/")
	case strings.HasPrefix(src, "refs/remotes/") && !strings.Contains(src, "@{"):
		return "remote branch " + strings.TrimPrefix(src, "refs/remotes/")
	case src == "refs/stash" || strings.HasPrefix(src, "refs/stash@{"):
		return "stash"
	case src == "HEAD":
		return "HEAD"
	}
	return "reflog"
}

// readBlobs reads the entries' blobs with one `git cat-file --batch`; a
// missing blob (pruned) is left out.
func readBlobs(ctx context.Context, repo *gitops.Repo, entries []historyEntry) map[string][]byte {
	out := map[string][]byte{}
	if len(entries) == 0 {
		return out
	}
	var in bytes.Buffer
	for _, e := range entries {
		in.WriteString(e.Blob + "\n")
	}
	data, err := repo.Output(ctx, &in, "cat-file", "--batch")
	if err != nil {
		return out
	}
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			break
		}
		f := strings.Fields(string(data[:nl]))
		data = data[nl+1:]
		if len(f) != 3 || f[1] != "blob" {
			continue // "<hash> missing"
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 0 || n+1 > len(data) {
			break
		}
		out[f[0]] = append([]byte(nil), data[:n]...)
		data = data[n+1:]
	}
	return out
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
