#!/usr/bin/env python
"""Prints the interpreter's prefix: the one `python` on PATH resolves to."""
import sys

import mylib

print("prefix", sys.prefix)
print("mylib", mylib.__file__)
