#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build envlock's Debian packages (envlock, libenvlock0, libenvlock-dev,
# slurm-envlock) from this tree with dpkg-buildpackage, then check them
# with lintian. The packaging lives in packaging/debian/; it goes to
# debian/ in a copy of the tree, never in the checkout.
#
#   packaging/build-deb.sh OUTDIR      (the .deb files and lintian.txt go there)
#
# Needs dpkg-dev, debhelper and the build dependencies of debian/control
# (packaging/install-deps.sh installs them); lintian for the check. Exit 0
# when the packages build and lintian reports no error and no warning.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The tree as it is (committed or not), without build directories.
mkdir "$work/envlock"
tar -C "$src" --exclude=./build --exclude='./build-*' --exclude=./.git -cf - . | tar -C "$work/envlock" -xf -
cp -r "$src/packaging/debian" "$work/envlock/debian"
(cd "$work/envlock" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) ||
	{ tail -40 "$out/build.log" >&2; exit 1; }
cp "$work"/*.deb "$work"/*.changes "$out/"
if command -v lintian >/dev/null; then
	# --fail-on: an error or a warning fails; info and pedantic tags are listed, not fatal.
	lintian --fail-on error,warning --info "$work"/*.deb >"$out/lintian.txt" 2>&1 || {
		cat "$out/lintian.txt" >&2
		exit 1
	}
fi
ls "$out"/*.deb
