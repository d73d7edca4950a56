#!/usr/bin/env bash
# The ctest device.syntax: tests/device/run.sh parses, and shellcheck (when
# installed) finds nothing in it. Exit 77 when shellcheck is not installed.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
bash -n "$dir/run.sh" || { echo "FAIL: bash -n tests/device/run.sh"; exit 1; }
if ! command -v shellcheck >/dev/null; then
	echo "SKIP: bash -n passes; shellcheck is not installed"
	exit 77
fi
shellcheck "$dir/run.sh" "$dir/syntax.sh" || { echo "FAIL: shellcheck tests/device/run.sh"; exit 1; }
echo "PASS: bash -n and shellcheck"
