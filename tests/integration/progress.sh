#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Progress while data is hashed or packed, under a real pseudo-terminal
# (script(1)): one line on stderr, rewritten in place ("\r", erase to the
# end of the line) and cleared at the end, for 64 MiB or more to read
# (capture, check, exec) or to pack; nothing when stderr is not a
# terminal, with --quiet, with TERM=dumb, or for less.
. "$(dirname "$0")/lib.sh"
need script
export ENVLOCK_CACHE_DIR=$scratch/cache
cd "$scratch"
mkdir big small
truncate -s 40M big/a.bin
truncate -s 40M big/b.bin
# Another content than a.bin's: a bundle stores each content once.
printf x | dd of=big/b.bin conv=notrunc status=none
echo small >small/one.txt

# on_tty FILE CMD...: CMD with a pseudo-terminal for its stdin, stdout and stderr, all written to FILE.
on_tty() {
	local file=$1
	shift
	# -e: script exits with the command's status.
	if script -qec "$(printf '%q ' "$@")" /dev/null >"$file" </dev/null; then
		status=0
	else
		status=$?
	fi
}
# The progress lines of FILE, one per update, escapes shown as text.
lines() { tr '\r' '\n' <"$1" | cat -v | grep -E 'hashing|packing' || true; }

rm -rf cache
on_tty tty.out "$ENVLOCK" capture --data big -o big.lock
check_eq "capture on a terminal: exit 0" 0 "$status"
check_eq "capture on a terminal: the first line, before anything is read" \
	"^[[Kenvlock: hashing big: 0 B of 80.0 MiB (0%), 0 of 2 files, 0 B/s" "$(lines tty.out | head -1)"
check_eq "capture on a terminal: each line rewrites the one before (\\r, erase), and the last is erased" \
	"yes" "$(tr '\r' '\n' <tty.out | cat -v | tail -1 | grep -qx '\^\[\[K' && echo yes)"
check_eq "capture on a terminal: the lock is the same as without" \
	"$(jq -r '.data.big' big.lock)" "$(rm -rf cache && "$ENVLOCK" capture --data big 2>/dev/null | jq -r '.data.big')"

rm -rf cache
run out err "$ENVLOCK" capture --data big -o big2.lock
check_eq "capture, stderr not a terminal: no progress" "0 " "$status $(cat err)"
rm -rf cache
on_tty tty.out "$ENVLOCK" capture --quiet --data big -o big2.lock
check_eq "capture --quiet on a terminal: no progress" "" "$(lines tty.out)"
rm -rf cache
on_tty tty.out env TERM=dumb "$ENVLOCK" capture --data big -o big2.lock
check_eq "TERM=dumb: no progress" "" "$(lines tty.out)"
rm -rf cache
on_tty tty.out "$ENVLOCK" capture --data small -o small.lock
check_eq "less than 64 MiB to read: no progress" "" "$(lines tty.out)"
"$ENVLOCK" capture --data big -o big3.lock 2>/dev/null
on_tty tty.out "$ENVLOCK" capture --data big -o big3.lock
check_eq "every file known to the digest cache: nothing to read, no progress" "" "$(lines tty.out)"

rm -rf cache
on_tty tty.out "$ENVLOCK" check --lock big.lock
check_eq "check on a terminal: the data it hashes again, shown" \
	"^[[Kenvlock: hashing $scratch/big: 0 B of 80.0 MiB (0%), 0 of 2 files, 0 B/s" "$(lines tty.out | head -1)"
rm -rf cache
on_tty tty.out "$ENVLOCK" check -q --lock big.lock
check_eq "check -q: none" "" "$(lines tty.out)"
rm -rf cache
on_tty tty.out "$ENVLOCK" exec --quiet --lock big.lock -- true
check_eq "exec --quiet: none, and the command ran" "0 " "$status $(lines tty.out)"
# pack: the data hashed again, then the bundle written, each with its line.
run out err "$ENVLOCK" exec --lock big.lock --record run.json --trace -- true
check_eq "a traced run of the big lock: exit 0" 0 "$status"
on_tty tty.out "$ENVLOCK" pack run.json -o bundle.tar.zst
check_eq "pack on a terminal: exit 0, the bundle's line first" \
	"0 ^[[Kenvlock: packing bundle.tar.zst: 0 B of" "$status $(lines tty.out | grep packing | head -1 | cut -c1-43)"
check_eq "pack on a terminal: the line erased before the bundle's name is printed" \
	"^[[Ksha256:" "$(tr '\r' '\n' <tty.out | cat -v | grep -o '^\^\[\[Ksha256:')"
on_tty tty.out "$ENVLOCK" pack -q run.json -o bundle2.tar.zst
check_eq "pack -q: none" "0 " "$status $(lines tty.out)"
finish
