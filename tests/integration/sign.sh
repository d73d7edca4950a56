#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock key, sign and verify as a user types them: a signing key in the
# default place and one named with --out, a lock made by capture and a run
# record made by exec signed and verified, every way a signature can fail
# with its exact message and exit status, and README.md's openssl commands,
# run as README.md prints them, on envlock's envelopes for both key types.
. "$(dirname "$0")/lib.sh"
need jq openssl base64 sha256sum
: "${EL_SOURCE_DIR:?EL_SOURCE_DIR must point at the source tree}"

# Under /var/tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-sign-it.XXXXXX)
trap 'rm -rf "$scratch" "$base"' EXIT
mkdir -p "$base/home" "$base/work" "$base/tmp"
export HOME=$base/home ENVLOCK_CACHE_DIR=$base/cache TMPDIR=$base/tmp
unset XDG_CONFIG_HOME ENVLOCK_KEY

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }
mode() { stat -c %a "$1"; }
der_id() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
cd "$base/work"

# ---- key generate ----
key=$HOME/.config/envlock/signing-key.pem
x "$ENVLOCK" key generate
check_eq "key generate: exit 0" 0 "$status"
id=$(der_id "$key.pub")
check_eq "key generate: the three lines" "private key: $key
public key: $key.pub
key id: $id" "$(out)"
check_eq "key generate: nothing on stderr" "" "$(err)"
check_eq "key generate: the modes (directory, private, public)" "700 600 644" \
	"$(mode "$HOME/.config/envlock") $(mode "$key") $(mode "$key.pub")"
check_eq "key generate: P-256 by default" "ASN1 OID: prime256v1" \
	"$(openssl pkey -pubin -in "$key.pub" -text -noout | grep -o 'ASN1 OID: .*')"
check_eq "key id: the default key" "$id" "$("$ENVLOCK" key id)"
check_eq "key id: of the .pub" "$id" "$("$ENVLOCK" key id "$key.pub")"
before=$(sha256sum <"$key")
x "$ENVLOCK" key generate
check_eq "key generate over a key: exit 2" 2 "$status"
check_eq "key generate over a key: the message" "envlock: $key: already exists" "$(err)"
check_eq "key generate over a key: nothing on stdout" "" "$(out)"
check_eq "key generate over a key: the key is untouched" "$before" "$(sha256sum <"$key")"

x "$ENVLOCK" key generate --type ed25519 --out ed.pem
check_eq "key generate ed25519: exit 0" 0 "$status"
ed_id=$(der_id ed.pem.pub)
check_eq "key generate ed25519: the lines" "private key: ed.pem
public key: ed.pem.pub
key id: $ed_id" "$(out)"
check_eq "key generate ed25519: the modes" "600 644" "$(mode ed.pem) $(mode ed.pem.pub)"
check_eq "key generate ed25519: an Ed25519 key" "ED25519 Public-Key:" \
	"$(openssl pkey -pubin -in ed.pem.pub -text -noout | head -1)"
check_eq "key id: of a private key file" "$ed_id" "$("$ENVLOCK" key id ed.pem)"
echo mine >lone.pem.pub
x "$ENVLOCK" key generate --out lone.pem
check_eq "key generate beside a .pub: exit 2" "2 envlock: lone.pem.pub: already exists" "$status $(err)"
check_eq "key generate beside a .pub: no private key made" no "$([ -e lone.pem ] && echo yes || echo no)"
x "$ENVLOCK" key generate --type rsa --out rsa.pem
check_eq "key generate --type rsa: exit 2" "2 envlock key generate: --type takes ecdsa-p256 or ed25519, not 'rsa'
Try 'envlock key generate --help'." "$status $(err)"

# ---- sign a lock and a run record ----
x "$ENVLOCK" capture -o env.lock
check_eq "capture: exit 0" 0 "$status"
x "$ENVLOCK" exec --no-lock --record run.json -- /bin/true
check_eq "exec --record: exit 0" 0 "$status"
x "$ENVLOCK" sign env.lock run.json
check_eq "sign: exit 0" 0 "$status"
check_eq "sign: the lines" "signed env.lock: env.lock.sig (key $id)
signed run.json: run.json.sig (key $id)" "$(out)"
check_eq "sign: the payload types" "application/vnd.envlock.lock+json application/vnd.in-toto+json" \
	"$(jq -r .payloadType env.lock.sig) $(jq -r .payloadType run.json.sig)"
check_eq "sign: the envelope holds the lock" "$(sha256sum <env.lock)" "$(jq -r .payload env.lock.sig | base64 -d | sha256sum)"
check_eq "sign: the envelope's key id" "$id" "$(jq -r '.signatures[0].keyid' env.lock.sig)"
check_eq "sign: the envelope's members, sorted, two-space indent" '{
  "payload": "P",
  "payloadType": "application/vnd.envlock.lock+json",
  "signatures": [
    {
      "keyid": "K",
      "sig": "S"
    }
  ]
}' "$(sed -E 's/("payload": ")[^"]*/\1P/; s/("keyid": ")[^"]*/\1K/; s/("sig": ")[^"]*/\1S/' env.lock.sig)"
x "$ENVLOCK" verify env.lock run.json
check_eq "verify: exit 0" 0 "$status"
check_eq "verify: the lines" "env.lock: verified (key $id)
run.json: verified (key $id)" "$(out)"
check_eq "verify: nothing on stderr" "" "$(err)"
x "$ENVLOCK" verify --trust "$key.pub" env.lock
check_eq "verify --trust the .pub: exit 0" "0 env.lock: verified (key $id)" "$status $(out)"
x "$ENVLOCK" verify --key "$key" run.json
check_eq "verify --key: exit 0" "0 run.json: verified (key $id)" "$status $(out)"

# Ed25519, trusted through its private key file too.
mkdir ed
cp env.lock run.json ed/
x "$ENVLOCK" sign --key ed.pem ed/env.lock ed/run.json
check_eq "sign --key ed25519: exit 0" 0 "$status"
x "$ENVLOCK" verify --trust ed.pem ed/env.lock ed/run.json
check_eq "verify --trust ed25519: the lines" "0 ed/env.lock: verified (key $ed_id)
ed/run.json: verified (key $ed_id)" "$status $(out)"
x "$ENVLOCK" verify --trust "$key.pub" --trust ed.pem.pub ed/env.lock
check_eq "verify with two trusted keys: exit 0" "0 ed/env.lock: verified (key $ed_id)" "$status $(out)"

# ---- what does not verify: exit 1 ----
x "$ENVLOCK" verify --trust ed.pem.pub env.lock
check_eq "wrong --trust key: exit 1" 1 "$status"
check_eq "wrong --trust key: the message" "envlock: env.lock.sig: signed by key $id, which is not trusted" "$(err)"
check_eq "wrong --trust key: nothing on stdout" "" "$(out)"

cp env.lock other.lock
x "$ENVLOCK" verify other.lock
check_eq "unsigned: exit 1" "1 envlock: other.lock: not signed (no other.lock.sig)" "$status $(err)"

cp env.lock tampered.lock
cp env.lock.sig tampered.lock.sig
sed -i 's/"envlock": \([0-9]\)/"envlock":  \1/' tampered.lock
check_eq "tampered file: the lock changed" different "$(cmp -s env.lock tampered.lock && echo same || echo different)"
x "$ENVLOCK" verify tampered.lock
check_eq "tampered file: exit 1" "1 envlock: tampered.lock.sig: signs other content than tampered.lock" "$status $(err)"

# The payload and the file changed alike, the signature not.
cp tampered.lock forged.lock
jq --arg p "$(base64 -w0 <forged.lock)" '.payload = $p' env.lock.sig >forged.lock.sig
x "$ENVLOCK" verify forged.lock
check_eq "tampered payload: exit 1" "1 envlock: forged.lock.sig: the signature by key $id does not verify" "$status $(err)"

x "$ENVLOCK" verify env.lock other.lock run.json
check_eq "one of three unsigned: exit 1, the others verified" "1 env.lock: verified (key $id)
run.json: verified (key $id) envlock: other.lock: not signed (no other.lock.sig)" "$status $(out) $(err)"

# ---- bad input: exit 2 ----
cp env.lock bad.lock
echo '{"payload": "e30=", "payloadType": "application/vnd.envlock.lock+json"}' >bad.lock.sig
x "$ENVLOCK" verify bad.lock
check_eq "malformed envelope: exit 2" "2 envlock: bad.lock.sig: signatures: missing" "$status $(err)"
head -c 100 env.lock.sig >bad.lock.sig
x "$ENVLOCK" verify bad.lock
check_eq "truncated envelope: exit 2" 2 "$status"
check_eq "truncated envelope: names the file" "envlock: bad.lock.sig:" "$(err | cut -c1-22)"
x "$ENVLOCK" verify nosuch.lock
check_eq "missing file: exit 2" "2 envlock: nosuch.lock: No such file or directory" "$status $(err)"
x env ENVLOCK_KEY="$base/none.pem" "$ENVLOCK" verify env.lock
check_eq "no trusted key: exit 2" \
	"2 envlock verify: no trusted key: give --trust PUBKEY or make a signing key" "$status $(err)"
x "$ENVLOCK" verify --trust nosuch.pub env.lock
check_eq "unreadable --trust key: exit 2" "2 envlock: nosuch.pub: No such file or directory" "$status $(err)"
x "$ENVLOCK" verify
check_eq "verify without a file: exit 2" "2 envlock verify: expects the files to verify
Try 'envlock verify --help'." "$status $(err)"

echo hello >notes.txt
x "$ENVLOCK" sign notes.txt
check_eq "sign a text file: exit 2" "2 envlock: notes.txt: neither a lock nor a run record" "$status $(err)"
check_eq "sign a text file: no notes.txt.sig" no "$([ -e notes.txt.sig ] && echo yes || echo no)"
# A lock's envelope beside a text file: what it signs is no lock of this file.
cp env.lock.sig notes.txt.sig
x "$ENVLOCK" verify notes.txt
check_eq "verify a text file: exit 2, whatever its .sig" "2 envlock: notes.txt: neither a lock nor a run record" "$status $(err)"
rm notes.txt.sig
# A record's envelope with the lock's bytes put in as its payload: the signature (over the PAE,
# which holds the type) does not verify: exit 1. (A valid signature of another type: test_sign.c.)
"$ENVLOCK" sign run.json >/dev/null
jq --arg p "$(base64 -w0 <env.lock)" '.payload = $p' run.json.sig >typed.json.sig
cp env.lock typed.json
x "$ENVLOCK" verify typed.json
check_eq "verify: a record's signature with a lock put in: exit 1" \
	"1 envlock: typed.json.sig: the signature by key $id does not verify" "$status $(err)"
x env ENVLOCK_KEY="$base/none.pem" "$ENVLOCK" sign env.lock
check_eq "sign without a key: exit 2" \
	"2 envlock: no signing key at $base/none.pem (make one with 'envlock key generate')" "$status $(err)"
chmod 644 ed.pem
x "$ENVLOCK" sign --key ed.pem env.lock
check_eq "sign with a key others can read: exit 2" \
	"2 envlock: ed.pem: a private key that others can read or write (mode 0644): chmod 600 it" "$status $(err)"
chmod 600 ed.pem
ln -s ed.pem linked.pem
x "$ENVLOCK" sign --key linked.pem env.lock
check_eq "sign with a key through a link: exit 2" \
	"2 envlock: linked.pem: a symbolic link (a private key is read from a file, never through a link)" "$status $(err)"

# A link planted at FILE.sig is replaced, never written through.
cp env.lock planted.lock
ln -s "$base/work/notes.txt" planted.lock.sig
x "$ENVLOCK" sign planted.lock
check_eq "sign over a planted link: exit 0" 0 "$status"
check_eq "sign over a planted link: a file now, the target untouched" "file hello" \
	"$([ -f planted.lock.sig ] && [ ! -L planted.lock.sig ] && echo file) $(cat notes.txt)"

# ---- README.md's commands, as README.md prints them ----
readme_block() {
	awk '/^### Checking a signature without envlock/ { found = 1 }
		found && /^```sh$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }' "$EL_SOURCE_DIR/README.md"
}
block=$(readme_block)
rebuild=$(printf '%s\n' "$block" | grep -v -e '^openssl dgst' -e '^openssl pkeyutl')
check_eq "README: the rebuild starts with file=env.lock" "file=env.lock" "$(printf '%s\n' "$block" | head -1)"
# readme_check LABEL FILE SIG PUBKEY LINE-PREFIX STATUS EXPECTED: the rebuild and the key id, then the one line.
readme_check() {
	local label=$1 file=$2 pub=$4 want=$6 expected=$7 dir line
	dir=$(mktemp -d "$base/readme.XXXXXX")
	cp "$file" "$dir/env.lock"
	cp "$3" "$dir/env.lock.sig"
	cp "$pub" "$dir/key.pub"
	line=$(printf '%s\n' "$block" | grep "^$5")
	check_eq "README $label: one command" 1 "$(printf '%s\n' "$line" | wc -l)"
	(cd "$dir" && bash -euo pipefail -c "$rebuild" && bash -c "$line") >"$scratch/out" 2>"$scratch/err" && status=0 || status=$?
	check_eq "README $label: exit $want" "$want" "$status"
	check_eq "README $label: prints" "$(openssl pkey -pubin -in "$pub" -outform DER | sha256sum)
$expected" "$(out)$(err)"
}
readme_check "P-256 lock" env.lock env.lock.sig "$key.pub" "openssl dgst" 0 "Verified OK"
readme_check "P-256 record" run.json run.json.sig "$key.pub" "openssl dgst" 0 "Verified OK"
readme_check "Ed25519 lock" ed/env.lock ed/env.lock.sig ed.pem.pub "openssl pkeyutl" 0 "Signature Verified Successfully"
readme_check "Ed25519 record" ed/run.json ed/run.json.sig ed.pem.pub "openssl pkeyutl" 0 "Signature Verified Successfully"
# And they catch a forgery.
readme_check "P-256 forged payload" forged.lock forged.lock.sig "$key.pub" "openssl dgst" 1 "Verification failure"

finish
