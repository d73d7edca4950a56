#!/usr/bin/env bash
# Benchmark of `envlock capture` against its targets (DESIGN.md):
#   warm (stat cache filled): median under 10 ms, no child process,
#   and at least 50x faster than `python3 -m pip freeze` measured in the same run.
# Usage: tests/bench/capture.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs_warm=${RUNS_WARM:-50}
runs_cold=${RUNS_COLD:-3}
runs_pip=${RUNS_PIP:-5}
python=${PYTHON:-python3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

median() { "$python" "$here/timing.py" "$@"; }

# Measured where users run it: inside a git checkout (this one).
cd "$here/../.."

echo "envlock capture benchmark on $(nproc) CPUs, $(uname -r)"
echo "binary: $envlock"

# Cold: an empty stat cache every run, so every library is hashed and every
# compiler asked again (the page cache stays warm: this measures envlock).
cold_total=0
for i in $(seq "$runs_cold"); do
	rm -rf "$scratch/cold"
	t=$(ENVLOCK_CACHE_DIR=$scratch/cold median 1 "$envlock" capture)
	echo "  cold run $i: $t ms"
	cold_total=$(echo "$cold_total $t" | awk '{print $1 + $2}')
done
cold=$(echo "$cold_total $runs_cold" | awk '{printf "%.3f", $1 / $2}')

export ENVLOCK_CACHE_DIR=$scratch/warm
"$envlock" capture >/dev/null 2>&1
sleep 2.1 # facts about files younger than 2 s are not cached (racy-clean rule)
"$envlock" capture >/dev/null 2>&1
warm=$(median "$runs_warm" "$envlock" capture)
pip=$(median "$runs_pip" "$python" -m pip freeze)

children=n/a
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$scratch/trace" "$envlock" capture >/dev/null 2>&1
	children=$(( $(grep -cE 'execve|fork|clone' "$scratch/trace") - 1 ))
fi

ratio=$(echo "$pip $warm" | awk '{printf "%.1f", $1 / $2}')
verdict() { if awk "BEGIN{exit !($1)}"; then echo PASS; else echo FAIL; fi; }

printf '\n%-44s %10s\n' "measure" "value"
printf '%-44s %7s ms\n' "capture cold, mean of $runs_cold (empty stat cache)" "$cold"
printf '%-44s %7s ms   target < 10 ms: %s\n' "capture warm, median of $runs_warm" "$warm" "$(verdict "$warm < 10")"
printf '%-44s %7s ms\n' "$python -m pip freeze, median of $runs_pip" "$pip"
printf '%-44s %7sx     target >= 50x: %s\n' "pip freeze / capture warm" "$ratio" "$(verdict "$ratio >= 50")"
printf '%-44s %7s      target 0: %s\n' "child processes, warm capture (strace -f)" "$children" \
	"$( [ "$children" = 0 ] && echo PASS || echo FAIL)"
