#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two envlock binaries against each other on exec and check, alternating,
# so that a busy minute weighs on both alike: for "must not regress by
# more than N%" between a change and the commit before it.
#
#   tests/bench/compare.sh OLD NEW     (each a path to an envlock binary)
#
# Each binary captures its own lock here (a git checkout, as users run
# it), then ROUNDS rounds (default 8) of RUNS hyperfine runs (default 25)
# time, in turn: exec of /bin/true with the drift check, exec without a
# lock, and check. The figures are the medians of the rounds' medians.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
old=$(realpath "$1")
new=$(realpath "$2")
rounds=${ROUNDS:-8}
runs=${RUNS:-25}
make_scratch
command -v hyperfine >/dev/null || { echo "compare.sh: hyperfine is not installed" >&2; exit 1; }
command -v jq >/dev/null || { echo "compare.sh: jq is not installed" >&2; exit 1; }

cd "$here/../.."
"$old" capture -o "$scratch/old.lock" 2>/dev/null
"$new" capture -o "$scratch/new.lock" 2>/dev/null

echo "envlock compare: $(nproc) CPUs, $(date -u +%FT%TZ), $rounds rounds of $runs runs"
echo "old: $old"
echo "new: $new"
echo
printf '%-28s %12s %12s %8s\n' measure old new change
for what in "exec --lock" "exec --no-lock" "check"; do
	for r in $(seq "$rounds"); do
		for b in old new; do
			bin=$old
			[ "$b" = new ] && bin=$new
			case $what in
			"exec --lock") cmd="$bin exec --lock $scratch/$b.lock -- /bin/true" ;;
			"exec --no-lock") cmd="$bin exec --no-lock -- /bin/true" ;;
			check) cmd="$bin check --lock $scratch/$b.lock" ;;
			esac
			hyperfine -N --style none --runs "$runs" --warmup 3 --export-json "$scratch/$b.$r.json" "$cmd" \
				>/dev/null 2>&1
		done
	done
	o=$(jq -s '[.[].results[0].median * 1000] | sort | .[length / 2 | floor]' "$scratch"/old.*.json)
	n=$(jq -s '[.[].results[0].median * 1000] | sort | .[length / 2 | floor]' "$scratch"/new.*.json)
	printf '%-28s %9.3f ms %9.3f ms %+7.1f%%\n' "$what" "$o" "$n" "$(jq -n "($n / $o - 1) * 100")"
	rm -f "$scratch"/old.*.json "$scratch"/new.*.json
done
