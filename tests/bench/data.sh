#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of data hashing against its targets (DESIGN.md):
#   - one 1 GiB file: envlock's throughput per core at least 0.9x sha256sum's
#     on the same file, measured in the same run;
#   - the same 1 GiB as 4 files per core, hashed as a tree on every core:
#     the speed-up over one core (scaling with cores), and against
#     sha256sum run on every core (xargs -P);
#   - a 10k-file tree: a warm re-check (digest cache filled, nothing
#     changed) at least 20x faster than the cold hash (no cache; the files
#     in the page cache, so the cold figure is hashing, not the disk).
#   - the warm re-check of a 10k-file tree (100 directories of 100 files)
#     against `find DIR -type f -printf '%s %T@ %C@ %i\n'`, which stats the
#     same files on one core and prints the same identity: at most 0.75x its
#     time. Both are timed in alternating rounds (ROUNDS, default 16, of
#     RUNS * 2 runs each, one command after the other) so that a busy
#     moment weighs on both alike; the times are the medians of the
#     rounds' medians, the ratio the median of the rounds' ratios (each
#     from one round, its commands a moment apart). OLD=path/to/an/older/build
#     times that build's el_hashbench in the same rounds, for a before and
#     after (and checks that both give the tree the same address).
# The 10k files are sized like an image data set (4 KiB to 252 KiB, about
# 128 KiB on average: 1.25 GiB in all); a tree of 10k 4 KiB files is
# measured too, for scale, with no target.
#
# It times el_hashbench (tests/bench/el_hashbench.c: el_data_hash, what
# capture --data runs, without the capture's probes around it) with
# hyperfine; the figures are medians. About 4 GiB of scratch space in
# $TMPDIR (default /var/tmp) for all parts; PARTS picks some of them:
# "file" (the 1 GiB file and its split), "tree" (the 10k-file trees, cold
# and warm), "recheck" (against find; 50 MiB, under a minute).
#
# Usage: [PARTS="file tree recheck"] [OLD=build] tests/bench/data.sh [path/to/build]   (default: build)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
build=$(realpath "${1:-$here/../../build}")
bench=$build/tests/el_hashbench
runs=${RUNS:-5}
rounds=${ROUNDS:-16}
parts=" ${PARTS:-file tree recheck} "
old_bench=
if [ -n "${OLD:-}" ]; then
	old_bench=$(realpath "$OLD")/tests/el_hashbench
	[ -x "$old_bench" ] || { echo "data.sh: $old_bench is not built" >&2; exit 1; }
fi
make_scratch "${TMPDIR:-/var/tmp}/envlock-databench.XXXXXX"
cpus=$(nproc)

part() { [[ $parts == *" $1 "* ]]; }

for tool in hyperfine jq sha256sum python3; do
	need_tool "$tool"
done
[ -x "$bench" ] || { echo "data.sh: $bench is not built (cmake --build $build)" >&2; exit 1; }

# median_s NAME RUNS [hyperfine options] COMMAND (-N for no shell in between)
median_s() {
	local name=$1 runs=$2
	shift 2
	hyperfine --style none --runs "$runs" --export-json "$scratch/$name.json" "$@" >/dev/null 2>&1
	jq '.results[0].median' "$scratch/$name.json"
}
ratio() { jq -n "$1 / $2 * 100 | round / 100"; }
verdict() { if jq -en "$1" >/dev/null; then echo PASS; else echo FAIL; fi; }

echo "envlock data benchmark: $cpus CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%FT%TZ)"
echo "sha256sum: $(sha256sum --version | head -1)"

# --- one 1 GiB file ---
if part file; then
	head -c $((1 << 30)) /dev/urandom >"$scratch/big"
	cat "$scratch/big" >/dev/null
	want=$(sha256sum <"$scratch/big" | cut -d' ' -f1)
	got=$("$bench" "$scratch/big" "" 1)
	[ "$got" = "sha256:$want" ] || { echo "data.sh: el_hashbench gives $got, sha256sum $want" >&2; exit 1; }
	sum_s=$(median_s sum "$runs" -N --warmup 1 "sha256sum $scratch/big")
	one_s=$(median_s one "$runs" -N --warmup 1 "$bench $scratch/big '' 1")

	# --- the same bytes as 4 files per CPU ---
	mkdir "$scratch/split"
	split -n "$((cpus * 4))" -d -a 3 "$scratch/big" "$scratch/split/part-"
	rm "$scratch/big"
	cat "$scratch"/split/* >/dev/null
	tree1_s=$(median_s tree1 "$runs" -N --warmup 1 "$bench $scratch/split '' 1")
	treeN_s=$(median_s treeN "$runs" -N --warmup 1 "$bench $scratch/split '' 0")
	xargs_s=$(median_s xargs "$runs" --warmup 1 --shell=bash \
		"find $scratch/split -type f -print0 | xargs -0 -n 4 -P $cpus sha256sum >/dev/null")
	rm -rf "$scratch/split"
fi

# --- 10k files ---
# make_tree DIR MIN_KIB MAX_KIB: 10k files in 100 directories, sizes spread evenly, made old enough to cache.
make_tree() {
	python3 - "$1" "$2" "$3" <<'PY'
import os, sys
root, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunk = os.urandom(hi * 1024 + 1024)  # every file gets its full size, whatever its offset
for d in range(100):
    os.makedirs(f"{root}/d{d:02}")
    for f in range(100):
        i = d * 100 + f
        size = (lo + (i * 7919) % (hi - lo + 1)) * 1024 if hi > lo else lo * 1024
        with open(f"{root}/d{d:02}/f{f:03}.bin", "wb") as out:
            out.write(chunk[i % 1024:][:size] + i.to_bytes(4, "little"))
        os.utime(f"{root}/d{d:02}/f{f:03}.bin", (1700000000, 1700000000))
PY
	cat "$1"/*/* >/dev/null
}

# cold_warm NAME DIR: cold hash and warm re-check medians, in seconds, "COLD WARM".
cold_warm() {
	local name=$1 dir=$2 cache=$scratch/cache-$1 cold warm
	cold=$(median_s "$name-cold" "$runs" -N --warmup 1 --prepare "rm -rf $cache" "$bench $dir $cache 0")
	sleep 2.1 # ctimes younger than 2 s are not cached (the racy rule): the files were just made
	"$bench" "$dir" "$cache" 0 >/dev/null
	warm=$(median_s "$name-warm" $((runs * 4)) -N --warmup 2 "$bench $dir $cache 0")
	echo "$cold $warm"
}

if part tree; then
	make_tree "$scratch/images" 4 252
	read -r img_cold img_warm < <(cold_warm images "$scratch/images")
	img_bytes=$(du -sb "$scratch/images" | cut -f1)
	rm -rf "$scratch/images"
	make_tree "$scratch/small" 4 4
	read -r small_cold small_warm < <(cold_warm small "$scratch/small")
	rm -rf "$scratch/small"
fi

# --- warm re-check against find, alternating rounds ---
# median_of NAME: the median of the rounds' medians of NAME, in seconds.
median_of() { jq -s '[.[].results[0].median] | sort | .[length / 2 | floor]' "$scratch"/round-"$1".*.json; }
# ratio_of NAME: the median over the rounds of NAME's median over find's in the same round.
ratio_of() {
	for r in $(seq "$rounds"); do
		jq -n --slurpfile a "$scratch/round-$1.$r.json" --slurpfile f "$scratch/round-find.$r.json" \
			'$a[0].results[0].median / $f[0].results[0].median'
	done | jq -s 'sort | .[length / 2 | floor] * 100 | round / 100'
}
if part recheck; then
	make_tree "$scratch/recheck" 4 4
	sleep 2.1 # the racy rule, as above
	got=$("$bench" "$scratch/recheck" "$scratch/cache-recheck" 0)
	if [ -n "$old_bench" ]; then
		was=$("$old_bench" "$scratch/recheck" "$scratch/cache-recheck-old" 0)
		[ "$got" = "$was" ] || { echo "data.sh: $got here, $was from $OLD" >&2; exit 1; }
	fi
	for r in $(seq "$rounds"); do
		hyperfine -N --style none --runs $((runs * 2)) --warmup 2 --export-json "$scratch/round-new.$r.json" \
			"$bench $scratch/recheck $scratch/cache-recheck 0" >/dev/null 2>&1
		hyperfine -N --style none --runs $((runs * 2)) --warmup 2 --export-json "$scratch/round-find.$r.json" \
			"find $scratch/recheck -type f -printf '%s %T@ %C@ %i\n'" >/dev/null 2>&1
		[ -z "$old_bench" ] || hyperfine -N --style none --runs $((runs * 2)) --warmup 2 \
			--export-json "$scratch/round-old.$r.json" \
			"$old_bench $scratch/recheck $scratch/cache-recheck-old 0" >/dev/null 2>&1
	done
	recheck_s=$(median_of new)
	find_s=$(median_of find)
	recheck_x=$(ratio_of new)
	[ -z "$old_bench" ] || { old_s=$(median_of old); old_x=$(ratio_of old); }
fi

mib() { jq -n "1024 / $1 | round"; }
ms() { jq -n "$1 * 1000 * 100 | round / 100"; }

printf '\n%-58s %12s\n' "measure (median)" "value"
if part file; then
	printf '%-58s %8s MiB/s\n' "sha256sum, 1 GiB file" "$(mib "$sum_s")"
	printf '%-58s %8s MiB/s   %sx sha256sum   target >= 0.9: %s\n' "envlock, 1 GiB file, one core" "$(mib "$one_s")" \
		"$(ratio "$sum_s" "$one_s")" "$(verdict "$sum_s / $one_s >= 0.9")"
	printf '%-58s %8s MiB/s\n' "envlock, the same as $((cpus * 4)) files, one thread" "$(mib "$tree1_s")"
	printf '%-58s %8s MiB/s   %sx one thread (%s CPUs)\n' "envlock, the same as $((cpus * 4)) files, every core" \
		"$(mib "$treeN_s")" "$(ratio "$tree1_s" "$treeN_s")" "$cpus"
	printf '%-58s %8s MiB/s   envlock %sx\n' "sha256sum on every core (xargs -P $cpus), the same files" "$(mib "$xargs_s")" \
		"$(ratio "$xargs_s" "$treeN_s")"
fi
if part tree; then
	printf '%-58s %8s ms\n' "10k files, $((img_bytes >> 20)) MiB: cold hash" "$(ms "$img_cold")"
	printf '%-58s %8s ms   %sx faster   target >= 20: %s\n' "10k files, $((img_bytes >> 20)) MiB: warm re-check" \
		"$(ms "$img_warm")" "$(ratio "$img_cold" "$img_warm")" "$(verdict "$img_cold / $img_warm >= 20")"
	printf '%-58s %8s ms\n' "10k files of 4 KiB: cold hash" "$(ms "$small_cold")"
	printf '%-58s %8s ms   %sx faster   (no target)\n' "10k files of 4 KiB: warm re-check" "$(ms "$small_warm")" \
		"$(ratio "$small_cold" "$small_warm")"
fi
if part recheck; then
	printf '%-58s %8s ms\n' "find -printf '%s %T@ %C@ %i\\n', the same 10k files" "$(ms "$find_s")"
	printf '%-58s %8s ms   %sx find (%s CPUs)   target <= 0.75: %s\n' \
		"10k files, warm re-check, $rounds rounds alternating" "$(ms "$recheck_s")" \
		"$recheck_x" "$cpus" "$(verdict "$recheck_x <= 0.75")"
	[ -z "$old_bench" ] || printf '%-58s %8s ms   %sx find\n' "the same, $OLD" "$(ms "$old_s")" "$old_x"
fi
