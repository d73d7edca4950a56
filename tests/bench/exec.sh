#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of `envlock exec` against its target:
#   exec of /bin/true with the drift check (a lock captured here, nothing
#   drifted) no slower than bwrap --unshare-all --die-with-parent --ro-bind / /
#   --dev /dev --proc /proc /bin/true measured in the same run (ratio <= 1.0).
# For scale it also reports bare /bin/true and exec without a lock (the
# sandbox alone). Times come from hyperfine -N (no shell in between), in
# ROUNDS alternating rounds (default 5) of RUNS/ROUNDS runs each; the
# figures are medians of the rounds' medians.
#
# Usage: tests/bench/exec.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs=${RUNS:-100}
make_scratch

need_tool hyperfine
need_tool jq
need_tool bwrap bubblewrap

# median_ms NAME RUNS [hyperfine options] -- COMMAND...
median_ms() {
	local name=$1 runs=$2
	shift 2
	hyperfine -N --style none --runs "$runs" --export-json "$scratch/$name.json" "$@" >/dev/null 2>&1
	jq '.results[0].median * 1000 * 1000 | round / 1000' "$scratch/$name.json"
}

# must_run WHAT COMMAND...: run it once, quietly; on failure say what failed, how, and stop.
must_run() {
	local what=$1 status=0
	shift
	"$@" >/dev/null 2>"$scratch/err" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "exec.sh: $what failed (exit $status): $*" >&2
		sed 's/^/  /' "$scratch/err" >&2
		exit 1
	fi
}

# Measured where users run it: inside a git checkout (this one).
cd "$here/../.."

echo "envlock exec benchmark: $(nproc) CPUs, kernel $(uname -r), as $(id -un), $(date -u +%FT%TZ)"
echo "binary: $envlock"
echo "bwrap: $(bwrap --version 2>/dev/null || echo '?')"

bwrap_cmd="bwrap --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc /bin/true"

# Every command must work before any is timed: hyperfine's own message on a
# failing command says little, and a number for a sandbox that never started
# would mean nothing.
# shellcheck disable=SC2086
must_run "the anchor, bwrap," $bwrap_cmd
must_run "envlock exec without a lock" "$envlock" exec --no-lock -- /bin/true

# The drift check captures this machine again, as a warm capture does: fill
# the stat cache first (as capture.sh does), then take the lock.
export ENVLOCK_CACHE_DIR=$scratch/cache
must_run "envlock capture" "$envlock" capture -o "$scratch/env.lock"
sleep 2.1 # facts about files younger than 2 s are not cached (racy-clean rule)
must_run "envlock capture" "$envlock" capture -o "$scratch/env.lock"
must_run "envlock exec with the drift check" "$envlock" exec --lock "$scratch/env.lock" -- /bin/true

# In ROUNDS rounds, each command's runs in turn, so that a busy minute on a
# shared machine weighs on all of them alike; each figure is the median of
# its rounds' medians, and the ratio is taken round by round too.
rounds=${ROUNDS:-5}
per_round=$(((runs + rounds - 1) / rounds))
for r in $(seq "$rounds"); do
	median_ms "true.$r" "$per_round" --warmup 3 "/bin/true" >>"$scratch/true"
	median_ms "bwrap.$r" "$per_round" --warmup 3 "$bwrap_cmd" >>"$scratch/bwrap"
	median_ms "nolock.$r" "$per_round" --warmup 3 "$envlock exec --no-lock -- /bin/true" >>"$scratch/nolock"
	median_ms "locked.$r" "$per_round" --warmup 3 "$envlock exec --lock $scratch/env.lock -- /bin/true" >>"$scratch/locked"
done
median_of() { jq -s 'sort | .[length / 2 | floor]' "$scratch/$1"; }
true_ms=$(median_of true)
bwrap_ms=$(median_of bwrap)
nolock=$(median_of nolock)
locked=$(median_of locked)
# The round's own ratio: what the same minute of the machine gave both.
paste -d' ' "$scratch/locked" "$scratch/bwrap" | while read -r l b; do jq -n "$l / $b"; done >"$scratch/ratios"
round_ratio=$(jq -s 'sort | .[length / 2 | floor] * 100 | round / 100' "$scratch/ratios")

ratio=$(jq -n "$locked / $bwrap_ms * 100 | round / 100")
times() { jq -n "$1 / $true_ms * 10 | round / 10"; }
verdict() { if jq -en "$1" >/dev/null; then echo PASS; else echo FAIL; fi; }

printf '\n%-48s %10s\n' "measure (median of $rounds rounds of $per_round runs)" "value"
printf '%-48s %7s ms\n' "bare /bin/true" "$true_ms"
printf '%-48s %7s ms   %sx true\n' "bwrap --unshare-all ... /bin/true" "$bwrap_ms" "$(times "$bwrap_ms")"
printf '%-48s %7s ms   %sx true\n' "envlock exec --no-lock -- /bin/true" "$nolock" "$(times "$nolock")"
printf '%-48s %7s ms   %sx true\n' "envlock exec --lock LOCK -- /bin/true" "$locked" "$(times "$locked")"
printf '%-48s %7sx     target <= 1.0: %s\n' "exec with drift check / bwrap" "$ratio" "$(verdict "$locked <= $bwrap_ms")"
printf '%-48s %7sx     (median of the rounds\x27 own ratios; per round: %s)\n' "  the same, round by round" "$round_ratio" \
	"$(jq -s -c 'map(. * 100 | round / 100)' "$scratch/ratios")"
