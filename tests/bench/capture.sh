#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of `envlock capture` and `envlock check` against their targets:
#   capture warm (stat cache filled): median under 10 ms, no child process,
#   and at least 50x faster than `python3 -m pip freeze` measured in the same run;
#   check warm (the lock captured here, nothing drifted): median under 15 ms;
#   capture warm with a torch-2.x-sized site-packages (2,000 files under
#   torch/, 40 bundled shared objects of 1 MiB in torch/lib): under 10 ms.
# Times come from hyperfine -N (no shell in between); the figures are medians.
#
# Usage: tests/bench/capture.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs_warm=${RUNS_WARM:-100}
runs_cold=${RUNS_COLD:-3}
runs_pip=${RUNS_PIP:-5}
python=${PYTHON:-python3}
make_scratch

need_tool hyperfine

# median_ms NAME RUNS [hyperfine options] -- COMMAND...
median_ms() {
	local name=$1 runs=$2
	shift 2
	hyperfine -N --style none --runs "$runs" --export-json "$scratch/$name.json" "$@" >/dev/null 2>&1
	jq '.results[0].median * 1000 * 1000 | round / 1000' "$scratch/$name.json"
}

# Measured where users run it: inside a git checkout (this one).
cd "$here/../.."

echo "envlock capture and check benchmark: $(nproc) CPUs, kernel $(uname -r), $(date -u +%FT%TZ)"
echo "binary: $envlock"

# Cold: an empty stat cache every run, so every library is hashed, every
# compiler asked and every version call made again (the page cache stays
# warm: this measures envlock, not the disk).
cold=$(median_ms cold "$runs_cold" --prepare "rm -rf $scratch/cold" \
	"env ENVLOCK_CACHE_DIR=$scratch/cold $envlock capture")

export ENVLOCK_CACHE_DIR=$scratch/warm
"$envlock" capture >/dev/null 2>&1
sleep 2.1 # facts about files younger than 2 s are not cached (racy-clean rule)
"$envlock" capture >/dev/null 2>&1
warm=$(median_ms warm "$runs_warm" --warmup 5 "$envlock capture")
"$envlock" capture -o "$scratch/env.lock" 2>/dev/null
check=$(median_ms check "$runs_warm" --warmup 5 "$envlock check --lock $scratch/env.lock")
true_ms=$(median_ms true "$runs_warm" --warmup 5 "true")

# A torch 2.x install: its interpreter is a script that answers like one
# (it runs once; then its answer comes from the stat cache like any other).
fw=$scratch/torchenv
site=$fw/lib/python3.11/site-packages
mkdir -p "$fw/bin" "$site/torch/lib"
printf '#!/bin/sh\necho '"'"'{"version": "3.11.7", "executable": "%s/bin/python3", "path": ["%s"]}'"'"'\n' "$fw" "$site" >"$fw/bin/python3"
chmod 755 "$fw/bin/python3"
printf '%s\n' "__version__ = '2.3.1+cu121'" 'debug = False' "cuda: Optional[str] = '12.1'" \
	"git_version = '63d5e9221bedd1546b7d364b5ce4171547db12a9'" 'hip: Optional[str] = None' >"$site/torch/version.py"
for d in $(seq 1 49); do
	mkdir -p "$site/torch/mod$d"
	for f in $(seq 1 40); do echo "x = $f" >"$site/torch/mod$d/f$f.py"; done
done
for i in $(seq 1 40); do
	{ printf '\177ELF\2\1\1'; head -c 1048576 /dev/zero; echo "$i"; } >"$site/torch/lib/libtorch_part$i.so"
done
torch_files=$(find "$site/torch" -type f | wc -l)
"$envlock" capture --python "$fw/bin/python3" >/dev/null 2>&1
sleep 2.1
"$envlock" capture --python "$fw/bin/python3" -o "$scratch/torch.lock" 2>/dev/null
torch_libs=$(jq '.frameworks.torch.libraries | length' "$scratch/torch.lock")
torch=$(median_ms torch "$runs_warm" --warmup 5 "$envlock capture --python $fw/bin/python3")
pip=$(median_ms pip "$runs_pip" "$python -m pip freeze")

children=n/a
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$scratch/trace" "$envlock" capture >/dev/null 2>&1
	# Processes, not threads: an exec, a fork, or a clone without CLONE_THREAD.
	children=$(($(grep -E 'execve|fork|clone' "$scratch/trace" | grep -vc CLONE_THREAD) - 1))
fi

ratio=$(jq -n "$pip / $warm * 10 | round / 10")
verdict() { if jq -en "$1" >/dev/null; then echo PASS; else echo FAIL; fi; }

printf '\n%-48s %10s\n' "measure (median)" "value"
printf '%-48s %7s ms\n' "capture, cold stat cache ($runs_cold runs)" "$cold"
printf '%-48s %7s ms   target < 10 ms: %s\n' "capture, warm ($runs_warm runs)" "$warm" "$(verdict "$warm < 10")"
printf '%-48s %7s ms   target < 15 ms: %s\n' "check, warm, no drift ($runs_warm runs)" "$check" "$(verdict "$check < 15")"
printf '%-48s %7s ms   target < 10 ms: %s\n' "capture, warm, torch 2.x ($torch_files files, $torch_libs .so)" "$torch" "$(verdict "$torch < 10")"
printf '%-48s %7s ms\n' "  for scale: true ($runs_warm runs)" "$true_ms"
printf '%-48s %7s ms\n' "$python -m pip freeze ($runs_pip runs)" "$pip"
printf '%-48s %7sx     target >= 50x: %s\n' "pip freeze / capture warm" "$ratio" "$(verdict "$ratio >= 50")"
printf '%-48s %7s      target 0: %s\n' "child processes in a warm capture (strace -f)" "$children" \
	"$([ "$children" = 0 ] && echo PASS || echo FAIL)"
