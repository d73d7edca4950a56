#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer targets with clang in a build tree of their own and
# run each for a bounded time over its seed corpus in tests/fuzz/corpus/.
# A crash fails the test and leaves the input in the build tree: turn it
# into a regression test.
#
#   tests/fuzz/run.sh TARGET [SECONDS]
set -euo pipefail

target=$1
seconds=${2:-${EL_FUZZ_SECONDS:-30}}
src=${EL_SOURCE_DIR:?EL_SOURCE_DIR must point at the source tree}
build=${EL_FUZZ_BUILD:-${TMPDIR:-/tmp}/envlock-fuzz-build}

# packaging/install-deps.sh installs clang and libFuzzer: without them, a
# skip (77), and a failure under ENVLOCK_TEST_STRICT.
. "$src/tests/tools/skip.sh"
command -v clang >/dev/null || el_skip_exit "clang is not installed"
# libFuzzer ships in clang's runtime package (libclang-rt-N-dev on Debian).
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
	clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	el_skip_exit "clang cannot link libFuzzer here (install libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev)"
fi

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DENVLOCK_FUZZ=ON -DENVLOCK_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.log" 2>&1 ||
	{ cat "$build.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "fuzz_$target" >>"$build.log" 2>&1 ||
	{ tail -40 "$build.log"; exit 1; }

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$src/tests/fuzz/corpus/$target"/* "$corpus"/
# A target with a dictionary (tests/fuzz/TARGET.dict: the keywords of its
# format) gets it; the others run without one.
dict=()
if [ -f "$src/tests/fuzz/$target.dict" ]; then
	dict=("-dict=$src/tests/fuzz/$target.dict")
fi
cd "$build"
# libFuzzer reports a crash with exit status 77 unless told otherwise, and
# 77 is what ctest takes for "skipped": a crash must fail the test.
"$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 "${dict[@]}" "$corpus" 2>&1 | tail -15
