#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock's DSSE signatures against sigstore-js (@sigstore/core), for both
# key types: sigstore-js's pre-authentication encoding and Node's crypto
# verify what envlock sign writes, for a lock and a run record, and refuse
# it tampered with or under another key; envlock verify accepts what Node
# signs and refuses it under another key. tests/interop/dsse.mjs is the
# Node side; packaging/install-test-node.sh installs Node and the package in
# $EL_TEST_NODE_DIR (a skip here is a failure in CI, under ENVLOCK_TEST_STRICT).
. "$(dirname "$0")/lib.sh"

node_dir=${EL_TEST_NODE_DIR:-/var/lib/envlock-test/node}
export EL_TEST_NODE_DIR=$node_dir
dsse=${EL_SOURCE_DIR:?EL_SOURCE_DIR must point at the source tree}/tests/interop/dsse.mjs
command -v node >/dev/null 2>&1 || skip "node is not installed (packaging/install-test-node.sh installs it)"
[ -f "$node_dir/node_modules/@sigstore/core/package.json" ] ||
	skip "@sigstore/core is not in $node_dir/node_modules (packaging/install-test-node.sh installs it)"

# Under /var/tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-sign-interop-it.XXXXXX)
trap 'rm -rf "$scratch" "$base"' EXIT
export ENVLOCK_CACHE_DIR=$base/cache
# Only the built-in profiles, whatever this machine has in ~/.config or /etc.
export ENVLOCK_PROFILE_PATH=$base/no-profiles
unset ENVLOCK_KEY

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }
# Says what went wrong when a check on status failed.
show_err() { [ "$status" = "$1" ] || sed "s/^/  stderr: /" "$scratch/err" >&2; }

lock_type=application/vnd.envlock.lock+json
record_type=application/vnd.in-toto+json

# The signed files, made once: a lock of this machine and a run record.
mkdir -p "$base/src"
cd "$base/src" || exit 1
x "$ENVLOCK" capture -o env.lock
check_eq "capture: exit 0" 0 "$status"
show_err 0
x "$ENVLOCK" exec --no-lock --record run.json -- true
check_eq "exec --record: exit 0" 0 "$status"
show_err 0
if [ ! -s env.lock ] || [ ! -s run.json ]; then
	fail "no lock or no record to sign"
	finish
	exit 1
fi

# tamper SIG OUT: SIG with one bit of its payload's middle byte flipped.
tamper() {
	local n k b
	jq -r .payload "$1" | base64 -d >"$scratch/payload"
	n=$(stat -c %s "$scratch/payload")
	k=$((n / 2))
	b=$(od -An -tu1 -j "$k" -N 1 "$scratch/payload" | tr -d ' ')
	{
		head -c "$k" "$scratch/payload"
		# shellcheck disable=SC2059
		printf "\\$(printf %03o $((b ^ 1)))"
		tail -c +$((k + 2)) "$scratch/payload"
	} >"$scratch/tampered"
	jq --arg p "$(base64 -w0 "$scratch/tampered")" '.payload = $p' "$1" >"$2"
}

for type in ecdsa-p256 ed25519; do
	p="[$type]"
	d=$base/$type
	mkdir -p "$d"
	cp "$base/src/env.lock" "$base/src/run.json" "$d/"
	cd "$d" || exit 1

	# ---- keys: envlock's and Node's ids of them agree ----
	x "$ENVLOCK" key generate --type "$type" --out key.pem
	check_eq "$p key generate: exit 0" 0 "$status"
	show_err 0
	kid=$(sed -n 's/^key id: //p' "$scratch/out")
	check_eq "$p key generate: the lines" "private key: key.pem
public key: key.pem.pub
key id: $kid" "$(out)"
	check_eq "$p key generate: the id is SHA-256 of the public key's DER" \
		"$(openssl pkey -pubin -in key.pem.pub -outform DER | sha256sum | cut -d' ' -f1)" "$kid"
	check_eq "$p key generate: the private key is 0600" 600 "$(stat -c %a key.pem)"
	"$ENVLOCK" key generate --type "$type" --out other.pem >/dev/null
	other=$("$ENVLOCK" key id other.pem)

	# ---- envlock signs, sigstore-js verifies ----
	x "$ENVLOCK" sign --key key.pem env.lock run.json
	check_eq "$p sign: exit 0" 0 "$status"
	show_err 0
	for f in env.lock run.json; do
		if [ "$f" = env.lock ]; then want=$lock_type; else want=$record_type; fi
		check_eq "$p sign $f: the payload type" "$want" "$(jq -r .payloadType "$f.sig")"

		x node "$dsse" verify "$f.sig" key.pem.pub "$f"
		check_eq "$p envlock's $f.sig, verified by sigstore-js: exit 0" 0 "$status"
		show_err 0
		check_eq "$p envlock's $f.sig, verified by sigstore-js: the line" "verified $kid" "$(out)"

		tamper "$f.sig" "$scratch/tampered.sig"
		x node "$dsse" verify "$scratch/tampered.sig" key.pem.pub
		check_eq "$p envlock's $f.sig, a payload bit flipped: sigstore-js refuses it (exit 1)" 1 "$status"
		check_eq "$p envlock's $f.sig, a payload bit flipped: why" \
			"$scratch/tampered.sig: signature 1: does not verify with key $kid" "$(err)"

		x node "$dsse" verify "$f.sig" other.pem.pub "$f"
		check_eq "$p envlock's $f.sig under another key: sigstore-js refuses it (exit 1)" 1 "$status"
		# Without the keyid, so that the signature itself is checked against the other key.
		jq 'del(.signatures[].keyid)' "$f.sig" >"$scratch/nokeyid.sig"
		x node "$dsse" verify "$scratch/nokeyid.sig" other.pem.pub "$f"
		check_eq "$p envlock's $f.sig without its keyid, under another key: sigstore-js refuses it (exit 1)" \
			1 "$status"
		check_eq "$p envlock's $f.sig without its keyid, under another key: why" \
			"$scratch/nokeyid.sig: signature 1: does not verify with key $other" "$(err)"
	done

	# ---- sigstore-js signs, envlock verifies ----
	for f in env.lock run.json; do
		if [ "$f" = env.lock ]; then want=$lock_type; else want=$record_type; fi
		node "$dsse" sign "$f" key.pem "$want" >"$f.sig"

		x "$ENVLOCK" verify --trust key.pem.pub "$f"
		check_eq "$p Node's $f.sig, verified by envlock: exit 0" 0 "$status"
		show_err 0
		check_eq "$p Node's $f.sig, verified by envlock: the line" "$f: verified (key $kid)" "$(out)"

		x "$ENVLOCK" verify --trust other.pem.pub "$f"
		check_eq "$p Node's $f.sig under another key: envlock refuses it (exit 1)" 1 "$status"
		check_eq "$p Node's $f.sig under another key: nothing verified on stdout" "" \
			"$(grep -F ': verified' "$scratch/out" || true)"

		tamper "$f.sig" "$scratch/tampered.sig"
		cp "$scratch/tampered.sig" "$f.sig"
		x "$ENVLOCK" verify --trust key.pem.pub "$f"
		check_eq "$p Node's $f.sig, a payload bit flipped: envlock refuses it (exit 1)" 1 "$status"

		# Signed by another key and then by the trusted one (DSSE: one good signature is enough).
		node "$dsse" sign "$f" other.pem "$want" >"$scratch/by-other.sig"
		node "$dsse" sign "$f" key.pem "$want" >"$scratch/by-key.sig"
		jq --slurpfile k "$scratch/by-key.sig" '.signatures += $k[0].signatures' "$scratch/by-other.sig" >"$f.sig"
		x "$ENVLOCK" verify --trust key.pem.pub "$f"
		check_eq "$p Node's $f.sig by two keys, one trusted: envlock accepts it (exit 0)" 0 "$status"
		show_err 0
		check_eq "$p Node's $f.sig by two keys, one trusted: the line" "$f: verified (key $kid)" "$(out)"
	done
done

finish
