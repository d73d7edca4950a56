#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The gpu section: capture --root on a fixture root assembled from the stub
# libraries (always), then capture on this machine against its own CUDA
# toolkit's headers (only where the loader can find a toolkit).
. "$(dirname "$0")/lib.sh"
need jq
: "${EL_STUBS_DIR:?EL_STUBS_DIR must point at the built stub libraries}"
: "${EL_FIXTURES:?EL_FIXTURES must point at tests/fixtures}"

export ENVLOCK_CACHE_DIR=$scratch/cache
counter=$scratch/calls
export ENVLOCK_STUB_COUNTER=$counter
pieces=$EL_FIXTURES/gpu

case $(uname -m) in
x86_64) triplet=x86_64-linux-gnu ;;
aarch64) triplet=aarch64-linux-gnu ;;
ppc64le) triplet=powerpc64le-linux-gnu ;;
*) skip "no multiarch triplet known for $(uname -m)" ;;
esac
multiarch=usr/lib/$triplet
cuda=usr/local/cuda-12.4

ldconfig=
for candidate in /sbin/ldconfig /usr/sbin/ldconfig; do
	[ -x "$candidate" ] && ldconfig=$candidate && break
done
[ -n "$ldconfig" ] || skip "glibc's ldconfig is not installed"

# install ROOT SRC DIR FILE [SONAME]: a copy of SRC at DIR/FILE, and the soname link.
install_file() {
	mkdir -p "$1/$3"
	cp "$2" "$1/$3/$4"
	if [ $# -ge 5 ] && [ "$5" != "$4" ]; then
		ln -sfn "$4" "$1/$3/$5"
	fi
}

# ldcache ROOT DIR...: ROOT/etc/ld.so.cache by ldconfig, which chroots: as
# root, or in a user namespace of its own.
ldcache() {
	local root=$1
	shift
	mkdir -p "$root/etc"
	printf '%s\n' "$@" >"$root/etc/ld.so.conf"
	if [ "$(id -u)" = 0 ]; then
		"$ldconfig" -X -r "$root"
	else
		unshare -r "$ldconfig" -X -r "$root" 2>/dev/null ||
			skip "ldconfig -r needs root or unprivileged user namespaces"
	fi
}

# A driver host with two GPUs and a CUDA 12.4 toolkit.
root=$scratch/root
install_file "$root" "$pieces/nvidia-version-proprietary" proc/driver/nvidia version
install_file "$root" "$pieces/gpu-information-0" proc/driver/nvidia/gpus/0000:18:00.0 information
install_file "$root" "$pieces/gpu-information-1" proc/driver/nvidia/gpus/0000:2a:00.0 information
install_file "$root" "$EL_STUBS_DIR/libnvidia-ml.so.550.54.15" "$multiarch" libnvidia-ml.so.550.54.15 libnvidia-ml.so.1
install_file "$root" "$EL_STUBS_DIR/libcuda.so.550.54.15" "$multiarch" libcuda.so.550.54.15 libcuda.so.1
install_file "$root" "$EL_STUBS_DIR/libcudnn.so.9.1.0" "$multiarch" libcudnn.so.9
install_file "$root" "$pieces/cudnn_version-9.1.0.h" "usr/include/$triplet" cudnn_version_v9.h
install_file "$root" "$EL_STUBS_DIR/libcudart.so.12.4.127" "$cuda/lib64" libcudart.so.12.4.127 libcudart.so.12
install_file "$root" "$EL_STUBS_DIR/libcublas.so.12.4.5.8" "$cuda/lib64" libcublas.so.12.4.5.8 libcublas.so.12
install_file "$root" "$EL_STUBS_DIR/libnccl.so.2.21.5" "$cuda/lib64" libnccl.so.2
install_file "$root" "$pieces/nccl-2.21.5.h" "$cuda/include" nccl.h
ldcache "$root" "/$cuda/lib64" "/$multiarch"
# The stat cache keeps no fact about a file changed in the last two seconds.
sleep 2.2

run "$scratch/lock" "$scratch/err" "$ENVLOCK" capture --root "$root" --trust-root
check_eq "capture --root: exit status" 0 "$status"
check_eq "capture --root: gpu section" \
	'{"cublas":"12.4.5","cuda_driver":"12.4","cuda_runtime":"12.4","cudnn":"9.1.0","devices":[{"compute_capability":"9.0","memory_mib":81559,"name":"NVIDIA H100 80GB HBM3"},{"compute_capability":"8.0","memory_mib":40960,"name":"NVIDIA A100-SXM4-40GB"}],"driver":"550.54.15","nccl":"2.21.5"}' \
	"$(jq -cS .gpu "$scratch/lock")"
check_eq "capture --root: UUIDs in meta, by index" \
	'["GPU-6f1a9c2e-0b3d-4e5f-8a7b-1c2d3e4f5a00","GPU-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01"]' \
	"$(jq -c .meta.gpu_uuids "$scratch/lock")"
check_eq "capture --root: no UUID outside meta" 0 "$(jq -c 'del(.meta)' "$scratch/lock" | grep -c 'GPU-' || true)"
check_eq "capture --root: no gpu warning" "" "$(grep ': gpu: ' "$scratch/err" || true)"
# What no file says is asked of the libraries (other sections may ask too).
check_eq "capture --root: libcuda and NVML asked" 2 "$(grep -cxE 'cuDriverGetVersion|nvmlInit_v2' "$counter")"

# Warm: the same lock, and no library loaded.
: >"$counter"
run "$scratch/again" "$scratch/err" "$ENVLOCK" capture --root "$root"
check_eq "warm capture: exit status" 0 "$status"
check_eq "warm capture: same gpu section" "$(jq -cS .gpu "$scratch/lock")" "$(jq -cS .gpu "$scratch/again")"
check_eq "warm capture: same fingerprint" "$(jq -r .fingerprint "$scratch/lock")" "$(jq -r .fingerprint "$scratch/again")"
check_eq "warm capture: nothing loaded" "" "$(cat "$counter")"

# Untrusted (no --trust-root) and nothing cached: versions come from files
# alone and no library of the tree is loaded.
: >"$counter"
run "$scratch/untrusted" "$scratch/err" env ENVLOCK_CACHE_DIR="$scratch/untrusted-cache" "$ENVLOCK" capture --root "$root"
check_eq "untrusted root: exit status" 0 "$status"
check_eq "untrusted root: versions from files only" \
	'{"cublas":"12.4.5","cuda_runtime":"12.4","cudnn":"9.1.0","driver":"550.54.15","nccl":"2.21.5"}' \
	"$(jq -cS .gpu "$scratch/untrusted")"
check_eq "untrusted root: nothing loaded" "" "$(cat "$counter")"

# A library that crashes costs its field and a warning, not the capture.
broken=$scratch/broken
install_file "$broken" "$EL_STUBS_DIR/libcudnn.so.9.1.0" "$cuda/lib64" libcudnn.so.9
install_file "$broken" "$EL_STUBS_DIR/libcudart.so.12.4.127" "$cuda/lib64" libcudart.so.12.4.127 libcudart.so.12
ldcache "$broken" "/$cuda/lib64"
run "$scratch/lock" "$scratch/err" env ENVLOCK_STUB_CUDNN=crash "$ENVLOCK" capture --root "$broken" --trust-root
check_eq "crashing cuDNN: exit status" 0 "$status"
check_eq "crashing cuDNN: gpu section" '{"cuda_runtime":"12.4"}' "$(jq -cS .gpu "$scratch/lock")"
check_eq "crashing cuDNN: warning" 1 "$(grep -c 'gpu: libcudnn.so.9: version call crashed (signal 11)' "$scratch/err" || true)"

# No GPU stack at all: no gpu key.
empty=$scratch/empty
ldcache "$empty"
run "$scratch/lock" "$scratch/err" "$ENVLOCK" capture --root "$empty"
check_eq "empty root: exit status" 0 "$status"
check_eq "empty root: no gpu section" false "$(jq 'has("gpu")' "$scratch/lock")"

# The stack a run loads: the root's interpreter has torch built for CUDA 12.1
# and the nvidia-* wheels (cuDNN 9.3.0 there, 9.1.0 in the system toolkit).
fw=$scratch/fw
cp -a "$root" "$fw"
site=$fw/usr/lib/python3/dist-packages
mkdir -p "$fw/usr/bin" "$site/torch/lib" "$site/nvidia/cudnn/lib" "$site/nvidia/cudnn/include"
cat >"$fw/usr/bin/python3" <<'PY'
#!/bin/sh
echo '{"version": "3.11.2", "executable": "/usr/bin/python3", "path": ["/usr/lib/python311.zip", "/usr/lib/python3/dist-packages"]}'
PY
chmod 755 "$fw/usr/bin/python3"
torch_version() {
	printf '%s\n' "__version__ = '2.3.1+$1'" 'debug = False' "cuda: Optional[str] = $2" \
		"git_version = '63d5e9221bedd1546b7d364b5ce4171547db12a9'" 'hip: Optional[str] = None' \
		>"$site/torch/version.py"
}
torch_version cu121 "'12.1'"
cp "$EL_STUBS_DIR/libcudnn.so.9.1.0" "$site/torch/lib/libc10.so"
cp "$EL_STUBS_DIR/libcudnn.so.9.1.0" "$site/nvidia/cudnn/lib/libcudnn.so.9"
sed 's/define CUDNN_MINOR 1/define CUDNN_MINOR 3/' "$pieces/cudnn_version-9.1.0.h" >"$site/nvidia/cudnn/include/cudnn_version.h"
grep -q 'define CUDNN_MINOR 3' "$site/nvidia/cudnn/include/cudnn_version.h" || fail "fixture: cuDNN 9.3.0 header"
sleep 2.2

run "$scratch/wheels.lock" "$scratch/err" env PATH=/usr/bin:/bin "$ENVLOCK" capture --root "$fw" --trust-root
check_eq "wheel CUDA: exit status" 0 "$status"
check_eq "wheel CUDA: gpu.cudnn is the wheel's, the toolkit's in gpu.system" \
	'{"cudnn":"9.3.0","system":{"cublas":"12.4.5","cuda_runtime":"12.4","cudnn":"9.1.0","nccl":"2.21.5"}}' \
	"$(jq -cS '.gpu | {cudnn, system}' "$scratch/wheels.lock")"
check_eq "wheel CUDA: frameworks" \
	'{"cuda":"12.1","libs":["torch/lib/libc10.so"],"nvidia":{"libraries":["nvidia/cudnn/lib/libcudnn.so.9"],"version":"9.3.0"}}' \
	"$(jq -cS '{cuda: .frameworks.torch.cuda, libs: (.frameworks.torch.libraries | keys), nvidia: (.frameworks.nvidia.cudnn | .libraries |= keys)}' "$scratch/wheels.lock")"
check_eq "wheel CUDA: no python, frameworks or gpu warning" "" "$(grep -E ": (python|frameworks|gpu): " "$scratch/err" || true)"
# The wheel's cuDNN changes: refused under default.
sed -i 's/define CUDNN_PATCHLEVEL 0/define CUDNN_PATCHLEVEL 1/' "$site/nvidia/cudnn/include/cudnn_version.h"
run "$scratch/wheels2.lock" "$scratch/err" env PATH=/usr/bin:/bin "$ENVLOCK" capture --root "$fw" --trust-root
run "$scratch/out" "$scratch/err" "$ENVLOCK" diff "$scratch/wheels.lock" "$scratch/wheels2.lock" --profile default
check_eq "wheel cuDNN changed: refused" 1 "$status"
check_eq "wheel cuDNN changed: the finding" 1 "$(grep -c 'gpu.cudnn' "$scratch/out" || true)"

# CPU-only torch: nothing loads the toolkit; its drift is a warning under default, refused under strict.
rm -r "$site/nvidia"
torch_version cpu None
run "$scratch/cpu.lock" "$scratch/err" env PATH=/usr/bin:/bin "$ENVLOCK" capture --root "$fw" --trust-root
check_eq "CPU-only torch: the toolkit only in gpu.system" \
	'{"cudnn":null,"system":{"cublas":"12.4.5","cuda_runtime":"12.4","cudnn":"9.1.0","nccl":"2.21.5"}}' \
	"$(jq -cS '.gpu | {cudnn, system}' "$scratch/cpu.lock")"
sed -i 's/define CUDNN_PATCHLEVEL 0/define CUDNN_PATCHLEVEL 2/' "$fw/usr/include/$triplet/cudnn_version_v9.h"
run "$scratch/cpu2.lock" "$scratch/err" env PATH=/usr/bin:/bin "$ENVLOCK" capture --root "$fw" --trust-root
check_eq "CPU-only torch: system cuDNN moved" '"9.1.2"' "$(jq -c .gpu.system.cudnn "$scratch/cpu2.lock")"
run "$scratch/out" "$scratch/err" "$ENVLOCK" diff "$scratch/cpu.lock" "$scratch/cpu2.lock" --profile default
check_eq "CPU-only torch, system cuDNN changed: a warning under default" 0 "$status"
check_eq "CPU-only torch, system cuDNN changed: the finding" 1 "$(grep -c 'gpu.system.cudnn' "$scratch/out" || true)"
run "$scratch/out" "$scratch/err" "$ENVLOCK" diff "$scratch/cpu.lock" "$scratch/cpu2.lock" --profile strict
check_eq "CPU-only torch, system cuDNN changed: refused under strict" 1 "$status"

# A schema-2 lock of the same machine (the toolkit at gpu.*, no frameworks) does not drift.
jq '.envlock = 2 | del(.frameworks) | .gpu = ((.gpu | del(.system)) + .gpu.system) | del(.fingerprint)' \
	"$scratch/cpu.lock" >"$scratch/v2.json"
fp=$(jq -cS 'del(.fingerprint,.meta)' "$scratch/v2.json" | tr -d '\n' | sha256sum | cut -d' ' -f1)
jq --arg fp "sha256:$fp" '.fingerprint = $fp' "$scratch/v2.json" >"$scratch/v2.lock"
run "$scratch/out" "$scratch/err" "$ENVLOCK" diff "$scratch/v2.lock" "$scratch/cpu.lock" --profile strict
check_eq "schema-2 lock against a schema-3 capture: no drift" 0 "$status"
check_eq "schema-2 lock: frameworks and gpu.system named as not compared" 1 \
	"$(grep -c 'frameworks.*gpu.system\|gpu.system.*frameworks' "$scratch/out" "$scratch/err" | awk -F: '{s += $NF} END {print s}')"

# This machine, against the headers of the toolkit its loader finds.
unset ENVLOCK_STUB_COUNTER
# newest SONAME-PREFIX: the newest soname the loader knows, and its real file.
newest() {
	local soname
	soname=$("$ldconfig" -p | awk '{print $1}' | grep -E "^$1[0-9]" | sort -uV | tail -n 1)
	[ -n "$soname" ] || return 0
	readlink -f "$("$ldconfig" -p | awk -v s="$soname" '$1 == s { print $NF; exit }')"
}
# define FILE NAME: the number in "#define NAME n".
define() {
	sed -n "s/^[[:space:]]*#[[:space:]]*define[[:space:]]\{1,\}$2[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p" "$1" | head -n 1
}

cudart=$(newest 'libcudart\.so\.')
if [ -z "$cudart" ]; then
	skip_part --allowed "the CI machine has no GPU and no CUDA toolkit" \
		"no CUDA runtime in the loader's view: the host toolkit checks"
	finish
fi
include=$(dirname "$cudart")/../include
run "$scratch/host" "$scratch/err" "$ENVLOCK" capture
check_eq "host capture: exit status" 0 "$status"
# The system toolkit, at gpu.system where the interpreter's framework loads another stack or none.
gpu=$(jq -c '(.gpu // {}) + (.gpu.system // {})' "$scratch/host")

v=$(define "$include/cuda_runtime_api.h" CUDART_VERSION)
if [ -n "$v" ]; then
	check_eq "host: cuda_runtime = CUDART_VERSION" "$((v / 1000)).$((v % 1000 / 10))" "$(jq -r .cuda_runtime <<<"$gpu")"
fi
if [ -f "$include/cublas_api.h" ] && [ -n "$(newest 'libcublas\.so\.')" ]; then
	check_eq "host: cublas = cublas_api.h" \
		"$(define "$include/cublas_api.h" CUBLAS_VER_MAJOR).$(define "$include/cublas_api.h" CUBLAS_VER_MINOR).$(define "$include/cublas_api.h" CUBLAS_VER_PATCH)" \
		"$(jq -r .cublas <<<"$gpu")"
fi
cudnn=$(newest 'libcudnn\.so\.')
header=$(dirname "$cudnn")/../include/cudnn_version.h
if [ -n "$cudnn" ] && [ -f "$header" ]; then
	check_eq "host: cudnn = cudnn_version.h" \
		"$(define "$header" CUDNN_MAJOR).$(define "$header" CUDNN_MINOR).$(define "$header" CUDNN_PATCHLEVEL)" \
		"$(jq -r .cudnn <<<"$gpu")"
fi
nccl=$(newest 'libnccl\.so\.')
header=$(dirname "$nccl")/../include/nccl.h
if [ -n "$nccl" ] && [ -f "$header" ]; then
	check_eq "host: nccl = nccl.h" \
		"$(define "$header" NCCL_MAJOR).$(define "$header" NCCL_MINOR).$(define "$header" NCCL_PATCH)" \
		"$(jq -r .nccl <<<"$gpu")"
fi
if [ -r /proc/driver/nvidia/version ]; then
	check_eq "host: driver = /proc/driver/nvidia/version" \
		"$(head -n 1 /proc/driver/nvidia/version | grep -oE 'Kernel Module.*' | grep -oE '[[:space:]][0-9]+(\.[0-9]+)+' | head -n 1 | tr -d ' \t')" \
		"$(jq -r .driver <<<"$gpu")"
else
	check_eq "host: no driver loaded, no driver or devices" "[]" \
		"$(jq -c '[keys[] | select(. == "driver" or . == "devices")]' <<<"$gpu")"
fi
if [ -z "$(newest 'libcuda\.so\.1')" ]; then
	check_eq "host: no libcuda.so.1, no cuda_driver" false "$(jq 'has("cuda_driver")' <<<"$gpu")"
fi
check_eq "host: no gpu warning" "" "$(grep ': gpu: ' "$scratch/err" || true)"
finish
