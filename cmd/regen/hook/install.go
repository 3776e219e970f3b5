package hook

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/regen-tool/regen/regen"
)

// Result says what Install or Uninstall did, for the command to print.
type Result struct {
	Path     string // the hook
	Action   string // installed, updated, removed, nothing
	Chained  string // the chained hook, when there is one
	Replaced string // where --force moved a foreign hook
	Restored bool   // uninstall put the chained hook back
}

// Install writes regen's pre-commit hook into dir. A hook regen did not
// write is left alone unless chain (kept and run first) or force (moved
// aside to pre-commit.regen-replaced; never deleted).
func Install(dir string, force, chain bool) (*Result, error) {
	return PreCommit.Install(dir, force, chain)
}

// Uninstall removes regen's pre-commit hook (see Kind.Uninstall).
func Uninstall(dir string) (*Result, error) { return PreCommit.Uninstall(dir) }

// Install writes the hook k into dir, with the same rules for every kind.
func (k Kind) Install(dir string, force, chain bool) (*Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the hooks folder %s: %w", dir, err)
	}
	target := filepath.Join(dir, k.Name)
	res := &Result{Path: target, Action: "installed"}
	chained := filepath.Join(dir, k.chainedName())
	if exists(chained) {
		res.Chained = chained
	}
	ours, present, err := k.isOurs(target)
	if err != nil {
		return nil, err
	}
	switch {
	case present && ours:
		res.Action = "updated"
	case present && chain:
		if exists(chained) {
			return nil, &regen.InputError{
				What: fmt.Sprintf("%s is not regen's hook, and %s already holds a chained hook.", target, chained),
				Next: "Move one of them away by hand, then run `regen hook install" + k.flag() + " --chain` again.",
			}
		}
		if err := os.Rename(target, chained); err != nil {
			return nil, fmt.Errorf("cannot keep the existing hook as %s: %w", chained, err)
		}
		res.Chained = chained
	case present && force:
		replaced := filepath.Join(dir, k.replacedName())
		if exists(replaced) {
			return nil, &regen.InputError{What: fmt.Sprintf("%s already exists (a hook replaced earlier).", replaced), Next: "Move it away by hand, then run `regen hook install" + k.flag() + " --force` again."}
		}
		if err := os.Rename(target, replaced); err != nil {
			return nil, fmt.Errorf("cannot move the existing hook to %s: %w", replaced, err)
		}
		res.Replaced = replaced
	case present:
		return nil, &regen.InputError{
			What: fmt.Sprintf("%s exists and was not written by regen; it was left as it is.", target),
			Next: "Run `regen hook install" + k.flag() + " --chain` to keep it and run it before regen's, or `--force` to replace it (it is moved to " + k.replacedName() + ", not deleted).",
		}
	}
	if err := k.writeScript(target); err != nil {
		return nil, err
	}
	return res, nil
}

// Uninstall removes regen's hook k and puts a chained hook back in its place.
func (k Kind) Uninstall(dir string) (*Result, error) {
	target := filepath.Join(dir, k.Name)
	res := &Result{Path: target, Action: "nothing"}
	ours, present, err := k.isOurs(target)
	if err != nil {
		return nil, err
	}
	if !present {
		return res, nil
	}
	if !ours {
		return nil, &regen.InputError{What: fmt.Sprintf("%s was not written by regen; it was left as it is.", target), Next: "Remove it by hand if you want it gone."}
	}
	chained := filepath.Join(dir, k.chainedName())
	if exists(chained) {
		// rename keeps the original's bytes and mode exactly.
		if err := os.Rename(chained, target); err != nil {
			return nil, fmt.Errorf("cannot put the chained hook %s back: %w", chained, err)
		}
		res.Action, res.Restored, res.Chained = "removed", true, chained
		return res, nil
	}
	if err := os.Remove(target); err != nil {
		return nil, fmt.Errorf("cannot remove %s: %w", target, err)
	}
	res.Action = "removed"
	return res, nil
}

// isOurs reads the hook (a symlink counts as foreign: it points elsewhere).
func (k Kind) isOurs(p string) (ours, present bool, err error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("cannot read %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return false, true, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return false, true, fmt.Errorf("cannot read %s: %w", p, err)
	}
	return bytes.Contains(data, []byte("\n"+k.Marker+"\n")), true, nil
}

// writeScript replaces target atomically (and durably) with the hook script.
func (k Kind) writeScript(target string) error {
	if err := regen.WriteFileAtomic(target, []byte(k.Script), 0o755); err != nil {
		return fmt.Errorf("cannot write %s: %w", target, err)
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
