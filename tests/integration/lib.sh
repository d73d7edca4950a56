# Shared by the integration scripts: sourced, never run.
# ENVLOCK is the binary under test (set by ctest).
set -euo pipefail

: "${ENVLOCK:?ENVLOCK must point at the envlock binary}"
failures=0
checks=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/envlock-it.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

skip() {
	echo "SKIP: $*"
	exit 77
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

finish() {
	echo "$checks checks, $failures failed"
	[ "$failures" -eq 0 ]
}
