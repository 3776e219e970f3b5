package regen

import (
	"errors"
	"fmt"
	"os"

	"github.com/regen-tool/regen/gitops"
	"github.com/regen-tool/regen/migrator"
	"github.com/regen-tool/regen/migrator/fsatomic"
)

// What the command layer needs of the leaf packages, so that cmd imports
// only regen (cmd/regen/imports_test.go holds that rule).

// SignalCause is the context cancellation cause that carries the signal
// regen received; the engine forwards that same signal to the child.
type SignalCause = migrator.SignalCause

// ParentGone is the interruption of a regen whose parent (mix regen's VM)
// went away (migrator.ParentGone).
type ParentGone = migrator.ParentGone

// SignalName is the conventional name of a signal ("SIGINT").
func SignalName(sig os.Signal) string { return migrator.SignalName(sig) }

// HooksDir is where git looks for the hooks of the repository around dir
// (core.hooksPath, else the common git directory's hooks/).
func HooksDir(dir string) (string, error) {
	repo, err := gitops.Open(dir)
	if errors.Is(err, gitops.ErrNotRepository) {
		return "", &InputError{What: fmt.Sprintf("%s is not inside a git repository.", dir), Next: "Run `regen hook install` inside the project's checkout."}
	}
	if err != nil {
		return "", &InputError{What: fmt.Sprintf("cannot open the git repository: %v.", err), Next: ""}
	}
	d, err := repo.HooksDir()
	if err != nil {
		return "", &InputError{What: err.Error(), Next: "Check the git config (core.hooksPath)."}
	}
	return d, nil
}

// WriteFileAtomic replaces path with data durably (temp file, fsync,
// rename, fsync of the folder): the one atomic write, for cmd's own files
// (the hook script).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return fsatomic.WriteFile(path, data, perm)
}

// UnderMixRegen: regen runs as the port of `mix regen`'s VM (the Hex
// package sets REGEN_MIX_DRIVER for it): that VM going away is an
// interruption (cmd/regen/cli watches for it; the host driver's socket
// says so too: vmdriver.go).
func UnderMixRegen(getenv func(string) string) bool { return getenv(hostDriverEnv) != "" }

// MixRegenGone is the cause of the interruption when mix regen's VM went away.
func MixRegenGone() *SignalCause {
	return &SignalCause{Signal: ParentGone{Parent: "mix regen's VM"}}
}
