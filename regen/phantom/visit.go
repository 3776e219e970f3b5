package phantom

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"
)

// Stat is a cheap signature of a work-tree file: while it is unchanged, so
// are the bytes (a write moves the change time, a rename the inode). It is
// what lets 2,000 applied migrations be vouched for with 2,000 lstat calls
// instead of 2,000 reads and hashes on every command.
type Stat struct {
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"` // ns
	Ctime int64  `json:"ctime"` // ns, the inode's change time
	Ino   uint64 `json:"ino"`
}

// Settle is how long a file must have been left alone before its signature
// may vouch for its content. A write right after the signature was taken
// can land in the same timestamp tick (Linux stamps files from a coarse
// clock; some file systems keep whole or even seconds), leaving size, mtime
// and ctime as they were: a file last changed more than Settle before the
// stat cannot be changed later with the same stamps.
const Settle = 2 * time.Second

// SettledStat is sig when the file it describes was last changed at least
// Settle before now (the time taken before the stat), else nil: a file
// changed too recently is read again next time.
func SettledStat(sig Stat, now time.Time) *Stat {
	limit := now.Add(-Settle).UnixNano()
	if sig.Mtime >= limit || sig.Ctime >= limit {
		return nil
	}
	return &sig
}

// Update is what one visit of a migrations folder's store changes.
type Update struct {
	// Fresh are remembered as Remember does (first content wins unless
	// applied again since).
	Fresh []AppliedFile
	// Gone are forgotten as Forget does.
	Gone []string
	// Seen are signatures of files found holding exactly their version's
	// remembered content (the caller hashed them), by version.
	Seen map[string]Stat
}

func (u Update) empty() bool { return len(u.Fresh) == 0 && len(u.Gone) == 0 && len(u.Seen) == 0 }

// Visit reads a migrations folder's applied records once, lets decide say
// what changes, and writes the store at most once (nothing when nothing
// changed; never when readOnly). The plan, status and a run's commit each
// make one visit per folder instead of a load for the comparison, another
// for the copy and a third for the forgetting. decide reads the records
// (they are the index itself: it must not change them).
func Visit(gitDir, migrationsDir string, readOnly bool, decide func(map[string]Applied) Update) error {
	dir, err := cleanDir(migrationsDir)
	if err != nil {
		return err
	}
	idx, loadErr := loadApplied(gitDir, dir)
	u := decide(idx.Versions) // read only: 2,000 records are not copied for it
	if readOnly || (u.empty() && loadErr == nil) {
		return loadErr
	}
	changed, err := idx.apply(gitDir, u)
	if loadErr != nil {
		changed = true // a damaged index is replaced
	}
	if changed {
		if werr := saveApplied(gitDir, idx); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return fmt.Errorf("regen's store %s: %w", storeDir(gitDir), err)
	}
	return loadErr
}

// apply changes the index as u says, writing the fresh files' blobs first;
// it tells whether the index changed.
func (a *appliedIndex) apply(gitDir string, u Update) (bool, error) {
	changed := false
	gone, err := normalizeVersions(u.Gone)
	if err != nil {
		return false, err
	}
	for _, v := range gone {
		if _, ok := a.Versions[v]; ok {
			delete(a.Versions, v)
			changed = true
		}
	}
	for v, sig := range u.Seen {
		e, ok := a.Versions[v]
		if !ok || (e.Seen != nil && *e.Seen == sig) {
			continue
		}
		sig := sig
		e.Seen = &sig
		a.Versions[v] = e
		changed = true
	}
	type pending struct {
		version, sum string
		f            AppliedFile
	}
	var todo []pending
	for _, f := range u.Fresh {
		v, err := normalizeVersions([]string{f.Version})
		if err != nil {
			return changed, err
		}
		if filepath.Base(f.FileName) != f.FileName || f.FileName == "" {
			return changed, fmt.Errorf("phantom: %q is not a base file name", f.FileName)
		}
		old, had := a.Versions[v[0]]
		if had && (old.AppliedAt == f.AppliedAt || f.AppliedAt == "") {
			continue
		}
		todo = append(todo, pending{v[0], sha256Hex(f.Content), f})
	}
	// The blobs are written in parallel: each write waits for its fsync,
	// and a first status on a project with hundreds of applied migrations
	// writes hundreds.
	errs := make([]error, len(todo))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, p := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = writeBlob(gitDir, p.sum, p.f.Content)
		}()
	}
	wg.Wait()
	var firstErr error
	for i, p := range todo {
		if errs[i] != nil {
			if firstErr == nil {
				firstErr = errs[i]
			}
			continue
		}
		a.Versions[p.version] = Applied{FileName: p.f.FileName, SHA256: p.sum, AppliedAt: p.f.AppliedAt, Seen: p.f.Seen}
		changed = true
	}
	return changed, firstErr
}
