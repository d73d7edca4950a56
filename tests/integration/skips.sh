#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a skip makes of a test's exit status: lib.sh's skip and skip_part
# (tests/tools/skip.sh) and the unit tests' el_test_skip, el_test_skip_case
# and el_test_skip_part (tests/unit/helpers.c, through el_skip_probe).
# Without ENVLOCK_TEST_STRICT: 77 (ctest's skipped) when anything was not
# run, 1 when anything failed, each reason printed. With it: 1 for any skip
# not marked --allowed, and the reason printed as a failure.
. "$(dirname "$0")/lib.sh"
probe=${EL_SKIP_PROBE:?EL_SKIP_PROBE must point at the built el_skip_probe}

lib=$(cd "$(dirname "$0")" && pwd)/lib.sh
# script NAME BODY: $scratch/NAME.sh, BODY between sourcing lib.sh and finish.
script() { printf '. %q\n%s\nfinish\n' "$lib" "$2" >"$scratch/$1.sh"; }
script none 'check_eq "a check" 1 1'
script part 'skip_part "a part not run"; check_eq "a check" 1 1'
script allowed 'skip_part --allowed "no such hardware on CI" "a part not run"; check_eq "a check" 1 1'
script part_and_failure 'skip_part "a part not run"; check_eq "a failed check" 1 2'
script whole 'skip "nothing can run"'
script whole_after_failure 'check_eq "a failed check" 1 2; skip "the rest cannot run"'

# under STRICT CMD...: "STATUS" of CMD, its output in $scratch/out; STRICT
# is ENVLOCK_TEST_STRICT's value (this script itself may run under either).
under() {
	local strict=$1
	shift
	set +e
	env ENVLOCK_TEST_STRICT="$strict" "$@" >"$scratch/out" 2>&1
	echo $?
	set -e
}
said() { grep -cF -- "$1" "$scratch/out" || true; }

for strict in "" 0; do
	m="ENVLOCK_TEST_STRICT='$strict':"
	check_eq "$m nothing skipped: 0" 0 "$(under "$strict" bash "$scratch/none.sh")"
	check_eq "$m a part skipped: 77" 77 "$(under "$strict" bash "$scratch/part.sh")"
	check_eq "$m a part skipped: the reason" 1 "$(said "SKIP: a part not run")"
	check_eq "$m an allowed part skipped: 77" 77 "$(under "$strict" bash "$scratch/allowed.sh")"
	check_eq "$m a part skipped and a check failed: 1" 1 "$(under "$strict" bash "$scratch/part_and_failure.sh")"
	check_eq "$m the whole script skipped: 77" 77 "$(under "$strict" bash "$scratch/whole.sh")"
	check_eq "$m the whole script skipped: the reason" 1 "$(said "SKIP: nothing can run")"
	check_eq "$m skipped after a failed check: 1" 1 "$(under "$strict" bash "$scratch/whole_after_failure.sh")"
	check_eq "$m unit: nothing skipped: 0" 0 "$(under "$strict" "$probe" none)"
	check_eq "$m unit: a case skipped: 77" 77 "$(under "$strict" "$probe" case)"
	check_eq "$m unit: a case skipped: the reason" 1 "$(said "SKIP: probe: a case not run")"
	check_eq "$m unit: a part skipped: 77" 77 "$(under "$strict" "$probe" part)"
	check_eq "$m unit: a part skipped: the reason" 1 "$(said "SKIP: probe: a part not run")"
	check_eq "$m unit: a part skipped and a failure: 1" 1 "$(under "$strict" "$probe" fail)"
	check_eq "$m unit: the whole binary skipped: 77" 77 "$(under "$strict" "$probe" whole)"
	check_eq "$m unit: the whole binary skipped: the reason" 1 "$(said "SKIP: probe: the whole binary not run")"
done

m="ENVLOCK_TEST_STRICT=1:"
check_eq "$m nothing skipped: 0" 0 "$(under 1 bash "$scratch/none.sh")"
check_eq "$m a part skipped: 1" 1 "$(under 1 bash "$scratch/part.sh")"
check_eq "$m a part skipped: the reason, as a failure" 1 "$(said "FAIL: not run: a part not run (ENVLOCK_TEST_STRICT=1")"
check_eq "$m an allowed part skipped: 77" 77 "$(under 1 bash "$scratch/allowed.sh")"
check_eq "$m an allowed part skipped: the reason and why it may be" 1 \
	"$(said "SKIP: a part not run (allowed under ENVLOCK_TEST_STRICT: no such hardware on CI)")"
check_eq "$m a part skipped and a check failed: 1" 1 "$(under 1 bash "$scratch/part_and_failure.sh")"
check_eq "$m the whole script skipped: 1" 1 "$(under 1 bash "$scratch/whole.sh")"
check_eq "$m the whole script skipped: the reason, as a failure" 1 "$(said "FAIL: not run: nothing can run")"
check_eq "$m skipped after a failed check: 1" 1 "$(under 1 bash "$scratch/whole_after_failure.sh")"
check_eq "$m unit: nothing skipped: 0" 0 "$(under 1 "$probe" none)"
check_eq "$m unit: a case skipped: 1" 1 "$(under 1 "$probe" case)"
check_eq "$m unit: a case skipped: the reason, as a failure" 1 "$(said "FAIL: not run: probe: a case not run")"
check_eq "$m unit: a part skipped: 1" 1 "$(under 1 "$probe" part)"
check_eq "$m unit: a part skipped: the reason, as a failure" 1 "$(said "FAIL: not run: probe: a part not run")"
check_eq "$m unit: a part skipped and a failure: 1" 1 "$(under 1 "$probe" fail)"
check_eq "$m unit: the whole binary skipped: 1" 1 "$(under 1 "$probe" whole)"
check_eq "$m unit: the whole binary skipped: the reason, as a failure" 1 \
	"$(said "FAIL: not run: probe: the whole binary not run")"
finish
