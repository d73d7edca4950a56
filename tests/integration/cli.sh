#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command-line contract: exit codes, messages and files, byte for byte.
. "$(dirname "$0")/lib.sh"
need jq

o=$scratch/out e=$scratch/err

run "$o" "$e" "$ENVLOCK" --version
check_eq "--version exits 0" 0 "$status"
check_eq "--version output" "envlock $(sed -n 's/^project(envlock VERSION \([0-9.]*\).*/\1/p' "$EL_SOURCE_DIR/CMakeLists.txt")" "$(cat "$o")"

run "$o" "$e" "$ENVLOCK"
check_eq "no command exits 2" 2 "$status"
check_eq "no command prints usage" "usage: envlock [--version] [--help] <command> [<args>]" "$(head -1 "$e")"

run "$o" "$e" "$ENVLOCK" --help
check_eq "--help exits 0" 0 "$status"
check_eq "--help lists capture" 1 "$(grep -c '^  capture ' "$o")"

run "$o" "$e" "$ENVLOCK" frobnicate
check_eq "unknown command exits 2" 2 "$status"
check_eq "unknown command message" "envlock: 'frobnicate' is not an envlock command. See 'envlock --help'." "$(cat "$e")"

run "$o" "$e" "$ENVLOCK" chekc
check_eq "a mistyped command: exit 2, the nearest named" \
	"2 envlock: 'chekc' is not an envlock command; did you mean 'check'? See 'envlock --help'." "$status $(cat "$e")"
run "$o" "$e" "$ENVLOCK" cap
check_eq "a word too far from every command: no guess" \
	"envlock: 'cap' is not an envlock command. See 'envlock --help'." "$(cat "$e")"

run "$o" "$e" "$ENVLOCK" check --strcit
check_eq "a mistyped option: exit 2, the nearest of the command's own named" \
	"2 envlock check: unknown option '--strcit'; did you mean '--strict'?|Try 'envlock check --help'." \
	"$status $(paste -sd'|' "$e")"
run "$o" "$e" "$ENVLOCK" exec --recrod=runs/ -- true
check_eq "a mistyped option with its value: exec's usage status, the nearest named" \
	"125 envlock: exec: unknown option '--recrod=runs/'; did you mean '--record'?" "$status $(head -1 "$e")"
run "$o" "$e" "$ENVLOCK" check --s
check_eq "a prefix two options share: both named" \
	"2 envlock check: ambiguous option '--s' (--strict, --save-capture)" "$status $(head -1 "$e")"

run "$o" "$e" "$ENVLOCK" --frobnicate
check_eq "unknown global option exits 2" 2 "$status"
check_eq "unknown global option message" "envlock: unknown option '--frobnicate'. See 'envlock --help'." "$(cat "$e")"

run "$o" "$e" "$ENVLOCK" capture --bogus
check_eq "capture --bogus exits 2" 2 "$status"
check_eq "capture --bogus message" "envlock capture: unknown option '--bogus'
Try 'envlock capture --help'." "$(cat "$e")"
check_eq "capture --bogus prints no lock" "" "$(cat "$o")"

run "$o" "$e" "$ENVLOCK" capture extra
check_eq "capture with an argument exits 2" 2 "$status"
check_eq "capture with an argument message" "envlock capture: unexpected argument 'extra'" "$(head -1 "$e")"

run "$o" "$e" "$ENVLOCK" capture -o
check_eq "-o without a value exits 2" 2 "$status"
check_eq "-o without a value message" "envlock capture: option '-o' needs a value" "$(head -1 "$e")"

run "$o" "$e" "$ENVLOCK" capture --help
check_eq "capture --help exits 0" 0 "$status"
check_eq "capture --help first line" "usage: envlock capture [-o FILE] [--profile P] [--data PATH]... [--python EXE]" "$(head -1 "$o")"

# What the command line names must exist: bad input, exit 2, one line, no lock.
expect_bad_input() {
	local what=$1 message=$2
	shift 2
	run "$o" "$e" "$ENVLOCK" capture "$@"
	check_eq "$what exits 2" 2 "$status"
	check_eq "$what message" "$message" "$(cat "$e")"
	check_eq "$what prints no lock" "" "$(cat "$o")"
}
expect_bad_input "--root missing" "envlock: --root $scratch/nowhere: No such file or directory" --root "$scratch/nowhere"
touch "$scratch/plain"
expect_bad_input "--root a file" "envlock: --root $scratch/plain: not a directory" --root "$scratch/plain"
expect_bad_input "--python missing" "envlock: --python $scratch/nowhere/python3: no such executable file" \
	--python "$scratch/nowhere/python3"
expect_bad_input "--python not on PATH" "envlock: --python no-such-python-9: not found on PATH" --python no-such-python-9
printf '#!/bin/sh\nexit 3\n' >"$scratch/broken-python"
chmod +x "$scratch/broken-python"
expect_bad_input "--python that fails" "envlock: --python $scratch/broken-python: exited with status 3" \
	--python "$scratch/broken-python"

# A probed tree is data: its programs are not run without --trust-root.
tree=$scratch/tree
mkdir -p "$tree/usr/bin" "$tree/proc"
printf '#!/bin/sh\ntouch %s\necho "gcc (Fake) 1.0"\n' "$scratch/tree-gcc-ran" >"$tree/usr/bin/gcc"
chmod +x "$tree/usr/bin/gcc"
run "$o" "$e" env PATH=/usr/bin "$ENVLOCK" capture --root "$tree"
check_eq "--root exits 0" 0 "$status"
check_eq "--root runs nothing of the tree" absent "$([ -e "$scratch/tree-gcc-ran" ] && echo present || echo absent)"
check_eq "--root says so once" \
	"envlock: warning: capture: $tree is not trusted: its programs are not run nor its libraries loaded (--trust-root allows it), so versions only they can tell are left out" \
	"$(grep ': capture: ' "$e")"
check_eq "--root leaves the toolchain out" null "$(jq -c .toolchain "$o")"
run "$o" "$e" env PATH=/usr/bin ENVLOCK_CACHE_DIR="$scratch/tree-cache" "$ENVLOCK" capture --root "$tree" --trust-root
check_eq "--trust-root runs the tree's gcc" '{"gcc":"gcc (Fake) 1.0"}' "$(jq -c .toolchain "$o")"

# -o into a directory that does not exist: runtime failure, nothing written.
run "$o" "$e" "$ENVLOCK" capture -o "$scratch/missing/env.lock"
check_eq "-o into a missing directory exits 1" 1 "$status"
check_eq "-o into a missing directory message" \
	"envlock: $scratch/missing/env.lock: cannot open its directory: No such file or directory" "$(cat "$e" | grep -v warning)"

# -o onto a directory.
mkdir "$scratch/adir"
run "$o" "$e" "$ENVLOCK" capture -o "$scratch/adir/"
check_eq "-o onto a directory exits 1" 1 "$status"

# -o writes the same document stdout gets, atomically, leaving no temporary file.
mkdir "$scratch/w"
run "$o" "$e" "$ENVLOCK" capture -o "$scratch/w/env.lock"
check_eq "-o exits 0" 0 "$status"
check_eq "-o prints nothing on stdout" "" "$(cat "$o")"
check_eq "-o leaves only the lock" "env.lock" "$(ls -A "$scratch/w")"
"$ENVLOCK" capture >"$scratch/stdout.lock" 2>/dev/null
check_eq "-o and stdout give the same lock" \
	"$(jq -S 'del(.meta)' "$scratch/stdout.lock")" "$(jq -S 'del(.meta)' "$scratch/w/env.lock")"
check_eq "the lock ends with a newline" "0a" "$(tail -c1 "$scratch/w/env.lock" | od -An -tx1 | tr -d ' ')"

# A symlink planted where the lock goes is replaced, its target untouched.
echo "precious" >"$scratch/target"
ln -s "$scratch/target" "$scratch/w/planted.lock"
run "$o" "$e" "$ENVLOCK" capture -o "$scratch/w/planted.lock"
check_eq "-o over a symlink exits 0" 0 "$status"
check_eq "the symlink's target is untouched" "precious" "$(cat "$scratch/target")"
check_eq "the symlink became a regular file" "regular file" "$(stat -c %F "$scratch/w/planted.lock")"

# A FIFO or character device named directly is written in place, as `>` would:
# renaming over /dev/null as root would replace the device node itself.
mkfifo "$scratch/pipe"
cat "$scratch/pipe" >"$scratch/from-pipe" &
reader=$!
run "$o" "$e" "$ENVLOCK" capture -o "$scratch/pipe"
wait "$reader"
check_eq "-o onto a FIFO exits 0" 0 "$status"
check_eq "-o onto a FIFO leaves the FIFO" "fifo" "$(stat -c %F "$scratch/pipe")"
check_eq "-o onto a FIFO writes the lock through it" \
	"$(jq -S 'del(.meta)' "$scratch/stdout.lock")" "$(jq -S 'del(.meta)' "$scratch/from-pipe")"
check_eq "-o onto a FIFO leaves no temporary file" 0 "$(ls -A "$scratch" | grep -c '\.tmp$' || true)"
if mknod "$scratch/null" c 1 3 2>/dev/null; then
	run "$o" "$e" "$ENVLOCK" capture -o "$scratch/null"
	check_eq "-o onto a character device exits 0" 0 "$status"
	check_eq "-o onto a character device leaves the device" "character special file 1:3" \
		"$(stat -c '%F %t:%T' "$scratch/null")"
	# A link leading to a device is neither followed nor replaced.
	ln -s "$scratch/null" "$scratch/w/to-device"
	run "$o" "$e" "$ENVLOCK" capture -o "$scratch/w/to-device"
	check_eq "-o onto a link to a device exits 1" 1 "$status"
	check_eq "-o onto a link to a device message" \
		"envlock: $scratch/w/to-device: a symbolic link to something other than a regular file; not followed (name its target, or redirect standard output)" \
		"$(grep -v warning "$e")"
	check_eq "-o onto a link to a device keeps the link" "$scratch/null" "$(readlink "$scratch/w/to-device")"
else
	skip_part "creating a character device needs CAP_MKNOD"
fi

# A full disk on stdout is a runtime failure, not a silent truncation.
if [ -w /dev/full ]; then
	set +e
	"$ENVLOCK" capture >/dev/full 2>"$e"
	status=$?
	set -e
	check_eq "capture to a full stdout exits 1" 1 "$status"
	check_eq "capture to a full stdout message" "envlock: cannot write to standard output" "$(grep -v warning "$e")"
fi

finish
