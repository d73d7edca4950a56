#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source file says its license (LICENSE: Apache-2.0) in an SPDX line:
# C in its first line, scripts and CMake in their first comment (after a
# shebang). Test fixtures, corpora and the sample project are data. And no
# package mirror's host name is written anywhere: the scripts that need one
# take it from the machine's apt sources (packaging/apt-mirror.sh).
. "$(dirname "$0")/lib.sh"

cd "$EL_SOURCE_DIR"
tag='SPDX-License-Identifier: Apache-2.0'
check_eq "LICENSE is the Apache License 2.0" "Apache License|Version 2.0, January 2004" \
	"$(sed -n '2,3p' LICENSE | sed 's/^ *//' | paste -sd'|')"
missing=$(find . \( -path ./build -o -path './build-*' -o -path ./.git -o -path ./tests/fixtures -o \
	-path ./tests/workload/repo -o -path ./tests/fuzz/corpus -o -path ./tests/golden \) -prune -o -type f \
	\( -name '*.c' -o -name '*.h' -o -name '*.h.in' -o -name '*.sh' -o -name '*.py' -o -name '*.cmake' -o \
	-name CMakeLists.txt -o -name '*.pc.in' -o -path ./.ci/run \) -print | sort | while IFS= read -r f; do
	case $f in
	*.c | *.h | *.h.in) [ "$(head -n1 "$f")" = "/* $tag */" ] || echo "$f" ;;
	*) [ "$(awk 'NR == 1 && /^#!/ { next } { print; exit }' "$f")" = "# $tag" ] || echo "$f" ;;
	esac
done)
check_eq "every source file has its SPDX line" "" "$missing"
check_eq "no package mirror's host name in the repository" "" \
	"$(grep -rIoE '(deb|ftp|security|archive)\.(debian\.org|ubuntu\.com)|mirrors?\.[a-z0-9-]+\.(org|com|net|edu)' \
		--exclude-dir=.git --exclude-dir='build*' . | grep -v ':mirrors\{0,1\}\.example\.' | cut -d: -f1 | sort -u)"
finish
