#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signatures in the everyday loop: exec --record signs the record when a
# signing key is configured; --require-signed / --trust (and the profile's
# require-signed on / trust) make check, exec and replay refuse a lock or
# record that no trusted key signed, with one line naming the file and the
# key id; a record edited after it was signed is refused; the signing key
# never lies in what the sandbox shows. As root and as the unprivileged
# user envlock-test, as exec.sh.
. "$(dirname "$0")/lib.sh"
need jq

user=envlock-test
base=$(mktemp -d /var/tmp/envlock-signed-it.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }
. "$(dirname "$0")/sandbox_halves.sh"

half_checks() {
	local half=$1 dir=$base/$1 bin key other id other_id
	local -a as
	local p="[$half]"

	mkdir -p "$dir/repo/.git" "$dir/repo/runs" "$dir/keys" "$dir/tmp" "$dir/cfg"
	cp "$ENVLOCK" "$dir/envlock"
	bin=$dir/envlock
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	else
		as=()
	fi
	key=$dir/keys/signing-key.pem
	other=$dir/keys/other.pem
	# No key of the user's own gets in the way: XDG_CONFIG_HOME is the test's.
	el() { "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache" TMPDIR="$dir/tmp" XDG_CONFIG_HOME="$dir/cfg" "$@"; }
	cd "$dir/repo" || exit 1

	x el "$bin" capture -o env.lock
	check_eq "$p capture: exit 0" 0 "$status"

	# ---- no key: records are not signed, --sign says why ----
	x el "$bin" exec --record runs/ -- true
	check_eq "$p no key: the run is fine" 0 "$status"
	check_eq "$p no key: no signature" "" "$(ls runs | grep '\.sig$' || true)"
	x el "$bin" exec --record runs/ --sign -- true
	check_eq "$p --sign without a key: 125" 125 "$status"
	check_eq "$p --sign without a key: the message" \
		"envlock: exec: no signing key at $dir/cfg/envlock/signing-key.pem (make one with 'envlock key generate', or leave out --sign)" "$(err)"
	x el "$bin" exec --sign -- true
	check_eq "$p --sign without --record: 125" 125 "$status"

	# ---- the default key in the config directory ----
	x el "$bin" key generate
	check_eq "$p key generate: exit 0" 0 "$status"
	id=$(sed -n 's/^key id: //p' "$scratch/out")
	check_eq "$p the key's directory is private" 700 "$(stat -c %a "$dir/cfg/envlock")"
	rm -f runs/*
	x el "$bin" exec --record runs/ -- true
	check_eq "$p with a key: the record is signed" "1 1" "$(ls runs | grep -c '\.json$') $(ls runs | grep -c '\.json\.sig$')"
	local rec
	rec=runs/$(ls runs | grep '\.json$')
	x el "$bin" verify "$rec"
	check_eq "$p the record's signature verifies" "$rec: verified (key $id)" "$(out)"
	check_eq "$p its payload type" "application/vnd.in-toto+json" "$(jq -r .payloadType "$rec.sig")"
	x el "$bin" exec --record runs/no-sign.json --no-sign -- true
	check_eq "$p --no-sign: no signature" "no" "$([ -e runs/no-sign.json.sig ] && echo yes || echo no)"
	x el "$bin" exec --no-lock -- sh -c "cat $dir/cfg/envlock/signing-key.pem 2>/dev/null || echo unreadable"
	check_eq "$p the job cannot read the signing key" unreadable "$(out)"

	# ---- a key the sandbox would show ----
	x el "$bin" key generate --out "$dir/repo/key.pem"
	x el "$bin" exec --record runs/ --key "$dir/repo/key.pem" -- true
	check_eq "$p a key in the working directory: 125" 125 "$status"
	check_eq "$p a key in the working directory: said" \
		"envlock: exec: the signing key $dir/repo/key.pem lies in $dir/repo, which the sandbox shows: the command could read it; keep it outside" "$(err)"
	rm -f "$dir/repo/key.pem" "$dir/repo/key.pem.pub"
	# ... or through a bind, however it is spelled (a trailing slash, a link to the directory).
	ln -s "$dir/cfg" "$dir/cfg-link"
	for spelled in "$dir/cfg/" "$dir/cfg-link" "$dir/cfg/envlock"; do
		x el "$bin" exec --record runs/ --ro-bind "$spelled:/mnt" -- true
		check_eq "$p the signing key under --ro-bind $spelled: refused" \
			"125 envlock: exec: the signing key $dir/cfg/envlock/signing-key.pem lies in $(realpath "$spelled"), which the sandbox shows: the command could read it; keep it outside" \
			"$status $(err)"
	done
	# A --tmpfs mounted over the place the key has inside hides it: not shown, so signed.
	x el "$bin" exec --record runs/hidden.json --ro-bind "$dir/cfg:/mnt" --tmpfs /mnt/envlock -- \
		sh -c 'ls /mnt/envlock | wc -l'
	check_eq "$p the key's directory bound but covered by --tmpfs: run, signed, nothing of it seen" "0 0 yes" \
		"$status $(out) $([ -e runs/hidden.json.sig ] && echo yes || echo no)"

	# ---- check and exec --require-signed ----
	x el "$bin" check --require-signed
	check_eq "$p check --require-signed, unsigned lock: 2" 2 "$status"
	check_eq "$p check --require-signed, unsigned lock: said" \
		"envlock: check: env.lock: not signed (no env.lock.sig), and --require-signed refuses it" "$(err)"
	x el "$bin" exec --require-signed -- true
	check_eq "$p exec --require-signed, unsigned lock: 125" 125 "$status"
	check_eq "$p exec --require-signed, unsigned lock: said" \
		"envlock: exec: env.lock: not signed (no env.lock.sig), and --require-signed refuses it" "$(err)"
	x el "$bin" show
	check_eq "$p show: no signature" "signature    none (sign it with 'envlock sign env.lock')" "$(sed -n 3p "$scratch/out")"
	x el "$bin" sign env.lock
	x el "$bin" check --require-signed
	check_eq "$p check --require-signed, signed by the own key: 0" 0 "$status"
	x el "$bin" show
	check_eq "$p show: the signature, checked against the own key" \
		"signature    env.lock.sig, by key $id (trusted)" "$(sed -n 3p "$scratch/out")"
	x el "$bin" key generate --out "$other"
	other_id=$(sed -n 's/^key id: //p' "$scratch/out")
	x el "$bin" check --require-signed --trust "$other.pub"
	check_eq "$p check, signed by a key not trusted: 2" 2 "$status"
	check_eq "$p check, signed by a key not trusted: the key id" \
		"envlock: check: env.lock.sig: signed by key $id, which is not trusted" "$(err)"
	x el "$bin" exec --require-signed --trust "$other.pub" -- true
	check_eq "$p exec, signed by a key not trusted: 125" 125 "$status"
	x el "$bin" check --require-signed --trust "$other.pub" --trust "$dir/cfg/envlock/signing-key.pem.pub"
	check_eq "$p two --trust, one of them the signer: 0" 0 "$status"
	x el "$bin" exec --require-signed --no-lock -- true
	check_eq "$p exec --require-signed --no-lock: 125" 125 "$status"

	# The lock changed after it was signed (re-fingerprinted, so it reads as valid).
	cp env.lock env.lock.orig
	jq '.meta.hostname = "elsewhere"' env.lock.orig >env.lock
	x el "$bin" show
	check_eq "$p show: a lock changed after signing, re-fingerprinted: NOT VALID" \
		"signature    NOT VALID: env.lock.sig: signs other content than env.lock" "$(sed -n 3p "$scratch/out")"
	x el "$bin" check --require-signed
	check_eq "$p a lock changed after signing: 2" 2 "$status"
	check_eq "$p a lock changed after signing: said" \
		"envlock: check: env.lock.sig: signs other content than env.lock" "$(err)"
	cp env.lock.orig env.lock

	# ---- the profile: require-signed on, trust relative to the profile ----
	printf 'include default\nrequire-signed on\ntrust ../keys/other.pem.pub\n' >"$dir/cfg/only-other.profile"
	x el "$bin" check --profile "$dir/cfg/only-other.profile"
	check_eq "$p profile require-signed on, trust another key: 2" 2 "$status"
	check_eq "$p profile require-signed on: the key id" \
		"envlock: check: env.lock.sig: signed by key $id, which is not trusted" "$(err)"
	x el "$bin" sign --key "$other" env.lock
	x el "$bin" check --profile "$dir/cfg/only-other.profile"
	check_eq "$p profile trust: the other key's signature: 0" 0 "$status"
	x el "$bin" sign env.lock
	rm env.lock.sig
	x el "$bin" exec --profile "$dir/cfg/only-other.profile" -- true
	check_eq "$p profile require-signed on, unsigned: said" \
		"envlock: exec: env.lock: not signed (no env.lock.sig), and the profile requires signatures (require-signed on)" "$(err)"
	printf 'include default\nsign-records on\n' >"$dir/cfg/sign.profile"
	x el env XDG_CONFIG_HOME="$dir/nowhere" "$bin" exec --profile "$dir/cfg/sign.profile" --record runs/ -- true
	check_eq "$p sign-records on without a key: 125" 125 "$status"
	check_eq "$p sign-records on without a key: said" \
		"envlock: exec: no signing key at $dir/nowhere/envlock/signing-key.pem (make one with 'envlock key generate'; the profile says sign-records on)" "$(err)"

	# A lock cannot switch the signing policy off by naming another profile (meta.profile).
	mkdir -p "$dir/cfg/envlock/profiles"
	printf 'include default\nrequire-signed on\n' >"$dir/cfg/envlock/profiles/secure"
	x el "$bin" capture --profile secure -o sec.lock
	x el "$bin" check --lock sec.lock --profile secure
	check_eq "$p --profile secure (require-signed on), unsigned: 2" 2 "$status"
	x el "$bin" check --lock sec.lock
	check_eq "$p the profile named by the lock: not the judge, and said" "0 envlock: note: the profile secure says require-signed on, but it was not given with --profile, and a lock cannot choose how it is judged: that counts only with --profile secure (or --require-signed)" \
		"$status $(grep note "$scratch/err")"
	jq '.meta.profile = "default"' sec.lock >sec2.lock
	x el "$bin" check --lock sec2.lock --profile secure
	check_eq "$p meta.profile edited to default: --profile secure still refuses" \
		"2 envlock: check: sec2.lock: not signed (no sec2.lock.sig), and the profile requires signatures (require-signed on)" \
		"$status $(err)"

	# ---- replay --require-signed ----
	x el "$bin" sign env.lock
	rm -f runs/*
	x el "$bin" exec --record runs/run.json --output o.txt -- sh -c 'echo one >o.txt'
	x el "$bin" replay --require-signed runs/run.json
	check_eq "$p replay --require-signed, signed record and lock: 0" 0 "$status"
	x el "$bin" exec --record runs/unsigned.json --no-sign --output o.txt -- sh -c 'echo one >o.txt'
	x el "$bin" replay --require-signed runs/unsigned.json
	check_eq "$p replay --require-signed, unsigned record: 2" 2 "$status"
	check_eq "$p replay --require-signed, unsigned record: said" \
		"envlock: replay: runs/unsigned.json: not signed (no runs/unsigned.json.sig), and --require-signed refuses it" "$(err)"
	# argv edited after signing
	jq '.predicate.buildDefinition.externalParameters.argv = ["sh", "-c", "echo two >o.txt"]' runs/run.json >runs/edited.json
	cp runs/run.json.sig runs/edited.json.sig
	x el "$bin" replay --require-signed runs/edited.json
	check_eq "$p replay --require-signed, argv edited after signing: 2" 2 "$status"
	check_eq "$p replay --require-signed, argv edited after signing: said" \
		"envlock: replay: runs/edited.json.sig: signs other content than runs/edited.json" "$(err)"
	x el "$bin" replay --require-signed --trust "$other.pub" runs/run.json
	check_eq "$p replay --require-signed, record by a key not trusted: 2" 2 "$status"
	check_eq "$p replay --require-signed, record by a key not trusted: said" \
		"envlock: replay: runs/run.json.sig: signed by key $id, which is not trusted" "$(err)"
	# the lock's signature is required too
	mv env.lock.sig env.lock.sig.away
	x el "$bin" replay --require-signed runs/run.json
	check_eq "$p replay --require-signed, unsigned lock: 2" 2 "$status"
	check_eq "$p replay --require-signed, unsigned lock: said" \
		"envlock: replay: $dir/repo/env.lock: not signed (no $dir/repo/env.lock.sig), and --require-signed refuses it" \
		"$(grep -v '^replay:' "$scratch/err")"
	mv env.lock.sig.away env.lock.sig
	cd "$base" || exit 1
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
cd /
finish
