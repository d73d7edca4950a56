#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run README.md's two Quick start lines, exactly as written, in a fresh
# Debian 12 root made with debootstrap: proof that a newcomer's machine
# needs nothing this repository does not install itself.
#
#   packaging/check-quickstart.sh [ROOT]    (as root; needs debootstrap and
#                                            the mirror of this machine's
#                                            apt sources, or DEBIAN_MIRROR)
#
# ROOT defaults to a new directory under /var/tmp; an existing ROOT made by
# an earlier run is reused as the base system but gets a fresh checkout.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/var/tmp/envlock-quickstart-root}
[ "$(id -u)" -eq 0 ] || { echo "check-quickstart.sh: run as root" >&2; exit 1; }
. "$repo/packaging/fresh-root.sh"
fresh_root_make "$root"

# A clean checkout of the committed tree: what CI and a newcomer get.
rm -rf "$root/src/envlock"
mkdir -p "$root/src"
git -C "$repo" archive --format=tar --prefix=envlock/ HEAD | tar -x -C "$root/src"

trap fresh_root_unmount EXIT
fresh_root_mount "$root"

mapfile -t lines < <(sed -n '/^## Quick start/,/^## /p' "$repo/README.md" | grep -E '^    [^ ]' | sed 's/^    //')
[ "${#lines[@]}" -eq 2 ] || { echo "check-quickstart.sh: README's Quick start has ${#lines[@]} command lines, not 2" >&2; exit 1; }

status=0
for n in 0 1; do
	echo "=== Quick start line $((n + 1)): ${lines[n]}"
	if fresh_root_run "$root" "cd /src/envlock && ${lines[n]}" >"$root/quickstart-$((n + 1)).log" 2>&1; then
		echo "    ok ($(tail -1 "$root/quickstart-$((n + 1)).log"))"
	else
		status=1
		echo "    FAILED; the end of its log:"
		tail -40 "$root/quickstart-$((n + 1)).log"
	fi
done
exit $status
