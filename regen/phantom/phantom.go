// Package phantom finds the files of phantom migrations: versions the
// database has applied whose migration file is no longer in the work tree
// (a branch switch took it away, or it was deleted by hand). Ecto skips such
// a version ("** FILE NOT FOUND **") and cannot roll it back, because a
// rollback needs the file.
//
// A phantom's file is looked for in git first (Resolve: the newest commit,
// over every branch, tag, remote branch, the stash with its reflog, and the
// reflogs of HEAD and the branches, that adds or changes
// <migrations>/<version>_*.exs), then in regen's store, a content-addressed
// copy of every migration file regen saw applied (Remember), kept under
// <gitdir>/regen/store:
//
//	store/blobs/<sha256>                 the file's bytes, written once
//	store/applied/<key>.txt              per migrations folder: version -> file name, sha256, inserted_at, stat signature
//	store/history/<key>.txt              the git index: version -> commit, path, blob, and the tips it covers
//
// (<key> is a hash of the migrations folder's slash path.) Blobs are never
// removed: for a file that was never committed the store may hold the only
// copy. A store that cannot be read or written makes the answers poorer
// ("nowhere"), never wrong, and never fails a command; callers say so once.
//
// The history index makes Resolve cheap: while the stat signature of git's
// ref and reflog files is the one recorded, no git command runs; when the
// tips (refs and reflog entries) changed, only the commits not reachable
// from the tips already indexed are walked; when a tip went away or a ref
// was rewritten, it is rebuilt (see history.go). Request.SkipContent (status)
// says where the files are without reading them.
//
// API (used by `regen status`, `regen check` and `regen sync`):
//
//	Resolve(ctx, Request) ([]Found, error)                 one Found per requested version, in version order
//	Remember(gitDir, migrationsDir, []AppliedFile) error  copy applied files into the store (cheap when already there)
//	AppliedContent(gitDir, migrationsDir, version)         what regen saw applied for a version (edited-after-applied)
//	AppliedRecords(gitDir, migrationsDir)                  every remembered version: file name, sha256, inserted_at
//	Forget(gitDir, migrationsDir, versions)                drop the records of versions rolled back (their blobs stay)
//	AppliedSums(gitDir, migrationsDir)                     AppliedRecords' sha256 by version (the first API)
//
// The package does not import package regen.
package phantom

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/regen-tool/regen/gitops"
)

// Source says where a phantom's file was found.
type Source int

const (
	SourceNowhere Source = iota // not in git, not in the store: cannot be rolled back
	SourceGit                   // in a commit of the repository
	SourceStore                 // in regen's store
)

var sourceNames = []string{"nowhere", "git", "store"}

func (s Source) String() string {
	if int(s) < 0 || int(s) >= len(sourceNames) {
		return fmt.Sprintf("unknown(%d)", int(s))
	}
	return sourceNames[s]
}

func (s Source) MarshalText() ([]byte, error) {
	if int(s) < 0 || int(s) >= len(sourceNames) {
		return nil, fmt.Errorf("phantom source %d is not known", int(s))
	}
	return []byte(sourceNames[s]), nil
}

func (s *Source) UnmarshalText(b []byte) error {
	for i, n := range sourceNames {
		if n == string(b) {
			*s = Source(i)
			return nil
		}
	}
	return fmt.Errorf("phantom source %q is not known to this regen", string(b))
}

// Location is where a phantom's file was found.
type Location struct {
	Source Source `json:"source"`
	// Ref names what holds the commit, for SourceGit: "branch feature",
	// "tag v1", "remote branch origin/x", "stash", "HEAD", "reflog".
	Ref    string `json:"ref,omitempty"`
	Commit string `json:"commit,omitempty"` // full hash, for SourceGit
}

// String is the location as status prints it.
func (l Location) String() string {
	switch l.Source {
	case SourceGit:
		short := l.Commit
		if len(short) > 7 {
			short = short[:7]
		}
		return l.Ref + " @ " + short
	case SourceStore:
		return "regen's store"
	}
	return "nowhere: cannot be rolled back"
}

// Found is one phantom's file.
type Found struct {
	Version  string   `json:"version"`
	FileName string   `json:"file,omitempty"` // base name, e.g. 20240101000000_add_x.exs ("" when nowhere)
	Content  []byte   `json:"-"`              // nil when nowhere
	Where    Location `json:"where"`
}

// Request asks for the files of phantom versions.
type Request struct {
	GitDir   string // where the store is (<gitdir>/regen/store); regen's state dir's parent
	WorkTree string // the work tree's top
	// MigrationsDir is the migrations folder relative to the work tree, in
	// slash form (priv/repo/migrations, priv/repo/tenant_migrations).
	MigrationsDir string
	Versions      []string // applied versions with no file in the work tree
	// Repo is the opened repository (optional: opened from WorkTree when nil).
	Repo *gitops.Repo
	// SkipContent: only where each file is (status); Found.Content stays
	// nil for files found in git, which are then not read.
	SkipContent bool
	// NoWrite: the history index is brought up to date in memory only
	// (status while a run is open writes nothing under the state dir).
	NoWrite bool
}

// Resolve finds each requested version's file: git first (the newest
// commit that has it), then the store, else nowhere. Git being unusable
// (no git CLI, a broken repository) is not an error: the store still
// answers. The error is for a request that makes no sense.
func Resolve(ctx context.Context, req Request) ([]Found, error) {
	dir, err := cleanDir(req.MigrationsDir)
	if err != nil {
		return nil, err
	}
	versions, err := normalizeVersions(req.Versions)
	if err != nil {
		return nil, err
	}
	out := make([]Found, len(versions))
	for i, v := range versions {
		out[i] = Found{Version: v}
	}
	if len(versions) == 0 {
		return out, nil
	}
	found := map[string]gitFile{}
	if repo := openRepo(req); repo != nil {
		found = findInGit(ctx, repo, req.GitDir, dir, versions, req.SkipContent, req.NoWrite)
	}
	applied, _ := loadApplied(req.GitDir, dir) // unreadable store: git's answers and "nowhere"
	for i := range out {
		v := out[i].Version
		if g, ok := found[v]; ok {
			out[i].FileName, out[i].Content = path.Base(g.Path), g.content
			out[i].Where = Location{Source: SourceGit, Ref: g.Ref, Commit: g.Commit}
			continue
		}
		if name, content, ok := applied.content(req.GitDir, v); ok {
			out[i].FileName, out[i].Content = name, content
			out[i].Where = Location{Source: SourceStore}
		}
	}
	return out, nil
}

func openRepo(req Request) *gitops.Repo {
	if req.Repo != nil {
		return req.Repo
	}
	r, err := gitops.Open(req.WorkTree)
	if err != nil {
		return nil
	}
	return r
}

// cleanDir checks a migrations folder: relative, slash form, inside the
// work tree.
func cleanDir(dir string) (string, error) {
	d := path.Clean(strings.TrimSuffix(dir, "/"))
	if dir == "" || d == "." || strings.HasPrefix(d, "/") || d == ".." || strings.HasPrefix(d, "../") || strings.Contains(dir, "\\") {
		return "", fmt.Errorf("phantom: migrations folder %q is not a slash path inside the work tree", dir)
	}
	return d, nil
}

// normalizeVersions reads versions as Ecto does (an integer: "0042" is 42),
// sorted, duplicates dropped.
func normalizeVersions(vs []string) ([]string, error) {
	seen := map[int64]bool{}
	var nums []int64
	for _, v := range vs {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("phantom: version %q is not a migration version", v)
		}
		if !seen[n] {
			seen[n] = true
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = strconv.FormatInt(n, 10)
	}
	return out, nil
}

// fileVersion is the version of a migration file name
// (<digits>_<anything>.exs, Ecto's rule), normalized; ok false otherwise.
func fileVersion(name string) (string, bool) {
	digits, rest, ok := strings.Cut(name, "_")
	if !ok || digits == "" || !strings.HasSuffix(rest, ".exs") {
		return "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}

// marshal is compact JSON with a trailing newline (status reads it every time).
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
