# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by the packaging scripts that make a fresh Debian root with
# debootstrap: the mirror comes from this machine's own apt configuration,
# never from a host name written here.
#
# apt_mirror: print the first mirror of this machine's apt sources (deb822
# .sources files, then the one-line sources.list format); status 1 when
# there is none.
apt_mirror() {
	local f mirror=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		mirror=$(awk '$1 == "URIs:" { print $2; exit }' "$f")
		[ -z "$mirror" ] || break
	done
	if [ -z "$mirror" ] && [ -e /etc/apt/sources.list ]; then
		mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:/) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$mirror" ] || return 1
	echo "$mirror"
}
