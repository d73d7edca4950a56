#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of `envlock unpack` against its target: unpacking at least as
# fast as `tar -x` of the same archive (DESIGN.md: "unpack at least 1.0x
# tar -x"), measured in the same run. The archive is a tree like a bundle's:
# 2,000 files of 1 to 64 KiB in 40 directories and four of 16 MiB (about
# 128 MiB in all, random bytes), packed by GNU tar, once plain and once
# with zstd. Both commands unpack into a directory that does not exist yet
# (removed before each run, and the disk synced, so that neither pays for
# the other's writeback) on the same file system; times come from
# hyperfine -N in ROUNDS alternating rounds (default 5) of RUNS runs each
# (default 4), and the figures are medians of the rounds' medians.
#
# Usage: tests/bench/unpack.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs=${RUNS:-4}
rounds=${ROUNDS:-5}
make_scratch "${TMPDIR:-/var/tmp}/envlock-unpack-bench.XXXXXX"

need_tool hyperfine
need_tool jq
need_tool zstd
need_tool python3

python3 - "$scratch/src" <<'PY'
import os, sys
root = sys.argv[1]
rand = os.urandom(64 * 1024 + 16 * 1024 * 1024)
for i in range(2000):
    d = f"{root}/d{i % 40:02}"
    os.makedirs(d, exist_ok=True)
    size = 1024 + (i * 7919) % (63 * 1024)
    with open(f"{d}/f{i:04}.bin", "wb") as out:
        out.write(rand[i:i + size])
for i in range(4):
    with open(f"{root}/big{i}.bin", "wb") as out:
        out.write(rand[i * 4096:i * 4096 + 16 * 1024 * 1024])
PY
tar -C "$scratch/src" -cf "$scratch/tree.tar" .
tar -C "$scratch/src" --zstd -cf "$scratch/tree.tar.zst" .
out=$scratch/out

# Both must unpack the same tree before either is timed.
"$envlock" unpack "$scratch/tree.tar.zst" "$out"
diff -r "$scratch/src" "$out" >/dev/null || { echo "unpack.sh: envlock unpack did not give the same tree" >&2; exit 1; }
rm -rf "$out"

echo "envlock unpack benchmark: $(nproc) CPUs, $(date -u +%FT%TZ), $(du -sm "$scratch/src" | cut -f1) MiB in $(find "$scratch/src" -type f | wc -l) files"
echo "binary: $envlock"

median_ms() {
	local name=$1
	shift
	hyperfine -N --style none --runs "$runs" --export-json "$scratch/$name.json" "$@" >/dev/null 2>&1
	jq '.results[0].median * 1000 * 1000 | round / 1000' "$scratch/$name.json"
}

for kind in tar tar.zst; do
	z=$([ "$kind" = tar.zst ] && echo --zstd || true)
	for r in $(seq "$rounds"); do
		median_ms "tar-$kind-$r" --prepare "sh -c 'rm -rf $out; sync'" \
			"tar $z -xf $scratch/tree.$kind --one-top-level=$out" >>"$scratch/tar-$kind"
		median_ms "el-$kind-$r" --prepare "sh -c 'rm -rf $out; sync'" \
			"$envlock unpack $scratch/tree.$kind $out" >>"$scratch/el-$kind"
	done
done
median_of() { jq -s 'sort | .[length / 2 | floor]' "$scratch/$1"; }

printf '\n%-52s %12s\n' "measure (median of $rounds rounds of $runs runs)" "value"
for kind in tar tar.zst; do
	t=$(median_of "tar-$kind") e=$(median_of "el-$kind")
	ratio=$(jq -n "$e / $t * 100 | round / 100")
	printf '%-52s %9s ms\n' "tar -xf tree.$kind" "$t"
	printf '%-52s %9s ms   %sx tar   target <= 1.0: %s\n' "envlock unpack tree.$kind" "$e" "$ratio" \
		"$(jq -n "if $ratio <= 1.0 then \"PASS\" else \"FAIL\" end" -r)"
done
