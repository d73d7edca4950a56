#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# capture on this machine, cross-checked against the system's own tools.
. "$(dirname "$0")/lib.sh"
need jq sha256sum

export ENVLOCK_CACHE_DIR=$scratch/cache
lock=$scratch/env.lock
SECRET_TOKEN_FOR_TEST=hunter2 "$ENVLOCK" capture >"$lock" 2>"$scratch/warnings"

# Fingerprint: exactly the jq recipe README.md gives.
check_eq "fingerprint = jq -cS recipe" \
	"sha256:$(jq -cS 'del(.fingerprint,.meta)' "$lock" | tr -d '\n' | sha256sum | cut -d' ' -f1)" \
	"$(jq -r .fingerprint "$lock")"
check_eq "schema" 3 "$(jq .envlock "$lock")"

# Determinism: cold then warm (stat cache filled) give the same fingerprint.
"$ENVLOCK" capture >"$scratch/again.lock" 2>/dev/null
check_eq "two captures, one fingerprint" "$(jq -r .fingerprint "$lock")" "$(jq -r .fingerprint "$scratch/again.lock")"
check_eq "two captures, same content" "$(jq -S 'del(.meta)' "$lock")" "$(jq -S 'del(.meta)' "$scratch/again.lock")"

# The file format: sorted keys, two-space indent, trailing newline.
check_eq "keys sorted, two-space indent" "$(jq -S --indent 2 . "$lock")" "$(cat "$lock")"

# Nothing from the host environment leaks into a lock.
check_eq "no host variable in the lock" 0 "$(grep -c hunter2 "$lock" || true)"
check_eq "env holds only the pins" \
	'["CUBLAS_WORKSPACE_CONFIG","LC_ALL","MKL_NUM_THREADS","OMP_NUM_THREADS","OPENBLAS_NUM_THREADS","PYTHONHASHSEED","TZ"]' \
	"$(jq -c '.env | keys' "$lock")"

# meta holds the volatile facts.
check_eq "meta.hostname" "$(hostname)" "$(jq -r .meta.hostname "$lock")"
check_eq "meta.captured_at is RFC 3339 UTC" 1 \
	"$(jq -r .meta.captured_at "$lock" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$')"

# host
check_eq "host.arch" "$(uname -m)" "$(jq -r .host.arch "$lock")"
check_eq "host.kernel" "$(uname -r)" "$(jq -r .host.kernel "$lock")"
. /etc/os-release
check_eq "host.os" "$ID${VERSION_ID:+ $VERSION_ID}" "$(jq -r .host.os "$lock")"
check_eq "host.glibc" "$(getconf GNU_LIBC_VERSION | cut -d' ' -f2)" "$(jq -r .host.glibc "$lock")"

# cpu, against /proc/cpuinfo
first_cpu() { awk -F': ' -v k="$1" '$0 ~ "^"k"[ \t]*:" {print $2; exit}' /proc/cpuinfo; }
check_eq "cpu.logical_cpus" "$(grep -c '^processor' /proc/cpuinfo)" "$(jq .cpu.logical_cpus "$lock")"
check_eq "cpu.flags" "$(first_cpu flags | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u | jq -R . | jq -cs .)" \
	"$(jq -c .cpu.flags "$lock")"
if grep -q '^vendor_id' /proc/cpuinfo; then
	check_eq "cpu.vendor" "$(first_cpu vendor_id)" "$(jq -r .cpu.vendor "$lock")"
	check_eq "cpu.family" "$(first_cpu 'cpu family')" "$(jq -r .cpu.family "$lock")"
	check_eq "cpu.model" "$(first_cpu 'model name' | tr -s ' ' | sed 's/ *$//')" "$(jq -r .cpu.model "$lock")"
fi
if grep -q '^microcode' /proc/cpuinfo; then
	check_eq "cpu.microcode" "$(first_cpu microcode)" "$(jq -r .cpu.microcode "$lock")"
else
	check_eq "no microcode line, no key" null "$(jq -r .cpu.microcode "$lock")"
fi

# toolchain: the first line of each compiler's --version
for tool in cc gcc clang; do
	if command -v "$tool" >/dev/null; then
		check_eq "toolchain.$tool" "$(LC_ALL=C "$tool" --version | head -1)" "$(jq -r ".toolchain[\"$tool\"]" "$lock")"
	else
		check_eq "toolchain.$tool absent" null "$(jq -r ".toolchain[\"$tool\"]" "$lock")"
	fi
done

# gpu: the CUDA toolkit's own headers, when one is installed where capture looks.
cuda=/usr/local/cuda/include
hdefine() { awk -v k="$2" '$1 == "#define" && $2 == k {print $3; exit}' "$cuda/$1"; }
if [ -f "$cuda/cuda_runtime_api.h" ]; then
	v=$(hdefine cuda_runtime_api.h CUDART_VERSION)
	check_eq "gpu.cuda_runtime = CUDART_VERSION" "$((v / 1000)).$((v % 1000 / 10))" "$(jq -r .gpu.cuda_runtime "$lock")"
fi
if [ -f "$cuda/cudnn_version.h" ]; then
	check_eq "gpu.cudnn = cudnn_version.h" \
		"$(hdefine cudnn_version.h CUDNN_MAJOR).$(hdefine cudnn_version.h CUDNN_MINOR).$(hdefine cudnn_version.h CUDNN_PATCHLEVEL)" \
		"$(jq -r .gpu.cudnn "$lock")"
fi
if [ -f "$cuda/nccl.h" ]; then
	check_eq "gpu.nccl = nccl.h" "$(hdefine nccl.h NCCL_MAJOR).$(hdefine nccl.h NCCL_MINOR).$(hdefine nccl.h NCCL_PATCH)" \
		"$(jq -r .gpu.nccl "$lock")"
fi
if [ -f "$cuda/cublas_api.h" ]; then
	check_eq "gpu.cublas = cublas_api.h" \
		"$(hdefine cublas_api.h CUBLAS_VER_MAJOR).$(hdefine cublas_api.h CUBLAS_VER_MINOR).$(hdefine cublas_api.h CUBLAS_VER_PATCH)" \
		"$(jq -r .gpu.cublas "$lock")"
fi
# No driver on this machine, none in the lock.
if [ ! -e /proc/driver/nvidia/version ] && ! ldconfig -p | grep -q 'libnvidia-ml\.so\.1 '; then
	check_eq "no driver, no gpu.driver" null "$(jq -r .gpu.driver "$lock")"
fi

# code: this checkout, when the build runs from one; in meta, outside the
# fingerprint (schema 2), so committing the lock does not make it stale.
if git -C "$EL_SOURCE_DIR" rev-parse HEAD >/dev/null 2>&1; then
	(cd "$EL_SOURCE_DIR" && "$ENVLOCK" capture 2>/dev/null) >"$scratch/code.lock"
	check_eq "meta.code.git_commit" "$(git -C "$EL_SOURCE_DIR" rev-parse HEAD)" "$(jq -r .meta.code.git_commit "$scratch/code.lock")"
	if git -C "$EL_SOURCE_DIR" diff --quiet HEAD --; then want=false; else want=true; fi
	check_eq "meta.code.git_dirty" "$want" "$(jq -r .meta.code.git_dirty "$scratch/code.lock")"
	check_eq "no top-level code section" null "$(jq -r .code "$scratch/code.lock")"
fi
# Outside any checkout there is no code section.
(cd / && "$ENVLOCK" capture 2>/dev/null) >"$scratch/root.lock"
check_eq "no code section outside a checkout" null "$(jq -r .meta.code "$scratch/root.lock")"

# A hostile working directory cannot get code run: the interpreter is asked
# about sys.path with its working-directory entry gone before any import.
if command -v python3 >/dev/null; then
	mkdir "$scratch/hostile"
	printf 'open(%s, "w").write("ran")\n' "'$scratch/pwned'" >"$scratch/hostile/json.py"
	cp "$scratch/hostile/json.py" "$scratch/hostile/site.py"
	(cd "$scratch/hostile" && ENVLOCK_CACHE_DIR=$scratch/hostile-cache "$ENVLOCK" capture >/dev/null 2>&1)
	check_eq "json.py in the working directory is not imported" "absent" \
		"$([ -e "$scratch/pwned" ] && echo present || echo absent)"
else
	skip_part "no python3: the hostile working directory check"
fi

# The warm path starts no process: every probe answers from files and the stat cache.
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$scratch/trace" "$ENVLOCK" capture >/dev/null 2>&1
	# A process is an exec, a fork, or a clone without CLONE_THREAD (threads are fine).
	check_eq "warm capture starts no process" 1 \
		"$(grep -E 'execve|fork|clone' "$scratch/trace" | grep -vc CLONE_THREAD)"
	if [ "$failures" -gt 0 ]; then
		echo "processes started by the warm capture:" >&2
		grep -E 'execve|fork|clone' "$scratch/trace" | grep -v CLONE_THREAD | cut -c1-300 >&2
		echo "warnings of the first capture:" >&2
		cat "$scratch/warnings" >&2
	fi
else
	skip_part "strace is missing or cannot trace here: the no-process check"
fi

finish
