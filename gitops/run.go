package gitops

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
)

// Output runs the installed git on r's repository with args (no shell; the
// same sanitized environment, literal pathspecs and unquoted paths as every
// other git child of gitops) and returns its stdout. It is for readers
// outside gitops that need one of git's own walks (regen/phantom searches
// every branch, tag, stash and reflog in one `git log`); ErrGitNotInstalled
// when git is not on PATH.
func (r *Repo) Output(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, ErrGitNotInstalled
	}
	full := append([]string{"-C", r.Root, "--literal-pathspecs", "-c", "core.quotePath=false"}, args...)
	cmd := exec.CommandContext(ctx, gitPath, full...)
	cmd.Env = r.cliEnv()
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &cliError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return out, nil
}
