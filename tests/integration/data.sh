#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# capture --data and check against the system's own tools: a tree's address
# is the SHA-256 of the manifest that find, sha256sum and readlink build
# (README "Data"), a file's is sha256sum's; check names the files that
# changed; every way the digest cache could go stale shows.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need jq sha256sum find

export ENVLOCK_CACHE_DIR=$scratch/cache
cd "$scratch"

# manifest DIR: the manifest of DIR as README defines it, from find, sha256sum and readlink.
manifest() {
	local dir=$1 path sum size mode
	(
		cd "$dir"
		find . -mindepth 1 \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort | while IFS= read -r path; do
			if [ -L "$path" ]; then
				sum=$(printf '%s' "$(readlink "$path")" | sha256sum | cut -d' ' -f1)
				size=$(readlink "$path" | tr -d '\n' | wc -c)
			else
				sum=$(sha256sum <"$path" | cut -d' ' -f1)
				size=$(stat -c %s "$path")
			fi
			mode=$(find "$path" -maxdepth 0 -printf '%M')
			printf '%s %s %s %s\n' "$sum" "$size" "$mode" "$path"
		done
	)
}

lock_digest() { jq -r --arg k "$2" '.data[$k]' "$1"; }

mkdir -p tree/sub/deeper tree/empty-dir
printf 'hello\n' >tree/a.txt
: >tree/empty
head -c 300000 /dev/urandom >tree/sub/blob.bin
printf '#!/bin/sh\n' >tree/sub/run.sh && chmod 755 tree/sub/run.sh
printf 'x' >"tree/sub/deeper/with space"
printf 'y' >tree/a.b
printf 'z' >tree/a-b
ln -s ../a.txt tree/sub/link
ln -s /etc/shadow tree/sub/outside
chmod 600 tree/a.b
# Old enough for the digest cache to keep them.
touch -d '1 hour ago' tree/a.txt tree/empty tree/sub/blob.bin tree/sub/run.sh "tree/sub/deeper/with space" tree/a.b tree/a-b

sleep 2.1 # ctimes younger than 2 s are not cached (the racy rule): the files were just made
manifest tree >expected.manifest
want="sha256:$(sha256sum <expected.manifest | cut -d' ' -f1)"

run out err "$ENVLOCK" capture --data tree --data tree/ --data tree/sub/blob.bin -o env.lock
check_eq "capture --data exits 0" 0 "$status"
check_eq "capture --data: nothing on stderr" "" "$(grep -v 'warning:' err || true)"
check_eq "tree address = SHA-256 of the find/sha256sum manifest" "$want" "$(lock_digest env.lock tree)"
check_eq "tree/ is the same key as tree" '["tree","tree/sub/blob.bin"]' "$(jq -c '.data | keys' env.lock)"
check_eq "a file's address is sha256sum's" "sha256:$(sha256sum <tree/sub/blob.bin | cut -d' ' -f1)" \
	"$(lock_digest env.lock tree/sub/blob.bin)"
check_eq "the manifest store holds the manifest, byte for byte" "$(cat expected.manifest)" \
	"$(cat "cache/manifests/${want#sha256:}")"
check_eq "the link to /etc/shadow is recorded, not followed" \
	"$(printf '%s' /etc/shadow | sha256sum | cut -d' ' -f1) 11 lrwxrwxrwx sub/outside" \
	"$(grep ' sub/outside$' "cache/manifests/${want#sha256:}")"

run out err "$ENVLOCK" check --lock env.lock
check_eq "check, nothing changed: exit 0" 0 "$status"

# check --save-capture: what the check saw, as a lock that diff compares (the Slurm plugin's node captures).
printf 'HELLO\n' >tree/extra.txt
run out err "$ENVLOCK" check --lock env.lock --save-capture now.lock
check_eq "check --save-capture, a file added: exit 1, the capture saved" "1 valid" \
	"$status $("$ENVLOCK" show now.lock >/dev/null 2>&1 && echo valid)"
run out err "$ENVLOCK" diff env.lock now.lock --format json
check_eq "diff of the lock and the saved capture: the data the check found changed" "1 data.tree" \
	"$status $(jq -r '[.findings[] | select(.severity == "refuse") | .path] | join(" ")' out)"
rm tree/extra.txt
run out err "$ENVLOCK" check --lock env.lock --save-capture nowhere/now.lock
check_eq "check --save-capture into a missing directory: exit 2, said, no report" \
	"2 envlock: nowhere/now.lock: cannot open its directory: No such file or directory " \
	"$status $(cat err) $(cat out)"

# check_files WHAT EXPECTED-LINES: check exits 1 and lists exactly these file lines under data.tree.
check_files() {
	run out err "$ENVLOCK" check --lock env.lock
	check_eq "$1: check exits 1" 1 "$status"
	check_eq "$1: the files listed" "$2" "$(grep -E '^          (changed|added|removed) ' out || true)"
}

# Same size, mtime put back: ctime moved, so the cache must not answer.
cp -p tree/a.txt saved-a.txt
printf 'HELLO\n' >tree/a.txt && touch -r saved-a.txt tree/a.txt
check_files "content rewritten, same size and mtime" "          changed  a.txt"
cp -p saved-a.txt tree/a.txt
run out err "$ENVLOCK" check --lock env.lock
check_eq "content put back: no drift" 0 "$status"

chmod 700 tree/sub/run.sh
check_files "chmod" "          changed  sub/run.sh"
chmod 755 tree/sub/run.sh

mv tree/a-b tree/a-c
check_files "rename" "$(printf '          removed  a-b\n          added    a-c')"
mv tree/a-c tree/a-b

printf 'new' >tree/sub/new-file
check_files "add" "          added    sub/new-file"
rm tree/sub/new-file

rm tree/empty
check_files "delete" "          removed  empty"
: >tree/empty && touch -d '1 hour ago' tree/empty

run out err "$ENVLOCK" check --lock env.lock
check_eq "everything put back: no drift" 0 "$status"
check_eq "the digests come from the cache now" "ELDATA1" "$(head -c 7 cache/data-v1.bin)"

# The racy case: a file written just before a capture, then rewritten in the
# same second with the same size and mtime. Its digest was not cached (too
# young), so the change shows.
mkdir racy && printf 'one' >racy/f && touch -d '@1700000000' racy/f
run out err "$ENVLOCK" capture --data racy -o racy.lock
printf 'two' >racy/f && touch -d '@1700000000' racy/f
run out err "$ENVLOCK" check --lock racy.lock
check_eq "racy rewrite: check exits 1" 1 "$status"
check_eq "racy rewrite: named" "          changed  f" "$(grep -E '^          changed ' out || true)"

# The json and github formats carry the files too.
printf 'HELLO\n' >tree/a.txt
run out err "$ENVLOCK" check --lock env.lock --format json
check_eq "json: files of data.tree" '[{"change":"changed","path":"a.txt"}]' \
	"$(jq -c '.findings[] | select(.path == "data.tree") | .files' out)"
run out err "$ENVLOCK" check --lock env.lock --format github
check_eq "github: the data section's annotation lists the files that changed" "data.tree%0A  changed a.txt" \
	"$(grep '^::error file=env.lock,line=[0-9]*,title=envlock drift in data (1 failed%2C 0 warned)::data.tree: ' out |
		sed 's/: sha256:[0-9a-f]* -> sha256:[0-9a-f]*//; s/^.*:://')"
check_eq "re-lock hint keeps the interpreter and the data" \
	"If the change is intended, re-lock: envlock capture --python $(jq -r .python.executable env.lock) --data tree --data tree/sub/blob.bin -o env.lock" \
	"$("$ENVLOCK" check --lock env.lock | tail -1)"
cp -p saved-a.txt tree/a.txt

# A data entry gone is drift, not an error.
mv tree gone
run out err "$ENVLOCK" check --lock env.lock
check_eq "data path gone: check exits 1" 1 "$status"
check_eq "data path gone: reported absent" "refuse data.tree $want → (absent)" \
	"$(LC_ALL=C.UTF-8 "$ENVLOCK" check --lock env.lock | grep '^  refuse  data.tree ' | tr -s ' ' | sed 's/^ //')"
mv gone tree

# Bad input: one line, exit 2, nothing written.
run out err "$ENVLOCK" capture --data missing -o bad.lock
check_eq "missing data path: exit 2" 2 "$status"
check_eq "missing data path: message" "envlock: data: missing: No such file or directory" "$(cat err)"
check_eq "missing data path: no lock written" "no" "$([ -e bad.lock ] && echo yes || echo no)"
mkfifo tree/fifo
run out err "$ENVLOCK" capture --data tree
check_eq "FIFO in a tree: exit 2" 2 "$status"
check_eq "FIFO in a tree: message" \
	"envlock: data: tree/fifo: a FIFO cannot be locked as data (only files, directories and symbolic links)" "$(cat err)"
rm tree/fifo
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' tree/sock
run out err "$ENVLOCK" capture --data tree/sock
check_eq "socket as the data path: exit 2" 2 "$status"
check_eq "socket as the data path: message" \
	"envlock: data: tree/sock: a socket cannot be locked as data (only files, directories and symbolic links)" "$(cat err)"
rm tree/sock
run out err "$ENVLOCK" capture --data ''
check_eq "empty --data: exit 2" 2 "$status"
check_eq "empty --data: message" "envlock capture: --data needs a path" "$(head -1 err)"

# The profile's data directive.
printf 'include default\ndata tree/sub\n' >with-data
run out err "$ENVLOCK" capture --profile ./with-data
check_eq "profile data directive: the lock has it" \
	"sha256:$(manifest tree/sub | sha256sum | cut -d' ' -f1)" "$(jq -r '.data["tree/sub"]' out)"
printf 'include default\ndata\n' >bad-data
run out err "$ENVLOCK" capture --profile ./bad-data
check_eq "data with no path: exit 2" 2 "$status"

finish
