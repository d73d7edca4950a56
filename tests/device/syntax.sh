#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The ctest device.syntax: tests/device/run.sh parses, and shellcheck (when
# installed) finds nothing in it. Exit 77 when shellcheck is not installed,
# 1 under ENVLOCK_TEST_STRICT (packaging/install-deps.sh installs it).
set -u
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../tools/skip.sh
. "$dir/../tools/skip.sh"
bash -n "$dir/run.sh" || { echo "FAIL: bash -n tests/device/run.sh"; exit 1; }
command -v shellcheck >/dev/null || el_skip_exit "bash -n passes; shellcheck is not installed"
shellcheck -x "$dir/run.sh" "$dir/syntax.sh" || { echo "FAIL: shellcheck tests/device/run.sh"; exit 1; }
echo "PASS: bash -n and shellcheck"
