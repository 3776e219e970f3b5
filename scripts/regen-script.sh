#!/bin/bash
# The baseline of scripts/bench: a faithful port of the regeneration script
# in AshSqlite's migrations guide (../shared/seeds/000_*.txt), the script
# regen replaces. Its bugs are kept on purpose, since it is what users run
# today: it counts every untracked file in the migrations folder (notes,
# ignored files too), rolls back by that count, deletes through `xargs rm`,
# does not stop when a step fails, and `-m` matches any argument containing
# "-m". The one change: $MIX (default `mix`) instead of `mix`, so that the
# stand-in can play mix.
MIX=${MIX:-mix}
# Get count of untracked migrations
N_MIGRATIONS=$(git ls-files --others priv/repo/migrations | wc -l)
# Rollback untracked migrations
$MIX ash_sqlite.rollback -n $N_MIGRATIONS
# Delete untracked migrations and snapshots
git ls-files --others priv/repo/migrations | xargs rm
git ls-files --others priv/resource_snapshots | xargs rm
# Regenerate migrations
$MIX ash.codegen --name $1
# Run migrations if flag
if echo $* | grep -e "-m" -q
then
$MIX ash.migrate
fi
