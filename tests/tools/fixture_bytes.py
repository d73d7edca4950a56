# SPDX-License-Identifier: Apache-2.0
"""Bytes for the archive and image fixtures (make_archives.py, make_oci.py):
the same on every run, so that the fixtures and their digests are too."""
import hashlib


def pseudo(n, seed):
    """n pseudo-random bytes, the same for the same seed."""
    out = bytearray()
    h = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return bytes(out[:n])
