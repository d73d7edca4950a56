#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock replay never touches the recorded outputs: the command runs on an
# overlay of its working directory (or, where the kernel refuses one, as it
# does a working directory already two overlays deep, or where
# ENVLOCK_REPLAY_NO_OVERLAY=1 says so, on a copy removed afterwards), the
# outputs are hashed from what it wrote there, the host's files keep their
# bytes and times, and --keep DIR copies the replay's outputs out (a link as
# a link). As root and as the unprivileged user envlock-test, as exec.sh.
. "$(dirname "$0")/lib.sh"
need sha256sum jq

user=envlock-test
# Under /var/tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-replay-it.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }
. "$(dirname "$0")/sandbox_halves.sh"

fallback="envlock: replay: overlayfs is not available here (ENVLOCK_REPLAY_NO_OVERLAY=1): replaying on a copy of the working directory"
# The command: the first run makes the outputs and a mark; a replay (the mark is there) writes
# other bytes, a file the host never had, and turns an output into a link to /etc/passwd.
job='date +%s%N >now.txt; echo same >same.txt; cat lnk >vialink.txt
if [ -e mark ]; then echo replayed >again.txt; rm -f leak; ln -s /etc/passwd leak; else echo leak >leak; touch mark; fi'

half_checks() {
	local half=$1 dir=$base/$1 bin
	local -a as
	local p="[$half]"

	mkdir -p "$dir/work" "$dir/tmp"
	ln -s /etc/hostname "$dir/work/lnk"
	cp "$ENVLOCK" "$dir/envlock"
	bin=$dir/envlock
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	else
		as=()
	fi
	el() { "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache" TMPDIR="$dir/tmp" "$@"; }
	cd "$dir/work" || exit 1

	x el "$bin" exec --no-lock --record run.json --output now.txt --output same.txt --output vialink.txt \
		--output leak -- /bin/sh -c "$job"
	check_eq "$p the recorded run: exit 0" 0 "$status"
	local before recorded
	before=$(stat -c '%s %Y %y' now.txt leak)
	recorded=$(sum now.txt)
	check_eq "$p the record has the run's digest" "$recorded" "$(jq -r '.subject[0].digest.sha256' run.json)"

	# ---- on an overlay ----
	x el "$bin" replay run.json
	check_eq "$p replay of a run that does not reproduce: exit 1" 1 "$status"
	check_eq "$p replay: the lines" "run.json: /bin/sh
  differs     now.txt: recorded sha256:$recorded, now sha256:SUM
  reproduced  same.txt  sha256:$(sum same.txt)
  reproduced  vialink.txt  sha256:$(sum vialink.txt)
  differs     leak: cannot be hashed now
  NOT reproduced
replay: 1 record: 0 reproduced, 1 not" "$(out | sed -E 's/now sha256:[0-9a-f]{64}$/now sha256:SUM/')"
	check_eq "$p replay: the new digest is not the recorded one" different \
		"$(out | grep -q "now sha256:$recorded" && echo same || echo different)"
	check_eq "$p replay: the host's outputs keep their bytes and times" "$before" "$(stat -c '%s %Y %y' now.txt leak)"
	check_eq "$p replay: the host's now.txt is the recorded one" "$recorded" "$(sum now.txt)"
	check_eq "$p replay: a file only the replay wrote is not on the host" no "$([ -e again.txt ] && echo yes || echo no)"
	check_eq "$p replay: the host's leak is still a file" "file leak" "$([ -f leak ] && [ ! -L leak ] && echo file) $(cat leak)"

	# ---- --keep ----
	x el "$bin" replay --keep "$dir/kept/a" run.json
	check_eq "$p --keep: exit 1 (it still does not reproduce)" 1 "$status"
	check_eq "$p --keep: says where" "  outputs kept in $dir/kept/a" "$(grep 'kept in' "$scratch/out")"
	check_eq "$p --keep: the kept now.txt is what the replay hashed" \
		"$(out | sed -nE 's/.*now sha256:([0-9a-f]{64})$/\1/p')" "$(sum "$dir/kept/a/now.txt")"
	check_eq "$p --keep: same.txt kept" same "$(cat "$dir/kept/a/same.txt")"
	check_eq "$p --keep: the replay's link kept as a link, not followed" "link /etc/passwd" \
		"$([ -L "$dir/kept/a/leak" ] && echo link) $(readlink "$dir/kept/a/leak")"
	check_eq "$p --keep: DIR made 0755" 755 "$(stat -c %a "$dir/kept/a")"
	check_eq "$p --keep: the host untouched" "$before" "$(stat -c '%s %Y %y' now.txt leak)"
	x el "$bin" replay --keep "$dir/work/now.txt/x" run.json
	check_eq "$p --keep DIR that cannot be made: 2" 2 "$status"
	check_eq "$p --keep DIR that cannot be made: the message" \
		"envlock: replay: --keep $dir/work/now.txt/x: Not a directory" "$(grep -v warning "$scratch/err")"

	# ---- on a copy ----
	x el ENVLOCK_REPLAY_NO_OVERLAY=1 "$bin" replay run.json
	check_eq "$p on a copy: exit 1" 1 "$status"
	check_eq "$p on a copy: said once, on stderr" "$fallback" "$(grep -v -e warning -e "exec: --output leak" "$scratch/err")"
	check_eq "$p on a copy: the same verdicts" "run.json: /bin/sh
  differs     now.txt: recorded sha256:$recorded, now sha256:SUM
  reproduced  same.txt  sha256:$(sum same.txt)
  reproduced  vialink.txt  sha256:$(sum vialink.txt)
  differs     leak: cannot be hashed now
  NOT reproduced
replay: 1 record: 0 reproduced, 1 not" "$(out | sed -E 's/now sha256:[0-9a-f]{64}$/now sha256:SUM/')"
	check_eq "$p on a copy: the host untouched" "$before" "$(stat -c '%s %Y %y' now.txt leak)"
	check_eq "$p on a copy: nothing only the replay wrote" no "$([ -e again.txt ] && echo yes || echo no)"
	check_eq "$p on a copy: the copy removed from \$TMPDIR" "" "$(ls -A "$dir/tmp")"
	x el ENVLOCK_REPLAY_NO_OVERLAY=1 "$bin" replay --keep "$dir/kept/b" run.json
	check_eq "$p on a copy, --keep: the link kept as a link" "link /etc/passwd" \
		"$([ -L "$dir/kept/b/leak" ] && echo link) $(readlink "$dir/kept/b/leak")"
	check_eq "$p on a copy, --keep: now.txt kept" "$(out | sed -nE 's/.*now sha256:([0-9a-f]{64})$/\1/p')" \
		"$(sum "$dir/kept/b/now.txt")"

	# A copy inside what it copies would copy itself: refused, nothing left.
	mkdir -p tmpdir-inside
	[ "$half" = user ] && chown "$user:$user" tmpdir-inside
	x "${as[@]}" env TMPDIR="$dir/work/tmpdir-inside" ENVLOCK_REPLAY_NO_OVERLAY=1 "$bin" replay run.json
	check_eq "$p TMPDIR inside the working directory: exit 1" 1 "$status"
	check_eq "$p TMPDIR inside the working directory: said" \
		"envlock: replay: run.json: copying $dir/work: $dir/work/tmpdir-inside is inside it (set TMPDIR elsewhere)" \
		"$(grep 'inside it' "$scratch/err")"
	check_eq "$p TMPDIR inside the working directory: nothing left there" "" "$(ls -A tmpdir-inside)"
	rmdir tmpdir-inside

	# Two records, in parallel: said once; --keep gives each its directory.
	x el "$bin" exec --no-lock --record two.json --output two.txt -- /bin/sh -c 'echo 2 >two.txt'
	x el ENVLOCK_REPLAY_NO_OVERLAY=1 "$bin" replay -j 2 --keep "$dir/kept/c" run.json two.json
	check_eq "$p two records on copies: the fallback said once" 1 "$(grep -c 'overlayfs is not available' "$scratch/err")"
	check_eq "$p two records: a directory each under --keep" "$(printf '%s\n' run/leak run/now.txt run/same.txt run/vialink.txt two/two.txt)" \
		"$(cd "$dir/kept/c" && find . -mindepth 2 | sed 's|^\./||' | LC_ALL=C sort)"
	check_eq "$p two records: the last line" "replay: 2 records: 1 reproduced, 1 not" "$(tail -1 "$scratch/out")"
	check_eq "$p two records: no copy left" "" "$(ls -A "$dir/tmp")"

	# A kernel that refuses the overlay: the working directory already two overlays deep
	# (the kernel's stacking limit), which only root can make here. A copy, and said why.
	if [ "$(id -u)" -eq 0 ] && [ "$half" = root ]; then
		local st=$dir/stack
		mkdir -p "$st/l1" "$st/u1" "$st/w1" "$st/m1" "$st/u2" "$st/w2" "$st/m2"
		if mount -t overlay envlock-test -o "lowerdir=$st/l1,upperdir=$st/u1,workdir=$st/w1" "$st/m1" 2>/dev/null &&
			mount -t overlay envlock-test -o "lowerdir=$st/m1,upperdir=$st/u2,workdir=$st/w2" "$st/m2" 2>/dev/null; then
			mkdir -p "$st/m2/work"
			cd "$st/m2/work" || exit 1
			x el "$bin" exec --no-lock --record deep.json --output now.txt -- /bin/sh -c 'date +%s%N >now.txt'
			local deepsum
			deepsum=$(sum now.txt)
			x el "$bin" replay deep.json
			check_eq "$p overlay refused by the kernel: exit 1 (the time differs)" 1 "$status"
			check_eq "$p overlay refused by the kernel: said, with the reason" \
				"envlock: replay: overlayfs is not available here (fsconfig: Invalid argument): replaying on a copy of the working directory" \
				"$(grep overlayfs "$scratch/err")"
			check_eq "$p overlay refused by the kernel: replayed on the copy" 1 "$(grep -c '  differs     now.txt' "$scratch/out")"
			check_eq "$p overlay refused by the kernel: the host's file untouched" "$deepsum" "$(sum now.txt)"
			check_eq "$p overlay refused by the kernel: no copy left" "" "$(ls -A "$dir/tmp")"
			cd "$base" || exit 1
		else
			skip_part "[$half] overlays cannot be stacked here: the kernel's refusal is not tried"
		fi
		umount "$st/m2" 2>/dev/null || true
		umount "$st/m1" 2>/dev/null || true
	fi
	cd "$base" || exit 1
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
cd /
finish
