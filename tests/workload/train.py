# SPDX-License-Identifier: Apache-2.0
"""A small training run, for the reproducibility tests.

Generates a regression problem, trains a two-layer network on it for a
fixed number of steps, and writes the weights to the path given (default
weights.bin): each parameter in name order, its name, shape and float32
bytes, so that equal weights are equal files. It seeds nothing itself: the
randomness (data, initialisation, shuffling, dropout) comes from torch's
global generator, which `envlock exec --seed N` seeds when torch is first
imported. Run twice under the same seed, the files must be identical.
"""
import struct
import sys

import torch


def main(path):
    inputs = torch.randn(2048, 32)
    truth = torch.randn(32, 1)
    targets = inputs @ truth + 0.1 * torch.randn(2048, 1)
    model = torch.nn.Sequential(
        torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(64, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for step in range(2000):
        batch = torch.randint(0, inputs.shape[0], (128,))
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs[batch]), targets[batch])
        loss.backward()
        optimizer.step()
    with open(path, "wb") as out:
        for name, tensor in sorted(model.state_dict().items()):
            data = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
            out.write(struct.pack("<H", len(name)) + name.encode())
            out.write(struct.pack("<B", tensor.dim()) + struct.pack(f"<{tensor.dim()}I", *tensor.shape))
            out.write(data)
    print(f"final loss {loss.item():.6f}, weights in {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "weights.bin")
