"""A small training run laid out like a real project's.

The data is ../data/train.csv beside the repository, found from this file's
own location; the rows are read by the editable package mylib and served by
a DataLoader with two worker processes. After a few hundred steps the
weights go to model.bin in the repository root (each parameter in name
order, its float32 bytes, so that equal weights are equal files) and a
checkpoint to /tmp/ckpt.bin, whose SHA-256 is printed. Nothing is seeded
here: `envlock exec --seed N` seeds torch when it is first imported.
"""
import hashlib
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from mylib import load_csv

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parents[2] / "data"
STEPS = 300


def main():
    features, targets = load_csv(DATA / "train.csv")
    dataset = TensorDataset(torch.tensor(features), torch.tensor(targets))
    loader = DataLoader(dataset, batch_size=32, shuffle=True, num_workers=2, persistent_workers=True)
    model = torch.nn.Sequential(torch.nn.Linear(len(features[0]), 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    step = 0
    while step < STEPS:
        for inputs, truth in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(inputs), truth)
            loss.backward()
            optimizer.step()
            step += 1
            if step == STEPS:
                break
    weights = b"".join(
        tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
        for _, tensor in sorted(model.state_dict().items()))
    (ROOT / "model.bin").write_bytes(weights)
    checkpoint = step.to_bytes(8, "little") + weights
    Path("/tmp/ckpt.bin").write_bytes(checkpoint)
    print(f"final loss {loss.item():.6f} after {step} steps")
    print("ckpt sha256", hashlib.sha256(checkpoint).hexdigest())


if __name__ == "__main__":
    main()
