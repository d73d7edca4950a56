#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-check the lock's "libraries" section against the loader's own tools
# on this machine: for every soname, `ldconfig -p` must list it for the
# native ABI and resolve it to the same real file, sha256sum must agree with
# the recorded digest, and versions that a file name or glibc states must
# match. A second, warm capture (hashes from the stat cache) must give the
# same section.
#
# Needs: $ENVLOCK (the built envlock binary), jq, ldconfig, sha256sum.
set -euo pipefail

# skip REASON: exit 77 (skipped), or 1 under ENVLOCK_TEST_STRICT.
. "$(dirname "$0")/../tools/skip.sh"
skip() { el_skip_exit "$@"; }

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

command -v jq >/dev/null || skip "jq is not installed"
command -v sha256sum >/dev/null || skip "sha256sum is not installed"
LDCONFIG=$(PATH="$PATH:/sbin:/usr/sbin" command -v ldconfig || true)
[[ -n "$LDCONFIG" ]] || skip "ldconfig is not installed"
[[ -n "${ENVLOCK:-}" && -x "$ENVLOCK" ]] || skip "\$ENVLOCK does not name the built envlock binary"
[[ -r /etc/ld.so.cache ]] || skip "this machine has no /etc/ld.so.cache"

# How ldconfig -p names this machine's ABI; hwcap entries carry more text.
case "$(uname -m)" in
x86_64) abi="(libc6,x86-64)" ;;
aarch64) abi="(libc6,AArch64)" ;;
i?86) abi="(libc6)" ;;
*) skip "no ldconfig ABI name known for $(uname -m)" ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A private cache: the first capture hashes every file, the second reuses them.
export ENVLOCK_CACHE_DIR="$tmp/cache"

"$ENVLOCK" capture >"$tmp/cold.lock" || {
	echo "FAIL: envlock capture exited with $?" >&2
	exit 1
}
jq -e '.libraries | type == "object"' "$tmp/cold.lock" >/dev/null || {
	echo "FAIL: the lock has no libraries section" >&2
	exit 1
}
"$LDCONFIG" -p >"$tmp/ldconfig"

# The first entry for the native ABI wins, as in the loader.
ldconfig_path() {
	awk -v name="$1" -v abi="$abi" '$1 == name && $2 == abi && $3 == "=>" { print $4; exit }' "$tmp/ldconfig"
}

field() {
	jq -r --arg n "$1" --arg f "$2" '.libraries[$n][$f] // empty' "$tmp/cold.lock"
}

checked=0
while IFS= read -r soname; do
	checked=$((checked + 1))
	path=$(field "$soname" path)
	sha=$(field "$soname" sha256)
	listed=$(ldconfig_path "$soname")
	if [[ -z "$listed" ]]; then
		fail "$soname: ldconfig -p does not list it for $abi"
		continue
	fi
	real=$(readlink -f "$listed")
	[[ "$real" == "$path" ]] || fail "$soname: the lock says $path, ldconfig resolves to $real"
	if [[ -z "$sha" ]]; then
		fail "$soname: no sha256 in the lock"
	else
		want=$(sha256sum "$real" | cut -d' ' -f1)
		[[ "$sha" == "$want" ]] || fail "$soname: sha256 $sha in the lock, sha256sum says $want"
	fi
done < <(jq -r '.libraries | keys[]' "$tmp/cold.lock")
[[ $checked -gt 0 ]] || fail "the libraries section is empty"

# What file names and glibc state, the lock must repeat.
stdcxx=$(field libstdc++.so.6 path)
if [[ -n "$stdcxx" ]]; then
	name=$(basename "$stdcxx")
	want=${name#libstdc++.so.}
	got=$(field libstdc++.so.6 version)
	[[ "$name" != "$want" && "$got" == "$want" ]] ||
		fail "libstdc++.so.6: version \"$got\", file name $name says \"$want\""
fi
if command -v getconf >/dev/null && glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null); then
	want=${glibc#glibc }
	got=$(field libc.so.6 version)
	[[ "$got" == "$want" ]] || fail "libc.so.6: version \"$got\", getconf says \"$want\""
fi

"$ENVLOCK" capture >"$tmp/warm.lock"
if ! cmp -s <(jq -S .libraries "$tmp/cold.lock") <(jq -S .libraries "$tmp/warm.lock"); then
	fail "a warm capture gives a different libraries section"
	diff <(jq -S .libraries "$tmp/cold.lock") <(jq -S .libraries "$tmp/warm.lock") >&2 || true
fi

if [[ $failures -gt 0 ]]; then
	echo "$failures failure(s) in $checked libraries" >&2
	exit 1
fi
echo "ok: $checked libraries match ldconfig -p and sha256sum"
