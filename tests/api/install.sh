#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The installed tree is enough to build against libenvlock: install the
# build to a temporary prefix, compile tests/api/consumer.c with what
# pkg-config says for envlock (and nothing from the source or build tree),
# and check that it reads a lock and prints its fingerprint through the
# shared library.
#   install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
lock=$src/tests/fixtures/drift/a.lock
prefix=$(mktemp -d "${TMPDIR:-/tmp}/envlock-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
# A step that fails says which: set -e alone would end the test without a word.
trap 'echo "install.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR

cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name envlock.pc)
[ -n "$pc" ] || { echo "no envlock.pc installed"; exit 1; }
for header in "$src"/include/envlock/*.h; do
	[ -f "$prefix/include/envlock/$(basename "$header")" ] || { echo "not installed: $header"; exit 1; }
done
[ -f "$prefix/include/envlock/version.h" ] || { echo "not installed: envlock/version.h"; exit 1; }

export PKG_CONFIG_PATH=$(dirname "$pc")
[ "$(pkg-config --modversion envlock)" = "$(sed -n 's/^#define EL_VERSION "\(.*\)"$/\1/p' "$prefix/include/envlock/version.h")" ] ||
	{ echo "envlock.pc's version is not the headers'"; exit 1; }
libdir=$(pkg-config --variable=libdir envlock)
# shellcheck disable=SC2046 # pkg-config's output is words
cc -std=c11 -D_POSIX_C_SOURCE=200809L -pedantic -Wall -Wextra -Werror -o "$prefix/consumer" "$src/tests/api/consumer.c" $(pkg-config --cflags --libs envlock)

LD_LIBRARY_PATH=$libdir "$prefix/consumer" "$lock" >"$prefix/out"
want=$(sed -n 's/^  "fingerprint": "\(.*\)",$/\1/p' "$lock")
got=$(cat "$prefix/out")
[ "$got" = "$want" ] || { echo "fingerprint: got '$got', want '$want'"; exit 1; }
# The consumer ran on the installed shared library, not on a copy of the archive.
LD_LIBRARY_PATH=$libdir ldd "$prefix/consumer" | grep -q "$libdir/libenvlock.so" ||
	{ echo "consumer is not linked to $libdir/libenvlock.so"; LD_LIBRARY_PATH=$libdir ldd "$prefix/consumer"; exit 1; }
echo "ok: $got"
