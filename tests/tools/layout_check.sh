#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README.md's Layout section is the map of the tree: every path it lists
# exists, and every directory of the source tree (src/ and its
# subdirectories, include/, profiles/, packaging/, the tests' directories)
# is listed. Run from anywhere: tests/tools/layout_check.sh [SOURCE_DIR]
set -euo pipefail

src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
readme=$src/README.md
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The indented block after "## Layout": its first word on each line is a path.
listed=$(awk '/^## Layout$/ { in_section = 1; next }
	in_section && /^## / { exit }
	in_section && /^    [^ ]/ { print $1 }' "$readme")
[ -n "$listed" ] || { echo "FAIL: README.md has no Layout block"; exit 1; }

while read -r path; do
	[ -e "$src/$path" ] || fail "README.md Layout lists $path, which does not exist"
done <<<"$listed"

# Directories that must be on the map; a trailing slash as the README writes them.
while read -r dir; do
	grep -qxF "$dir/" <<<"$listed" || fail "$dir/ is not in README.md's Layout section"
done < <(cd "$src" && {
	find src -mindepth 1 -maxdepth 2 -type d
	find include tests -mindepth 1 -maxdepth 1 -type d
	echo profiles
	echo packaging
} | grep -v '__pycache__' | LC_ALL=C sort)

echo "$(wc -l <<<"$listed") paths listed, $failures failed"
[ "$failures" -eq 0 ]
