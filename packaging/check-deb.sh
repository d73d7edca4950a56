#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the .deb that packaging/build-deb.sh makes into a fresh Debian
# root (debootstrap, this machine's release and mirror) and use it there:
# apt resolves its dependencies from the archive, then envlock capture and
# envlock exec run as a user of that system would run them.
#
#   packaging/check-deb.sh [ROOT]    (as root; debootstrap and the mirror needed)
#
# Prints a summary; the whole log is ROOT.log.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$(mktemp -d /var/tmp/envlock-deb-root.XXXXXX)}
log=$root.log
[ "$(id -u)" -eq 0 ] || { echo "check-deb.sh: run as root" >&2; exit 1; }
. "$repo/packaging/fresh-root.sh"
trap fresh_root_unmount EXIT

echo "=== building the packages" | tee "$log"
bash "$repo/packaging/build-deb.sh" "$root.debs" >>"$log" 2>&1
echo "=== a fresh root in $root" | tee -a "$log"
fresh_root_make "$root" >>"$log" 2>&1
mkdir -p "$root/debs"
cp "$root.debs"/envlock_*.deb "$root.debs"/libenvlock0_*.deb "$root/debs/"
fresh_root_mount "$root"
status=0
step() { # WHAT COMMAND
	echo "=== $1" | tee -a "$log"
	if fresh_root_run "$root" "$2" >>"$log" 2>&1; then
		echo "    ok" | tee -a "$log"
	else
		status=1
		echo "    FAILED (the end of $log):" && tail -20 "$log"
	fi
}
step "apt-get install ./envlock_*.deb ./libenvlock0_*.deb" \
	"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /debs/*.deb"
step "envlock --version, man envlock-exec" "envlock --version && test -e /usr/share/man/man1/envlock-exec.1.gz"
step "envlock capture" "mkdir -p /work && cd /work && echo 1,2 >data.csv && envlock capture --data data.csv -o env.lock && envlock check"
step "envlock exec" "cd /work && envlock exec -- sh -c 'echo ran in \$(hostname), pid \$\$'"
echo "=== installed size: $(fresh_root_run "$root" "dpkg-query -W -f='\${Installed-Size} KiB\n' envlock") (envlock), $(fresh_root_run "$root" "dpkg-query -W -f='\${Installed-Size} KiB\n' libenvlock0") (libenvlock0)" | tee -a "$log"
exit $status
