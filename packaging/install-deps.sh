#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what envlock needs to build and to run its whole test suite.
#
# Debian 12 / Ubuntu 22.04 and later (run as root, or it uses sudo):
#   packaging/install-deps.sh
#
# Fedora equivalents (dnf install):
#   gcc cmake pkgconf-pkg-config libseccomp-devel libcap-devel
#   libarchive-devel openssl-devel jansson-devel libcmocka-devel
#   git jq python3 python3-pip strace clang compiler-rt hyperfine
#   bubblewrap util-linux python3-numpy python3-torch nodejs npm ShellCheck zstd
#   slurm slurm-slurmd slurm-slurmctld slurm-devel munge zsh fish python3-pyyaml
#   python3-jsonschema man-db groff-base
# then, as root, packaging/create-test-user.sh and
# packaging/install-test-node.sh
set -eu

packages="
  build-essential cmake pkg-config
  libseccomp-dev libcap-dev libarchive-dev libssl-dev libjansson-dev
  libcmocka-dev
  git jq python3 python3-pip python3-venv strace clang hyperfine
  bubblewrap util-linux python3-numpy python3-torch shellcheck zstd
  slurmd slurmctld slurm-client munge libslurm-dev
  zsh fish python3-yaml python3-jsonschema man-db groff-base
  debhelper lintian rpm debootstrap
"

if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "install-deps.sh: run as root (or install sudo)" >&2
	exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps.sh: no apt-get here; see the Fedora package list at the top of this script" >&2
	exit 1
fi

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	$as_root apt-get update -qq
	# shellcheck disable=SC2086
	$as_root apt-get install -y -qq --no-install-recommends $missing
fi

# libFuzzer comes with clang's runtime, whose package name carries clang's
# major version (libclang-rt-14-dev on Debian 12).
rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
if ! dpkg-query -W -f='${Status}' "$rt" 2>/dev/null | grep -q "install ok installed" &&
	apt-cache show "$rt" >/dev/null 2>&1; then
	$as_root apt-get install -y -qq --no-install-recommends "$rt"
fi

# The unprivileged user the sandbox tests run as (the tests use setpriv and
# runuser from util-linux to become it).
if [ "$(id -u)" -eq 0 ]; then
	"$(dirname "$0")/create-test-user.sh"
elif ! id -u envlock-test >/dev/null 2>&1; then
	echo "install-deps.sh: the sandbox tests need the user envlock-test: sudo $(dirname "$0")/create-test-user.sh" >&2
fi

# Node.js and sigstore-js's @sigstore/core for the DSSE interop test
# (tests/integration/sign_interop.sh), in /var/lib/envlock-test/node (or
# $EL_TEST_NODE_DIR). A failure here fails this script: without them that
# test skips, and CI (ENVLOCK_TEST_STRICT=1, see .ci/run) counts a skip as a
# failure.
"$(dirname "$0")/install-test-node.sh"
