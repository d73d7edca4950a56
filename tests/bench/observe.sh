#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cost of observed libraries (the LD_AUDIT observer and hashing what
# the run loaded): `import torch` (Debian's python3-torch; numpy where
# torch is missing) run with `envlock exec --no-lock --record` and with
# `--no-observe` added, medians from hyperfine -N, and their ratio; then
# `envlock capture --observe -- python3 -c 'import torch'` against a plain
# capture plus the same run without observation (what it replaces). The stat cache is warm for both (a first run hashes libtorch
# once, hundreds of MB; later runs cost a stat per library), so the ratio
# is what a run pays every time.
#
# Usage: tests/bench/observe.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs=${RUNS:-10}
make_scratch /var/tmp/envlock-bench-observe.XXXXXX

need_tool hyperfine
need_tool jq

module=torch
if ! env -u PYTHONPATH /usr/bin/python3 -c 'import torch' 2>/dev/null; then
	module=numpy
	echo "observe.sh: Debian's python3-torch is not installed: measuring import numpy instead" >&2
fi

export ENVLOCK_CACHE_DIR=$scratch/cache
cd "$scratch"
mkdir rec
base=("$envlock" exec --no-lock --record "$scratch/rec/")
# Warm: the observed libraries hashed once into the stat cache, Python's bytecode read once.
"${base[@]}" -- python3 -c "import $module" >/dev/null
"${base[@]}" --no-observe -- python3 -c "import $module" >/dev/null

hyperfine -N --style none --runs "$runs" --warmup 2 --export-json "$scratch/h.json" \
	-n observed "${base[*]} -- python3 -c 'import $module'" \
	-n no-observe "${base[*]} --no-observe -- python3 -c 'import $module'" >/dev/null 2>&1
observed=$(jq '.results[0].median * 1000 | round' "$scratch/h.json")
plain=$(jq '.results[1].median * 1000 | round' "$scratch/h.json")
objects=$(jq '[.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.observed == true)] | length' \
	"$(ls -t "$scratch"/rec/*.json | tail -1)")
ratio=$(jq -n --argjson a "$observed" --argjson b "$plain" '$a / $b * 1000 | round / 1000')
echo "import $module in envlock exec --record: ${observed} ms observed ($objects objects), ${plain} ms with --no-observe; ratio $ratio"

# capture --observe: one observed run, then a capture that hashes what it loaded (warm).
cap=("$envlock" capture --python /usr/bin/python3 -o "$scratch/env.lock")
"${cap[@]}" --observe -- python3 -c "import $module" >/dev/null
hyperfine -N --style none --runs "$runs" --warmup 2 --export-json "$scratch/c.json" \
	-n capture-observe "${cap[*]} --observe -- python3 -c 'import $module'" \
	-n capture "${cap[*]}" >/dev/null 2>&1
cap_observe=$(jq '.results[0].median * 1000 | round' "$scratch/c.json")
cap_plain=$(jq '.results[1].median * 1000 | round' "$scratch/c.json")
ratio=$(jq -n --argjson a "$cap_observe" --argjson b "$cap_plain" --argjson c "$plain" '$a / ($b + $c) * 1000 | round / 1000')
echo "capture --observe -- python3 -c 'import $module': ${cap_observe} ms; capture ${cap_plain} ms + the run ${plain} ms; ratio $ratio"
