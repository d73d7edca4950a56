#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock pack, unpack, exec --bundle and replay --bundle as a user types
# them: a repository with a committed lock, a run recorded with --trace,
# packed into one file.
#
# The layout: the members in bundle.h's order, each 0/0 with the record's
# start time and mode 0755 or 0644; store/ named by content, holding
# exactly what the run used outside its working directory; root/ those files
# at their paths as hard links into store/, the links on the way as links;
# code/ git's files at the commit; the record, its signature, the lock and
# its signature byte for byte. The same record packed twice (another
# directory, TZ, umask) gives the same bytes, and envlock unpack gives what
# GNU tar does. exec --bundle runs the recorded command in the bundle (none
# of the host's programs, writes to a scratch copy, the cache unpacked
# once); replay --bundle reproduces it, and says NOT reproduced for a run
# that writes the time. pack's refusals (exit 2, one line, nothing left at
# -o); the usage errors of exec and replay with --bundle; a tar that is not
# a bundle. --no-data: a lock's data carried at its path, or left out.
# As root and as the unprivileged user envlock-test, as exec.sh runs them.
. "$(dirname "$0")/lib.sh"
need jq sha256sum git tar zstd diff find stat
: "${EL_SOURCE_DIR:?EL_SOURCE_DIR must point at the source tree}"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed (the recorded runs use it)"
tar --version 2>/dev/null | grep -q 'GNU tar' || skip "GNU tar is not installed (the layout is read with it)"

user=envlock-test
# Under /var/tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-bundle.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }
# A directory's data digest, computed here from its manifest: "<sha256> <size> <mode> <path>" lines, sorted.
manifest_digest() {
	python3 - "$1" <<'PY'
import hashlib, os, stat, sys
top, lines = sys.argv[1], []
for here, dirs, files in os.walk(top):
    for name in dirs + files:
        path = os.path.join(here, name)
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            continue
        data = os.readlink(path).encode() if stat.S_ISLNK(st.st_mode) else open(path, "rb").read()
        rel = os.path.relpath(path, top).replace("\\", "\\\\").replace("\n", "\\n")
        lines.append(f"{hashlib.sha256(data).hexdigest()} {len(data)} {stat.filemode(st.st_mode)} {rel}\n".encode())
print("sha256:" + hashlib.sha256(b"".join(sorted(lines, key=lambda l: l.split(b" ", 3)[3]))).hexdigest())
PY
}
yes_no() { if "$@"; then echo yes; else echo no; fi; }
. "$(dirname "$0")/sandbox_halves.sh"

# A tree as find sees it: name, type, mode, size, links, link target, mtime.
# envlock/ has no entry of its own in a bundle: its time is the unpacking's.
listing() {
	find "$1" -mindepth 1 -printf '%P|%y|%m|%s|%n|%l|%T@\n' | sed 's/^\(envlock|d|.*|\)[0-9.]*$/\1*/' | LC_ALL=C sort
}

# The names of /usr/bin a run of sh, cat and python3 uses: the names and
# what they link to there.
used_bin=$(for c in sh cat python3; do
	echo "$c"
	r=$(readlink -f "/usr/bin/$c")
	if [ "${r%/*}" = /usr/bin ]; then echo "${r##*/}"; fi
done | LC_ALL=C sort -u | tr '\n' ' ')

half_checks() {
	local half=$1 dir=$base/$1 p="[$1]"
	local -a as=()

	mkdir -p "$dir/tmp" "$dir/refused" "$dir/elsewhere" "$dir/data/sub" "$dir/clock"
	cp "$ENVLOCK" "$dir/envlock"
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	fi
	# As the half's user, in the environment every envlock command gets.
	u() { "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache" TMPDIR="$dir/tmp" ENVLOCK_KEY="$dir/key.pem" "$@"; }
	# shellcheck disable=SC2317 # x calls it
	el() { u "$dir/envlock" "$@"; }
	g() { u git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main "$@"; }

	x el key generate --out "$dir/key.pem"
	check_eq "$p key generate: exit 0" 0 "$status"

	# ---- the repository: a job, its lock (signed), committed; an untracked file ----
	local repo=$dir/repo
	mkdir "$repo"
	cat >"$repo/t.py" <<'PY'
import hashlib
h = hashlib.sha256(open("/etc/hostname", "rb").read()).hexdigest()
open("out.txt", "w").write(h + "\n")
PY
	printf 'python3 t.py\ncat out.txt\n' >"$repo/job.sh"
	[ "$half" != user ] || chown -R "$user:$user" "$repo"
	cd "$repo"
	g init -q .
	x el capture --python /usr/bin/python3 -o env.lock
	check_eq "$p capture: exit 0" 0 "$status"
	x el sign env.lock
	check_eq "$p sign env.lock: exit 0" 0 "$status"
	g add t.py job.sh env.lock
	g commit -qm job
	echo "not committed" >notes.txt
	[ "$half" != user ] || chown "$user:$user" notes.txt
	local commit
	commit=$(g rev-parse HEAD)

	x el exec --record "$repo/run.json" --trace --output out.txt -- sh job.sh
	check_eq "$p the traced run: exit 0" 0 "$status"
	check_eq "$p the traced run: nothing on stderr" "" "$(err)"
	local printed
	printed=$(out)
	check_eq "$p the traced run: it printed out.txt" "$(cat out.txt)" "$printed"
	check_eq "$p the record: externalParameters.trace" true "$(jq '.predicate.buildDefinition.externalParameters.trace' run.json)"
	check_eq "$p the record: signed" yes "$(yes_no test -s run.json.sig)"
	check_eq "$p the record: the commit, clean" "{\"annotations\":{\"dirty\":false},\"digest\":{\"gitCommit\":\"$commit\"},\"name\":\"code\"}" \
		"$(jq -cS '.predicate.buildDefinition.resolvedDependencies[] | select(.name == "code")' run.json)"

	# ---- pack ----
	local b=$dir/b.envlock sha
	x el pack "$repo/run.json" -o "$b"
	check_eq "$p pack: exit 0" 0 "$status"
	check_eq "$p pack: nothing on stderr" "" "$(err)"
	sha=$(out)
	check_eq "$p pack: prints sha256:<the file's SHA-256>" "sha256:$(sum "$b")" "$sha"
	sha=${sha#sha256:}
	check_eq "$p pack: nothing beside the bundle" "b.envlock" "$(cd "$dir" && ls -d b.envlock*)"

	# ---- 1. the layout ----
	local started when
	started=$(jq -r '.predicate.runDetails.metadata.startedOn' run.json)
	when=$(TZ=UTC date -d "$started" '+%Y-%m-%d %H:%M:%S')
	TZ=UTC tar --zstd --full-time -tvf "$b" >"$scratch/tv"
	tar --zstd -tf "$b" >"$scratch/names"
	check_eq "$p layout: the members' order (bundle.json, record, its .sig, lock, its .sig, profile, code/, store/, root/)" \
		"envlock/ envlock/bundle.json envlock/record.json envlock/record.json.sig envlock/env.lock envlock/env.lock.sig envlock/profile code store root" \
		"$(awk -F/ '{ g = $1 == "envlock" ? $0 : $1 } g != last { printf "%s%s", sep, g; sep = " "; last = g }' "$scratch/names")"
	check_eq "$p layout: every entry owned by 0/0" "0/0" "$(awk '{ print $2 }' "$scratch/tv" | sort -u)"
	check_eq "$p layout: every entry has the record's start time ($started, to the second)" "$when" \
		"$(awk '{ print $4, $5 }' "$scratch/tv" | sort -u)"
	check_eq "$p layout: modes 0755 (directories, executables) or 0644, links as links" "" \
		"$(awk '$1 !~ /^(drwxr-xr-x|-rw-r--r--|-rwxr-xr-x|lrwxrwxrwx|hrw-r--r--|hrwxr-xr-x)$/' "$scratch/tv")"
	check_eq "$p layout: store/ in order of digest" "$(grep '^store/sha256/.' "$scratch/names" | LC_ALL=C sort)" \
		"$(grep '^store/sha256/.' "$scratch/names")"
	# By components: '/' before any other byte, so that a directory's subtree follows it at once.
	check_eq "$p layout: root/ in path order" "$(grep '^root/' "$scratch/names" | sed 's:/$::' | tr / '\001' | LC_ALL=C sort | tr '\001' /)" \
		"$(grep '^root/' "$scratch/names" | sed 's:/$::')"
	check_eq "$p layout: root/ holds directories, links and hard links into store/ only" "" \
		"$(awk '$6 ~ /^root\// && !($1 ~ /^[dl]/ || ($1 ~ /^h/ && $7 == "link" && $8 == "to" && $9 ~ /^store\/sha256\/[0-9a-f]+$/ && length($9) == 77))' "$scratch/tv")"

	local xt=$dir/x
	mkdir "$xt"
	# Each directory's time once its last entry is out: root/ is in path order, where
	# usr/lib/python3.11/... comes between usr/lib/python3 and usr/lib/python3/...
	tar --zstd --delay-directory-restore -xf "$b" -C "$xt"
	local f bad=
	for f in "$xt"/store/sha256/*; do
		[ "$(sum "$f")" = "${f##*/}" ] || bad="$bad ${f##*/}"
	done
	check_eq "$p store/: each named by the SHA-256 of its content" "" "$bad"
	# What the run used outside its working directory, as the record names it.
	jq -r --arg w "$repo" '.predicate.buildDefinition.resolvedDependencies[]
		| select(.annotations.observed == true and .annotations.linkTarget == null and (.name | startswith($w + "/") | not))
		| "\(.digest.sha256) \(.name)"' run.json >"$scratch/used"
	check_eq "$p store/: exactly the contents the run used outside its working directory, each once" \
		"$(cut -d' ' -f1 "$scratch/used" | LC_ALL=C sort -u)" "$(find "$xt/store/sha256" -mindepth 1 -printf '%f\n' | LC_ALL=C sort)"
	local digest path target
	bad=
	while read -r digest path; do
		[ -f "$xt/root$path" ] && [ ! -L "$xt/root$path" ] && [ "$(sum "$xt/root$path")" = "$digest" ] &&
			[ "$(stat -c %i "$xt/root$path")" = "$(stat -c %i "$xt/store/sha256/$digest")" ] || bad="$bad $path"
	done <"$scratch/used"
	check_eq "$p root/: every file the run used, at its path, a hard link to store/ with the record's digest" "" "$bad"
	check_eq "$p root/: no other regular file" "$(wc -l <"$scratch/used")" "$(find "$xt/root" -type f | wc -l)"
	bad=
	while IFS='|' read -r path target; do
		[ "$(readlink "$xt/root$path" 2>&1)" = "$target" ] || bad="$bad $path"
	done < <(jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.linkTarget != null)
		| "\(.name)|\(.annotations.linkTarget)"' run.json)
	check_eq "$p root/: every link the run went through, with its text" "" "$bad"
	check_eq "$p root/usr/bin/python3: a link with the host's text" "link $(readlink /usr/bin/python3)" \
		"$([ -L "$xt/root/usr/bin/python3" ] && echo link) $(readlink "$xt/root/usr/bin/python3")"
	check_eq "$p root/: the working directory, empty" "" "$(ls -A "$xt/root$repo" 2>&1)"
	check_eq "$p code/: exactly git ls-files at the commit (no untracked file, no record)" "$(g ls-files | LC_ALL=C sort)" \
		"$(cd "$xt/code" && find . ! -type d | sed 's:^\./::' | LC_ALL=C sort)"
	mkdir "$dir/archive"
	g archive "$commit" | tar -xf - -C "$dir/archive"
	check_eq "$p code/: the commit's files, byte for byte" "" "$(diff -r "$dir/archive" "$xt/code" 2>&1)"
	check_eq "$p code/: job.sh 0644, as git has it" "644" "$(stat -c %a "$xt/code/job.sh")"
	check_eq "$p envlock/record.json: the record file's bytes" "" "$(cmp run.json "$xt/envlock/record.json" 2>&1)"
	check_eq "$p envlock/record.json.sig: its signature's bytes" "" "$(cmp run.json.sig "$xt/envlock/record.json.sig" 2>&1)"
	check_eq "$p envlock/env.lock: the lock's bytes" "" "$(cmp env.lock "$xt/envlock/env.lock" 2>&1)"
	check_eq "$p envlock/env.lock.sig: its signature's bytes" "" "$(cmp env.lock.sig "$xt/envlock/env.lock.sig" 2>&1)"
	check_eq "$p envlock/bundle.json" \
		"{\"code\":{\"gitCommit\":\"$commit\"},\"data\":[],\"envlockBundle\":1,\"lock\":\"envlock/env.lock\",\"profile\":\"envlock/profile\",\"record\":\"envlock/record.json\",\"root\":\"root\",\"workdir\":\"$repo\"}" \
		"$(jq -cS . "$xt/envlock/bundle.json")"
	# The built-in default profile has no includes: its text as the source tree has it.
	check_eq "$p envlock/profile: the default profile's text" "default " \
		"$(jq -r .predicate.buildDefinition.internalParameters.profile run.json) $(cmp "$EL_SOURCE_DIR/profiles/default" "$xt/envlock/profile" 2>&1)"

	# ---- 2. the same bytes: another directory, name, TZ and umask ----
	# shellcheck disable=SC2016 # the inner shell expands them
	x u bash -c 'cd "$1" && umask 077 && TZ=Asia/Tokyo exec "${@:2}"' - "$dir/elsewhere" \
		"$dir/envlock" pack ../repo/run.json -o again.envlock
	check_eq "$p pack again: exit 0, the same SHA-256" "0 sha256:$sha" "$status $(out)"
	check_eq "$p pack again: the same bytes" "" "$(cmp "$b" "$dir/elsewhere/again.envlock" 2>&1)"
	check_eq "$p pack again under umask 077: mode 0644" 644 "$(stat -c %a "$dir/elsewhere/again.envlock")"

	# ---- 3. envlock unpack: what tar gives ----
	x el unpack "$b" "$dir/unpacked"
	check_eq "$p unpack: exit 0, nothing said" "0 " "$status $(out)$(err)"
	check_eq "$p unpack: the tree tar extracts (names, types, modes, sizes, links, mtimes)" "$(listing "$xt")" \
		"$(listing "$dir/unpacked")"
	check_eq "$p unpack: the same contents (diff -r)" "" "$(diff -r --no-dereference "$xt" "$dir/unpacked" 2>&1)"

	# ---- 4. exec --bundle ----
	local repo_before cached=$dir/cache/bundles/$sha made cached_before
	repo_before=$(listing "$repo" | grep -v '^\.git')
	x el exec --bundle "$b" -- sh job.sh
	check_eq "$p exec --bundle: exit 0" 0 "$status"
	check_eq "$p exec --bundle: the recorded command's output" "$printed" "$(out)"
	check_eq "$p exec --bundle: nothing on stderr" "" "$(err)"
	check_eq "$p exec --bundle: unpacked once, named by its SHA-256" "$sha" "$(ls -A "$dir/cache/bundles")"
	check_eq "$p exec --bundle: the cached tree is the bundle's" "" "$(diff -r --no-dereference "$xt" "$cached" 2>&1)"
	check_eq "$p exec --bundle: the cached tree's names, modes, links and times" "$(listing "$xt")" "$(listing "$cached")"
	made=$(stat -c %Y.%i "$cached")
	cached_before=$(listing "$cached")
	x el exec --bundle "$b" -- sh -c 'echo new >new.txt && echo again >>out.txt && cat new.txt && pwd'
	check_eq "$p exec --bundle: the working directory is writable, at the recorded path" "0 new
$repo" "$status $(out)"
	check_eq "$p exec --bundle again: the cached tree, not made again" "$made" "$(stat -c %Y.%i "$cached")"
	check_eq "$p exec --bundle again: nothing new in the cache" "$sha" "$(ls -A "$dir/cache/bundles")"
	check_eq "$p exec --bundle: writes never reach the cache's tree" "$cached_before" "$(listing "$cached")"
	check_eq "$p exec --bundle: writes never reach the repository" "$repo_before" "$(listing "$repo" | grep -v '^\.git')"
	check_eq "$p exec --bundle: the scratch copy is removed" "" "$(ls -A "$dir/tmp")"
	x el exec --bundle "$b" -- python3 -c 'import os; print(" ".join(sorted(os.listdir("/usr/bin"))), os.path.exists("/etc/passwd"), os.path.exists("'"$repo"'/notes.txt"))'
	check_eq "$p exec --bundle: /usr/bin has what the run used, and nothing else of the host's" \
		"0 ${used_bin% } False False" "$status $(out)"
	x el exec --bundle "$b" -- perl -e 1
	check_eq "$p exec --bundle: a host program the run did not use (perl) is not there" \
		"127 envlock: exec: perl: command not found" "$status $(err)"

	# ---- 5. replay --bundle ----
	x el replay --bundle "$b"
	check_eq "$p replay --bundle: exit 0" 0 "$status"
	check_eq "$p replay --bundle: the command's output, then the lines" "$printed
$b: sh
  reproduced  out.txt  sha256:$(sum out.txt)
  reproduced bit for bit
replay: 1 record: 1 reproduced, 0 not" "$(out)"
	check_eq "$p replay --bundle: nothing on stderr" "" "$(err)"
	check_eq "$p replay --bundle: the scratch copy is removed" "" "$(ls -A "$dir/tmp")"

	# A run that writes the time: no git, no lock (code/ is what the trace saw).
	cd "$dir/clock"
	x el exec --no-lock --record "$dir/clock.json" --trace --output out.txt -- sh -c 'date +%s%N >out.txt'
	check_eq "$p the clock run: exit 0" 0 "$status"
	x el pack "$dir/clock.json" -o "$dir/clock.envlock"
	check_eq "$p pack of the clock run: exit 0" 0 "$status"
	check_eq "$p the clock bundle: code/ is what the trace saw" '{"traced":true}' \
		"$(tar --zstd -xOf "$dir/clock.envlock" envlock/bundle.json | jq -c .code)"
	x el replay --bundle "$dir/clock.envlock"
	check_eq "$p replay --bundle of the clock run: exit 1" 1 "$status"
	check_eq "$p replay --bundle of the clock run: the lines" "$dir/clock.envlock: sh
  differs     out.txt: recorded sha256:$(sum out.txt), now sha256:SUM
  NOT reproduced
replay: 1 record: 0 reproduced, 1 not" "$(out | sed -E 's/now sha256:[0-9a-f]{64}$/now sha256:SUM/')"

	# ---- 6. refusals: exit 2, one line, nothing at -o nor beside it ----
	local o=$dir/refused/b.envlock
	refused() {
		local what=$1 want=$2
		shift 2
		x el pack "$@"
		check_eq "$p $what: exit 2" 2 "$status"
		check_eq "$p $what: the message" "$want" "$(err)"
		check_eq "$p $what: nothing on stdout" "" "$(out)"
		check_eq "$p $what: nothing at -o, nor beside it" "" "$(ls -A "$dir/refused")"
	}
	cd "$repo"
	x el exec --record "$dir/untraced.json" --output out.txt -- sh job.sh
	check_eq "$p the untraced run: exit 0" 0 "$status"
	refused "pack of an untraced record" \
		"envlock: pack: $dir/untraced.json: the run was not traced: a bundle needs to know every file it opened (run it with exec --record --trace)" \
		"$dir/untraced.json" -o "$o"
	echo "# changed, not committed" >>t.py
	x el exec --record "$dir/dirty.json" --trace --output out.txt -- sh job.sh
	check_eq "$p the run in a dirty tree: exit 0" 0 "$status"
	g checkout -q t.py
	refused "pack of a dirty tree's record" \
		"envlock: pack: $dir/dirty.json: the run's working tree had uncommitted changes: commit ${commit:0:12} is not what ran (commit them, then run again)" \
		"$dir/dirty.json" -o "$o"
	refused "pack of a record that does not exist" "envlock: pack: $dir/nosuch.json: No such file or directory" \
		"$dir/nosuch.json" -o "$o"
	echo '{"not": "a record"' >"$dir/garbage.json"
	x el pack "$dir/garbage.json" -o "$o"
	check_eq "$p pack of a file that is not JSON: exit 2, one line naming it" "2 1 yes" \
		"$status $(err | wc -l) $(yes_no grep -q "^envlock: pack: $dir/garbage.json:" "$scratch/err")"
	check_eq "$p pack of a file that is not JSON: nothing at -o" "" "$(ls -A "$dir/refused")"
	echo '{}' >"$dir/empty.json"
	refused "pack of a JSON file that is not a record" \
		"envlock: pack: $dir/empty.json: not an in-toto Statement v1 (no _type)" "$dir/empty.json" -o "$o"
	x el pack "$repo/run.json"
	check_eq "$p pack without -o: exit 2, the usage message" "2 envlock pack: -o FILE is needed: where the bundle goes
Try 'envlock pack --help'." "$status $(err)"
	check_eq "$p pack without -o: nothing made" "" "$(ls -A "$dir/refused")"
	x el pack "$repo/run.json" -o "$dir/nodir/b.envlock"
	check_eq "$p pack into a directory that does not exist: exit 1" \
		"1 envlock: pack: $dir/nodir/b.envlock: No such file or directory" "$status $(err)"

	x el replay --bundle "$b" "$repo/run.json"
	check_eq "$p replay --bundle with a RUN.json: exit 2, the usage message" "2 envlock replay: --bundle replays the record the bundle carries: it takes no RUN.json, and no option but --on-drift, --bind, --ro-bind and --tmpfs
Try 'envlock replay --help'." "$status $(err)"
	x el exec --bundle "$b" --lock env.lock -- true
	check_eq "$p exec --bundle --lock: 125, the usage message" "125 envlock: exec: --bundle brings its own lock, root, interpreter and working directory: it does not go with --lock
Try 'envlock exec --help' for more information." "$status $(err)"
	# A tar of other files: refused, and not kept in the cache.
	mkdir -p "$dir/notbundle"
	head -c 4096 /dev/urandom >"$dir/notbundle/random.bin"
	echo hello >"$dir/notbundle/hello.txt"
	tar -C "$dir/notbundle" --zstd -cf "$dir/notbundle.tar.zst" random.bin hello.txt
	[ "$half" != user ] || chown -R "$user:$user" "$dir/notbundle" "$dir/notbundle.tar.zst"
	local cache_before
	cache_before=$(ls -A "$dir/cache/bundles")
	x el exec --bundle "$dir/notbundle.tar.zst" -- true
	check_eq "$p exec --bundle of a tar that is no bundle: 125, one line" \
		"125 envlock: exec: --bundle: $dir/notbundle.tar.zst: not an envlock bundle (no envlock/bundle.json)" "$status $(err)"
	check_eq "$p exec --bundle of a tar that is no bundle: nothing run" "" "$(out)"
	check_eq "$p exec --bundle of a tar that is no bundle: not kept in the cache" "$cache_before" \
		"$(ls -A "$dir/cache/bundles")"

	# ---- 7. a lock's data: carried at its path, or left out with --no-data ----
	local drepo=$dir/drepo
	echo "the input" >"$dir/data/in.txt"
	echo "never read" >"$dir/data/sub/unread.txt"
	mkdir "$drepo"
	cat >"$drepo/d.py" <<PY
import hashlib
h = hashlib.sha256(open("$dir/data/in.txt", "rb").read()).hexdigest()
open("out.txt", "w").write(h + "\n")
print(h)
PY
	[ "$half" != user ] || chown -R "$user:$user" "$dir/data" "$drepo"
	cd "$drepo"
	g init -q .
	x el capture --python /usr/bin/python3 --data ../data -o env.lock
	check_eq "$p capture --data ../data: exit 0" 0 "$status"
	g add d.py env.lock
	g commit -qm data
	x el exec --record "$dir/data.json" --trace --output out.txt -- python3 d.py
	check_eq "$p the run that reads the data: exit 0" "0 $(sum "$dir/data/in.txt")" "$status $(out)"
	local data_digest
	data_digest=$(jq -r '.data["../data"]' env.lock)
	x el pack "$dir/data.json" -o "$dir/data.envlock"
	check_eq "$p pack with data: exit 0" 0 "$status"
	rm -rf "$dir/xd"
	mkdir "$dir/xd"
	tar --zstd -xf "$dir/data.envlock" -C "$dir/xd"
	check_eq "$p pack with data: the data files at their paths, hard links into store/" \
		"$(sum "$dir/data/in.txt") $(sum "$dir/data/sub/unread.txt") 2 2" \
		"$(sum "$dir/xd/root$dir/data/in.txt") $(sum "$dir/xd/root$dir/data/sub/unread.txt") $(stat -c %h "$dir/xd/root$dir/data/in.txt") $(stat -c %h "$dir/xd/root$dir/data/sub/unread.txt")"
	check_eq "$p pack with data: bundle.json's data entry (carried)" "true $data_digest $dir/data" \
		"$(jq -r '.data[] | "\(.carried) \(.digest) \(.path)"' "$dir/xd/envlock/bundle.json" | while read -r c d pth; do echo "$c $d $(realpath -m "$pth")"; done)"
	x el exec --bundle "$dir/data.envlock" -- python3 d.py
	check_eq "$p exec --bundle of the run that read its data: the same output" "0 $(sum "$dir/data/in.txt")" "$status $(out)"
	check_eq "$p exec --bundle of the run that read its data: on stderr, the note alone" \
		"envlock: note: exec: 1 finding not judged: the bundle carries data" "$(err)"
	x el replay --bundle "$dir/data.envlock"
	check_eq "$p replay --bundle of the run that read its data: exit 0" 0 "$status"

	x el pack --no-data "$dir/data.json" -o "$dir/nodata.envlock"
	check_eq "$p pack --no-data: exit 0" 0 "$status"
	rm -rf "$dir/xn"
	mkdir "$dir/xn"
	tar --zstd -xf "$dir/nodata.envlock" -C "$dir/xn"
	check_eq "$p pack --no-data: a data file the run did not read is absent" no \
		"$(yes_no test -e "$dir/xn/root$dir/data/sub/unread.txt")"
	check_eq "$p pack --no-data: a data file the run read is absent too" no \
		"$(yes_no test -e "$dir/xn/root$dir/data/in.txt")"
	check_eq "$p pack --no-data: the data's content is not in store/" no \
		"$(yes_no test -e "$dir/xn/store/sha256/$(sum "$dir/data/in.txt")")"
	check_eq "$p pack --no-data: bundle.json's data entry (not carried, its digest)" "false $data_digest $dir/data" \
		"$(jq -r '.data[] | "\(.carried) \(.digest) \(.path)"' "$dir/xn/envlock/bundle.json" | while read -r c d pth; do echo "$c $d $(realpath -m "$pth")"; done)"

	# A file the run read, changed since: refused, naming it.
	# Declared data is checked as a whole, by its digest: that of its manifest (README, Data).
	echo "changed" >>"$dir/data/in.txt"
	refused "pack after a file the run read changed" \
		"envlock: pack: data $dir/data: changed since the run (its digest is $(manifest_digest "$dir/data" | cut -c1-19)..., the record's ${data_digest:0:19}...); run again with --trace to pack what runs now" \
		"$dir/data.json" -o "$o"
	cd /
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
cd /
finish
