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
. "$repo/packaging/apt-mirror.sh"
mirror=${DEBIAN_MIRROR:-$(apt_mirror)} || { echo "check-quickstart.sh: no mirror in this machine's apt sources: set DEBIAN_MIRROR" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "check-quickstart.sh: run as root" >&2; exit 1; }
if [ ! -x "$root/bin/sh" ]; then
	debootstrap --variant=minbase "$(. /etc/os-release && echo "$VERSION_CODENAME")" "$root" "$mirror"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
[ -f /etc/apt/sources.list.d/debian.sources ] && cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"

# A clean checkout of the committed tree: what CI and a newcomer get.
rm -rf "$root/src/envlock"
mkdir -p "$root/src"
git -C "$repo" archive --format=tar --prefix=envlock/ HEAD | tar -x -C "$root/src"

mounted=()
cleanup() {
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for fs in proc sys dev dev/pts; do
	mount --bind "/$fs" "$root/$fs"
	mounted+=("$root/$fs")
done

mapfile -t lines < <(sed -n '/^## Quick start/,/^## /p' "$repo/README.md" | grep -E '^    [^ ]' | sed 's/^    //')
[ "${#lines[@]}" -eq 2 ] || { echo "check-quickstart.sh: README's Quick start has ${#lines[@]} command lines, not 2" >&2; exit 1; }

# Enter the root as a container does, not with chroot(2): in a mount
# namespace of its own, made the root with pivot_root. The kernel refuses
# user namespaces to a chrooted process, and the sandbox tests need them.
in_root() {
	unshare --mount --propagation private /bin/bash -c '
		set -e
		mount --rbind "$1" "$1"
		cd "$1"
		mkdir -p .host
		pivot_root . .host
		umount -l /.host
		rmdir /.host
		exec /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			TERM=dumb /bin/bash -c "$2"' in-root "$root" "$1"
}

status=0
for n in 0 1; do
	echo "=== Quick start line $((n + 1)): ${lines[n]}"
	if in_root "cd /src/envlock && ${lines[n]}" >"$root/quickstart-$((n + 1)).log" 2>&1; then
		echo "    ok ($(tail -1 "$root/quickstart-$((n + 1)).log"))"
	else
		status=1
		echo "    FAILED; the end of its log:"
		tail -40 "$root/quickstart-$((n + 1)).log"
	fi
done
exit $status
