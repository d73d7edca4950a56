#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The sandbox's own messages and its command's process. A failure after
# the go is one line on the command's standard error that starts with what
# the calling command gave (exec, capture --observe, replay: the library
# names no tool), with the exit status sandbox.h documents: 127 not found,
# 126 not executable. And the command's process, which shares the memory
# of the sandbox's PID 1 until execve, neither allocates nor formats with
# printf on the way: tests/stubs/el_child_calls.c, preloaded into envlock,
# says when it does.
. "$(dirname "$0")/lib.sh"

shim=$EL_STUBS_DIR/libel_child_calls.so
[ -f "$shim" ] || skip "$shim is not built (the el_child_calls target)"
why=$("$ENVLOCK" exec --no-lock -C /tmp -- true 2>&1 >/dev/null) ||
	skip "envlock exec cannot start a sandbox here: $(head -1 <<<"$why")"

# Under /var/tmp, not /tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-child.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT
cd "$base"
printf '#!/bin/sh\necho made >out.txt\n' >tool
chmod 755 tool
printf '#!/bin/sh\necho hi\n' >not-executable
chmod 644 not-executable

err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }

# ---- the messages name the command that ran the sandbox ----
x "$ENVLOCK" exec --no-lock -- ./missing
check_eq "exec, a command not found: 127 and one line" "127 envlock: exec: ./missing: command not found" "$status $(err)"
x "$ENVLOCK" exec --no-lock -- ./not-executable
check_eq "exec, a command not executable: 126 and one line" \
	"126 envlock: exec: ./not-executable: Permission denied" "$status $(err)"
x "$ENVLOCK" capture --observe -- ./missing
check_eq "capture --observe: the sandbox's line says capture" "envlock: capture: ./missing: command not found" \
	"$(head -1 "$scratch/err")"
x "$ENVLOCK" exec --no-lock --record run.json --output out.txt -- ./tool
check_eq "a run recorded" 0 "$status"
chmod 644 tool
x "$ENVLOCK" replay run.json
check_eq "replay: the sandbox's line says replay" 1 \
	"$(grep -cxF "envlock: replay: ./tool: Permission denied" "$scratch/err" || true)"
chmod 755 tool

# ---- no allocation, no printf in the command's process ----
for cmd in ./tool ./missing ./not-executable; do
	x env LD_PRELOAD="$shim" "$ENVLOCK" exec --no-lock -- "$cmd"
	check_eq "$cmd: nothing allocated or formatted before execve" "" \
		"$(grep '^el_child_calls:' "$scratch/err" || true)"
done
# An empty answer above means something only if the shim loads at all.
check_eq "the shim loads" yes "$(LD_PRELOAD="$shim" grep -q el_child_calls /proc/self/maps && echo yes || echo no)"

finish
