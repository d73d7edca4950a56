#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real workload, recorded and replayed: tests/workload/train.py (PyTorch on
# the CPU, generated data, a few seconds of training) under envlock exec
# --seed gives the same weights, byte for byte, run after run and with the
# host varied (time zone, locale, umask, HOME, hostname, the working
# directory's path, OMP_NUM_THREADS, PYTHONHASHSEED); without --seed it does
# not. Then exec --record and replay: records as in-toto Statements, written
# for failed runs too and never through a link the job planted; replay of
# deterministic runs passes, of a run that writes the time fails naming the
# output (and leaves the host's file as recorded: replay runs on an overlay);
# records that share a lock, in parallel (-j); bad records refused.
. "$(dirname "$0")/lib.sh"
need jq sha256sum
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
/usr/bin/python3 -c 'import torch' 2>/dev/null || skip "python3-torch is not installed (packaging/install-deps.sh installs it)"
why=$("$ENVLOCK" exec --no-lock -C /var/tmp -- true 2>&1 >/dev/null) ||
	skip "envlock exec cannot start a sandbox here: $(echo "$why" | head -1)"

# Under /var/tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-reproduce.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT
export ENVLOCK_CACHE_DIR=$scratch/cache
py=/usr/bin/python3
sum() { sha256sum <"$1" | cut -d' ' -f1; }
x() { run "$scratch/out" "$scratch/err" "$@"; }

work=$base/work
mkdir "$work"
cp "$EL_SOURCE_DIR/tests/workload/train.py" "$work/"
cd "$work"
x "$ENVLOCK" capture --python "$py" -o env.lock
check_eq "capture exits 0" 0 "$status"

train() { "$ENVLOCK" exec --python "$py" "$@" -- "$py" train.py weights.bin >"$scratch/out" 2>"$scratch/err"; }

# ---- the same weights, run after run ----
train --seed 42
check_eq "train under --seed 42: exit 0" 0 "$?"
first=$(sum weights.bin)
train --seed 42
check_eq "a second run under --seed 42: the same weights" "$first" "$(sum weights.bin)"
train --seed 43
check_eq "another seed: other weights" "different" "$([ "$(sum weights.bin)" != "$first" ] && echo different)"
train
unseeded=$(sum weights.bin)
train
check_eq "without --seed, two runs differ (what --seed fixes)" "different" \
	"$([ "$(sum weights.bin)" != "$unseeded" ] && echo different)"

# ---- and with the host varied ----
other=$base/some/other/path
mkdir -p "$other"
cp train.py env.lock "$other/"
# A hostname of its own needs a UTS namespace: root and unshare(1).
vary_hostname=
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	vary_hostname=1
else
	skip_part "not root, or no unshare(1): the host is varied without its hostname"
fi
(
	cd "$other"
	umask 077
	run_varied() {
		env TZ=Asia/Kathmandu LC_ALL=C LANG=C OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 PYTHONHASHSEED=7 \
			HOME=/nonexistent "$ENVLOCK" exec --python "$py" --seed 42 -- "$py" train.py weights.bin
	}
	if [ -n "$vary_hostname" ]; then
		export -f run_varied
		export ENVLOCK py
		unshare --uts bash -c 'hostname envlock-varied-host && run_varied'
	else
		run_varied
	fi
) >"$scratch/out" 2>"$scratch/err"
check_eq "varied host: exit 0" 0 "$?"
check_eq "varied host (TZ, LC_ALL, umask, HOME, hostname, path, OMP_NUM_THREADS, PYTHONHASHSEED): the same weights" \
	"$first" "$(sum "$other/weights.bin")"

# ---- run records ----
mkdir runs
x "$ENVLOCK" exec --python "$py" --seed 42 --record runs --output weights.bin -- "$py" train.py weights.bin
check_eq "exec --record: exit 0" 0 "$status"
rec=$(ls runs/run-*.json)
check_eq "one record in the directory" 1 "$(ls runs | wc -l)"
check_eq "its name" "ok" "$(basename "$rec" | grep -qE '^run-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}\.json$' && echo ok)"
check_eq "_type" "https://in-toto.io/Statement/v1" "$(jq -r ._type "$rec")"
check_eq "predicateType" "https://slsa.dev/provenance/v1" "$(jq -r .predicateType "$rec")"
check_eq "subject: the weights and their sha256" "weights.bin $first" \
	"$(jq -r '.subject[] | "\(.name) \(.digest.sha256)"' "$rec")"
check_eq "argv" "[\"$py\",\"train.py\",\"weights.bin\"]" "$(jq -c .predicate.buildDefinition.externalParameters.argv "$rec")"
check_eq "the lock's fingerprint" "$(jq -r .fingerprint env.lock)" \
	"sha256:$(jq -r .predicate.buildDefinition.externalParameters.lock.digest.sha256 "$rec")"
check_eq "the seed" "42" "$(jq -r .predicate.buildDefinition.externalParameters.seed "$rec")"
check_eq "pinned PYTHONHASHSEED" "42" "$(jq -r .predicate.buildDefinition.externalParameters.env.PYTHONHASHSEED "$rec")"
check_eq "exit status" "0" "$(jq -r '.predicate.runDetails.byproducts[] | select(.name == "run") | .annotations.exitStatus' "$rec")"

# The record names its interpreter (replay runs it on the host) and lies in runs/ of a
# working directory that is no repository: both must be confirmed.
x "$ENVLOCK" replay --python "$py" --workdir "$work" "$rec"
check_eq "replay of the training run: exit 0" 0 "$status"
check_eq "replay names the weights as reproduced" "  reproduced  weights.bin  sha256:$first" "$(grep reproduced "$scratch/out" | head -1)"
check_eq "replay's last line" "replay: 1 record: 1 reproduced, 0 not" "$(tail -1 "$scratch/out")"

# A run that writes the time does not reproduce, and replay says which output.
x "$ENVLOCK" exec --python "$py" --record clock.json --output now.txt --output same.txt -- /bin/sh -c 'date +%s%N >now.txt; echo same >same.txt'
check_eq "clock run recorded: exit 0" 0 "$status"
x "$ENVLOCK" replay --python "$py" --keep "$base/kept" clock.json
check_eq "replay of the clock run: exit 1" 1 "$status"
check_eq "replay names now.txt as differing (the replay's, kept)" "  differs     now.txt: recorded sha256:$(jq -r '.subject[0].digest.sha256' clock.json), now sha256:$(sum "$base/kept/now.txt")" \
	"$(grep 'now.txt' "$scratch/out")"
check_eq "the replay ran on an overlay: the host's now.txt is the recorded one" "$(jq -r '.subject[0].digest.sha256' clock.json)" "$(sum now.txt)"
check_eq "and same.txt as reproduced" "  reproduced  same.txt  sha256:$(sum same.txt)" "$(grep 'same.txt' "$scratch/out")"
check_eq "NOT reproduced" "  NOT reproduced" "$(grep 'NOT' "$scratch/out")"

# Two deterministic records that share a lock: checked once, run in parallel.
x "$ENVLOCK" exec --python "$py" --record a.json --output a.txt -- /bin/sh -c 'echo a >a.txt'
x "$ENVLOCK" exec --python "$py" --record b.json --output b.txt -- /bin/sh -c 'echo b >b.txt'
x "$ENVLOCK" replay --python "$py" -j 2 a.json b.json
check_eq "replay -j 2 of two records: exit 0" 0 "$status"
check_eq "replay -j 2: both reproduced" "replay: 2 records: 2 reproduced, 0 not" "$(tail -1 "$scratch/out")"

# A failed run is recorded too, with its status; replay compares the status.
x "$ENVLOCK" exec --python "$py" --record fail.json -- /bin/sh -c 'exit 3'
check_eq "failed run: exec exits 3" 3 "$status"
check_eq "failed run: its record says 3" 3 "$(jq -r '.predicate.runDetails.byproducts[] | select(.name == "run") | .annotations.exitStatus' fail.json)"
x "$ENVLOCK" replay --python "$py" fail.json
check_eq "replay of a failed run that fails the same way: exit 0" 0 "$status"
# A refused run (drift) is recorded with 125 and the findings.
jq '.env.FOO = "bar"' env.lock >drifted.lock
fp="sha256:$(jq -cS 'del(.fingerprint,.meta)' drifted.lock | tr -d '\n' | sha256sum | cut -d' ' -f1)"
jq -S --indent 2 --arg fp "$fp" '.fingerprint=$fp' drifted.lock >drifted.tmp && mv drifted.tmp drifted.lock
x "$ENVLOCK" exec --python "$py" --lock drifted.lock --record refused.json -- true
check_eq "refused run: exit 125" 125 "$status"
check_eq "refused run: recorded with 125" 125 "$(jq -r '.predicate.runDetails.byproducts[] | select(.name == "run") | .annotations.exitStatus' refused.json)"
check_eq "refused run: the finding in the record" "env.FOO refuse" \
	"$(jq -r '.predicate.runDetails.byproducts[] | select(.name == "drift") | .annotations.findings[] | "\(.path) \(.severity)"' refused.json)"
check_eq "the record keeps --python for replay's check" "$py" "$(jq -r .predicate.buildDefinition.externalParameters.python refused.json)"
x "$ENVLOCK" replay --python "$py" --lock drifted.lock refused.json
check_eq "replay of a run whose lock this machine drifted from: exit 1" 1 "$status"
check_eq "replay says why" "envlock: replay: not replaying the runs of $work/drifted.lock: this machine has drifted from it (--on-drift warn replays anyway)" \
	"$(grep 'not replaying' "$scratch/err")"

# A lock changed since the run: not replayed.
cp env.lock env.lock.saved
"$ENVLOCK" capture --python "$py" --profile strict -o env.lock
x "$ENVLOCK" replay --python "$py" a.json
check_eq "lock changed since the run: exit 1" 1 "$status"
check_eq "lock changed since the run: said" "yes" "$(grep -q 'changed since the run' "$scratch/err" && echo yes)"
mv env.lock.saved env.lock

# The job cannot redirect the record: a link planted at its name is replaced, not followed...
echo "victim" >"$base/victim"
x "$ENVLOCK" exec --python "$py" --record planted.json -- /bin/ln -s "$base/victim" planted.json
check_eq "planted link: exec exits 0" 0 "$status"
check_eq "planted link: the record is a file" "file" "$([ -f planted.json ] && [ ! -L planted.json ] && echo file)"
check_eq "planted link: its target untouched" "victim" "$(cat "$base/victim")"
# ... and the record directory cannot be swapped for a link: it is a mount point inside.
mkdir -p out elsewhere
x "$ENVLOCK" exec --python "$py" --record out -- /bin/sh -c 'mv out out.moved && ln -s elsewhere out'
check_eq "swapped directory: the job's mv fails" "1 mv: cannot move 'out' to 'out.moved': Device or resource busy" \
	"$status $(cat "$scratch/err")"
check_eq "swapped directory: nothing written through a link" 0 "$(ls elsewhere | wc -l)"
check_eq "swapped directory: the record where it was asked for" "1 no" "$(ls out | wc -l) $([ -e out.moved ] && echo yes || echo no)"
# An output the job made a link is not followed.
x "$ENVLOCK" exec --python "$py" --record linked.json --output leak -- /bin/ln -s /etc/passwd leak
check_eq "output that is a link: exec exits 0" 0 "$status"
check_eq "output that is a link: not hashed through it" "missing" \
	"$(jq -r '.predicate.runDetails.byproducts[] | select(.name == "run") | .annotations.missingOutputs[0] // "hashed"' linked.json | sed 's/^leak$/missing/')"

# Bad input.
x "$ENVLOCK" exec --output x -- true
check_eq "--output without --record: exit 125" 125 "$status"
printf '{"_type": "nope"}\n' >bad.json
x "$ENVLOCK" replay bad.json
check_eq "replay of a bad record: exit 2" 2 "$status"
check_eq "replay of a bad record: one line" 1 "$(wc -l <"$scratch/err")"
x "$ENVLOCK" replay missing.json
check_eq "replay of a missing record: exit 2" 2 "$status"
x "$ENVLOCK" replay
check_eq "replay with nothing: exit 2" 2 "$status"
x "$ENVLOCK" replay -j 0 a.json
check_eq "replay -j 0: exit 2" 2 "$status"

finish
