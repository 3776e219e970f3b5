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
