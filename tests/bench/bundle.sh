#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmarks of bundles against their targets (DESIGN.md), each ratio
# against its anchor measured in the same run:
#  - pack throughput at least 0.8x `tar --zstd -cf` of the same files (the
#    traced run's closure and its code; the ratio is tar's time over
#    pack's, so above 1 is faster than tar);
#  - exec of /bin/true from a cached bundle at most 1.2x exec of it on the
#    host (both without a lock);
#  - `import torch` traced (exec --record --trace) against untraced (exec
#    --record): the ratio is stated, there is no target. Without PyTorch
#    the workload is `import json, email, http.client`, said so.
# Times are medians of ROUNDS alternating rounds (default 5) of hyperfine
# runs (RUNS, default 10; the pack and torch rounds use at most 3).
#
# Usage: tests/bench/bundle.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs=${RUNS:-10}
rounds=${ROUNDS:-5}
heavy_runs=$((runs < 3 ? runs : 3))
make_scratch "${TMPDIR:-/var/tmp}/envlock-bundle-bench.XXXXXX"
chmod 755 "$scratch"
export ENVLOCK_CACHE_DIR=$scratch/cache

need_tool hyperfine
need_tool jq
need_tool zstd
need_tool git
need_tool python3

py=/usr/bin/python3
if "$py" -c 'import torch' 2>/dev/null; then
	workload="import torch"
else
	workload="import json, email, http.client"
	echo "bundle.sh: PyTorch is not installed: the traced import is '$workload'" >&2
fi

repo=$scratch/repo
mkdir "$repo"
git -C "$repo" init -q
printf '%s\n' "$workload" 'print("ok")' >"$repo/job.py"
git -C "$repo" add job.py
git -C "$repo" -c user.email=b@example.com -c user.name=b commit -qm bench
cd "$repo"
"$envlock" exec --no-lock --record "$scratch/job.json" --trace -- "$py" job.py >/dev/null
"$envlock" exec --no-lock --record "$scratch/true.json" --trace -- /bin/true
"$envlock" pack "$scratch/true.json" -o "$scratch/true.envlock" >/dev/null
# The stat cache keeps no fact about a file changed in the last two seconds
# (util/cache.h): a bundle just written is hashed again at each run until
# then. Later runs, the ones timed, find its digest there and its tree
# unpacked in the cache by this first run.
sleep 2.1
"$envlock" exec --bundle "$scratch/true.envlock" -- /bin/true

# The files pack reads, for tar: the closure outside the working directory and the code.
jq -r --arg w "$repo" '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.observed == true) |
	.name | select(startswith($w + "/") | not)' "$scratch/job.json" >"$scratch/files"
echo "$repo/job.py" >>"$scratch/files"
"$envlock" pack "$scratch/job.json" -o "$scratch/job.envlock" >/dev/null

echo "envlock bundle benchmark: $(nproc) CPUs, $(date -u +%FT%TZ)"
echo "binary: $envlock"
echo "closure: $(wc -l <"$scratch/files") files and links, $(xargs -d '\n' du -cPk <"$scratch/files" | tail -1 | cut -f1) KiB; bundle $(du -k "$scratch/job.envlock" | cut -f1) KiB"

median_ms() {
	local name=$1 n=$2
	shift 2
	hyperfine -N --style none --warmup 1 --runs "$n" --export-json "$scratch/$name.json" "$@" >/dev/null 2>&1
	jq '.results[0].median * 1000 * 1000 | round / 1000' "$scratch/$name.json"
}

for r in $(seq "$rounds"); do
	median_ms "tar-$r" "$heavy_runs" "tar --zstd -cf $scratch/tar.tar.zst --no-recursion -T $scratch/files" >>"$scratch/tar"
	median_ms "pack-$r" "$heavy_runs" "$envlock pack $scratch/job.json -o $scratch/again.envlock" >>"$scratch/pack"
	median_ms "host-$r" "$runs" "$envlock exec --no-lock -C $repo -- /bin/true" >>"$scratch/host"
	median_ms "bundle-$r" "$runs" "$envlock exec --bundle $scratch/true.envlock -- /bin/true" >>"$scratch/bundle"
	median_ms "untraced-$r" "$heavy_runs" \
		"$envlock exec --no-lock -C $repo --record $scratch/u.json -- $py job.py" >>"$scratch/untraced"
	median_ms "traced-$r" "$heavy_runs" \
		"$envlock exec --no-lock -C $repo --record $scratch/t.json --trace -- $py job.py" >>"$scratch/traced"
done
median_of() { jq -s 'sort | .[length / 2 | floor]' "$scratch/$1"; }
ratio() { jq -n "$1 / $2 * 100 | round / 100"; }
verdict() { jq -rn "if $1 then \"PASS\" else \"FAIL\" end"; }

tar_ms=$(median_of tar) pack_ms=$(median_of pack) host_ms=$(median_of host) bundle_ms=$(median_of bundle)
untraced_ms=$(median_of untraced) traced_ms=$(median_of traced)
throughput=$(ratio "$tar_ms" "$pack_ms") startup=$(ratio "$bundle_ms" "$host_ms") trace=$(ratio "$traced_ms" "$untraced_ms")

printf '\n%-56s %12s\n' "measure (median of $rounds rounds)" "value"
printf '%-56s %9s ms\n' "tar --zstd -cf of the same files" "$tar_ms"
printf '%-56s %9s ms   throughput %sx tar   target >= 0.8: %s\n' "envlock pack" "$pack_ms" "$throughput" \
	"$(verdict "$throughput >= 0.8")"
printf '%-56s %9s ms\n' "exec --no-lock -- /bin/true (host)" "$host_ms"
printf '%-56s %9s ms   %sx host   target <= 1.2: %s\n' "exec --bundle (cached) -- /bin/true" "$bundle_ms" "$startup" \
	"$(verdict "$startup <= 1.2")"
printf '%-56s %9s ms\n' "exec --record: $workload" "$untraced_ms"
printf '%-56s %9s ms   %sx untraced (stated, no target)\n' "exec --record --trace: $workload" "$traced_ms" "$trace"
