#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A run carried to another machine: the PyTorch workload (tests/workload/
# train.py) run under its lock with --seed, --record and --trace, packed
# into a bundle, and replayed from the bundle alone: the sandbox's system
# directories are the bundle's tree, so nothing of this machine's Python or
# PyTorch is seen, and the weights come out bit for bit the same. As root
# and as the unprivileged user envlock-test. (packaging/bundle-proof.sh
# does the same in a fresh debootstrap root with no Python at all.)
. "$(dirname "$0")/lib.sh"
need jq sha256sum git
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
/usr/bin/python3 -c 'import torch' 2>/dev/null || skip "python3-torch is not installed (packaging/install-deps.sh installs it)"

user=envlock-test
base=$(mktemp -d /var/tmp/envlock-bundle-proof.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT
. "$(dirname "$0")/sandbox_halves.sh"

py=/usr/bin/python3
sum() { sha256sum <"$1" | cut -d' ' -f1; }

half_checks() {
	local half=$1 dir=$base/$1 p="[$1]"
	local -a as

	mkdir -p "$dir/repo"
	cp "$ENVLOCK" "$dir/envlock"
	cp "$EL_SOURCE_DIR/tests/workload/train.py" "$dir/repo/"
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	else
		as=()
	fi
	el() { "${as[@]}" env HOME="$dir" ENVLOCK_CACHE_DIR="$dir/cache" "$dir/envlock" "$@"; }
	g() { "${as[@]}" env HOME="$dir" git -C "$dir/repo" -c user.email=t@example.com -c user.name=t "$@"; }
	cd "$dir/repo"

	g init -q
	run "$scratch/out" "$scratch/err" el capture --python "$py" -o "$dir/repo/env.lock"
	check_eq "$p capture: exit 0" 0 "$status"
	g add train.py env.lock
	g commit -qm workload

	# The run, traced: every file it opened or looked at goes into its record.
	run "$scratch/out" "$scratch/err" el exec --python "$py" --seed 42 --record "$dir/run.json" --trace \
		--output weights.bin -- "$py" train.py weights.bin
	check_eq "$p traced training run: exit 0" 0 "$status"
	weights=$(sum weights.bin)
	torch_init=$("$py" -c 'import torch, os; print(os.path.realpath(torch.__file__))')
	check_eq "$p the record lists torch's __init__.py" 1 \
		"$(jq --arg f "$torch_init" '[.predicate.buildDefinition.resolvedDependencies[] | select(.name == $f)] | length' "$dir/run.json")"

	run "$scratch/out" "$scratch/err" el pack "$dir/run.json" -o "$dir/run.envlock"
	check_eq "$p pack: exit 0, nothing on stderr" "0 " "$status $(cat "$scratch/err")"
	check_eq "$p pack prints the bundle's sha256" "sha256:$(sum "$dir/run.envlock")" "$(cat "$scratch/out")"

	# The host's tree is not seen: only what the bundle carries.
	run "$scratch/out" "$scratch/err" el exec --bundle "$dir/run.envlock" -- "$py" -c \
		'import os, torch; print(os.path.exists("/usr/bin/perl"), os.path.exists("/usr/share/doc"), torch.__file__)'
	check_eq "$p exec --bundle: no host-only file, torch from the bundle" \
		"0 False False $("$py" -c 'import torch; print(torch.__file__)')" "$status $(cat "$scratch/out")"

	# From elsewhere, with the original working tree gone: the bundle is all there is.
	mv "$dir/repo" "$dir/repo.gone"
	cd /
	run "$scratch/out" "$scratch/err" el replay --bundle "$dir/run.envlock"
	check_eq "$p replay --bundle: exit 0" 0 "$status"
	check_eq "$p replay --bundle: the command's own output first" "final loss" "$(head -1 "$scratch/out" | cut -c1-10)"
	check_eq "$p replay --bundle: the weights reproduced bit for bit" \
		"$dir/run.envlock: $py|  reproduced  weights.bin  sha256:$weights|  reproduced bit for bit|replay: 1 record: 1 reproduced, 0 not" \
		"$(tail -4 "$scratch/out" | paste -sd'|')"
	check_eq "$p the original working tree was not needed, nor written" "" "$([ ! -e "$dir/repo" ] || echo "$dir/repo is back")"
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
finish
