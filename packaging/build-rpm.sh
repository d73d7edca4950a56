#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build envlock's RPMs from this tree with rpmbuild -bb (packaging/rpm/envlock.spec).
#
#   packaging/build-rpm.sh OUTDIR      (the .rpm files go there)
#
# On Debian (the rpm package) the BuildRequires are Fedora's names, which
# its rpm database does not know: they are not checked (--nodeps), and no
# debuginfo package is made (Debian has no find-debuginfo).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
version=$(awk '$1 == "Version:" { print $2 }' "$src/packaging/rpm/envlock.spec")

mkdir -p "$top"/{SOURCES,BUILD,RPMS,SRPMS,SPECS} "$top/envlock-$version"
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./.git -cf - . | tar -C "$top/envlock-$version" -xf -
tar -C "$top" -czf "$top/SOURCES/envlock-$version.tar.gz" "envlock-$version"
extra=()
if [ -e /etc/debian_version ]; then
	extra=(--nodeps --define 'debug_package %{nil}')
fi
rpmbuild -bb --define "_topdir $top" "${extra[@]}" "$src/packaging/rpm/envlock.spec" >"$out/rpmbuild.log" 2>&1 ||
	{ tail -40 "$out/rpmbuild.log" >&2; exit 1; }
find "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
ls "$out"/*.rpm
