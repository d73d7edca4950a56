#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replay a bundle on another machine, made here: a fresh Debian root from
# debootstrap, with no Python and no PyTorch, where envlock is the only
# thing added. The bundle must bring everything its run needs; the replay
# says whether its outputs came out bit for bit the same.
#
#   sudo packaging/bundle-proof.sh BUNDLE [ENVLOCK]
#
# ENVLOCK: the envlock binary to copy in (default: the one on PATH). The
# mirror is this machine's own (its apt sources), the suite its release.
# The root is made under /var/tmp and removed at the end (KEEP_ROOT=1 keeps
# it). Exit status: replay's (0 reproduced, 1 not), or 2 when the other
# machine could not be made.
set -euo pipefail

die() { echo "bundle-proof: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: bundle-proof.sh BUNDLE [ENVLOCK]"
[ "$(id -u)" -eq 0 ] || die "debootstrap and the mounts need root"
bundle=$(realpath "$1") || die "$1: no such file"
envlock=$(realpath "${2:-$(command -v envlock || true)}") || die "no envlock binary: give its path"
[ -x "$envlock" ] || die "$envlock: not executable"

if ! command -v debootstrap >/dev/null; then
	apt-get install -y debootstrap >/dev/null || die "debootstrap is not installed and cannot be"
fi

. "$(dirname "$0")/apt-mirror.sh"
mirror=$(apt_mirror) || true
[ -n "$mirror" ] || die "no mirror found in this machine's apt sources"
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || die "no release code name in /etc/os-release"

root=$(mktemp -d /var/tmp/envlock-proof.XXXXXX)
# The root of the other machine's file system: every user may search it.
chmod 755 "$root"
cleanup() {
	if [ "${KEEP_ROOT:-0}" = 1 ]; then
		echo "bundle-proof: the other machine's root is kept in $root" >&2
	else
		rm -rf --one-file-system "$root"
	fi
}
trap cleanup EXIT

echo "bundle-proof: making a $suite root from $mirror in $root" >&2
# minbase, and what envlock itself links or loads: libarchive for the bundle.
debootstrap --variant=minbase --include=libarchive13,libcap2 "$suite" "$root" "$mirror" >"$root.log" 2>&1 ||
	{ tail -5 "$root.log" >&2; rm -f "$root.log"; die "debootstrap failed"; }
rm -f "$root.log"
for absent in /usr/bin/python3 /usr/lib/python3/dist-packages/torch; do
	[ ! -e "$root$absent" ] || die "the new root has $absent: it would not show that the bundle brings it"
done
echo "bundle-proof: the new root has no python3 and no torch" >&2
install -m 0755 "$envlock" "$root/usr/local/bin/envlock"
install -m 0644 "$bundle" "$root/run.envlock"

# The new root as the whole file system of a mount namespace: pivot_root,
# not chroot, since a chrooted process may not make user namespaces.
set +e
unshare --mount --fork -- /bin/sh -s "$root" <<'SH'
set -e
root=$1
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs tmpfs "$root/tmp"
cd "$root"
mkdir -p .old
pivot_root . .old
umount -l /.old
rmdir /.old
cd /
export PATH=/usr/local/bin:/usr/bin:/bin ENVLOCK_CACHE_DIR=/var/cache/envlock HOME=/root
envlock --version
envlock replay --bundle /run.envlock
SH
status=$?
set -e
echo "bundle-proof: replay in the new root exited $status" >&2
exit "$status"
