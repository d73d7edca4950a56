# SPDX-License-Identifier: Apache-2.0
# Shared by the integration scripts: sourced, never run.
# ENVLOCK is the binary under test (set by ctest).
set -euo pipefail

: "${ENVLOCK:?ENVLOCK must point at the envlock binary}"
failures=0
checks=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/envlock-it.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# What a skip is, and what ENVLOCK_TEST_STRICT makes of it: tests/tools/skip.sh.
. "$(dirname "${BASH_SOURCE[0]}")/../tools/skip.sh"
skipped=0

# skip [--allowed WHY] REASON: the script cannot do what it is meant to
# here: it ends at once, 77 (skipped), 1 under strict mode unless --allowed,
# and 1 whatever the mode when a check failed before it.
skip() {
	if [ "$failures" -gt 0 ]; then
		el_skip_ok "$@" || true
		echo "$checks checks, $failures failed" >&2
		exit 1
	fi
	el_skip_exit "$@"
}

# skip_part [--allowed WHY] REASON: a part of the script is not run here; the
# other checks go on, and finish exits 77 (skipped) instead of 0. Under
# strict mode, unless --allowed, it is a failure instead.
skip_part() {
	if el_skip_ok "$@"; then
		skipped=$((skipped + 1))
	else
		failures=$((failures + 1))
	fi
}

need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
	done
}

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		fail "$1"
		printf '  expected: %s\n  actual:   %s\n' "$2" "$3" >&2
	fi
}

# run_capture OUT ERR STATUS-VAR -- cmd...: runs cmd, keeps its stdout, stderr and status.
run() {
	local out=$1 err=$2
	shift 2
	set +e
	"$@" >"$out" 2>"$err"
	status=$?
	set -e
}

# The CPUs a run may use, as "threads auto" counts them: the affinity mask
# (nproc, told to ignore OpenMP's variables), lowered by the tightest
# cgroup v2 quota (cpu.max) on the way up from this process's cgroup.
usable_cpus() {
	local n cg quota period
	n=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
	cg=$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null || true)
	while [ -n "$cg" ]; do
		if [ -r "/sys/fs/cgroup${cg%/}/cpu.max" ] && read -r quota period <"/sys/fs/cgroup${cg%/}/cpu.max" &&
			[ "$quota" != max ]; then
			quota=$(((quota + period - 1) / period))
			if [ "$quota" -lt "$n" ]; then n=$quota; fi
		fi
		if [ "$cg" = / ]; then break; fi
		cg=$(dirname "$cg")
	done
	echo "$n"
}

el_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)

# The in-toto Statements (run records) the script left under $scratch and,
# where the script made one, $base: each is one check, passed when
# tests/tools/intoto_check.py finds nothing wrong with it.
validate_records() {
	local f out n=0 dirs=("$scratch")

	if ! command -v python3 >/dev/null 2>&1; then
		skip_part "no python3: the in-toto records are not validated"
		return 0
	fi
	if [ -n "${base:-}" ] && [ -d "$base" ]; then dirs+=("$base"); fi
	while IFS= read -r -d '' f; do
		n=$((n + 1))
		out=$(python3 "$el_tools/intoto_check.py" "$f" 2>&1) || true
		check_eq "a valid in-toto Statement: $f" "" "$out"
	done < <(python3 - "${dirs[@]}" <<'PY'
import json, os, sys
for top in sys.argv[1:]:
    for d, _, files in os.walk(top):
        for name in sorted(files):
            p = os.path.join(d, name)
            if not name.endswith(".json") or os.path.islink(p):
                continue
            try:
                with open(p, "rb") as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                continue
            if isinstance(doc, dict) and doc.get("_type") == "https://in-toto.io/Statement/v1":
                sys.stdout.write(p + "\0")
PY
	)
	echo "$n in-toto records validated"
}

# finish: the end of every script: exit 1 when a check failed, else 77 when
# a part was skipped (ctest's "skipped": passing would claim checks that did
# not run), else 0.
# The locks the script left under $scratch and $base (those envlock reads
# back: not the bad input made on purpose) and its run records, against the
# JSON Schemas shipped in schema/ (tests/tools/schema_check.py): one check.
validate_locks() {
	local out dirs=("$scratch")

	if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		skip_part "python3-jsonschema is not installed: the locks and records are not validated against schema/"
		return 0
	fi
	if [ -n "${base:-}" ] && [ -d "$base" ]; then dirs+=("$base"); fi
	out=$(/usr/bin/python3 "$el_tools/schema_check.py" "$ENVLOCK" "$EL_SOURCE_DIR/schema" "${dirs[@]}" 2>&1) || true
	check_eq "the locks and records written match schema/" "" "$(printf '%s\n' "$out" | grep -v '^validated ' || true)"
	echo "${out##*$'\n'} against schema/"
}

finish() {
	validate_records
	validate_locks
	echo "$checks checks, $failures failed, $skipped skipped"
	if [ "$failures" -gt 0 ]; then
		exit 1
	elif [ "$skipped" -gt 0 ]; then
		echo "SKIP: $skipped not run (the SKIP lines above say why)"
		exit 77
	fi
	exit 0
}
