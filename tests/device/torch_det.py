# SPDX-License-Identifier: Apache-2.0
"""A small GEMM and convolution (forward and backward) on the GPU, hashed.

For tests/device/run.sh, run under `envlock exec --profile pytorch --seed 0`:
the inputs come from torch's generator, which envlock seeds at import
(python-seed), and the pytorch profile turns deterministic algorithms on
(ENVLOCK_TORCH_DETERMINISTIC). Two runs must print the same sha256 line.
"""
import hashlib
import sys

import torch


def tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    try:
        return t.numpy().tobytes()
    except Exception:  # torch without numpy
        return bytes(t.view(torch.uint8).flatten().tolist())


def main():
    if not torch.cuda.is_available():
        print("torch.cuda.is_available() is False", file=sys.stderr)
        return 1
    dev = "cuda"
    print("torch", torch.__version__, "cuda", torch.version.cuda,
          "cudnn", torch.backends.cudnn.version(), file=sys.stderr)
    print("initial_seed", torch.initial_seed(),
          "deterministic", torch.are_deterministic_algorithms_enabled(),
          "cudnn.deterministic", torch.backends.cudnn.deterministic,
          "cudnn.benchmark", torch.backends.cudnn.benchmark, file=sys.stderr)
    a = torch.randn(1024, 1024, device=dev)
    b = torch.randn(1024, 1024, device=dev)
    x = torch.randn(8, 16, 64, 64, device=dev, requires_grad=True)
    w = torch.randn(32, 16, 3, 3, device=dev, requires_grad=True)
    c = a @ b
    y = torch.nn.functional.conv2d(x, w, padding=1)
    (y * y).sum().backward()
    torch.cuda.synchronize()
    h = hashlib.sha256()
    for name, t in (("a", a), ("c", c), ("y", y), ("x.grad", x.grad), ("w.grad", w.grad)):
        data = tensor_bytes(t)
        print(name, hashlib.sha256(data).hexdigest(), file=sys.stderr)
        h.update(data)
    print("sha256", h.hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())
