#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock inside each worker of torchrun (torchrun --no_python envlock exec
# ... -- python train.py): a two-worker torch.distributed run (gloo, on the
# CPU, tests/workload/train_ddp.py) under the distributed profile, twice,
# gives the same weights bit for bit; each worker's record says the world
# torchrun made (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE) and that
# every rank was seeded with the same number.
. "$(dirname "$0")/lib.sh"
need sha256sum jq
/usr/bin/python3 -c 'import torch.distributed.run, numpy' 2>/dev/null ||
	skip "python3-torch or python3-numpy is not installed (packaging/install-deps.sh installs them)"

export ENVLOCK_CACHE_DIR=$scratch/cache
cd "$scratch"
cp "$EL_SOURCE_DIR/tests/workload/train_ddp.py" .
run out err "$ENVLOCK" capture --python /usr/bin/python3 --profile distributed -o env.lock
check_eq "capture --profile distributed: exit 0" 0 "$status"

# torchrun --standalone: its own rendezvous on localhost, on a free port. The
# options as torch 1.13 spells them (later ones take both); torchrun.py
# mends Debian 12's torchrun for its Python 3.11 and is torchrun otherwise.
workers() {
	run out err env GLOO_SOCKET_IFNAME=lo /usr/bin/python3 "$EL_SOURCE_DIR/tests/tools/torchrun.py" \
		--standalone --nnodes=1 --nproc_per_node=2 --no_python \
		"$ENVLOCK" exec --seed 42 --record "$1/" --output "$2" -- /usr/bin/python3 train_ddp.py "$2"
}
workers runs1 first.bin
check_eq "torchrun --no-python envlock exec: exit 0, rank 0 trained in a world of 2" "0 world 2" \
	"$status $(grep -o '^world [0-9]*' out)"
workers runs2 second.bin
check_eq "torchrun twice: the same weights, bit for bit" "$(sha256sum <first.bin)" "$(sha256sum <second.bin)"

# Each worker's record: the world torchrun made, the seed, its output.
launcher() {
	for r in "$1"/run-*.json; do
		jq -r '.predicate.buildDefinition.externalParameters | [.launcher.RANK, .launcher.WORLD_SIZE,
			.launcher.LOCAL_RANK, .launcher.LOCAL_WORLD_SIZE, .seed] | join(" ")' "$r"
	done | sort | paste -sd'|'
}
check_eq "each worker's record: its rank, the world of 2, its local rank, the same seed" \
	"0 2 0 2 42|1 2 1 2 42" "$(launcher runs1)"
check_eq "rank 0's record: the weights it wrote, by digest" "$(sha256sum <first.bin | cut -d' ' -f1)" \
	"$(for r in runs1/run-*.json; do jq -r 'select(.predicate.buildDefinition.externalParameters.launcher.RANK == "0")
		| .subject[] | select(.name == "first.bin") | .digest.sha256' "$r"; done)"

finish
