#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of a Slurm step's start with envlock: `srun -N2 -n2 true`
# against `srun -N2 -n2 envlock exec --no-lock -- true` and the same under a
# lock with the distributed profile, and the SPANK plugin's
# `srun -N2 -n2 --envlock true` under the same lock (each node checked once,
# each task an envlock exec --no-check), on a cluster of the benchmark's own
# (tests/tools/slurm_cluster.sh: munge, slurmctld and two slurmd on this
# machine; the plugin in its plugstack.conf for every step, plain srun's
# too), in alternating rounds (ROUNDS, default 5) of RUNS hyperfine runs
# (default 20). Medians of the rounds' medians, and the ratios to plain srun.
#
# Usage, as root: tests/bench/slurm.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source=../tools/slurm_cluster.sh
. "$here/../tools/slurm_cluster.sh"
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs=${RUNS:-20}
rounds=${ROUNDS:-5}
[ "$(id -u)" -eq 0 ] || { echo "slurm.sh: run as root (the cluster's daemons need it)" >&2; exit 1; }
for tool in hyperfine jq srun slurmctld slurmd munged python3; do
	need_tool "$tool"
done
scratch=$(mktemp -d "${TMPDIR:-/var/tmp}/envlock-slurm-bench.XXXXXX")
chmod 755 "$scratch"
trap 'slurm_cluster_stop "$scratch/cluster"; rm -rf "$scratch"' EXIT
slurm_cluster_start "$scratch/cluster" 2
plugin=$(dirname "$envlock")/envlock_spank.so
[ -e "$plugin" ] || { echo "slurm.sh: $plugin was not built (Slurm's headers)" >&2; exit 1; }
echo "required $plugin envlock=$envlock" >"$scratch/cluster/plugstack.conf"
export ENVLOCK_CACHE_DIR=$scratch/cache
cd "$scratch"
"$envlock" capture --profile distributed -o env.lock 2>/dev/null

echo "envlock Slurm step benchmark: $(nproc) CPUs, $(date -u +%FT%TZ), 2 nodes (slurmd) on this machine"
echo "binary: $envlock"

median_ms() {
	local name=$1
	shift
	hyperfine -N --style none --warmup 2 --runs "$runs" --export-json "$scratch/$name.json" "$@" >/dev/null 2>&1
	jq '.results[0].median * 1000 * 1000 | round / 1000' "$scratch/$name.json"
}
for r in $(seq "$rounds"); do
	median_ms "plain-$r" "srun -N2 -n2 true" >>"$scratch/plain"
	median_ms "nolock-$r" "srun -N2 -n2 $envlock exec --no-lock --profile distributed -- true" >>"$scratch/nolock"
	median_ms "lock-$r" "srun -N2 -n2 $envlock exec --lock $scratch/env.lock -- true" >>"$scratch/lock"
	median_ms "plugin-$r" "srun -N2 -n2 --envlock=$scratch/env.lock true" >>"$scratch/plugin"
done
median_of() { jq -s 'sort | .[length / 2 | floor]' "$scratch/$1"; }
plain=$(median_of plain) nolock=$(median_of nolock) lock=$(median_of lock) plugin=$(median_of plugin)

printf '\n%-60s %12s\n' "measure (median of $rounds rounds of $runs runs)" "value"
printf '%-60s %9s ms\n' "srun -N2 -n2 true" "$plain"
printf '%-60s %9s ms   %sx srun\n' "srun -N2 -n2 envlock exec --no-lock -- true" "$nolock" "$(jq -n "$nolock / $plain * 100 | round / 100")"
printf '%-60s %9s ms   %sx srun\n' "srun -N2 -n2 envlock exec --lock (distributed) -- true" "$lock" "$(jq -n "$lock / $plain * 100 | round / 100")"
printf '%-60s %9s ms   %sx srun\n' "srun -N2 -n2 --envlock (distributed lock) true" "$plugin" "$(jq -n "$plugin / $plain * 100 | round / 100")"
