#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Validate the locks under some directories against schema/lock.schema.json.

    schema_check.py ENVLOCK SCHEMA_DIR DIR...

A lock is a regular JSON file whose top level has an integer "envlock" and
a "fingerprint" (whatever its name: tests write locks under many) that the
envlock binary reads back (`envlock show`): the bad input the tests make
on purpose, refused there, is not what the schema describes. Prints one
line per fault ("FILE: /json/path: message"), then "validated N", and
exits 1 when a lock does not match. Debian's python3-jsonschema, draft
2020-12.
"""
import json
import os
import stat
import subprocess
import sys

from jsonschema import Draft202012Validator


def locks(tops):
    for top in tops:
        for d, _, files in os.walk(top):
            for name in sorted(files):
                path = os.path.join(d, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                # Regular files only: a FIFO a test left would block the open.
                if not stat.S_ISREG(st.st_mode) or st.st_size > (64 << 20):
                    continue
                try:
                    with open(path, "rb") as f:
                        if f.read(1) != b"{":
                            continue
                        f.seek(0)
                        doc = json.load(f)
                except (OSError, ValueError):
                    continue
                if isinstance(doc.get("envlock"), int) and "fingerprint" in doc:
                    yield path, doc


def read_back(envlock, path):
    return subprocess.run([envlock, "show", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def main():
    envlock, schema_dir, tops = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(os.path.join(schema_dir, "lock.schema.json")) as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    n = bad = 0
    for path, doc in locks(tops):
        if not read_back(envlock, path):
            continue
        n += 1
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path))[:5]:
            bad += 1
            where = "/" + "/".join(str(p) for p in error.path)
            print("%s: %s: %s" % (path, where, error.message[:300]))
    print("validated %d" % n)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
