#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock under a real Slurm: a cluster of the test's own (munge, slurmctld
# and two slurmd from Debian, tests/tools/slurm_cluster.sh), started here
# and stopped at the end. srun -N2 -n2 envlock exec runs every task in the
# sandbox, inside the step Slurm made for it; the distributed profile passes
# each rank's identity through (SLURM_PROCID, SLURM_NODEID, SLURM_LOCALID),
# the default profile does not; a task's exit status is srun's. A
# two-rank torch.distributed run (gloo, on the CPU: tests/workload/
# train_ddp.py) under the lock gives the same weights twice; a node whose
# view of the lock's data differs fails the step, naming itself.
#
# The same with the SPANK plugin (envlock_spank.so, srun --envlock): each
# node checked once before its tasks start, as the step's user (root and
# envlock-test); a node that drifted named in one line, its tasks ended
# with 125 without running; the same weights as under the wrapper; a bad
# lock or profile stopped in srun; the limits srun propagates kept.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "not root: slurmd and slurmctld of the test's own cluster need root"
for tool in srun sinfo slurmctld slurmd munged python3; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (packaging/install-deps.sh installs slurmd, slurmctld, slurm-client and munge)"
done
. "$EL_SOURCE_DIR/tests/tools/slurm_cluster.sh"

cluster=$(mktemp -d /var/tmp/envlock-slurm.XXXXXX)
work=$(mktemp -d /var/tmp/envlock-slurm-work.XXXXXX)
chmod 755 "$work"
trap 'slurm_cluster_stop "$cluster"; rm -rf "$scratch" "$cluster" "$work"' EXIT
if ! slurm_cluster_start "$cluster" 2; then
	fail "the test cluster did not start (its logs above)"
	finish
fi
check_eq "the test cluster: two nodes, idle" "2" "$(sinfo -h -t idle -o '%D')"

cd "$work"
export ENVLOCK_CACHE_DIR=$work/cache
x() { run "$scratch/out" "$scratch/err" "$@"; }
# srun -Q: no "queued and waiting for resources" on stderr when a step starts
# while the last one's nodes are still being released.
# One line per task, in rank order (srun interleaves them).
ranks() { sort -n "$scratch/out" | paste -sd'|'; }

x srun -Q -N2 -n2 sh -c 'echo "$SLURM_PROCID $SLURM_NODEID $SLURM_LOCALID"'
check_eq "srun alone: two tasks, one per node" "0 0 0|1 1 0" "$(ranks)"

x srun -Q -N2 -n2 "$ENVLOCK" exec --no-lock --profile distributed -- \
	sh -c 'echo "$SLURM_PROCID $SLURM_NODEID $SLURM_LOCALID $SLURM_NTASKS $(hostname)"'
check_eq "srun envlock exec --profile distributed: exit 0, nothing on stderr" "0 " "$status $(cat "$scratch/err")"
check_eq "srun envlock exec --profile distributed: each rank keeps its identity, in the sandbox" \
	"0 0 0 2 envlock|1 1 0 2 envlock" "$(ranks)"

x srun -Q -N2 -n2 "$ENVLOCK" exec --no-lock -- sh -c 'echo "rank=${SLURM_PROCID-unset}"'
check_eq "srun envlock exec (default profile): the environment is cleared, ranks see no identity" \
	"rank=unset|rank=unset" "$(sort "$scratch/out" | paste -sd'|')"

x srun -Q -N2 -n2 "$ENVLOCK" exec --no-lock --profile distributed -- sh -c 'exit $((SLURM_PROCID + 3))'
check_eq "a task's exit status reaches srun" 4 "$status"

printf 'include default\nnet none\n' >"$work/isolated"
x srun -Q -N2 -n2 "$ENVLOCK" exec --no-lock --profile "$work/isolated" -- true
check_eq "net none in a step of two tasks: refused at once, by every task" \
	"125 2 envlock: exec: the profile $work/isolated says \"net none\", which would cut this task off from the other 1 of its Slurm step: use a profile with the host's network, such as distributed" \
	"$status $(grep -c 'net none' "$scratch/err") $(grep -m1 'net none' "$scratch/err")"
x srun -Q -N1 -n1 "$ENVLOCK" exec --no-lock --profile "$work/isolated" -- true
check_eq "net none in a step of one task: nothing to reach, it runs" "0 " "$status $(cat "$scratch/err")"

# ---- a data-parallel run, under the lock, twice ----
if /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
	cp "$EL_SOURCE_DIR/tests/workload/train_ddp.py" "$work/"
	mkdir "$work/data"
	echo "1,2,3" >"$work/data/in.csv"
	echo "9,9,9" >"$work/other.csv"
	x "$ENVLOCK" capture --python /usr/bin/python3 --profile distributed --data data -o env.lock
	check_eq "capture --profile distributed: exit 0" 0 "$status"
	ddp() {
		MASTER_ADDR=127.0.0.1 MASTER_PORT=$(slurm_free_port) GLOO_SOCKET_IFNAME=lo \
			x srun -Q -N2 -n2 "$ENVLOCK" exec --seed 42 -- /usr/bin/python3 train_ddp.py "$1"
	}
	ddp first.bin
	check_eq "srun -N2 -n2 envlock exec: the data-parallel run, exit 0" 0 "$status"
	check_eq "the data-parallel run: rank 0 says the world it trained in" "world 2" "$(cut -d, -f1 "$scratch/out")"
	ddp second.bin
	check_eq "the data-parallel run again: the same weights, bit for bit" "$(sha256sum <first.bin)" "$(sha256sum <second.bin)"

	# node2 sees other bytes at the lock's data path (a mount of its own): it refuses, by name.
	# shellcheck disable=SC2016 # the task's shell expands them
	x srun -Q -N2 -n2 sh -c 'if [ "$SLURM_NODEID" = 1 ]; then
		exec unshare -m sh -c "mount --bind '"$work"'/other.csv '"$work"'/data/in.csv && exec '"$ENVLOCK"' exec -- true"
	fi
	exec "$0" exec -- true' "$ENVLOCK"
	check_eq "a node that drifted: the step fails with envlock's status" 125 "$status"
	check_eq "a node that drifted: it names itself" \
		"envlock: exec: refusing to run: node node2 has drifted from env.lock (--on-drift warn runs anyway)" \
		"$(grep '^envlock: exec: refusing' "$scratch/err")"
	check_eq "a node that drifted: srun names it too" "srun: error: node2: task 1: Exited with exit code 125" \
		"$(grep '^srun: error: node' "$scratch/err")"
	check_eq "a node that drifted: the others do not refuse" 1 "$(grep -c 'refusing to run' "$scratch/err")"
else
	skip_part "python3-torch or python3-numpy is not installed: the data-parallel run"
fi

# ---- the SPANK plugin: srun --envlock ----
plugin=$(dirname "$ENVLOCK")/envlock_spank.so
if [ ! -e "$plugin" ]; then
	skip_part "envlock_spank.so was not built (Slurm's headers, libslurm-dev, were not found)"
	finish
fi
echo "required $plugin envlock=$ENVLOCK" >"$cluster/plugstack.conf"
mkdir -p "$work/plain"
cd "$work/plain"
x srun --help
check_eq "srun --help lists the plugin's options" \
	"--envlock=LOCK|--envlock-profile=P|--envlock-seed=N|--envlock-record=DIR|--envlock-output=PATH" \
	"$(grep -o -- '--envlock[a-z-]*=[A-Z]*' "$scratch/out" | paste -sd'|')"

printf 'include distributed\nsetenv ENVLOCK_TEST_PIN pinned\n' >"$work/plain/dist.profile"
x "$ENVLOCK" capture --profile "$work/plain/dist.profile" -o env.lock
check_eq "capture for the plugin's runs: exit 0" 0 "$status"
# A lock made with a profile file names it by path: the steps name it too.
prof=--envlock-profile=$work/plain/dist.profile
x srun -Q -N2 -n2 --envlock "$prof" sh -c 'echo "$SLURM_PROCID $(hostname) $ENVLOCK_TEST_PIN $$"'
check_eq "srun --envlock: exit 0, nothing on stderr" "0 " "$status $(cat "$scratch/err")"
check_eq "srun --envlock: every rank in the sandbox (its hostname, its PID namespace), pinned, with its identity" \
	"0 envlock pinned 2|1 envlock pinned 2" "$(ranks)"
x srun -Q -N2 -n2 sh -c 'echo "$(hostname) ${ENVLOCK_TEST_PIN-unset}"'
check_eq "srun without --envlock: the plugin leaves the step alone" \
	"$(hostname) unset|$(hostname) unset" "$(sort "$scratch/out" | paste -sd'|')"
x srun -Q -N2 -n2 --envlock "$prof" sh -c 'exit $((SLURM_PROCID + 3))'
check_eq "srun --envlock: a task's exit status reaches srun" 4 "$status"
x sh -c 'ulimit -n 777 && exec srun -Q -n1 --envlock "$0" sh -c "ulimit -n"' "$prof"
check_eq "srun --envlock: the open-files limit srun propagates reaches the command" "0 777" "$status $(cat "$scratch/out")"

x srun -Q -N2 -n2 --envlock=missing.lock touch ran
check_eq "srun --envlock=missing.lock: srun stops, before any task" \
	"1 srun: error: envlock: missing.lock: No such file or directory no task ran" \
	"$status $(head -1 "$scratch/err") $([ -e ran ] && echo a task ran || echo no task ran)"
x srun -Q -N2 -n2 --envlock --envlock-profile=nonesuch touch ran
check_eq "srun --envlock-profile=nonesuch: srun stops, before any task" \
	"1 srun: error: envlock: profile 'nonesuch' not found (looked in $HOME/.config/envlock/profiles, /etc/envlock/profiles, /usr/local/share/envlock/profiles, and the built-in profiles) no task ran" \
	"$status $(head -1 "$scratch/err") $([ -e ran ] && echo a task ran || echo no task ran)"
x srun -Q -n1 --envlock-profile=distributed true
check_eq "--envlock-profile without --envlock: refused" \
	"1 srun: error: envlock: --envlock-profile, --envlock-seed, --envlock-record and --envlock-output go with --envlock" \
	"$status $(head -1 "$scratch/err")"

x srun -Q -N2 -n2 --envlock "$prof" --envlock-record=runs true
check_eq "srun --envlock --envlock-record=runs: exit 0" 0 "$status"
check_eq "srun --envlock-record: one record per rank, in runs/" 2 "$(find runs -name 'run-*.json' | wc -l)"
x python3 "$EL_SOURCE_DIR/tests/tools/intoto_check.py" runs/run-*.json
check_eq "srun --envlock-record: each rank's record is a valid in-toto statement" "0 " "$status $(cat "$scratch/out")"
check_eq "srun --envlock-record: each record's command is the task's" '["true"]|["true"]' \
	"$(for r in runs/run-*.json; do python3 -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1]))["predicate"]["buildDefinition"]["externalParameters"]["argv"]))' "$r"; done | paste -sd'|')"
check_eq "srun --envlock-record: each record says where srun placed its rank (rank, node, the step's shape)" \
	"0 0 node1 0 2 2|1 1 node2 0 2 2" \
	"$(for r in runs/run-*.json; do python3 -c 'import json, sys
l = json.load(open(sys.argv[1]))["predicate"]["buildDefinition"]["externalParameters"]["launcher"]
print(l["SLURM_PROCID"], l["SLURM_NODEID"], l["SLURMD_NODENAME"], l["SLURM_LOCALID"], l["SLURM_STEP_NUM_NODES"], l["SLURM_STEP_NUM_TASKS"])' "$r"; done | sort | paste -sd'|')"

# The job record srun writes once the step ended: the ranks, where they ran, whether they agree.
job_view() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(j["agree"], j["tasks"], " ".join("%d:%s:%s:%d" % (r["rank"], r["node"], r["localId"], r["exitStatus"]) for r in j["ranks"]),
      sorted(j["nodes"]), "|".join(j["disagreements"]))' "$1"
}
check_eq "srun --envlock-record: one job record for the step, beside the ranks' records" 1 "$(find runs -name 'job-*.json' | wc -l)"
job=$(find runs -name 'job-*.json' | head -1)
check_eq "the job record: the ranks agree, each rank's node, local id and status, the nodes" \
	"True 2 0:node1:0:0 1:node2:0:0 ['node1', 'node2'] " "$(job_view "$job")"
check_eq "the job record names each rank's record" \
	"$(cd runs && ls run-*.json | sort | paste -sd' ')" \
	"$(python3 -c 'import json, sys; print(" ".join(sorted(r["record"] for r in json.load(open(sys.argv[1]))["ranks"])))' "$job")"
x srun -Q -N2 -n2 --envlock "$prof" --envlock-record=failing/ sh -c 'exit $SLURM_PROCID'
job=$(find failing -name 'job-*.json' | head -1)
check_eq "a step whose rank 1 failed: srun says the ranks disagree, naming the first reason" \
	"1 srun: error: envlock: $job: the ranks disagree: rank 1 (node2) exited 1" \
	"$status $(grep 'envlock:' "$scratch/err")"
check_eq "a step whose rank 1 failed: the job record says so" \
	"False 2 0:node1:0:0 1:node2:0:1 ['node1', 'node2'] rank 1 (node2) exited 1" "$(job_view "$job")"

# Each node's check saved its capture beside the records: the job record
# judges each against the lock, and the nodes against each other.
job=$(find runs -name 'job-*.json' | head -1)
step=${job#runs/job-}
step=${step%.json}
check_eq "srun --envlock-record: each node's capture, saved by its check, beside the records" \
	"node-node1.$step.lock node-node2.$step.lock" "$(cd runs && ls node-*.lock | paste -sd' ')"
node_view() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
lock = j["lock"]
print(lock["path"], lock["fingerprint"] == json.load(open(lock["path"]))["fingerprint"], j["profile"], j["nodesAlike"],
      " ".join("%s:%s:%d:%d:%s" % (name, "same" if n["fingerprint"] == lock["fingerprint"] else n["fingerprint"],
                                   len(n["findings"]), n["driftRefused"], n["capture"]) for name, n in sorted(j["nodes"].items())))' "$1"
}
check_eq "the job record: the lock, each node's capture with the lock's fingerprint and no finding, the nodes alike" \
	"$work/plain/env.lock True $work/plain/dist.profile True node1:same:0:0:node-node1.$step.lock node2:same:0:0:node-node2.$step.lock" \
	"$(node_view "$job")"
# The step ran with a profile file: a job record names it, diff takes it only from --profile.
x "$ENVLOCK" diff --job "$job" node1 node2
check_eq "diff --job, the step's profile a file: refused, said" \
	"2 envlock: $job: the step's profile is a file ($work/plain/dist.profile): name it with --profile" \
	"$status $(cat "$scratch/err")"
x "$ENVLOCK" diff --job "$job" node1 node2 --profile "$work/plain/dist.profile"
check_eq "diff --job JOB node1 node2: one node's capture against the other's" \
	"0 runs/node-node2.$step.lock against runs/node-node1.$step.lock (profile $work/plain/dist.profile)||no drift" \
	"$status $(paste -sd'|' "$scratch/out")"
x "$ENVLOCK" diff --job "$job" node2 --profile "$work/plain/dist.profile"
check_eq "diff --job JOB node2: the node's capture against the step's lock" \
	"0 runs/node-node2.$step.lock against $work/plain/env.lock (profile $work/plain/dist.profile)||no drift" \
	"$status $(paste -sd'|' "$scratch/out")"
x "$ENVLOCK" diff --job "$job" node3
check_eq "diff --job JOB node3: no such node, said" "2 envlock: $job: no node node3 in the step" \
	"$status $(cat "$scratch/err")"

# Outputs: a PATH is rank 0's, a PATH with %r each rank's own.
# shellcheck disable=SC2016 # the task's shell expands them
echo "rank 0" >in-0.txt
echo "rank 1" >in-1.txt
x srun -Q -N2 -n2 --envlock "$prof" --envlock-record=outs --envlock-output='rank-%r.txt,all.txt' \
	sh -c 'cat in-$SLURM_PROCID.txt >rank-$SLURM_PROCID.txt && if [ "$SLURM_PROCID" = 0 ]; then echo all >all.txt; fi'
job=$(find outs -name 'job-*.json' | head -1)
check_eq "srun --envlock-output='rank-%r.txt,all.txt': rank 0 records both, rank 1 its own" \
	"0 0:rank-0.txt,all.txt 1:rank-1.txt" \
	"$status $(python3 -c 'import json, sys
print(" ".join("%d:%s" % (r["rank"], ",".join(o["path"] for o in r["outputs"] if o["sha256"])) for r in json.load(open(sys.argv[1]))["ranks"]))' "$job")"
# Not a repository, a profile file: both confirmed, with options each rank's replay gets.
x "$ENVLOCK" replay --launcher srun -C "$work/plain" --profile "$work/plain/dist.profile" "$job"
check_eq "replay --launcher srun: each rank replayed on its node, every output reproduced" \
	"0 2 replay: $job: 2 ranks on 2 nodes reproduced" \
	"$status $(grep -c '^[01]:   reproduced bit for bit$' "$scratch/out") $(tail -1 "$scratch/out")"
echo "rank one" >in-1.txt
x "$ENVLOCK" replay --launcher=srun --workdir "$work/plain" --profile "$work/plain/dist.profile" "$job"
check_eq "replay --launcher srun, rank 1's input changed: rank 1 differs, the step is not reproduced" \
	"1 1:   NOT reproduced replay: $job: not every rank reproduced (srun exited 1)" \
	"$status $(grep 'NOT reproduced' "$scratch/out") $(tail -1 "$scratch/out")"
check_eq "replay --launcher srun: what the ranks wrote did not reach the working directory" "rank 1" "$(cat rank-1.txt)"
x srun -Q -n1 --envlock "$prof" --envlock-output=all.txt true
check_eq "--envlock-output without --envlock-record: refused" \
	"1 srun: error: envlock: --envlock-output goes with --envlock-record (the digests are in the records)" \
	"$status $(head -1 "$scratch/err")"
x srun -Q -n1 --envlock "$prof" --envlock-record=outs --envlock-output=../all.txt true
check_eq "--envlock-output outside the working directory: refused in srun" \
	"1 srun: error: envlock: --envlock-output: ../all.txt is not a path inside the working directory" \
	"$status $(head -1 "$scratch/err")"
x "$ENVLOCK" replay --launcher mpirun "$job"
check_eq "replay --launcher mpirun: refused" "2 envlock replay: --launcher takes srun, not 'mpirun'" \
	"$status $(head -1 "$scratch/err")"

if /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
	cd "$work"
	plugin_ddp() {
		MASTER_ADDR=127.0.0.1 MASTER_PORT=$(slurm_free_port) GLOO_SOCKET_IFNAME=lo \
			x srun -Q -N2 -n2 --envlock --envlock-profile=distributed --envlock-seed=42 \
			/usr/bin/python3 train_ddp.py "$1"
	}
	plugin_ddp plugin1.bin
	check_eq "srun -N2 -n2 --envlock: the data-parallel run, exit 0, nothing on stderr" "0 " \
		"$status $(cat "$scratch/err")"
	plugin_ddp plugin2.bin
	check_eq "srun --envlock again: the same weights, bit for bit" "$(sha256sum <plugin1.bin)" "$(sha256sum <plugin2.bin)"
	check_eq "srun --envlock and srun envlock exec: the same weights" "$(sha256sum <first.bin)" "$(sha256sum <plugin1.bin)"

	# Recorded, then replayed through srun: the ranks meet again, each on its node.
	MASTER_ADDR=127.0.0.1 MASTER_PORT=$(slurm_free_port) GLOO_SOCKET_IFNAME=lo \
		x srun -Q -N2 -n2 --envlock --envlock-profile=distributed --envlock-seed=42 --envlock-record=ddp \
		--envlock-output=recorded.bin /usr/bin/python3 train_ddp.py recorded.bin
	check_eq "srun --envlock-record, the data-parallel run: exit 0, the same weights" \
		"0 $(sha256sum <plugin1.bin)" "$status $(sha256sum <recorded.bin)"
	job=$(find ddp -name 'job-*.json' | head -1)
	MASTER_ADDR=127.0.0.1 MASTER_PORT=$(slurm_free_port) GLOO_SOCKET_IFNAME=lo \
		x "$ENVLOCK" replay --launcher srun -C "$work" "$job"
	check_eq "replay --launcher srun of the data-parallel step: rank 0's weights again, bit for bit" \
		"0 1 replay: $job: 2 ranks on 2 nodes reproduced" \
		"$status $(grep -c "^0:   reproduced  recorded.bin  sha256:$(sha256sum <recorded.bin | cut -d' ' -f1)$" "$scratch/out") $(tail -1 "$scratch/out")"

	# The README's batch job: sbatch, then srun --envlock with torchrun on each node
	# (a static rendezvous, node rank = SLURM_NODEID). torchrun.py is torchrun,
	# mended for Debian 12's Python; the sandbox sees the working directory.
	cp "$EL_SOURCE_DIR/tests/tools/torchrun.py" "$work/"
	cat >"$work/job.sh" <<JOB
#!/bin/bash
#SBATCH -N 2 --ntasks-per-node=1
export MASTER_ADDR=127.0.0.1 MASTER_PORT=$(slurm_free_port) GLOO_SOCKET_IFNAME=lo
srun -K --envlock --envlock-profile=distributed --envlock-seed=42 --envlock-record=batch \\
    sh -c 'exec /usr/bin/python3 torchrun.py --nnodes="\$SLURM_NNODES" --node_rank="\$SLURM_NODEID" \\
        --nproc_per_node=1 --master_addr="\$MASTER_ADDR" --master_port="\$MASTER_PORT" \\
        --no_python /usr/bin/python3 train_ddp.py batch.bin'
JOB
	x timeout 300 sbatch --wait -o "$work/batch.out" "$work/job.sh"
	check_eq "sbatch, srun --envlock, torchrun on each node: the job ends with 0" 0 "$status"
	check_eq "sbatch with torchrun: the weights of every other way, bit for bit" \
		"$(sha256sum <plugin1.bin)" "$(sha256sum <batch.bin 2>&1)"
	job=$(find batch -name 'job-*.json' | head -1)
	check_eq "sbatch with torchrun: the job record's line, in the job's output" \
		"srun: envlock: $job: 2 ranks on 2 nodes agree" "$(grep '^srun: envlock:' "$work/batch.out")"
	# A batch job's environment names the batch host on every node: each node's check names its own.
	check_eq "sbatch: each node saved its capture under its own name" \
		"node-node1.${job#batch/job-}|node-node2.${job#batch/job-}" \
		"$(cd batch && ls node-*.lock | sed 's/\.lock$/.json/' | paste -sd'|')"

	# node2's slurmd, and so its check and its tasks, see other bytes at the lock's data path.
	# (check exits 1: it found the drift)
	report=$(unshare -m sh -c "mount --bind '$work/other.csv' '$work/data/in.csv' && exec '$ENVLOCK' check --format json" || true)
	expected=$(printf '%s' "$report" | python3 -c 'import json, sys
f = [f for f in json.load(sys.stdin)["findings"] if f["severity"] == "refuse"][0]
print("%s (%s\u2026 \u2192 %s\u2026)" % (f["path"], f["old"][:15], f["new"][:15]))')
	# shellcheck disable=SC2016 # the inner shell expands them
	if slurm_node_restart "$cluster" node2 unshare -m --propagation private \
		sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' "$work/other.csv" "$work/data/in.csv"; then
		rm -f ran.0 ran.1
		x srun -Q -N2 -n2 --envlock --envlock-profile=distributed sh -c 'touch ran.$SLURM_PROCID'
		check_eq "srun --envlock, node2 drifted: the step fails with envlock's status" 125 "$status"
		# The node's line comes through the step's I/O, srun's own line from srun: either may be first.
		check_eq "srun --envlock, node2 drifted: one line names it and what changed; srun names its task" \
			"slurmstepd-node2: error: envlock: node node2 has drifted from env.lock: $expected|srun: error: node2: task 1: Exited with exit code 125" \
			"$(grep -v '^srun: error: node1' "$scratch/err" | LC_ALL=C sort | paste -sd'|')"
		check_eq "srun --envlock, node2 drifted: node1's task ran, node2's did not" "ran.0" "$(ls ran.* | paste -sd' ')"
		x srun -Q -N2 -n2 --envlock --envlock-profile=distributed --envlock-record=drifted true
		job=$(find drifted -name 'job-*.json' | head -1)
		check_eq "srun --envlock-record, node2 drifted: srun says why the ranks disagree, the node first" \
			"125 srun: error: envlock: $job: the ranks disagree: node node2 has drifted from the lock: data.data" \
			"$status $(grep 'envlock: drifted/' "$scratch/err")"
		check_eq "the job record of that step: node1 as the lock, node2 with its finding, not alike, rank 1 missing" \
			"False False node1:0: node2:1:data.data node node2 has drifted from the lock: data.data|rank 1 left no record" \
			"$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(j["agree"], j["nodesAlike"], " ".join("%s:%d:%s" % (k, n["driftRefused"], ",".join(f["path"] for f in n["findings"] if f["severity"] == "refuse"))
      for k, n in sorted(j["nodes"].items())), "|".join(j["disagreements"]))' "$job")"
		x "$ENVLOCK" diff --color never --job "$job" node1 node2
		check_eq "diff --job JOB node1 node2: exit 1, the data node2 sees refused" "1 1" \
			"$status $(grep -c '^  refuse  data\.data ' "$scratch/out")"
		x "$ENVLOCK" replay --launcher srun "$job"
		check_eq "replay --launcher srun of a step a node refused: not replayed, said" \
			"2 envlock: replay: $job: rank 1 left no record; a step is replayed whole" \
			"$status $(cat "$scratch/err")"
		slurm_node_restart "$cluster" node2 || fail "node2's slurmd did not start again"
	else
		fail "node2's slurmd did not start again in a mount namespace of its own"
	fi

else
	skip_part "python3-torch or python3-numpy is not installed: the data-parallel run under srun --envlock"
fi

# As an unprivileged user: each node's check runs as that user, its real uid
# too (nothing it runs could take root back). The lock's interpreter says who
# ran it, from a sitecustomize on PYTHONPATH (srun passes the user's
# environment on; a fresh cache makes the check ask the interpreter).
cd "$work/plain"
mkdir -p spy
cat >spy/sitecustomize.py <<SPY
import os
with open("$work/plain/check-ids", "a") as ids:
    ids.write("%d %d\n" % os.getresuid()[:2])
SPY
chown -R envlock-test "$work/plain"
as_user() {
	x su envlock-test -s /bin/sh -c "cd '$work/plain' && PYTHONPATH='$work/plain/spy' ENVLOCK_CACHE_DIR='$work/plain/cache.$1' SLURM_CONF='$SLURM_CONF' $2"
}
as_user 0 "'$ENVLOCK' capture --python /usr/bin/python3 --data dist.profile -o user.lock"
check_eq "capture as envlock-test: exit 0" 0 "$status"
rm -f check-ids
as_user 1 "srun -Q -N2 -n2 --envlock=user.lock id -u"
check_eq "srun --envlock as envlock-test: exit 0, the tasks in the sandbox" "0 1000|1000" \
	"$status $(paste -sd'|' "$scratch/out")"
check_eq "srun --envlock as envlock-test: each node's check ran the lock's interpreter as the user (real and effective uid), never as root" \
	"$(id -u envlock-test) $(id -u envlock-test)" "$(sort -u check-ids 2>&1)"
echo changed >>dist.profile
as_user 2 "srun -Q -N2 -n2 --envlock=user.lock true"
check_eq "srun --envlock as envlock-test, the data changed: every node refuses, named" \
	"125 node1 node2" \
	"$status $(sed -n 's/^slurmstepd-[a-z0-9]*: error: envlock: node \([a-z0-9]*\) has drifted from user.lock: data.*/\1/p' "$scratch/err" | sort | paste -sd' ')"

# The locks, node captures and run records the steps left, validated against schema/ with the rest.
base=$work
finish
