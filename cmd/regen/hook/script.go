package hook

// Marker is the line that tells a hook regen wrote from one it did not.
const Marker = "# regen:pre-commit-hook v1"

// ChainedName is where --chain keeps the hook that was there before.
const ChainedName = "pre-commit.regen-chained"

// ReplacedName is where --force moves a foreign hook instead of deleting it.
const ReplacedName = "pre-commit.regen-replaced"

// script is the same text for every install: nothing user-supplied is
// written into it, so nothing user-supplied ever reaches a shell. The
// chained hook is found next to the script at run time, through $0.
const script = `#!/bin/sh
` + Marker + `
# Written by ` + "`regen hook install`" + `; ` + "`regen hook uninstall`" + ` removes it (and puts back a
# chained hook). Runs ` + "`regen check --staged`" + ` before each commit; skip it once
# with ` + "`git commit --no-verify`" + `.
hook_dir=$(dirname -- "$0")
if [ -x "$hook_dir/` + ChainedName + `" ]; then
	"$hook_dir/` + ChainedName + `" "$@" || exit $?
fi
if ! command -v regen >/dev/null 2>&1; then
	echo "regen pre-commit hook: the regen command is not on PATH, so the migration checks cannot run." >&2
	echo "Install it (go install github.com/regen-tool/regen/cmd/regen@latest), remove the hook (regen hook uninstall), or skip it once (git commit --no-verify)." >&2
	exit 1
fi
exec regen check --staged
`

// Kind is one hook regen writes: its file name in the hooks folder, the
// marker that tells it from a foreign hook, and its script. Install and
// Uninstall follow the same rules for every kind.
type Kind struct {
	Name   string // pre-commit, post-checkout
	Marker string
	Script string
	Flag   string // the install/uninstall flag that selects it ("" for pre-commit)
}

func (k Kind) chainedName() string  { return k.Name + ".regen-chained" }
func (k Kind) replacedName() string { return k.Name + ".regen-replaced" }

// flag is the kind's flag as the messages quote it (" --post-checkout").
func (k Kind) flag() string {
	if k.Flag == "" {
		return ""
	}
	return " " + k.Flag
}

// PreCommit runs `regen check --staged` before each commit.
var PreCommit = Kind{Name: "pre-commit", Marker: Marker, Script: script}

// PostCheckoutMarker tells regen's post-checkout hook from a foreign one.
const PostCheckoutMarker = "# regen:post-checkout-hook v1"

// PostCheckout runs `regen sync` after a branch checkout (through `regen
// hook run post-checkout`, which decides whether to).
var PostCheckout = Kind{Name: "post-checkout", Marker: PostCheckoutMarker, Script: postCheckoutScript, Flag: "--post-checkout"}

// postCheckoutScript never fails the checkout for regen's part: a chained
// hook's status is kept (the checkout behaves as it did without regen),
// regen's own is not. regen is found on PATH, as the pre-commit hook finds
// it; stdin is /dev/null, so nothing can prompt. The decisions (branch
// checkout, rebase, bisect, the migrations folders) are made in Go by
// `regen hook run`, which gets git's arguments as they are: nothing reaches
// a shell.
const postCheckoutScript = `#!/bin/sh
` + PostCheckoutMarker + `
# Written by ` + "`regen hook install --post-checkout`" + `; ` + "`regen hook uninstall --post-checkout`" + `
# removes it (and puts back a chained hook). After a branch checkout that
# changed the migrations, runs ` + "`regen sync`" + ` (the database follows the branch).
# It never fails the checkout and prints one line.
hook_dir=$(dirname -- "$0")
status=0
if [ -x "$hook_dir/post-checkout.regen-chained" ]; then
	"$hook_dir/post-checkout.regen-chained" "$@" || status=$?
fi
if command -v regen >/dev/null 2>&1; then
	regen hook run post-checkout "$@" </dev/null || true
else
	echo "regen post-checkout hook: the regen command is not on PATH, so the database was not synced (run 'regen sync' once it is, or 'regen hook uninstall --post-checkout')." >&2
fi
exit $status
`
