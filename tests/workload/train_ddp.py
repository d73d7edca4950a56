# SPDX-License-Identifier: Apache-2.0
"""A small data-parallel training run, for the cluster tests.

Each rank of a torch.distributed job (gloo, on the CPU) trains the same
two-layer network on its shard of a generated regression problem, the
gradients averaged across ranks by DistributedDataParallel; rank 0 writes
the weights to the path given, as train.py writes them. The rank and world
come from torchrun (RANK, WORLD_SIZE) or else from Slurm's srun
(SLURM_PROCID, SLURM_NTASKS), the rendezvous from MASTER_ADDR and
MASTER_PORT. Every rank seeds torch with the same number
(ENVLOCK_SEED, which `envlock exec --seed N` sets), so the data and the
initial weights agree: run twice, rank 0's file must be identical.
"""
import os
import struct
import sys

import torch
import torch.distributed as dist


def main(path):
    rank = int(os.environ.get("RANK", os.environ.get("SLURM_PROCID", "")))
    world = int(os.environ.get("WORLD_SIZE", os.environ.get("SLURM_NTASKS", "")))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(int(os.environ.get("ENVLOCK_SEED", "0")))
    inputs = torch.randn(1024, 16)
    truth = torch.randn(16, 1)
    targets = inputs @ truth + 0.1 * torch.randn(1024, 1)
    shard = slice(rank * 1024 // world, (rank + 1) * 1024 // world)
    model = torch.nn.parallel.DistributedDataParallel(
        torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for step in range(200):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs[shard]), targets[shard])
        loss.backward()
        optimizer.step()
    if rank == 0:
        with open(path, "wb") as out:
            for name, param in sorted(model.module.state_dict().items()):
                data = param.detach().contiguous().to(torch.float32).numpy().tobytes()
                out.write(struct.pack("<I", len(name)) + name.encode())
                out.write(struct.pack("<I", param.dim()) + struct.pack(f"<{param.dim()}I", *param.shape))
                out.write(data)
        print(f"world {world}, final loss {loss.item():.6f}, weights in {path}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "weights.bin")
