# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by the scripts that try envlock on a fresh Debian system
# (check-quickstart.sh, check-deb.sh): a root made with debootstrap from
# this machine's own apt mirror, the kernel's file systems bound into it,
# and commands run in it as a container runs them.

. "$(dirname "${BASH_SOURCE[0]}")/apt-mirror.sh"

fresh_root_mounted=()

# fresh_root_make ROOT: a minimal root of this machine's release at ROOT
# (kept when ROOT already holds one), with its apt sources and resolver.
fresh_root_make() {
	local root=$1 mirror suite
	mirror=${DEBIAN_MIRROR:-$(apt_mirror)} || { echo "no mirror in this machine's apt sources: set DEBIAN_MIRROR" >&2; return 1; }
	suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
	if [ ! -x "$root/bin/sh" ]; then
		debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
			{ tail -20 "$root.debootstrap.log" >&2; return 1; }
	fi
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
	fi
}

# fresh_root_mount ROOT: /proc, /sys, /dev and /dev/pts bound in, until fresh_root_unmount.
fresh_root_mount() {
	local fs
	for fs in proc sys dev dev/pts; do
		mount --bind "/$fs" "$1/$fs"
		fresh_root_mounted+=("$1/$fs")
	done
}

fresh_root_unmount() {
	local i
	for ((i = ${#fresh_root_mounted[@]} - 1; i >= 0; i--)); do umount -l "${fresh_root_mounted[i]}" 2>/dev/null || true; done
	fresh_root_mounted=()
}

# fresh_root_run ROOT COMMAND: COMMAND (a bash command line) in ROOT, entered
# as a container is, not with chroot(2): in a mount namespace of its own,
# made the root with pivot_root. The kernel refuses user namespaces to a
# chrooted process, and envlock's sandbox needs them.
fresh_root_run() {
	unshare --mount --propagation private /bin/bash -c '
		set -e
		mount --rbind "$1" "$1"
		cd "$1"
		mkdir -p .host
		pivot_root . .host
		umount -l /.host
		rmdir /.host
		exec /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			TERM=dumb /bin/bash -c "$2"' fresh-root "$1" "$2"
}
