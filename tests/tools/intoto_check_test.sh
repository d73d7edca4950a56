#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The in-toto validator against its fixtures: every good record passes,
# every bad one fails with exactly the lines of bad.expected, and a file
# that is not JSON is exit 2.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures/intoto
check="python3 $here/intoto_check.py"
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

out=$($check "$fixtures"/good/*.json 2>&1)
rc=$?
[ "$rc" -eq 0 ] && [ -z "$out" ] || fail "good records: exit $rc, $out"

cd "$fixtures/bad" || exit 1
out=$($check *.json 2>&1)
rc=$?
[ "$rc" -eq 1 ] || fail "bad records: exit $rc, not 1"
if ! diff -u "$fixtures/bad.expected" <(printf '%s\n' "$out"); then
	fail "bad records: the violations differ from bad.expected"
fi
for f in *.json; do
	if ! $check "$f" >/dev/null 2>&1; then :; else fail "$f passed"; fi
	grep -q "^$f: " "$fixtures/bad.expected" || fail "$f has no expected violation"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"_type": ' >"$tmp/cut.json"
$check "$tmp/cut.json" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "cut JSON: exit $rc, not 2"
$check "$tmp/missing.json" "$fixtures/good/record.json" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "missing file: exit $rc, not 2"
$check "$fixtures/bad/empty-subject.json" "$tmp/cut.json" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "a bad record and a cut one: exit $rc, not 2"

echo "$failures failed"
[ "$failures" -eq 0 ]
