#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark of `envlock sign` and `envlock verify` on a run record of about
# 100 KiB (a real one: exec --record of a command with a long argv),
# against the anchor `sha256sum` of the same file measured in the same run:
# both commands read the file, parse it, hash it and do one public-key
# operation, so what they cost beyond the anchor is envlock's start-up,
# the JSON and base64, and the signature. Times come from hyperfine -N (no
# shell in between); the figures are medians. Both key types are measured.
#
# Usage: tests/bench/sign.sh [path/to/envlock]   (default: build/envlock)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
envlock=$(realpath "${1:-$here/../../build/envlock}")
runs=${RUNS:-50}
make_scratch /var/tmp/envlock-sign-bench.XXXXXX

need_tool hyperfine
need_tool jq

# median_ms NAME RUNS [hyperfine options] -- COMMAND...
median_ms() {
	local name=$1 runs=$2
	shift 2
	hyperfine -N --style none --runs "$runs" --export-json "$scratch/$name.json" "$@" >/dev/null 2>&1
	jq '.results[0].median * 1000 * 1000 | round / 1000' "$scratch/$name.json"
}

# must_run WHAT COMMAND...: run it once, quietly; on failure say what failed, how, and stop.
must_run() {
	local what=$1 status=0
	shift
	"$@" >/dev/null 2>"$scratch/err" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "sign.sh: $what failed (exit $status): $*" >&2
		sed 's/^/  /' "$scratch/err" >&2
		exit 1
	fi
}

echo "envlock sign/verify benchmark: $(nproc) CPUs, kernel $(uname -r), as $(id -un), $(date -u +%FT%TZ)"
echo "binary: $envlock"

cd "$scratch"
export ENVLOCK_CACHE_DIR=$scratch/cache TMPDIR=$scratch
# 1,200 arguments of 64 bytes: a record of about 100 KiB.
mapfile -t args < <(for i in $(seq 1200); do printf 'arg-%04d-%058d\n' "$i" 0; done)
must_run "envlock exec --record" "$envlock" exec --no-lock --record run.json -- /bin/true "${args[@]}"
size=$(stat -c %s run.json)
must_run "envlock key generate" "$envlock" key generate --out p256.pem
must_run "envlock key generate --type ed25519" "$envlock" key generate --type ed25519 --out ed25519.pem
must_run "envlock sign" "$envlock" sign --key p256.pem run.json
must_run "envlock verify" "$envlock" verify --trust p256.pem.pub run.json

anchor=$(median_ms anchor "$runs" --warmup 5 "sha256sum run.json")
sign_p256=$(median_ms sign_p256 "$runs" --warmup 5 "$envlock sign --key p256.pem run.json")
verify_p256=$(median_ms verify_p256 "$runs" --warmup 5 "$envlock verify --trust p256.pem.pub run.json")
must_run "envlock sign ed25519" "$envlock" sign --key ed25519.pem run.json
sign_ed=$(median_ms sign_ed "$runs" --warmup 5 "$envlock sign --key ed25519.pem run.json")
verify_ed=$(median_ms verify_ed "$runs" --warmup 5 "$envlock verify --trust ed25519.pem.pub run.json")

times() { jq -n "$1 / $anchor * 10 | round / 10"; }

printf '\n%-48s %10s   (run record of %d bytes)\n' "measure (median, $runs runs each)" "value" "$size"
printf '%-48s %7s ms\n' "sha256sum run.json (anchor)" "$anchor"
printf '%-48s %7s ms   %sx anchor\n' "envlock sign (ecdsa-p256)" "$sign_p256" "$(times "$sign_p256")"
printf '%-48s %7s ms   %sx anchor\n' "envlock verify (ecdsa-p256)" "$verify_p256" "$(times "$verify_p256")"
printf '%-48s %7s ms   %sx anchor\n' "envlock sign (ed25519)" "$sign_ed" "$(times "$sign_ed")"
printf '%-48s %7s ms   %sx anchor\n' "envlock verify (ed25519)" "$verify_ed" "$(times "$verify_ed")"

# exec --record with and without signing (ecdsa-p256, the default), in
# alternating rounds so that a busy moment weighs on both alike: the
# difference of the medians of the rounds' medians is what signing adds
# to a run (DESIGN.md: under 2 ms). The record goes to a directory, as
# users write them, and is read back, signed and written with its .sig.
rounds=${ROUNDS:-10}

# The key must lie outside what the sandbox shows: a working directory of its own.
mkdir -p work/records
must_run "envlock exec --record --sign" "$envlock" exec --no-lock -C work --record work/one.json --sign --key "$scratch/p256.pem" -- /bin/true
for r in $(seq "$rounds"); do
	for mode in no-sign sign; do
		opts=(--no-sign)
		[ "$mode" = sign ] && opts=(--sign --key "$scratch/p256.pem")
		hyperfine -N --style none --runs 20 --warmup 3 --export-json "$scratch/exec.$mode.$r.json" \
			"$envlock exec --no-lock -C work --record work/records/ ${opts[*]} -- /bin/true" >/dev/null 2>&1
	done
done
median_of() { jq -s '[.[].results[0].median * 1000] | sort | .[length / 2 | floor] * 1000 | round / 1000' "$@"; }
plain=$(median_of "$scratch"/exec.no-sign.*.json)
signed=$(median_of "$scratch"/exec.sign.*.json)
added=$(jq -n "($signed - $plain) * 1000 | round / 1000")
printf '%-48s %7s ms\n' "envlock exec --record (no signature)" "$plain"
printf '%-48s %7s ms\n' "envlock exec --record --sign (ecdsa-p256)" "$signed"
printf '%-48s %7s ms   target < 2 ms: %s\n' "signing adds ($rounds rounds of 20 runs)" "$added" \
	"$(jq -n "if $added < 2 then \"PASS\" else \"FAIL\" end" -r)"
