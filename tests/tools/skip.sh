# SPDX-License-Identifier: Apache-2.0
# Sourced by the test scripts (tests/integration/lib.sh, tests/fuzz/run.sh,
# tests/device/syntax.sh): how a test, or a part of one, that cannot do what
# it is meant to on this machine says so. ctest reads exit status 77 as
# skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt), never as passed.
#
# ENVLOCK_TEST_STRICT=1 (.ci/run exports it) turns every skip into a failure
# with its reason, unless the skip is marked --allowed WHY: the CI machine is
# a fresh Debian 12 after packaging/install-deps.sh, run as root, so only
# what no such machine has (a GPU, a CUDA toolkit, pyenv) may be missing
# there. Unset, empty or 0: skips are skips.

# el_strict: whether ENVLOCK_TEST_STRICT asks for skips to fail.
el_strict() {
	case ${ENVLOCK_TEST_STRICT:-} in
	'' | 0) return 1 ;;
	esac
}

# el_skip_ok [--allowed WHY] REASON...: prints why something is not run;
# status 0 when that may stay a skip, 1 when strict mode makes it a failure.
el_skip_ok() {
	local why=
	if [ "${1:-}" = --allowed ]; then
		why=$2
		shift 2
	fi
	if [ -z "$why" ] && el_strict; then
		echo "FAIL: not run: $* (ENVLOCK_TEST_STRICT=$ENVLOCK_TEST_STRICT: a skip here is a failure)" >&2
		return 1
	fi
	echo "SKIP: $*${why:+ (allowed under ENVLOCK_TEST_STRICT: $why)}"
}

# el_skip_exit [--allowed WHY] REASON...: the whole test is not run: exit 77,
# or 1 under strict mode.
el_skip_exit() {
	if el_skip_ok "$@"; then exit 77; else exit 1; fi
}
