#!/usr/bin/env bash
# envlock under a real Slurm: a cluster of the test's own (munge, slurmctld
# and two slurmd from Debian, tests/tools/slurm_cluster.sh), started here
# and stopped at the end. srun -N2 -n2 envlock exec runs every task in the
# sandbox, inside the step Slurm made for it; the distributed profile passes
# each rank's identity through (SLURM_PROCID, SLURM_NODEID, SLURM_LOCALID),
# the default profile does not; a task's exit status is srun's. A
# two-rank torch.distributed run (gloo, on the CPU: tests/workload/
# train_ddp.py) under the lock gives the same weights twice; a node whose
# view of the lock's data differs fails the step, naming itself.
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

finish
