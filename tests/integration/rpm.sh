#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The RPM spec (packaging/rpm/envlock.spec): rpmbuild -bb builds envlock and
# envlock-devel from this tree (packaging/build-rpm.sh), each holding what
# it should, the license where %license puts it.
. "$(dirname "$0")/lib.sh"
need rpmbuild rpm
out=$scratch/rpm
run "$scratch/out" "$scratch/err" bash "$EL_SOURCE_DIR/packaging/build-rpm.sh" "$out"
check_eq "build-rpm.sh: rpmbuild -bb builds envlock and envlock-devel" "0 envlock envlock-devel" \
	"$status $(for f in "$out"/*.rpm; do rpm -qp --qf '%{NAME}\n' "$f" 2>/dev/null; done | sort | paste -sd' ')"
check_eq "envlock: the binary, the library, a page, a completion, the license" \
	"/usr/bin/envlock /usr/share/bash-completion/completions/envlock /usr/share/licenses/envlock-0.1.0/LICENSE /usr/share/man/man1/envlock-exec.1" \
	"$(rpm -qlp "$out"/envlock-0*.rpm 2>/dev/null | grep -E 'bin/envlock$|completions/envlock$|LICENSE$|envlock-exec.1' | sort | paste -sd' ')"
check_eq "envlock-devel: the umbrella header and envlock.pc" "envlock.h envlock.pc" \
	"$(rpm -qlp "$out"/envlock-devel-*.rpm 2>/dev/null | grep -Eo 'envlock\.(h|pc)$' | sort | paste -sd' ')"
finish
