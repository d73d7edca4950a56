#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Nothing is lost silently: what envlock exec's command leaves outside the
# working directory (/tmp, /var/tmp, /run, $HOME, /dev/shm, tmpfs mounts)
# is listed on stderr when it ends, envlock's own files and /dev left out;
# --keep-scratch DIR copies it out instead, safely against a hostile job
# (links copied as links, never followed; nothing written outside DIR; a
# link planted in DIR refused), and the walks are bounded (100000 entries,
# 64 directories deep).
#
# Everything runs twice, as in exec.sh: as root and as the unprivileged
# user envlock-test through setpriv.
. "$(dirname "$0")/lib.sh"
need sha256sum python3 head
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed (the checks run it inside the sandbox)"

user=envlock-test
# Under /var/tmp, not /tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-scratch.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }
. "$(dirname "$0")/sandbox_halves.sh"

# The first line of the listing for N files.
discarded() {
	if [ "$1" = 1 ]; then
		echo "envlock: exec: 1 file written outside the working directory was discarded with the sandbox (--keep-scratch DIR keeps them):"
	else
		echo "envlock: exec: $1 files written outside the working directory were discarded with the sandbox (--keep-scratch DIR keeps them):"
	fi
}

half_checks() {
	local half=$1 dir=$base/$1 bin
	local -a as
	local p="[$half]"

	mkdir -p "$dir/work" "$dir/hostdir"
	echo victim >"$dir/victim"
	cp "$ENVLOCK" "$dir/envlock"
	bin=$dir/envlock
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	else
		as=()
	fi
	el() { "${as[@]}" env ENVLOCK_PROFILE_PATH="$dir/none" "$bin" "$@"; }
	cd "$dir/work" || exit 1

	# ---- listed ----
	x el exec --no-lock -- true
	check_eq "$p nothing left: exit 0" 0 "$status"
	check_eq "$p nothing left: nothing said" "" "$(err)"
	x el exec --no-lock -- sh -c 'mkdir -p "$HOME/.cache"; echo x >"$HOME/.cache/x"; echo c >/tmp/ckpt.pt; echo out'
	check_eq "$p two files: exit 0" 0 "$status"
	check_eq "$p two files: the command's output" out "$(out)"
	check_eq "$p two files: the listing" "$(discarded 2)
envlock:   /home/envlock/.cache/x
envlock:   /tmp/ckpt.pt" "$(err)"
	x el exec --no-lock -- sh -c 'echo a >/var/tmp/a; exit 3'
	check_eq "$p one file, the command fails: its status" 3 "$status"
	check_eq "$p one file: singular" "$(discarded 1)
envlock:   /var/tmp/a" "$(err)"
	# Every kind of file, in every scratch mount, sorted bytewise; the first five named.
	x el exec --no-lock --tmpfs /scratch -- sh -c 'echo >/tmp/b; echo >/tmp/B; ln -s /etc/passwd /tmp/link; mkfifo /run/fifo;
		echo >/dev/shm/s; echo >/scratch/t; mkdir -p /tmp/d/e; echo >/tmp/d/e/f; echo >/var/tmp/v; touch /dev/not-scratch'
	check_eq "$p eight files: exit 0" 0 "$status"
	check_eq "$p eight files: the first five, bytewise, and the count of the rest" "$(discarded 8)
envlock:   /dev/shm/s
envlock:   /run/fifo
envlock:   /scratch/t
envlock:   /tmp/B
envlock:   /tmp/b
envlock:   ... and 3 more" "$(err)"
	# envlock's own files (the Python hook under /run/envlock) are not the command's.
	x el exec --no-lock --seed 1 -- test -f /run/envlock/python/sitecustomize.py
	check_eq "$p --seed: the hook is there" 0 "$status"
	check_eq "$p --seed: envlock's own files are not listed" "" "$(err)"
	x el exec --no-lock --tmpfs /scratch --dry-run -- true
	check_eq "$p --dry-run marks the scratch mounts" "  tmpfs      /tmp  (mode 1777, scratch)
  tmpfs      /var/tmp  (mode 1777, scratch)
  tmpfs      /run  (mode 0755, scratch)
  tmpfs      /home/envlock  (mode 0700, scratch)
  tmpfs      /dev/shm  (mode 1777, scratch)
  tmpfs      /scratch  (mode 0755, scratch)" "$(grep ', scratch)' "$scratch/out")"

	# ---- kept ----
	x el exec --no-lock --keep-scratch "$dir/kept/a/b" -- sh -c '
		umask 022; echo c >/tmp/ckpt.pt; chmod 640 /tmp/ckpt.pt; head -c 3145728 /dev/urandom >/tmp/big;
		sha256sum </tmp/big >big.sum; ln -s /etc/passwd /tmp/passwd; ln -s '"$dir/hostdir"' /tmp/hostdir;
		mkfifo /tmp/fifo; mkdir -p "$HOME/.cache/pip"; echo p >"$HOME/.cache/pip/p"'
	check_eq "$p --keep-scratch: exit 0" 0 "$status"
	check_eq "$p --keep-scratch: what it says" "envlock: exec: 5 files written outside the working directory were kept in $dir/kept/a/b
envlock: exec: 1 file written outside the working directory was not kept: not a regular file or a symbolic link" "$(err)"
	local k=$dir/kept/a/b
	check_eq "$p --keep-scratch: DIR made with its parents, 0755" "755 755" "$(stat -c %a "$dir/kept/a" "$k" | tr '\n' ' ' | sed 's/ $//')"
	check_eq "$p --keep-scratch: the tree, sandbox paths under DIR" "$(printf '%s\n' home home/envlock home/envlock/.cache \
		home/envlock/.cache/pip home/envlock/.cache/pip/p tmp tmp/big tmp/ckpt.pt tmp/hostdir tmp/passwd)" \
		"$(cd "$k" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort)"
	check_eq "$p --keep-scratch: a file's bytes and mode" "c 640" "$(cat "$k/tmp/ckpt.pt") $(stat -c %a "$k/tmp/ckpt.pt")"
	check_eq "$p --keep-scratch: a 3 MiB file, byte for byte" "$(cat big.sum)" "$(sha256sum <"$k/tmp/big")"
	check_eq "$p --keep-scratch: a link to /etc/passwd is a link" "link /etc/passwd" \
		"$([ -L "$k/tmp/passwd" ] && echo link) $(readlink "$k/tmp/passwd")"
	check_eq "$p --keep-scratch: a link to a host directory is a link" "link $dir/hostdir" \
		"$([ -L "$k/tmp/hostdir" ] && echo link) $(readlink "$k/tmp/hostdir")"
	check_eq "$p --keep-scratch: nothing written into the host directory" "" "$(ls -A "$dir/hostdir")"
	# A terabyte-long sparse file costs the tmpfs nothing, and its copy nothing either.
	x el exec --no-lock --keep-scratch "$dir/sparse" -- sh -c 'printf x >/tmp/sparse; truncate -s 1T /tmp/sparse; printf y >>/tmp/sparse'
	check_eq "$p --keep-scratch: a sparse file: exit 0" 0 "$status"
	check_eq "$p --keep-scratch: a sparse file: its size, its data, few blocks" "1099511627777 x y small" \
		"$(stat -c %s "$dir/sparse/tmp/sparse") $(head -c 1 "$dir/sparse/tmp/sparse") $(tail -c 1 "$dir/sparse/tmp/sparse") $([ "$(stat -c %b "$dir/sparse/tmp/sparse")" -lt 1024 ] && echo small || echo large)"
	local owner
	owner=$([ "$half" = user ] && echo "$user" || id -un)
	check_eq "$p --keep-scratch: the copies are the invoking user's" "$owner" "$(stat -c %U "$k/tmp/ckpt.pt")"
	# Kept again into the same DIR: what is there is replaced.
	x el exec --no-lock --keep-scratch "$k" -- sh -c 'echo d >/tmp/ckpt.pt'
	check_eq "$p --keep-scratch into the same DIR: exit 0" 0 "$status"
	check_eq "$p --keep-scratch into the same DIR: replaced" d "$(cat "$k/tmp/ckpt.pt")"
	x el exec --no-lock --keep-scratch "$dir/kept2" -- true
	check_eq "$p --keep-scratch with nothing to keep: silent" "0 " "$status $(err)"
	check_eq "$p --keep-scratch with nothing to keep: DIR made, empty" "" "$(ls -A "$dir/kept2")"
	x el exec --no-lock --keep-scratch "$dir/victim/x" -- true
	check_eq "$p --keep-scratch DIR that cannot be made: 125" 125 "$status"
	check_eq "$p --keep-scratch DIR that cannot be made: the message" \
		"envlock: exec: --keep-scratch $dir/victim/x: Not a directory" "$(err)"

	# ---- a hostile job: DIR in the working directory, links planted in it ----
	x el exec --no-lock -- sh -c "mkdir -p keep; ln -s $dir/hostdir keep/tmp; mkdir -p keep2/tmp; ln -s $dir/victim keep2/tmp/ckpt.pt"
	x el exec --no-lock --keep-scratch keep -- sh -c 'echo evil >/tmp/ckpt.pt'
	check_eq "$p a link planted as DIR/tmp: 125" 125 "$status"
	check_eq "$p a link planted as DIR/tmp: refused, not followed" \
		"envlock: exec: --keep-scratch keep: /tmp/ckpt.pt: where its directory goes is not a directory (a link is never followed)" "$(err)"
	check_eq "$p a link planted as DIR/tmp: nothing written through it" "" "$(ls -A "$dir/hostdir")"
	x el exec --no-lock --keep-scratch keep2 -- sh -c 'echo evil >/tmp/ckpt.pt'
	check_eq "$p a link planted as DIR/tmp/ckpt.pt: exit 0" 0 "$status"
	check_eq "$p a link planted as DIR/tmp/ckpt.pt: replaced by the file" "file evil" \
		"$([ -f keep2/tmp/ckpt.pt ] && [ ! -L keep2/tmp/ckpt.pt ] && echo file) $(cat keep2/tmp/ckpt.pt)"
	check_eq "$p a link planted as DIR/tmp/ckpt.pt: its target untouched" victim "$(cat "$dir/victim")"
	# The job swaps DIR for a link while it runs: what is kept goes where DIR was when exec started.
	mkdir -p swap
	[ "$half" = user ] && chown "$user:$user" swap
	x el exec --no-lock --keep-scratch swap -- sh -c "echo s >/tmp/s; mv swap swap.moved; ln -s $dir/hostdir swap"
	check_eq "$p DIR swapped for a link during the run: kept where DIR was" "s" "$(cat swap.moved/tmp/s 2>&1)"
	check_eq "$p DIR swapped for a link during the run: nothing through the link" "" "$(ls -A "$dir/hostdir")"

	# ---- bounds ----
	x el exec --no-lock -- /usr/bin/python3 -c '
import os
os.mkdir("/tmp/many")
for i in range(100000):
    open("/tmp/many/%06d" % i, "w").close()'
	check_eq "$p 100000 files: exit 0" 0 "$status"
	# Which 99999 are looked at is readdir's order; the count and the bound are exact.
	check_eq "$p 100000 files: counted up to the bound" "$(discarded 99999)" "$(err | head -1)"
	check_eq "$p 100000 files: five named" 5 "$(err | grep -cE '^envlock:   /tmp/many/[0-9]{6}$')"
	check_eq "$p 100000 files: the rest counted, and the bound said" "envlock:   ... and 99994 more
envlock: exec: more than 100000 entries outside the working directory: the rest were not looked at" "$(err | sed -n '7,$p')"
	local deep=/tmp
	for _ in $(seq 65); do deep=$deep/d; done
	x el exec --no-lock -- sh -c "mkdir -p $deep/d; echo >$deep/d/bottom; echo >/tmp/top"
	check_eq "$p a tree 66 directories deep: exit 0" 0 "$status"
	check_eq "$p a tree 66 directories deep: the bound said" "$(discarded 1)
envlock:   /tmp/top
envlock: exec: $deep: more than 64 directories deep: what is below it was not looked at" "$(err)"
	x el exec --no-lock --keep-scratch "$dir/deep" -- sh -c "mkdir -p $deep/d; echo >$deep/d/bottom; echo >/tmp/top"
	check_eq "$p a tree 66 directories deep, kept: 125 (not everything was kept)" 125 "$status"
	check_eq "$p a tree 66 directories deep, kept: said" "envlock: exec: 1 file written outside the working directory was kept in $dir/deep
envlock: exec: $deep: more than 64 directories deep: what is below it was not looked at" "$(err)"
	x el exec --no-lock --keep-scratch "$dir/deep2" -- sh -c "mkdir -p $deep/d; exit 4"
	check_eq "$p past a bound, the command's own failure stands" 4 "$status"
	cd "$base" || exit 1
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
cd /
finish
