#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock on a machine with a real NVIDIA GPU: capture against nvidia-smi,
# exec's device passthrough (gpu auto, none, require; as root and as an
# unprivileged user), cuBLAS and PyTorch determinism inside the sandbox.
# See tests/device/README.md.
#
#   bash tests/device/run.sh                  all checks; artifacts in $OUT, else a new temporary directory
#   bash tests/device/run.sh --build-gemm DIR only compile gemm.c into DIR (the ctest device.gemm_build)
#
# One line per check, "PASS name", "FAIL name: why" or "SKIP name: why",
# then a summary. Exit status: 0 every check that ran passed, 1 a check
# failed, 77 no check could run (no GPU here), 2 bad usage or no place
# for the artifacts.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# The whole run's time limit, and each kind of step's, in seconds.
BUDGET=${ENVLOCK_DEVICE_BUDGET:-540}
T_BUILD=300
T_CAPTURE=180
T_EXEC=90
T_GEMM=120
T_TORCH=240
NO_GPU_REASON="no NVIDIA GPU here (no /dev/nvidia0 and nvidia-smi fails)"
CHECKS=(build.envlock
	capture.run capture.no-gpu-warnings capture.driver capture.cuda_driver capture.devices capture.uuids
	capture.mig capture.fingerprint
	exec.root.list exec.root.none exec.root.require exec.user.list exec.user.none exec.user.require
	gemm.build gemm.host gemm.pinned gemm.determinism gemm.sandbox-matches-host
	torch.determinism)
user='envlock-test'
start=$SECONDS

# ---- helpers ----

npass=0 nfail=0 nskip=0
declare -A done_check=()
result() {
	local verdict=$1 name=$2 why=${3:-}
	done_check[$name]=1
	case $verdict in
	PASS) npass=$((npass + 1)) ;;
	FAIL) nfail=$((nfail + 1)) ;;
	SKIP) nskip=$((nskip + 1)) ;;
	esac
	echo "$verdict $name${why:+: $why}"
	printf '%s\t%s\t%s\n' "$verdict" "$name" "$why" >>"$base/results.tsv"
}
pass() { result PASS "$@"; }
fail() { result FAIL "$@"; }
skip() { result SKIP "$@"; }
# skip_rest PATTERN WHY: every check matching PATTERN not reported yet is skipped.
skip_rest() {
	local c
	for c in "${CHECKS[@]}"; do
		# shellcheck disable=SC2053 # PATTERN is a glob
		[[ $c == $1 ]] && [ -z "${done_check[$c]:-}" ] && skip "$c" "$2"
	done
}
note() { echo "  note: $*"; }
section() { printf '\n== %s (%ss into the run)\n' "$*" "$((SECONDS - start))"; }

quote() {
	local out='' a
	for a in "$@"; do out+="$(printf '%q' "$a") "; done
	echo "${out% }"
}

# step NAME SECONDS CMD...: CMD with a time limit (and the run's), stdin
# closed, stdout in $steps/NAME.out, stderr in $steps/NAME.err; status in rc.
step() {
	local name=$1 limit=$2 left t0
	shift 2
	left=$((BUDGET - (SECONDS - start)))
	[ "$limit" -gt "$left" ] && limit=$left
	if [ "$limit" -lt 5 ]; then
		: >"$steps/$name.out"
		echo "the run's time budget (${BUDGET}s) is spent" >"$steps/$name.err"
		echo "  $ $(quote "$@")  -> not run: the time budget is spent"
		rc=124
		return
	fi
	t0=$SECONDS
	timeout -k 5 "$limit" "$@" >"$steps/$name.out" 2>"$steps/$name.err" </dev/null
	rc=$?
	echo "  $ $(quote "$@")  -> status $rc, $((SECONDS - t0))s${limit:+ (limit ${limit}s)}"
	[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo "  timed out after ${limit}s"
	return 0
}

# show NAME: a step's output in the log, indented, cut at 40 lines each.
show() {
	local f
	for f in "$steps/$1.out" "$steps/$1.err"; do
		[ -s "$f" ] || continue
		echo "  --- ${f##*/}"
		head -n 40 "$f" | sed 's/^/  | /'
		[ "$(wc -l <"$f")" -le 40 ] || echo "  | ... ($(wc -l <"$f") lines, all in $f)"
	done
}

# first_line NAME: the first non-empty line of a step's stderr, for a reason.
first_line() { grep -m1 -v '^[[:space:]]*$' "$steps/$1.err" 2>/dev/null | cut -c1-200; }
# first_lines NAME...: theirs, joined with "; ".
first_lines() {
	local n
	for n in "$@"; do first_line "$n"; done | paste -sd ';' | sed 's/;/; /g'
}

time_left() { [ $((BUDGET - (SECONDS - start))) -ge 20 ]; }

# flatten LOCK: "path<TAB>value" for every scalar (jq, or python3's json).
flatten() {
	if command -v jq >/dev/null; then
		jq -r 'paths(scalars) as $p | [($p | map(tostring) | join(".")), (getpath($p) | tostring)] | join("\t")' "$1"
	else
		python3 -c '
import json, sys
def walk(v, p):
    if isinstance(v, dict):
        for k in v: walk(v[k], p + [k])
    elif isinstance(v, list):
        for i, x in enumerate(v): walk(x, p + [str(i)])
    else:
        print(".".join(p) + "\t" + (v if isinstance(v, str) else json.dumps(v)))
walk(json.load(open(sys.argv[1])), [])' "$1"
	fi
}
# get FLAT PATH: the value at PATH, or nothing.
get() { awk -F'\t' -v k="$2" '$1 == k { print $2; exit }' "$1"; }

trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }

# ---- the CUDA toolkit and gemm.c ----

# find_cuda: cuda_inc and cuda_lib (cuda_runtime.h, cublas_v2.h, libcublas.so), nvcc; where_looked.
find_cuda() {
	local d nv triplet l
	local -a dirs=()
	cuda_inc='' cuda_lib='' nvcc=''
	nv=$(command -v nvcc || true)
	[ -n "${CUDA_HOME:-}" ] && dirs+=("$CUDA_HOME")
	[ -n "${CUDA_PATH:-}" ] && dirs+=("$CUDA_PATH")
	[ -n "$nv" ] && dirs+=("$(dirname "$(dirname "$nv")")")
	dirs+=(/usr/local/cuda /usr/local/cuda-* /opt/cuda /usr)
	triplet=$(gcc -print-multiarch 2>/dev/null || true)
	where_looked="${dirs[*]}"
	for d in "${dirs[@]}"; do
		if [ ! -f "$d/include/cuda_runtime.h" ] || [ ! -f "$d/include/cublas_v2.h" ]; then continue; fi
		for l in "$d/lib64" "$d/lib" "$d/targets/$(uname -m)-linux/lib" ${triplet:+"/usr/lib/$triplet"}; do
			if [ -e "$l/libcublas.so" ] || compgen -G "$l/libcublas.so.*" >/dev/null; then
				cuda_inc=$d/include cuda_lib=$l
				if [ -x "$d/bin/nvcc" ]; then nvcc=$d/bin/nvcc; else nvcc=$nv; fi
				return 0
			fi
		done
	done
	return 1
}

# build_gemm DIR WERROR: gemm.c with nvcc and with cc, each that exists, into
# DIR/gemm-nvcc and DIR/gemm-cc; gemm_bin the first that built. Status 0
# every compiler tried built it, 1 one failed, 77 no toolkit.
build_gemm() {
	local dir=$1 werror=$2 ok=0 tried=0 libname=cublas
	local -a cflags=(-O2 -std=c11 -Wall -Wextra)
	gemm_bin=
	if ! find_cuda; then
		gemm_why="no CUDA toolkit with cuda_runtime.h, cublas_v2.h and libcublas.so (looked in $where_looked)"
		return 77
	fi
	# The development link libcublas.so may be missing where only the runtime package is installed.
	[ -e "$cuda_lib/libcublas.so" ] || libname=":$(cd "$cuda_lib" && compgen -G 'libcublas.so.*' | sort -V | head -n 1)"
	[ "$werror" = 1 ] && cflags+=(-Werror)
	echo "  CUDA headers $cuda_inc, libraries $cuda_lib, nvcc ${nvcc:-(none)}"
	mkdir -p "$dir"
	if [ -n "$nvcc" ]; then
		tried=$((tried + 1))
		step gemm-nvcc "$T_BUILD" "$nvcc" -O2 -o "$dir/gemm-nvcc" "$here/gemm.c" -I"$cuda_inc" -L"$cuda_lib" \
			-l"$libname" -Xlinker -rpath="$cuda_lib"
		show gemm-nvcc
		if [ "$rc" = 0 ]; then ok=$((ok + 1)) gemm_bin=$dir/gemm-nvcc; else gemm_why="nvcc: $(first_line gemm-nvcc)"; fi
	fi
	if command -v cc >/dev/null; then
		tried=$((tried + 1))
		step gemm-cc "$T_BUILD" cc "${cflags[@]}" -I"$cuda_inc" -o "$dir/gemm-cc" "$here/gemm.c" -L"$cuda_lib" \
			-Wl,-rpath,"$cuda_lib" -l"$libname" -lcudart
		show gemm-cc
		if [ "$rc" = 0 ]; then
			ok=$((ok + 1))
			[ -n "$gemm_bin" ] || gemm_bin=$dir/gemm-cc
		else
			gemm_why="${gemm_why:+$gemm_why; }cc: $(first_line gemm-cc)"
		fi
	fi
	if [ "$tried" = 0 ]; then
		gemm_why="neither nvcc nor cc is installed"
		return 77
	fi
	[ "$ok" = "$tried" ]
}

# --build-gemm DIR: the ctest that gemm.c compiles against this machine's toolkit.
if [ "${1:-}" = --build-gemm ]; then
	[ $# -eq 2 ] || { echo "usage: run.sh --build-gemm DIR" >&2; exit 2; }
	base=$(mktemp -d "${TMPDIR:-/tmp}/envlock-gemm.XXXXXX") || exit 2
	steps=$base
	trap 'rm -rf "$base"' EXIT
	gemm_why=
	build_gemm "$2" 1
	status=$?
	case $status in
	0) echo "PASS gemm.c compiles ($(cd "$2" && echo gemm-*))" ;;
	77)
		# No toolkit is what the CI machine has (no GPU there): under ENVLOCK_TEST_STRICT
		# (tests/tools/skip.sh) that stays a skip; a toolkit with no compiler to use it does not.
		if [ -z "$cuda_inc" ]; then
			echo "SKIP: $gemm_why (allowed under ENVLOCK_TEST_STRICT: the CI machine has no GPU and no CUDA toolkit)"
		elif [ -n "${ENVLOCK_TEST_STRICT:-}" ] && [ "$ENVLOCK_TEST_STRICT" != 0 ]; then
			echo "FAIL: not run: $gemm_why (ENVLOCK_TEST_STRICT=$ENVLOCK_TEST_STRICT: a skip here is a failure)"
			status=1
		else
			echo "SKIP: $gemm_why"
		fi
		;;
	*) echo "FAIL gemm.c does not compile: $gemm_why" ;;
	esac
	exit "$status"
fi
case ${1:-} in
'') ;;
-h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

# ---- where everything goes ----

if [ -n "${OUT:-}" ]; then
	base=$OUT
	mkdir -p "$base" || exit 2
else
	base=$(mktemp -d "${TMPDIR:-/tmp}/envlock-device.XXXXXX") || exit 2
fi
base=$(cd "$base" && pwd)
steps=$base/steps
mkdir -p "$steps" || exit 2
: >"$base/results.tsv"

main() {
	echo "envlock device checks: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n), $(uname -sr), uid $(id -u)"
	echo "artifacts and full log: $base (run.log, results.tsv, steps/)"
	echo "checkout: $repo ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
	command -v timeout >/dev/null || { echo "timeout (coreutils) is not installed: cannot time-box the steps"; return 2; }

	# ---- is there a GPU? ----
	section "GPU"
	local smi have_dev=0 smi_ok=0 reason=
	smi=$(command -v nvidia-smi || true)
	compgen -G '/dev/nvidia[0-9]*' >/dev/null && have_dev=1
	# shellcheck disable=SC2012 # for the log only
	ls -l /dev/nvidia* /dev/dri 2>&1 | sed 's/^/  /'
	if [ -n "$smi" ]; then
		step nvidia-smi-L 60 "$smi" -L
		show nvidia-smi-L
		[ "$rc" = 0 ] && grep -q '^GPU ' "$steps/nvidia-smi-L.out" && smi_ok=1
	fi
	if [ "$have_dev" = 0 ] && [ "$smi_ok" = 0 ]; then
		reason=$NO_GPU_REASON
	elif [ "$smi_ok" = 0 ]; then
		reason="nvidia-smi ${smi:+fails ($(first_line nvidia-smi-L))}${smi:-is not installed}, though /dev/nvidia* exist: nothing to compare with"
	fi
	if [ -n "$reason" ]; then
		skip_rest '*' "$reason"
		return
	fi
	[ "$have_dev" = 1 ] || note "nvidia-smi lists GPUs but there is no /dev/nvidia[0-9]*"
	step nvidia-smi 60 "$smi"
	show nvidia-smi
	# Created on the host by the first CUDA program (nvidia-modprobe); the sandbox can only pass on what exists.
	[ -e /dev/nvidia-uvm ] || note "/dev/nvidia-uvm does not exist yet (made by the first CUDA program outside)"

	# ---- envlock itself ----
	section "envlock"
	local envlock=${ENVLOCK:-$repo/build/envlock} bdir=$repo/build
	if [ -x "$envlock" ] && ! "$envlock" --version >/dev/null 2>&1; then
		note "$envlock does not run here ($("$envlock" --version 2>&1 | head -n 1)): building into build-device"
		envlock=$repo/build-device/envlock bdir=$repo/build-device
	fi
	if [ -x "$envlock" ]; then
		pass build.envlock "$envlock ($("$envlock" --version 2>&1 | head -n 1))"
	elif ! command -v cmake >/dev/null || ! command -v cc >/dev/null; then
		skip build.envlock "cmake or cc is not installed, and $envlock is not built"
	else
		step cmake-configure "$T_BUILD" cmake -S "$repo" -B "$bdir" -DENVLOCK_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
		show cmake-configure
		if [ "$rc" != 0 ]; then
			# A missing library is this machine's state, not envlock's fault: say which, skip what needs it.
			local missing
			missing=$(grep -hoE "(No package '[^']+' found|Could NOT find [A-Za-z0-9_]+|Package '[^']+'.*not found)" \
				"$steps/cmake-configure.out" "$steps/cmake-configure.err" | sort -u | tr '\n' ';')
			if [ -n "$missing" ]; then
				skip build.envlock "missing build dependencies (packaging/install-deps.sh, needs a network): ${missing%;}"
			else
				fail build.envlock "cmake configure failed: $(first_line cmake-configure)"
			fi
		else
			step cmake-build "$T_BUILD" cmake --build "$bdir" -j"$(nproc)" --target envlock-cli
			show cmake-build
			envlock=$bdir/envlock
			if [ "$rc" = 0 ] && [ -x "$envlock" ]; then
				pass build.envlock "built $envlock"
			else
				fail build.envlock "the build failed: $(grep -m1 -E 'error|Error' "$steps/cmake-build.out" "$steps/cmake-build.err" | cut -c1-200)"
			fi
		fi
	fi
	local have_envlock=0
	[ "${done_check[build.envlock]:-}" ] && [ -x "$envlock" ] && "$envlock" --version >/dev/null 2>&1 && have_envlock=1
	local lock=$base/lock.json

	# ---- 1. capture ----
	section "capture"
	if [ "$have_envlock" = 0 ]; then
		skip_rest 'capture.*' "envlock is not built"
	elif ! command -v jq >/dev/null && ! command -v python3 >/dev/null; then
		skip_rest 'capture.*' "neither jq nor python3 is installed to read the lock"
	else
		capture_checks "$envlock" "$smi" "$lock"
	fi

	# ---- 2. exec's device passthrough ----
	section "exec: GPU device nodes in the sandbox"
	if [ "$have_envlock" = 0 ]; then
		skip_rest 'exec.*' "envlock is not built"
	else
		exec_halves "$envlock" "$smi"
	fi

	# ---- 3. cuBLAS ----
	section "cuBLAS GEMM"
	gemm_checks "$envlock" "$have_envlock"

	# ---- 4. PyTorch ----
	section "PyTorch"
	torch_checks "$envlock" "$have_envlock"

	# ---- 5. for the record ----
	section "the lock's gpu section"
	if [ -s "$lock" ]; then
		if command -v jq >/dev/null; then
			jq '{gpu: .gpu, "meta.gpu_uuids": .meta.gpu_uuids, fingerprint: .fingerprint}' "$lock"
		else
			python3 -c 'import json, sys; l = json.load(open(sys.argv[1]))
print(json.dumps({"gpu": l.get("gpu"), "meta.gpu_uuids": l.get("meta", {}).get("gpu_uuids"), "fingerprint": l.get("fingerprint")}, indent=2, sort_keys=True))' "$lock"
		fi
	else
		echo "  (no lock was captured)"
	fi
}

# ---- 1. capture against nvidia-smi ----
capture_checks() {
	local envlock=$1 smi=$2 lock=$3 flat=$base/lock.flat n i name cc mem lname lcc lmem bad='' want got
	local -a rows uuids

	step capture-1 "$T_CAPTURE" env ENVLOCK_CACHE_DIR="$base/cache-a" "$envlock" capture -o "$lock"
	show capture-1
	if [ "$rc" != 0 ] || [ ! -s "$lock" ]; then
		fail capture.run "envlock capture: status $rc: $(first_line capture-1)"
		skip_rest 'capture.*' "the capture failed"
		return
	fi
	pass capture.run
	if grep -q ': gpu: ' "$steps/capture-1.err"; then
		fail capture.no-gpu-warnings "$(grep -m1 ': gpu: ' "$steps/capture-1.err" | cut -c1-200)"
	else
		pass capture.no-gpu-warnings
	fi
	flatten "$lock" >"$flat"

	step smi-driver 60 "$smi" --query-gpu=driver_version --format=csv,noheader
	want=$(head -n 1 "$steps/smi-driver.out" | trim)
	got=$(get "$flat" gpu.driver)
	if [ "$rc" != 0 ] || [ -z "$want" ]; then
		fail capture.driver "nvidia-smi gives no driver_version: $(first_line smi-driver)"
	elif [ "$got" = "$want" ]; then
		pass capture.driver "gpu.driver $got"
	else
		fail capture.driver "gpu.driver is '${got:-(absent)}', nvidia-smi says '$want'"
	fi

	# nvidia-smi's banner: "CUDA Version: 12.4" is libcuda's cuDriverGetVersion, like gpu.cuda_driver.
	want=$(grep -oE 'CUDA Version: *[0-9]+\.[0-9]+' "$steps/nvidia-smi.out" | head -n 1 | grep -oE '[0-9]+\.[0-9]+')
	got=$(get "$flat" gpu.cuda_driver)
	if [ -z "$got" ]; then
		fail capture.cuda_driver "no gpu.cuda_driver in the lock${want:+ (nvidia-smi says CUDA $want)}"
	elif [ -z "$want" ]; then
		pass capture.cuda_driver "gpu.cuda_driver $got (nvidia-smi's banner states no CUDA version to compare)"
	elif [ "$got" = "$want" ]; then
		pass capture.cuda_driver "gpu.cuda_driver $got"
	else
		fail capture.cuda_driver "gpu.cuda_driver is '$got', nvidia-smi says CUDA Version $want"
	fi

	step smi-devices 60 "$smi" --query-gpu=name,compute_cap,memory.total --format=csv,noheader,nounits
	show smi-devices
	mapfile -t rows <"$steps/smi-devices.out"
	n=$(awk -F'\t' '$1 ~ /^gpu\.devices\.[0-9]+\./ { split($1, p, "."); print p[3] }' "$flat" | sort -u | wc -l)
	if [ "$rc" != 0 ] || [ "${#rows[@]}" = 0 ]; then
		fail capture.devices "nvidia-smi --query-gpu=name,compute_cap,memory.total fails: $(first_line smi-devices)"
	elif [ "$n" != "${#rows[@]}" ]; then
		fail capture.devices "the lock has $n devices, nvidia-smi ${#rows[@]}"
	else
		for i in "${!rows[@]}"; do
			IFS=, read -r name cc mem <<<"${rows[$i]}"
			name=$(trim <<<"$name") cc=$(trim <<<"$cc") mem=$(trim <<<"$mem")
			lname=$(get "$flat" "gpu.devices.$i.name")
			lcc=$(get "$flat" "gpu.devices.$i.compute_capability")
			lmem=$(get "$flat" "gpu.devices.$i.memory_mib")
			echo "  device $i: lock '$lname' $lcc ${lmem} MiB; nvidia-smi '$name' $cc $mem MiB"
			[ "$lname" = "$name" ] || bad+="device $i name '$lname' vs '$name'; "
			[ "$lcc" = "$cc" ] || bad+="device $i compute_capability '$lcc' vs '$cc'; "
			[ "$lmem" = "$mem" ] || bad+="device $i memory_mib '$lmem' vs '$mem'; "
		done
		if [ -z "$bad" ]; then pass capture.devices "$n device(s): ${rows[0]}"; else fail capture.devices "${bad%; }"; fi
	fi

	step smi-uuid 60 "$smi" --query-gpu=uuid --format=csv,noheader
	mapfile -t uuids < <(trim <"$steps/smi-uuid.out")
	got=$(awk -F'\t' '$1 ~ /^meta\.gpu_uuids\.[0-9]+$/ { print $2 }' "$flat" | tr '\n' ' ')
	want="${uuids[*]} "
	if [ "$rc" != 0 ] || [ "${#uuids[@]}" = 0 ]; then
		fail capture.uuids "nvidia-smi --query-gpu=uuid fails: $(first_line smi-uuid)"
	elif [ "$got" = "$want" ]; then
		if awk -F'\t' '$1 !~ /^meta\./' "$flat" | grep -q 'GPU-'; then
			fail capture.uuids "a UUID outside meta: $(awk -F'\t' '$1 !~ /^meta\./' "$flat" | grep -m1 'GPU-')"
		else
			pass capture.uuids "meta.gpu_uuids in nvidia-smi's order, none outside meta"
		fi
	else
		fail capture.uuids "meta.gpu_uuids '${got% }', nvidia-smi '${want% }'"
	fi

	# The lock records no MIG mode: nvml.c asks NVML for name, compute capability, memory and UUID only.
	step smi-mig 60 "$smi" --query-gpu=mig.mode.current --format=csv,noheader
	got=$(awk -F'\t' 'tolower($1) ~ /mig/ { print $1 "=" $2 }' "$flat" | tr '\n' ' ')
	want=$(trim <"$steps/smi-mig.out" | paste -sd ' ')
	if [ -n "$got" ]; then
		fail capture.mig "the lock now has MIG keys ($got): teach this script to compare them with nvidia-smi's mig.mode.current ($want)"
	else
		skip capture.mig "the lock has no MIG key (src/probe/gpu/nvml.c reads no MIG mode); nvidia-smi mig.mode.current: ${want:-$(first_line smi-mig)}"
		grep -qi enabled "$steps/smi-mig.out" &&
			note "MIG is enabled: gpu.devices describes the physical GPUs, not their MIG instances"
	fi

	# Twice more: warm (the same cache), and cold (a cache of its own).
	step capture-2 "$T_CAPTURE" env ENVLOCK_CACHE_DIR="$base/cache-a" "$envlock" capture -o "$base/lock-warm.json"
	local rc2=$rc
	step capture-3 "$T_CAPTURE" env ENVLOCK_CACHE_DIR="$base/cache-b" "$envlock" capture -o "$base/lock-cold.json"
	local rc3=$rc f1 f2 f3
	f1=$(get "$flat" fingerprint)
	f2=$( [ "$rc2" = 0 ] && flatten "$base/lock-warm.json" | awk -F'\t' '$1 == "fingerprint" { print $2 }')
	f3=$( [ "$rc3" = 0 ] && flatten "$base/lock-cold.json" | awk -F'\t' '$1 == "fingerprint" { print $2 }')
	echo "  fingerprints: first $f1, warm ${f2:-(failed)}, cold ${f3:-(failed)}"
	if [ "$rc2" != 0 ] || [ "$rc3" != 0 ]; then
		show capture-2
		show capture-3
		fail capture.fingerprint "a second capture failed (warm: status $rc2, cold: status $rc3)"
	elif [ "$f1" = "$f2" ] && [ "$f1" = "$f3" ]; then
		pass capture.fingerprint "$f1, three times"
	else
		local other=$base/lock-warm.json
		[ "$f1" = "$f2" ] && other=$base/lock-cold.json
		echo "  what differs outside meta (first capture < > $(basename "$other")):"
		diff <(grep -v '^meta\.' "$flat") <(flatten "$other" | grep -v '^meta\.') | head -n 20 | sed 's/^/  /'
		fail capture.fingerprint "fingerprints differ: $f1, $f2, $f3"
	fi
}

# ---- 2. exec: the GPU nodes with gpu auto, none and require ----

# Whether user namespaces are open to the unprivileged user; the reason why not on stdout.
userns_blocked() {
	if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" = 0 ]; then
		echo "user namespaces are off (user.max_user_namespaces is 0)"
	elif [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
		echo "unprivileged user namespaces are off (kernel.unprivileged_userns_clone is 0)"
	elif command -v unshare >/dev/null &&
		! setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env -- unshare --user true 2>/dev/null; then
		echo "unshare --user fails as $user (AppArmor, or a kernel setting)"
	else
		return 1
	fi
}

exec_halves() {
	local envlock=$1 smi=$2 why
	if [ "$(id -u)" != 0 ]; then
		skip_rest 'exec.root.*' "not run as root"
		note "the unprivileged half runs as uid $(id -u), who runs this script"
		exec_half user "$envlock" "$smi"
		return
	fi
	exec_half root "$envlock" "$smi"
	if ! command -v setpriv >/dev/null; then
		skip_rest 'exec.user.*' "setpriv (util-linux) is not installed"
		return
	fi
	if ! id -u "$user" >/dev/null 2>&1; then
		if [ -x "$repo/packaging/create-test-user.sh" ] || [ -f "$repo/packaging/create-test-user.sh" ]; then
			step create-test-user 60 sh "$repo/packaging/create-test-user.sh"
			show create-test-user
		fi
		if ! id -u "$user" >/dev/null 2>&1; then
			skip_rest 'exec.user.*' "no user $user, and packaging/create-test-user.sh could not make it"
			return
		fi
	fi
	if why=$(userns_blocked); then
		skip_rest 'exec.user.*' "$why"
		return
	fi
	exec_half user "$envlock" "$smi"
}

# exec_half root|user ENVLOCK SMI
exec_half() {
	local half=$1 envlock=$2 smi=$3 w bin node missing='' out
	local -a as
	if [ "$half" = user ] && [ "$(id -u)" = 0 ]; then
		# A directory the user can reach: the checkout and $OUT may be under root's home.
		w=$(mktemp -d /tmp/envlock-device-user.XXXXXX)
		chmod 755 "$w"
		cp "$envlock" "$w/envlock"
		bin=$w/envlock
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env -- env)
	else
		w=$base/work-$half
		mkdir -p "$w"
		bin=$envlock
		as=(env)
	fi
	as+=(ENVLOCK_CACHE_DIR="$w/cache")
	printf 'include default\ngpu none\n' >"$w/gpu-none.profile"
	printf 'include default\ngpu require\n' >"$w/gpu-require.profile"
	[ "$half" = user ] && [ "$(id -u)" = 0 ] && chown -R "$user:$user" "$w"
	local p=exec.$half

	# gpu auto (the default profile): the plan binds the host's nodes, and nvidia-smi sees the same GPUs.
	step "$p-plan" "$T_EXEC" "${as[@]}" "$bin" exec --no-lock -C "$w" --dry-run -- "$smi" -L
	for node in /dev/nvidiactl /dev/nvidia[0-9]*; do
		[ -e "$node" ] || continue
		grep -qE "^ *dev-bind +$node\$" "$steps/$p-plan.out" || missing+=" $node"
	done
	step "$p-list" "$T_EXEC" "${as[@]}" "$bin" exec --no-lock -C "$w" -- "$smi" -L
	show "$p-list"
	if [ "$rc" != 0 ]; then
		fail "$p.list" "nvidia-smi -L in the sandbox: status $rc: $(first_line "$p-list")"
	elif ! cmp -s "$steps/$p-list.out" "$steps/nvidia-smi-L.out"; then
		diff "$steps/nvidia-smi-L.out" "$steps/$p-list.out" | sed 's/^/  /'
		fail "$p.list" "nvidia-smi -L lists other GPUs in the sandbox than outside"
	elif [ -n "$missing" ]; then
		show "$p-plan"
		fail "$p.list" "the plan (--dry-run) does not bind$missing"
	else
		pass "$p.list" "$(grep -c '^GPU ' "$steps/$p-list.out") GPU(s), as outside"
	fi

	# gpu none: no node, and nvidia-smi fails.
	step "$p-none-plan" "$T_EXEC" "${as[@]}" "$bin" exec --no-lock --profile "$w/gpu-none.profile" -C "$w" --dry-run -- true
	out=$(grep -E '/dev/(nvidia|dri)' "$steps/$p-none-plan.out" | head -n 3)
	# shellcheck disable=SC2016 # expanded by the sandbox's shell
	step "$p-none" "$T_EXEC" "${as[@]}" "$bin" exec --no-lock --profile "$w/gpu-none.profile" -C "$w" -- \
		/bin/sh -c 'for f in /dev/nvidia* /dev/dri; do [ -e "$f" ] && echo "present: $f"; done
"$1" -L >/dev/null 2>&1; echo "nvidia-smi status $?"' sh "$smi"
	show "$p-none"
	if [ "$rc" != 0 ]; then
		fail "$p.none" "the sandbox with gpu none: status $rc: $(first_line "$p-none")"
	elif grep -q '^present: ' "$steps/$p-none.out"; then
		fail "$p.none" "gpu none, yet $(grep '^present: ' "$steps/$p-none.out" | cut -d' ' -f2 | tr '\n' ' ')"
	elif grep -qx 'nvidia-smi status 0' "$steps/$p-none.out"; then
		fail "$p.none" "gpu none, yet nvidia-smi -L succeeds in the sandbox"
	elif [ -n "$out" ]; then
		fail "$p.none" "gpu none, yet the plan has: $out"
	else
		pass "$p.none" "no /dev/nvidia* or /dev/dri, $(grep -m1 '^nvidia-smi status' "$steps/$p-none.out")"
	fi

	# gpu require: runs here, and sees the GPUs.
	step "$p-require" "$T_EXEC" "${as[@]}" "$bin" exec --no-lock --profile "$w/gpu-require.profile" -C "$w" -- "$smi" -L
	show "$p-require"
	if [ "$rc" != 0 ]; then
		fail "$p.require" "gpu require: status $rc: $(first_line "$p-require")"
	elif ! cmp -s "$steps/$p-require.out" "$steps/nvidia-smi-L.out"; then
		fail "$p.require" "gpu require: nvidia-smi -L lists other GPUs than outside"
	else
		pass "$p.require"
	fi
	[ "$half" = user ] && [ "$(id -u)" = 0 ] && rm -rf "$w"
	return 0
}

# ---- 3. cuBLAS GEMM: the same bytes twice in the sandbox ----
gemm_checks() {
	local envlock=$1 have_envlock=$2 w=$base/work-gemm h1 h2 h3 h4 status
	gemm_why=
	mkdir -p "$w"
	build_gemm "$w" 0
	status=$?
	if [ -z "$gemm_bin" ]; then
		if [ "$status" = 77 ]; then skip gemm.build "$gemm_why"; else fail gemm.build "$gemm_why"; fi
		skip_rest 'gemm.*' "gemm.c was not built"
		return
	fi
	pass gemm.build "$(basename "$gemm_bin")${gemm_why:+ (the other failed: $gemm_why)}"
	cp "$gemm_bin" "$w/gemm"

	# Outside first: it also makes /dev/nvidia-uvm where no CUDA program ran yet.
	step gemm-host-1 "$T_GEMM" env CUBLAS_WORKSPACE_CONFIG=:4096:8 "$w/gemm"
	show gemm-host-1
	h1=$([ "$rc" = 0 ] && grep '^all ' "$steps/gemm-host-1.out")
	step gemm-host-2 "$T_GEMM" env CUBLAS_WORKSPACE_CONFIG=:4096:8 "$w/gemm"
	h2=$([ "$rc" = 0 ] && grep '^all ' "$steps/gemm-host-2.out")
	if [ -z "$h1" ] || [ -z "$h2" ]; then
		fail gemm.host "gemm outside the sandbox failed: $(first_lines gemm-host-1 gemm-host-2)"
	elif [ "$h1" = "$h2" ]; then
		pass gemm.host "${h1#all }, twice"
	else
		fail gemm.host "two runs outside differ: $h1 / $h2"
	fi

	if [ "$have_envlock" = 0 ]; then
		skip_rest 'gemm.*' "envlock is not built"
		return
	fi
	step gemm-plan "$T_EXEC" "$envlock" exec --no-lock -C "$w" --dry-run -- "$w/gemm"
	step gemm-sandbox-1 "$T_GEMM" "$envlock" exec --no-lock -C "$w" -- "$w/gemm"
	show gemm-sandbox-1
	h3=$([ "$rc" = 0 ] && grep '^all ' "$steps/gemm-sandbox-1.out")
	if ! grep -qE '^ *CUBLAS_WORKSPACE_CONFIG=:4096:8$' "$steps/gemm-plan.out"; then
		fail gemm.pinned "the default profile's plan (--dry-run) does not set CUBLAS_WORKSPACE_CONFIG=:4096:8: $(grep CUBLAS "$steps/gemm-plan.out")"
	elif [ -n "$h3" ] && ! grep -q 'CUBLAS_WORKSPACE_CONFIG=:4096:8$' "$steps/gemm-sandbox-1.err"; then
		fail gemm.pinned "the plan sets it, but gemm in the sandbox saw: $(grep CUBLAS "$steps/gemm-sandbox-1.err")"
	else
		pass gemm.pinned "CUBLAS_WORKSPACE_CONFIG=:4096:8 in the plan${h3:+ and in the run}"
	fi
	step gemm-sandbox-2 "$T_GEMM" "$envlock" exec --no-lock -C "$w" -- "$w/gemm"
	h4=$([ "$rc" = 0 ] && grep '^all ' "$steps/gemm-sandbox-2.out")
	if [ -z "$h3" ] || [ -z "$h4" ]; then
		show gemm-sandbox-2
		fail gemm.determinism "gemm in the sandbox failed: $(first_lines gemm-sandbox-1 gemm-sandbox-2)"
		skip gemm.sandbox-matches-host "gemm did not run in the sandbox"
		return
	fi
	if [ "$h3" = "$h4" ] && cmp -s "$steps/gemm-sandbox-1.out" "$steps/gemm-sandbox-2.out"; then
		pass gemm.determinism "${h3#all }, twice in the sandbox"
	else
		fail gemm.determinism "two runs in the sandbox differ: $(tr '\n' ' ' <"$steps/gemm-sandbox-1.out")/ $(tr '\n' ' ' <"$steps/gemm-sandbox-2.out")"
	fi
	if [ -z "$h1" ]; then
		skip gemm.sandbox-matches-host "gemm did not run outside"
	elif [ "$h1" = "$h3" ]; then
		pass gemm.sandbox-matches-host
	else
		fail gemm.sandbox-matches-host "outside ${h1#all }, inside ${h3#all }"
	fi
}

# ---- 4. PyTorch: the same bytes twice under the pytorch profile ----
torch_checks() {
	local envlock=$1 have_envlock=$2 py pyexe w=$base/work-torch s1 s2 outside
	local -a el
	if [ "$have_envlock" = 0 ]; then
		skip torch.determinism "envlock is not built"
		return
	fi
	py=${ENVLOCK_DEVICE_PYTHON:-python3}
	if ! pyexe=$("$py" -c 'import sys; print(sys.executable)' 2>/dev/null) || [ -z "$pyexe" ]; then
		skip torch.determinism "no $py here"
		return
	fi
	if ! time_left; then
		skip torch.determinism "the run's time budget is spent"
		return
	fi
	mkdir -p "$w"
	cp "$here/torch_det.py" "$w/"
	el=("$envlock" exec --no-lock --profile pytorch --seed 0 --python "$pyexe" -C "$w" --)
	step torch-available "$T_TORCH" "${el[@]}" python3 -c 'import torch; print(torch.cuda.is_available())'
	show torch-available
	if [ "$(tail -n 1 "$steps/torch-available.out")" != True ]; then
		step torch-outside "$T_TORCH" "$pyexe" -c 'import torch; print(torch.cuda.is_available())'
		outside=$(tail -n 1 "$steps/torch-outside.out")
		if [ "$outside" = True ]; then
			fail torch.determinism "torch sees CUDA outside the sandbox but not inside: $(tail -n 1 "$steps/torch-available.err" | cut -c1-200)"
		elif [ "$rc" != 0 ]; then
			skip torch.determinism "torch is not importable by $pyexe: $(tail -n 1 "$steps/torch-outside.err" | cut -c1-200)"
		else
			skip torch.determinism "torch.cuda.is_available() is $outside for $pyexe (a CPU-only build of torch?)"
		fi
		return
	fi
	step torch-1 "$T_TORCH" "${el[@]}" python3 torch_det.py
	show torch-1
	s1=$([ "$rc" = 0 ] && grep '^sha256 ' "$steps/torch-1.out")
	step torch-2 "$T_TORCH" "${el[@]}" python3 torch_det.py
	show torch-2
	s2=$([ "$rc" = 0 ] && grep '^sha256 ' "$steps/torch-2.out")
	if [ -z "$s1" ] || [ -z "$s2" ]; then
		fail torch.determinism "torch_det.py failed in the sandbox: $(tail -n 1 "$steps/torch-1.err" | cut -c1-200); $(tail -n 1 "$steps/torch-2.err" | cut -c1-200)"
	elif [ "$s1" = "$s2" ]; then
		pass torch.determinism "${s1#sha256 }, twice"
	else
		fail torch.determinism "two runs differ: ${s1#sha256 } / ${s2#sha256 } (per-tensor hashes in steps/torch-*.err)"
	fi
}

summary() {
	local status
	section "summary"
	if [ "$nfail" -gt 0 ]; then
		status=1
	elif [ "$npass" -eq 0 ]; then
		status=77
	else
		status=0
	fi
	echo "passed $npass, failed $nfail, skipped $nskip, in $((SECONDS - start))s; exit status $status"
	echo "log and artifacts: $base"
	return "$status"
}

run_all() {
	main
	local m=$?
	[ "$m" = 2 ] && return 2
	summary
}

run_all 2>&1 | tee "$base/run.log"
exit "${PIPESTATUS[0]}"
