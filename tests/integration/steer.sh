#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A job cannot steer what runs next. Its working directory is writable, and
# earlier records, the lock and the record directory may lie in it: the
# job cannot change the lock or swap a directory on its way, cannot touch
# earlier records, and a record edited behind envlock's back (as a job
# could where records lie unprotected) is refused by replay, naming the
# member, before anything runs: a working directory that is not the
# record's, an output outside it, mounts, a profile file, an interpreter
# or a lock of the record's own choosing. exec --output refuses paths
# outside the working directory. As root and as the unprivileged user
# envlock-test, as exec.sh.
. "$(dirname "$0")/lib.sh"
need jq sha256sum

user=envlock-test
base=$(mktemp -d /var/tmp/envlock-steer-it.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }
. "$(dirname "$0")/sandbox_halves.sh"

EXT=predicate.buildDefinition.externalParameters
INT=predicate.buildDefinition.internalParameters

# edit RECORD NEW JQ-FILTER: a copy of the record edited as a job would edit it.
edit() { jq "$3" "$1" >"$2"; }

half_checks() {
	local half=$1 dir=$base/$1 bin home
	local -a as
	local p="[$half]"

	mkdir -p "$dir/repo/.git" "$dir/repo/locks" "$dir/repo/runs" "$dir/repo/src" "$dir/tmp"
	cp "$ENVLOCK" "$dir/envlock"
	bin=$dir/envlock
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
		home=$(getent passwd "$user" | cut -d: -f6)
	else
		as=()
		home=/root
	fi
	el() { "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache" TMPDIR="$dir/tmp" "$@"; }
	cd "$dir/repo" || exit 1

	# ---- exec --output: inside the working directory only ----
	x el "$bin" exec --no-lock --record runs/ --output /etc/shadow -- true
	check_eq "$p exec --output /etc/shadow: 125" 125 "$status"
	check_eq "$p exec --output /etc/shadow: the message" \
		"envlock: exec: --output /etc/shadow: an absolute path; outputs are relative to the working directory, inside it" "$(err)"
	x el "$bin" exec --no-lock --record runs/ --output src/../../x -- true
	check_eq "$p exec --output src/../../x: 125" 125 "$status"
	check_eq "$p exec --output src/../../x: the message" \
		"envlock: exec: --output src/../../x: not a path inside the working directory (no '.', '..' or empty names)" "$(err)"
	check_eq "$p exec --output refused: no record written" "" "$(ls -A runs)"

	# ---- the lock in a subdirectory, and the records: out of the job's reach ----
	x el "$bin" capture -o locks/env.lock
	check_eq "$p capture: exit 0" 0 "$status"
	local lock_before
	lock_before=$(sha256sum <locks/env.lock)
	x el "$bin" exec --lock locks/env.lock --record runs/ --output o.txt -- /bin/sh -c 'echo one >o.txt'
	check_eq "$p the first run: exit 0" 0 "$status"
	local first
	first=$(ls runs)
	check_eq "$p the first record written" 1 "$(ls runs | wc -l)"
	local attack='
		r() { "$@" 2>/dev/null && echo "$*: done" || echo "$*: refused"; }
		r mv locks locks.old
		r mv locks/env.lock locks/x
		r rm -f locks/env.lock
		r sh -c "echo forged >locks/env.lock"
		r mv runs runs.old
		r sh -c "echo forged >runs/'"$first"'"
		r rm -f runs/'"$first"'
		r touch runs/planted.json
		r sh -c "echo >o.txt"'
	x el "$bin" exec --lock locks/env.lock --record runs/ --output o.txt -- /bin/sh -c "$attack"
	check_eq "$p the attacking run: exit 0" 0 "$status"
	check_eq "$p the job could change none of the lock, its directory, the records" "mv locks locks.old: refused
mv locks/env.lock locks/x: refused
rm -f locks/env.lock: refused
sh -c echo forged >locks/env.lock: refused
mv runs runs.old: refused
sh -c echo forged >runs/$first: refused
rm -f runs/$first: refused
touch runs/planted.json: refused
sh -c echo >o.txt: done" "$(out)"
	check_eq "$p the lock is unchanged" "$lock_before" "$(sha256sum <locks/env.lock)"
	check_eq "$p the lock's directory was not swapped" "no" "$([ -e locks.old ] && echo yes || echo no)"
	check_eq "$p two records, the first one as written, nothing planted" "2 $(jq -r .subject[0].digest.sha256 "runs/$first")" \
		"$(ls runs | wc -l) $(sha256sum <<<one | cut -d' ' -f1)"
	x el "$bin" exec --lock locks/env.lock --dry-run -- true
	check_eq "$p --dry-run: the lock's directory pinned, the lock read-only" "bind $dir/repo/locks
ro-bind $dir/repo/locks/env.lock" "$(out | awk -v d="$dir/repo/locks" '$2 == d || index($2, d "/") == 1 {print $1, $2}')"

	# A named record: that file (and its .sig) kept, its directory the run's as before.
	mkdir -p out
	[ "$half" = user ] && chown "$user:$user" out
	x el "$bin" exec --lock locks/env.lock --record out/run.json --output out/model.bin -- sh -c 'echo m >out/model.bin'
	check_eq "$p --record out/run.json beside --output out/model.bin: exit 0" "0 m" "$status $(cat out/model.bin)"
	x el "$bin" exec --lock locks/env.lock --record out/run.json -- \
		sh -c 'echo x >>out/run.json 2>/dev/null && echo rewrote || echo kept; echo n >out/new.txt && echo wrote'
	check_eq "$p the earlier out/run.json is kept, out/ still writable" "kept
wrote" "$(out)"
	# The working directory itself as the record directory: refused.
	x el "$bin" exec --lock locks/env.lock --record ./ -- true
	check_eq "$p --record ./: refused" \
		"125 envlock: exec: --record ./: the working directory itself, where the run could rewrite earlier records; write them to a directory of their own (--record runs/)" \
		"$status $(err)"

	# A profile file in the working directory, and the key it trusts, are the next run's too.
	mkdir -p keys
	x el "$bin" key generate --out "$dir/trusted.pem"
	cp "$dir/trusted.pem.pub" keys/trusted.pub
	printf 'include default\ntrust keys/trusted.pub\n' >my.profile
	[ "$half" = user ] && chown -R "$user:$user" my.profile keys
	x el "$bin" exec --no-lock --profile ./my.profile -- \
		sh -c 'echo "bind /" >>my.profile 2>/dev/null && echo profile changed || echo profile kept
			echo x >keys/trusted.pub 2>/dev/null && echo key changed || echo key kept'
	check_eq "$p the profile file and its trusted key are kept as they are" "profile kept
key kept" "$(out)"

	# ---- replay: records edited behind envlock's back ----
	local rec=runs/$first
	# The lock is not the root's env.lock: the working directory and the lock are confirmed.
	x el "$bin" replay --workdir "$dir/repo" --lock locks/env.lock "$rec"
	check_eq "$p replay of the unedited record (its lock and working directory confirmed): exit 0" 0 "$status"
	x el "$bin" replay "$rec"
	check_eq "$p replay without --workdir: the repository's root has no env.lock" \
		"envlock: replay: $rec: $EXT.workdir: $dir/repo is neither the record's directory nor its repository's root (with an env.lock); to replay there, confirm it with --workdir $dir/repo" "$(err)"
	x el "$bin" replay --workdir "$dir/repo" "$rec"
	check_eq "$p replay without --lock of a lock not at the root: 2" 2 "$status"
	check_eq "$p replay: the lock must be confirmed" \
		"envlock: replay: $rec: $EXT.lock.path: $dir/repo/locks/env.lock is not the working directory's env.lock: a record cannot choose the lock (and the interpreter) it is checked against; to allow it: --lock $dir/repo/locks/env.lock" "$(err)"

	# the working directory widened to the user's home
	edit "$rec" runs.home.json ".$EXT.workdir = \"$home\" | .$INT.sandbox.cwd = \"$home\""
	mv runs.home.json home.json
	x el "$bin" replay --lock locks/env.lock home.json
	check_eq "$p workdir edited to $home: 2" 2 "$status"
	check_eq "$p workdir edited to $home: named" \
		"envlock: replay: home.json: $EXT.workdir: $home is neither the record's directory nor its repository's root (with an env.lock); to replay there, confirm it with --workdir $home" "$(err)"
	check_eq "$p workdir edited: nothing ran (no output line)" "" "$(out)"

	# an absolute output
	edit "$rec" abs.json "(.$EXT.outputs[0]) = \"/etc/shadow\" | .subject[0].name = \"/etc/shadow\""
	x el "$bin" replay --lock locks/env.lock abs.json
	check_eq "$p output edited to /etc/shadow: 2" 2 "$status"
	check_eq "$p output edited to /etc/shadow: named" \
		"envlock: replay: abs.json: $EXT.outputs[0]: /etc/shadow: not a path inside the working directory" "$(err)"
	check_eq "$p output /etc/shadow: its digest is not printed" "" "$(out)"
	edit "$rec" up.json "(.$EXT.outputs[0]) = \"../x\" | .subject[0].name = \"../x\""
	x el "$bin" replay --lock locks/env.lock up.json
	check_eq "$p output edited to ../x: named" \
		"envlock: replay: up.json: $EXT.outputs[0]: ../x: not a path inside the working directory" "$(err)"

	# a mount of the record's own
	edit "$rec" mount.json ".$EXT.mounts = [{\"kind\": \"bind\", \"source\": \"$home\", \"dest\": \"$home\"}]"
	x el "$bin" replay --lock locks/env.lock mount.json
	check_eq "$p a bind added to the record: 2" 2 "$status"
	check_eq "$p a bind added to the record: named, with the option that allows it" \
		"envlock: replay: mount.json: $EXT.mounts[0]: a record cannot add mounts of its own; to allow it, give it again: --bind $home:$home" "$(err)"
	x el "$bin" replay --lock locks/env.lock --ro-bind "$home:$home" mount.json
	check_eq "$p the same bind given read-only does not allow it" \
		"envlock: replay: mount.json: $EXT.mounts[0]: a record cannot add mounts of its own; to allow it, give it again: --bind $home:$home" "$(err)"

	# the working directory's cwd outside it
	edit "$rec" cwd.json ".$INT.sandbox.cwd = \"/\""
	x el "$bin" replay --lock locks/env.lock cwd.json
	check_eq "$p sandbox.cwd edited to /: named" \
		"envlock: replay: cwd.json: $INT.sandbox.cwd: /: not inside the working directory $dir/repo" "$(err)"

	# a profile file, an interpreter, another lock
	printf 'include default\nbind %s\n' "$home" >evil.profile
	edit "$rec" profile.json ".$INT.profile = \"$dir/repo/evil.profile\""
	x el "$bin" replay --lock locks/env.lock profile.json
	check_eq "$p a profile file: named" \
		"envlock: replay: profile.json: $INT.profile: $dir/repo/evil.profile is a file, not a profile's name: a record cannot choose the file its binds come from; to allow it: --profile $dir/repo/evil.profile" "$(err)"
	printf '#!/bin/sh\ntouch %s/ran-on-host\n' "$dir/repo" >evil-python
	chmod 755 evil-python
	edit "$rec" python.json ".$EXT.python = \"$dir/repo/evil-python\""
	x el "$bin" replay --lock locks/env.lock python.json
	check_eq "$p an interpreter: named" \
		"envlock: replay: python.json: $EXT.python: $dir/repo/evil-python: a record cannot choose the interpreter the drift check runs on this machine; to allow it: --python $dir/repo/evil-python" "$(err)"
	check_eq "$p the record's interpreter did not run on the host" no "$([ -e ran-on-host ] && echo yes || echo no)"
	cp locks/env.lock forged.lock
	edit "$rec" lock.json "(.$EXT.lock.path) = \"$dir/repo/forged.lock\" | (.predicate.buildDefinition.resolvedDependencies[0].name) = \"$dir/repo/forged.lock\""
	x el "$bin" replay --lock locks/env.lock lock.json
	check_eq "$p another lock: named" \
		"envlock: replay: lock.json: $EXT.lock.path: $dir/repo/forged.lock, not the lock --lock locks/env.lock names" "$(err)"

	# Several records: one refused, none runs.
	x el "$bin" replay --workdir "$dir/repo" --lock locks/env.lock "$rec" home.json
	check_eq "$p one bad record of two: 2, nothing replayed" "2 " "$status $(out)"

	# A home that is a repository of its own (dotfiles): a record below it cannot widen the run to it.
	mkdir -p "$dir/home/.git" "$dir/home/proj/runs"
	[ "$half" = user ] && chown -R "$user:$user" "$dir/home"
	edit "$rec" "$dir/home/proj/runs/r.json" ".$EXT.workdir = \"$dir/home\" | .$INT.sandbox.cwd = \"$dir/home\" | del(.$EXT.lock) | .predicate.buildDefinition.resolvedDependencies |= map(select(.name != \"$dir/repo/locks/env.lock\"))"
	x el "$bin" replay "$dir/home/proj/runs/r.json"
	check_eq "$p a home that is a repository, without an env.lock: refused" \
		"envlock: replay: $dir/home/proj/runs/r.json: $EXT.workdir: $dir/home is neither the record's directory nor its repository's root (with an env.lock); to replay there, confirm it with --workdir $dir/home" \
		"$(grep -v warning "$scratch/err")"

	# --workdir confirms a record kept elsewhere.
	x el "$bin" exec --no-lock --record "$dir/run.json" --output o.txt -- /bin/sh -c 'echo one >o.txt'
	x el "$bin" replay "$dir/run.json"
	check_eq "$p a record outside its working directory: refused" \
		"envlock: replay: $dir/run.json: $EXT.workdir: $dir/repo is neither the record's directory nor its repository's root (with an env.lock); to replay there, confirm it with --workdir $dir/repo" "$(err)"
	x el "$bin" replay --workdir "$dir/repo" "$dir/run.json"
	check_eq "$p --workdir confirms it: exit 0" 0 "$status"
	cd "$base" || exit 1
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
cd /
finish
