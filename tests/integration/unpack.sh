#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock unpack [--max-bytes N] [--max-entries N] [--max-ratio N] FILE DIR:
# a tar archive (plain, gzip or zstd) becomes DIR, safely.
#
# Success: exit 0, nothing said, DIR (absent, or an empty directory) holds
# the archive's tree: contents, modes (mode & 0777, and the sticky bit on
# directories), mtimes, symbolic link targets as stored, hard links as one
# inode, parents without an entry of their own made 0755, everything owned
# by whoever unpacks.
# Failure: exit 2, one line on stderr
#   envlock: unpack: ARCHIVE: entry 'NAME': REASON   (an entry refused)
#   envlock: unpack: ARCHIVE: REASON                 (the archive refused)
# DIR left as it was (absent stays absent, empty stays empty), nothing left
# beside it, nothing written outside it.
#
# The archives come from tests/tools/make_archives.py, with what each good
# one must unpack to (NAME.list, NAME.sha256, NAME.links). The tree is
# compared with find's listing of it; the fixtures themselves are checked
# against GNU tar's extraction where tar is installed. As root, the good
# tree and a late refusal are unpacked again as the unprivileged user
# envlock-test (setpriv): a 0555 directory with a file in it, and cleaning
# it up after a refusal, are only tested without root.
. "$(dirname "$0")/lib.sh"
need python3 find sha256sum stat awk cmp
# A tree unpacked as it should be has a 0555 directory with a file in it:
# without root, only its owner's chmod lets it go.
trap 'chmod -R u+rwX "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT

user=envlock-test
a=$scratch/archives
o=$scratch/out e=$scratch/err
touch "$o" "$e" "$scratch/sums"
python3 "$el_tools/make_archives.py" "$a" "$scratch" || {
	fail "tests/tools/make_archives.py failed"
	finish
}
have_zstd=yes
[ -e "$a/good.tar.zst" ] || have_zstd=
# The file a hard link entry names by its absolute path (hardlink-canary.tar).
echo secret >"$scratch/secret"
# Nothing appears in $scratch but what the script makes: an entry that
# escapes DIR lands here (DIR is $scratch/w/out), at $scratch/canary.
mkdir "$scratch/w"
top_before=$(ls -A "$scratch")
abs_before=$([ -e /abs ] && echo present || echo absent)

# The tree under $1 as the .list files spell it, sorted bytewise; the
# mtimes of directories that $2 (a .list) leaves open ('*') are masked.
listing() {
	find "$1" -mindepth 1 \
		\( -type d -printf '%P|d|%m|%T@\n' \) -o \
		\( -type f -printf '%P|f|%m|%s|%T@|%n\n' \) -o \
		\( -type l -printf '%P|l|%l\n' \) -o \
		-printf '%P|%y\n' |
		awk -F'|' -v OFS='|' -v list="$2" '
			BEGIN { while ((getline line <list) > 0) { split(line, f, "|"); if (f[2] == "d" && f[4] == "*") open[f[1]] = 1 } }
			$2 == "d" && ($1 in open) { $4 = "*" } { print }' |
		LC_ALL=C sort
}

# check_tree WHAT DIR STEM: DIR holds what $a/STEM.list, .sha256 and .links say.
check_tree() {
	local what=$1 dir=$2 stem=$3 link target
	check_eq "$what: the tree (diff expected actual)" "" \
		"$(diff "$a/$stem.list" <(listing "$dir" "$a/$stem.list") || true)"
	if [ -s "$a/$stem.sha256" ]; then
		# Without root a file of mode 0000 cannot be read: left out (the
		# listing has checked its size and mode).
		while read -r sum path; do
			if [ -r "$dir/$path" ] || [ ! -e "$dir/$path" ]; then echo "$sum  $path"; fi
		done <"$a/$stem.sha256" >"$scratch/sums"
		check_eq "$what: the contents" "" \
			"$(cd "$dir" && { sha256sum --quiet -c "$scratch/sums" 2>&1 || true; })"
	fi
	if [ -f "$a/$stem.links" ]; then
		while IFS='|' read -r link target; do
			check_eq "$what: $link is the same inode as $target" \
				"$(stat -c %i "$dir/$target" 2>&1)" "$(stat -c %i "$dir/$link" 2>&1)"
		done <"$a/$stem.links"
	fi
}

# The state of $w (DIR's parent) and of DIR ($w/out) itself.
state() {
	ls -A "$w"
	if [ -e "$w/out" ] || [ -L "$w/out" ]; then
		stat -c 'out: %F %i %a' "$w/out"
		ls -A "$w/out"
	fi
}

# fresh FORM: $w empty, and DIR absent (FORM absent) or an empty directory (FORM empty).
fresh() {
	if [ -d "$w" ]; then chmod -R u+rwX "$w"; fi
	rm -rf "$w"
	mkdir "$w"
	if [ "$1" = empty ]; then mkdir "$w/out"; fi
	if [ -n "$owner" ]; then chown -R "$owner:" "$w"; fi
}

# What runs envlock: as whoever runs the script, or (the unprivileged part)
# as $user through setpriv.
as=()
bin=$ENVLOCK
owner=
w=$scratch/w
# shellcheck disable=SC2317 # run calls it
el() { "${as[@]}" "$bin" "$@"; }

# The same for every refusal: $scratch gains nothing, nor does /abs appear.
check_outside() {
	local what=$1
	check_eq "$what: nothing written outside DIR ($scratch)" "$top_before" "$(ls -A "$scratch")"
	check_eq "$what: no canary" absent "$([ -e "$scratch/canary" ] && echo present || echo absent)"
	if [ "$abs_before" = absent ]; then
		check_eq "$what: nothing at /abs" absent "$([ -e /abs ] && echo present || echo absent)"
	fi
	check_eq "$what: $scratch/secret has one link" 1 "$(stat -c %h "$scratch/secret")"
}

# refused MODE WHAT EXPECTED ARG...: envlock unpack ARG... DIR exits 2, its
# stderr EXPECTED exactly (MODE exact) or one line starting with EXPECTED
# (MODE prefix), for DIR absent and DIR empty, and leaves everything as it was.
refused() {
	local mode=$1 what=$2 want=$3 form before got
	shift 3
	for form in absent empty; do
		fresh "$form"
		before=$(state)
		run "$o" "$e" el unpack "$@" "$w/out"
		check_eq "$what [DIR $form]: exit 2" 2 "$status"
		check_eq "$what [DIR $form]: stdout" "" "$(cat "$o")"
		check_eq "$what [DIR $form]: one line on stderr" 1 "$(wc -l <"$e")"
		got=$(cat "$e")
		if [ "$mode" = exact ]; then
			check_eq "$what [DIR $form]: message" "$want" "$got"
		else
			check_eq "$what [DIR $form]: message starts" "$want" "${got:0:${#want}}"
		fi
		check_eq "$what [DIR $form]: DIR and its parent as they were" "$before" "$(state)"
		check_outside "$what [DIR $form]"
	done
}

# unpacked WHAT STEM ARG...: envlock unpack ARG... DIR exits 0, says
# nothing, and DIR holds STEM's tree; for DIR absent and DIR empty ($forms).
forms="absent empty"
unpacked() {
	local what=$1 stem=$2 form
	shift 2
	for form in $forms; do
		fresh "$form"
		run "$o" "$e" el unpack "$@" "$w/out"
		check_eq "$what [DIR $form]: exit 0" 0 "$status"
		check_eq "$what [DIR $form]: stdout" "" "$(cat "$o")"
		check_eq "$what [DIR $form]: stderr" "" "$(cat "$e")"
		check_eq "$what [DIR $form]: nothing beside DIR" out "$(ls -A "$w")"
		check_tree "$what [DIR $form]" "$w/out" "$stem"
		check_eq "$what [DIR $form]: owned by uid $(el_uid)" "" \
			"$(find "$w/out" -mindepth 1 ! -uid "$(el_uid)" -printf '%P %U\n' | LC_ALL=C sort)"
		check_outside "$what [DIR $form]"
	done
}
el_uid() { if [ -n "$owner" ]; then id -u "$owner"; else id -u; fi; }

# ---- the command exists: everything below needs it ----
run "$o" "$e" "$ENVLOCK" unpack --help
check_eq "envlock unpack --help exits 0 (is there an unpack command?)" 0 "$status"
command_there=yes
if [ "$status" != 0 ]; then
	echo "FAIL: envlock has no working 'unpack' command: $(head -1 "$e")" >&2
	command_there=
fi

# ---- the fixtures: GNU tar unpacks the good ones to what the .list files say ----
if command -v tar >/dev/null && tar --version 2>/dev/null | grep -q 'GNU tar'; then
	for f in good.tar good-dotslash.tar good.tar.gz sticky-file.tar setgid-dir.tar eleven.tar big.tar; do
		rm -rf "$scratch/ref"
		mkdir "$scratch/ref"
		stem=${f%%.tar*}
		stem=${stem%-dotslash}
		(umask 022 && tar -xpf "$a/$f" -C "$scratch/ref") 2>"$e" || fail "fixture $f: GNU tar: $(cat "$e")"
		if [ "$f" = sticky-file.tar ]; then
			# GNU tar keeps a file's sticky bit; envlock drops it.
			chmod -t "$scratch/ref/sf" "$scratch/ref/sx"
		fi
		check_tree "fixture $f (GNU tar)" "$scratch/ref" "$stem"
	done
	rm -rf "$scratch/ref"
else
	echo "note: GNU tar is not installed: the fixtures are not checked against it"
fi

if [ -z "$command_there" ]; then
	finish
fi

# ---- good archives ----
unpacked "good.tar" good "$a/good.tar"
unpacked "good.tar.gz" good "$a/good.tar.gz"
if [ -n "$have_zstd" ]; then
	unpacked "good.tar.zst" good "$a/good.tar.zst"
else
	skip_part "zstd is not installed: no .tar.zst archives (good, truncated, bomb)"
fi
unpacked "names in ./ form" good "$a/good-dotslash.tar"
unpacked "a file's sticky bit is dropped" sticky-file "$a/sticky-file.tar"
unpacked "a directory's set-group-ID bit is kept" setgid-dir "$a/setgid-dir.tar"
unpacked "another owner in the archive" owner "$a/owner.tar"
unpacked "an archive of no entries" empty "$a/empty.tar"

# The modes are the archive's, not the umask's (parents with no entry: 0755).
fresh absent
run "$o" "$e" bash -c 'umask 027 && exec "$@"' - "$ENVLOCK" unpack "$a/good.tar" "$w/out"
check_eq "under umask 027: exit 0" 0 "$status"
check_eq "under umask 027: stderr" "" "$(cat "$e")"
check_tree "under umask 027" "$w/out" good

# ---- refused entries ----
A="envlock: unpack: $a"
refused exact "absolute name" "$A/abs.tar: entry '/abs/file': an absolute path" "$a/abs.tar"
refused exact "absolute name into \$scratch" "$A/abs-canary.tar: entry '$scratch/canary': an absolute path" \
	"$a/abs-canary.tar"
refused exact "../evil" "$A/dotdot.tar: entry '../evil': a '..' component leaves the directory" "$a/dotdot.tar"
refused exact "a/../../evil" "$A/dotdot-deep.tar: entry 'a/../../evil': a '..' component leaves the directory" \
	"$a/dotdot-deep.tar"
refused exact "../../canary" "$A/dotdot-canary.tar: entry '../../canary': a '..' component leaves the directory" \
	"$a/dotdot-canary.tar"
# Any '..' component, even one that would come back inside.
refused exact "a/../b" "$A/dotdot-inside.tar: entry 'a/../b': a '..' component leaves the directory" \
	"$a/dotdot-inside.tar"
refused exact "empty name" "$A/empty-name.tar: entry '': an empty name" "$a/empty-name.tar"
refused exact "symlink out" \
	"$A/symlink-out.tar: entry 'a/link': a symbolic link to '../../x' leads out of the directory" "$a/symlink-out.tar"
refused exact "symlink to .." \
	"$A/symlink-up.tar: entry 'up': a symbolic link to '..' leads out of the directory" "$a/symlink-up.tar"
hl="which is not a regular file earlier in the archive"
refused exact "hard link to a missing name" "$A/hardlink-missing.tar: entry 'h': a hard link to 'nosuch', $hl" \
	"$a/hardlink-missing.tar"
refused exact "hard link to a later name" "$A/hardlink-later.tar: entry 'h': a hard link to 'later', $hl" \
	"$a/hardlink-later.tar"
refused exact "hard link to a symlink" "$A/hardlink-symlink.tar: entry 'h': a hard link to 's', $hl" \
	"$a/hardlink-symlink.tar"
refused exact "hard link to a directory" "$A/hardlink-dir.tar: entry 'h': a hard link to 'd', $hl" \
	"$a/hardlink-dir.tar"
refused exact "hard link through .." "$A/hardlink-dotdot.tar: entry 'h': a hard link to 'sub/../ok.txt', $hl" \
	"$a/hardlink-dotdot.tar"
refused exact "hard link to ../" "$A/hardlink-up.tar: entry 'h': a hard link to '../ok.txt', $hl" \
	"$a/hardlink-up.tar"
refused exact "hard link to an absolute path" \
	"$A/hardlink-canary.tar: entry 'h': a hard link to '$scratch/secret', $hl" "$a/hardlink-canary.tar"
refused exact "block device" "$A/blockdev.tar: entry 'blk': a block device" "$a/blockdev.tar"
refused exact "character device" "$A/chardev.tar: entry 'chr': a character device" "$a/chardev.tar"
refused exact "FIFO" "$A/fifo.tar: entry 'fifo': a FIFO" "$a/fifo.tar"
# A socket cannot be stored in a ustar or pax archive: not tested.
refused exact "set-user-ID file" "$A/setuid.tar: entry 'suid': set-user-ID or set-group-ID bits" "$a/setuid.tar"
refused exact "set-group-ID file" "$A/setgid.tar: entry 'sgid': set-user-ID or set-group-ID bits" "$a/setgid.tar"
refused exact "file twice" "$A/twice-file.tar: entry 'f': appears twice" "$a/twice-file.tar"
refused exact "directory then file" "$A/twice-dir-file.tar: entry 'd': appears twice" "$a/twice-dir-file.tar"
refused exact "./f then f" "$A/twice-dotslash.tar: entry 'f': appears twice" "$a/twice-dotslash.tar"
refused exact "beneath a file" "$A/notdir-file.tar: entry 'f/x': 'f' on its path is not a directory" \
	"$a/notdir-file.tar"
refused exact "deep beneath a file" "$A/notdir-deep.tar: entry 'a/f/b/c': 'a/f' on its path is not a directory" \
	"$a/notdir-deep.tar"
refused exact "beneath a symlink to a directory inside" \
	"$A/notdir-symlink.tar: entry 'rl/x': 'rl' on its path is not a directory" "$a/notdir-symlink.tar"
refused exact "beneath a symlink to a directory outside" \
	"$A/link-canary.tar: entry 'esc/canary': 'esc' on its path is not a directory" "$a/link-canary.tar"
refused exact "a refusal after a whole tree" "$A/late-refusal.tar: entry 'zz-fifo': a FIFO" "$a/late-refusal.tar"

# What `tar -C D -cf F .` writes starts with an entry './' for D itself: the
# contract says nothing of it, so this only tells what happens.
fresh absent
run "$o" "$e" "$ENVLOCK" unpack "$a/dotslash-root.tar" "$w/out"
echo "note: an archive with a './' entry (tar -C D -cf F .): exit $status, stderr: $(cat "$e")," \
	"DIR: $(ls -A "$w/out" 2>&1 | tr '\n' ' ')"

# ARCHIVE is FILE as given: relative here.
fresh absent
run "$o" "$e" env -C "$a" "$ENVLOCK" unpack fifo.tar "$w/out"
check_eq "relative FILE: exit 2" 2 "$status"
check_eq "relative FILE: message" "envlock: unpack: fifo.tar: entry 'fifo': a FIFO" "$(cat "$e")"
check_eq "relative FILE: no DIR" "" "$(ls -A "$w")"

# ---- refused archives ----
T="truncated or corrupt: "
refused prefix "truncated .tar" "$A/truncated.tar: $T" "$a/truncated.tar"
if [ -n "$have_zstd" ]; then
	refused prefix "truncated .tar.zst" "$A/truncated.tar.zst: $T" "$a/truncated.tar.zst"
fi
refused prefix "a size that lies" "$A/size-lies.tar: $T" "$a/size-lies.tar"
refused prefix "random bytes" "$A/random.bin: not an archive envlock can read: " "$a/random.bin"
# An empty file: libarchive can read it as an archive of no entries; envlock
# refuses it (a truncated download is an empty file more often than an
# archive of nothing is). A tar of no entries (empty.tar) unpacks, above.
refused prefix "empty file" "$A/empty.bin: not an archive envlock can read: " "$a/empty.bin"

# ---- limits ----
refused exact "11 entries, --max-entries 10" "$A/eleven.tar: more than 10 entries (--max-entries 10)" \
	--max-entries 10 "$a/eleven.tar"
unpacked "11 entries, --max-entries 11" eleven --max-entries 11 "$a/eleven.tar"
refused exact "1 MiB, --max-bytes 1000000" "$A/big.tar: more than 1000000 bytes unpacked (--max-bytes 1000000)" \
	--max-bytes 1000000 "$a/big.tar"
unpacked "1 MiB, --max-bytes 1048576" big --max-bytes 1048576 "$a/big.tar"
# 200 MiB of zeros: 1000 times its size in gzip, 30000 times in zstd.
refused exact "gzip bomb, default limits" "$A/bomb.tar.gz: unpacks to more than 200 times its own size (--max-ratio 200)" \
	"$a/bomb.tar.gz"
if [ -n "$have_zstd" ]; then
	refused exact "zstd bomb, default limits" \
		"$A/bomb.tar.zst: unpacks to more than 200 times its own size (--max-ratio 200)" "$a/bomb.tar.zst"
fi
forms=absent
start=$SECONDS
unpacked "gzip bomb, --max-ratio 100000 --max-bytes 300000000" bomb \
	--max-ratio 100000 --max-bytes 300000000 "$a/bomb.tar.gz"
echo "note: the 200 MiB bomb unpacked in $((SECONDS - start)) s"
check_eq "the bomb's zeros" "" "$(cmp -n $((200 * 1024 * 1024)) "$w/out/zeros" /dev/zero 2>&1 || true)"
forms="absent empty"
fresh absent

# ---- the command line ----
bad_usage() {
	local what=$1 got
	shift
	fresh absent
	run "$o" "$e" "$ENVLOCK" unpack "$@"
	check_eq "$what: exit 2" 2 "$status"
	got=$(head -1 "$e")
	check_eq "$what: message starts" "envlock unpack: " "${got:0:16}"
	check_eq "$what: no DIR" "" "$(ls -A "$w")"
}
bad_usage "--max-entries abc" --max-entries abc "$a/good.tar" "$w/out"
bad_usage "--max-bytes -1" --max-bytes -1 "$a/good.tar" "$w/out"
bad_usage "--max-ratio 0" --max-ratio 0 "$a/good.tar" "$w/out"
run "$o" "$e" "$ENVLOCK" unpack
check_eq "no operands: exit 2" 2 "$status"
fresh absent
run "$o" "$e" "$ENVLOCK" unpack "$a/good.tar"
check_eq "no DIR operand: exit 2" 2 "$status"

fresh absent
run "$o" "$e" "$ENVLOCK" unpack "$a/nosuch.tar" "$w/out"
check_eq "FILE missing: exit 2" 2 "$status"
check_eq "FILE missing: message" "envlock: unpack: $a/nosuch.tar: No such file or directory" "$(cat "$e")"
check_eq "FILE missing: no DIR" "" "$(ls -A "$w")"

# DIR not empty: a dot file is enough.
fresh empty
echo keep >"$w/out/.hidden"
before=$(listing "$w/out" /dev/null; stat -c '%i %a %Y' "$w/out"; ls -A "$w")
run "$o" "$e" "$ENVLOCK" unpack "$a/good.tar" "$w/out"
check_eq "DIR not empty: exit 2" 2 "$status"
check_eq "DIR not empty: message" "envlock: unpack: $w/out: exists and is not empty" "$(cat "$e")"
check_eq "DIR not empty: untouched" "$before" \
	"$(listing "$w/out" /dev/null; stat -c '%i %a %Y' "$w/out"; ls -A "$w")"

# ---- without root ----
# A 0555 directory holding a file, and its removal after a refusal, test
# nothing as root (root writes anywhere): unpacked again as $user.
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not root: the checks above ran as uid $(id -u) already"
elif ! id -u "$user" >/dev/null 2>&1; then
	skip_part "the unprivileged part is not run: no user $user (create it with packaging/create-test-user.sh)"
elif ! command -v setpriv >/dev/null; then
	skip_part "the unprivileged part is not run: setpriv is not installed (util-linux)"
else
	chmod 711 "$scratch"
	chmod -R a+rX "$a"
	cp "$ENVLOCK" "$scratch/envlock-copy"
	chmod 755 "$scratch/envlock-copy"
	mkdir "$scratch/u"
	chown "$user:" "$scratch/u"
	top_before=$(ls -A "$scratch")
	as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	bin=$scratch/envlock-copy
	owner=$user
	w=$scratch/u/w
	if ! "${as[@]}" test -r "$a/good.tar"; then
		skip_part "the unprivileged part is not run: $user cannot read $a (is a parent of TMPDIR closed?)"
	else
		unpacked "[$user] good.tar" good "$a/good.tar"
		unpacked "[$user] another owner in the archive" owner "$a/owner.tar"
		refused exact "[$user] a refusal after a whole tree" "$A/late-refusal.tar: entry 'zz-fifo': a FIFO" \
			"$a/late-refusal.tar"
	fi
	chmod -R u+rwX "$scratch/u"
fi

# Bytes that libarchive's external-program filters would take (lrzip): no
# program is run over them, whatever PATH holds.
mkdir -p "$scratch/fakebin"
printf '#!/bin/sh\ntouch %s/lrzip-ran\ncat >/dev/null\n' "$scratch" >"$scratch/fakebin/lrzip"
chmod 755 "$scratch/fakebin/lrzip"
printf 'LRZI%060d' 0 >"$scratch/lrz.bin"
run "$o" "$e" env PATH="$scratch/fakebin:$PATH" "$ENVLOCK" unpack "$scratch/lrz.bin" "$scratch/lrz-out"
check_eq "an lrzip stream: exit 2" 2 "$status"
check_eq "an lrzip stream: no program run" no "$([ -e "$scratch/lrzip-ran" ] && echo yes || echo no)"

# A link target carrying a terminal escape and a line break: one line, printable.
python3 - "$scratch/ctrl.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    ti = tarfile.TarInfo("a/l")
    ti.type = tarfile.SYMTYPE
    ti.linkname = "../../\x1b[31mRED\x1b[0m\nfake: line"
    t.addfile(ti)
PY
run "$o" "$e" "$ENVLOCK" unpack "$scratch/ctrl.tar" "$scratch/ctrl-out"
check_eq "control characters in a refusal: one printable line" \
	"envlock: unpack: $scratch/ctrl.tar: entry 'a/l': a symbolic link to '../../?[31mRED?[0m?fake: line' leads out of the directory" \
	"$(cat "$e")"

finish
