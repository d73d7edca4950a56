#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what the DSSE interop test (tests/integration/sign_interop.sh)
# needs: Node.js, npm and sigstore-js's @sigstore/core, whose DSSE
# pre-authentication encoding and signature checks cross-check envlock's.
#
#   packaging/install-test-node.sh [DIR]
#
# DIR (else $EL_TEST_NODE_DIR, else /var/lib/envlock-test/node) gets
# node_modules/@sigstore/core, outside the source tree; the test finds it
# through EL_TEST_NODE_DIR. npm fetches from whatever its own configuration
# names. Nothing is done when the pinned version is already there.
# Debian 12 / Ubuntu 22.04 and later; run as root, or it uses sudo (for
# apt-get, and for DIR when it cannot be written otherwise).
set -eu

# The exact version the interop test is known to pass with. It declares a
# newer Node.js in "engines" than Debian 12 has; npm only warns about that,
# and the parts the test uses (dsse.preAuthEncoding, crypto.createPublicKey,
# crypto.verify) need nothing newer than Node.js 18.
core_version=4.0.1

dir=${1:-${EL_TEST_NODE_DIR:-/var/lib/envlock-test/node}}

if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	as_root=none
fi

root() {
	if [ "$as_root" = none ]; then
		echo "install-test-node.sh: $1 needs root: run as root (or install sudo)" >&2
		exit 1
	fi
	shift
	$as_root "$@"
}

# Node.js and npm, from the distribution when node is missing (a node of
# one's own, with its npm, is used as it is).
missing=
command -v node >/dev/null 2>&1 || missing="nodejs npm"
[ -z "$missing" ] && ! command -v npm >/dev/null 2>&1 && missing=npm
if [ -n "$missing" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "install-test-node.sh: no apt-get here; install Node.js and npm (dnf install nodejs npm), then run this again" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	root "installing $missing" apt-get update -qq
	# shellcheck disable=SC2086
	root "installing $missing" apt-get install -y -qq --no-install-recommends $missing
fi
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-test-node.sh: $tool is still missing after installing $missing" >&2
		exit 1
	fi
done

# Already there: the pinned version in DIR.
installed() {
	node -e 'process.stdout.write(require(process.argv[1]).version)' \
		"$dir/node_modules/@sigstore/core/package.json" 2>/dev/null
}
if [ "$(installed || true)" = "$core_version" ]; then
	echo "install-test-node.sh: @sigstore/core $core_version is already in $dir"
	exit 0
fi

# npm as the user who can write DIR: this user when DIR (or the nearest
# directory above it that exists) is writable, else root.
parent=$dir
while [ ! -d "$parent" ]; do parent=$(dirname "$parent"); done
if [ -w "$parent" ] && { [ -d "$dir" ] || mkdir -p "$dir"; }; then
	npm install --no-save --no-audit --no-fund --prefix "$dir" "@sigstore/core@$core_version"
else
	root "writing $dir" mkdir -p "$dir"
	root "writing $dir" npm install --no-save --no-audit --no-fund --prefix "$dir" "@sigstore/core@$core_version"
fi

got=$(installed || true)
if [ "$got" != "$core_version" ]; then
	echo "install-test-node.sh: npm did not leave @sigstore/core $core_version in $dir (found '${got:-nothing}')" >&2
	exit 1
fi
echo "install-test-node.sh: @sigstore/core $core_version installed in $dir"
