#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Validate the locks and run records under some directories against schema/.

    schema_check.py ENVLOCK SCHEMA_DIR DIR...

A lock is a regular JSON file whose top level has an integer "envlock" and
a "fingerprint" (whatever its name: tests write locks under many) that the
envlock binary reads back (`envlock show`): the bad input the tests make
on purpose, refused there, is not what the schema describes. A run record
is an in-toto Statement whose buildType is envlock's (the integration
scripts check every Statement they leave with intoto_check.py). Locks go
against lock.schema.json, records against record.schema.json. Prints one
line per fault ("FILE: /json/path: message"), then "validated N locks, M
records", and exits 1 when a file does not match. Debian's python3-jsonschema, draft
2020-12.
"""
import json
import os
import stat
import subprocess
import sys

from jsonschema import Draft202012Validator

STATEMENT = "https://in-toto.io/Statement/v1"
BUILD_TYPE = "urn:envlock:exec:v1"


def documents(tops):
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
                if not isinstance(doc, dict):
                    continue
                if isinstance(doc.get("envlock"), int) and "fingerprint" in doc:
                    yield "lock", path, doc
                build = doc.get("predicate", {}) if doc.get("_type") == STATEMENT else {}
                build = build.get("buildDefinition", {}) if isinstance(build, dict) else {}
                if isinstance(build, dict) and build.get("buildType") == BUILD_TYPE:
                    yield "record", path, doc


def read_back(envlock, path):
    return subprocess.run([envlock, "show", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def validator(schema_dir, name):
    with open(os.path.join(schema_dir, name)) as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def main():
    envlock, schema_dir, tops = sys.argv[1], sys.argv[2], sys.argv[3:]
    validators = {"lock": validator(schema_dir, "lock.schema.json"),
                  "record": validator(schema_dir, "record.schema.json")}
    counts = {"lock": 0, "record": 0}
    bad = 0
    for kind, path, doc in documents(tops):
        if kind == "lock" and not read_back(envlock, path):
            continue
        counts[kind] += 1
        for error in sorted(validators[kind].iter_errors(doc), key=lambda e: list(e.path))[:5]:
            bad += 1
            where = "/" + "/".join(str(p) for p in error.path)
            print("%s: %s: %s" % (path, where, error.message[:300]))
    print("validated %d locks, %d records" % (counts["lock"], counts["record"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
