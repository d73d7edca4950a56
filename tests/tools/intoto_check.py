#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check files against in-toto Statement v1 and SLSA Provenance v1.

    intoto_check.py FILE...

Prints one line per violation, "FILE: PATH: what", PATH naming the member
as envlock's reader does (subject[0].digest.sha256). Exit status: 0 when
every file is valid, 1 when any has a violation, 2 when any could not be
read or is not JSON (its line is "FILE: what").

The rules, from the in-toto attestation framework (spec/v1/statement.md,
resource_descriptor.md, digest_set.md) and SLSA Provenance v1
(https://slsa.dev/spec/v1.0/provenance):

Statement: an object; _type "https://in-toto.io/Statement/v1"; subject a
non-empty array of ResourceDescriptors, each with a digest; predicateType
a string; predicate an object.

ResourceDescriptor: an object with at least one of uri, digest, content;
name, uri, mediaType, downloadLocation strings; digest a DigestSet;
content a base64 string; annotations an object.

DigestSet: an object with at least one entry; keys from the digest set's
list of algorithms; values lowercase hex, of the algorithm's length where
it has one (gitCommit, gitTree, gitBlob, gitTag: 40 or 64).

SLSA Provenance v1: predicateType "https://slsa.dev/provenance/v1";
predicate.buildDefinition an object with buildType a string,
externalParameters an object, internalParameters (when present) an
object, resolvedDependencies (when present) an array of
ResourceDescriptors; predicate.runDetails an object with builder an object
whose id is a string, builder.builderDependencies (when present) and
byproducts (when present) arrays of ResourceDescriptors, and metadata
(when present) an object whose invocationId is a string and startedOn,
finishedOn RFC 3339 times.

Members the specs do not name are not violations: consumers ignore them.
Standard library only.
"""

import base64
import binascii
import json
import re
import sys

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PROVENANCE_TYPE = "https://slsa.dev/provenance/v1"

# Algorithm -> allowed hex lengths; None: any (variable-length output).
ALGORITHMS = {
    "sha256": (64,), "sha224": (56,), "sha384": (96,), "sha512": (128,),
    "sha512_224": (56,), "sha512_256": (64,),
    "sha3_224": (56,), "sha3_256": (64,), "sha3_384": (96,), "sha3_512": (128,),
    "shake128": None, "shake256": None, "blake2b": None, "blake2s": None,
    "ripemd160": (40,), "sm3": (64,), "gost": None, "sha1": (40,), "md5": (32,),
    "dirHash": (64,),
    "gitCommit": (40, 64), "gitTree": (40, 64), "gitBlob": (40, 64), "gitTag": (40, 64),
}

LOWER_HEX = re.compile(r"[0-9a-f]+\Z")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")
SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def key(path, k):
    if SIMPLE_KEY.match(k):
        return f"{path}.{k}" if path else k
    return f"{path}[{json.dumps(k)}]"


def kind(v):
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "true or false"
    if v is None:
        return "null"
    return "a number"


class Checker:
    def __init__(self):
        self.violations = []

    def bad(self, path, what):
        self.violations.append((path, what))

    def typed(self, obj, path, k, want, required):
        """obj[k] when it is of type want (dict, list or str); None otherwise (reported)."""
        p = key(path, k)
        if k not in obj:
            if required:
                self.bad(p, "missing")
            return None
        v = obj[k]
        names = {dict: "an object", list: "an array", str: "a string"}
        if not isinstance(v, want):
            self.bad(p, f"not {names[want]} ({kind(v)})")
            return None
        return v

    def digest_set(self, d, path):
        if not d:
            self.bad(path, "an empty DigestSet")
        for alg, value in d.items():
            p = key(path, alg)
            if alg not in ALGORITHMS:
                self.bad(p, "not an algorithm of the in-toto digest set")
                continue
            if not isinstance(value, str):
                self.bad(p, f"not a string ({kind(value)})")
                continue
            lengths = ALGORITHMS[alg]
            if not LOWER_HEX.match(value):
                self.bad(p, "not lowercase hex")
            elif lengths and len(value) not in lengths:
                self.bad(p, f"{len(value)} hex digits where {' or '.join(map(str, lengths))} were expected")

    def descriptor(self, rd, path, need_digest=False):
        if not isinstance(rd, dict):
            self.bad(path, f"not an object ({kind(rd)})")
            return
        for k in ("name", "uri", "mediaType", "downloadLocation"):
            self.typed(rd, path, k, str, False)
        self.typed(rd, path, "annotations", dict, False)
        d = self.typed(rd, path, "digest", dict, need_digest)
        if d is not None:
            self.digest_set(d, key(path, "digest"))
        content = self.typed(rd, path, "content", str, False)
        if content is not None:
            try:
                base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError):
                self.bad(key(path, "content"), "not base64")
        if not need_digest and not any(k in rd for k in ("uri", "digest", "content")):
            self.bad(path, "a ResourceDescriptor with none of uri, digest, content")

    def descriptors(self, obj, path, k, required=False):
        arr = self.typed(obj, path, k, list, required)
        for i, rd in enumerate(arr or []):
            self.descriptor(rd, f"{key(path, k)}[{i}]")

    def time(self, obj, path, k):
        t = self.typed(obj, path, k, str, False)
        if t is not None and not RFC3339.match(t):
            self.bad(key(path, k), "not an RFC 3339 time")

    def provenance(self, pred):
        bd = self.typed(pred, "predicate", "buildDefinition", dict, True)
        if bd is not None:
            p = "predicate.buildDefinition"
            self.typed(bd, p, "buildType", str, True)
            self.typed(bd, p, "externalParameters", dict, True)
            self.typed(bd, p, "internalParameters", dict, False)
            self.descriptors(bd, p, "resolvedDependencies")
        rd = self.typed(pred, "predicate", "runDetails", dict, True)
        if rd is not None:
            p = "predicate.runDetails"
            builder = self.typed(rd, p, "builder", dict, True)
            if builder is not None:
                self.typed(builder, p + ".builder", "id", str, True)
                version = self.typed(builder, p + ".builder", "version", dict, False)
                for k, v in (version or {}).items():
                    if not isinstance(v, str):
                        self.bad(key(p + ".builder.version", k), f"not a string ({kind(v)})")
                self.descriptors(builder, p + ".builder", "builderDependencies")
            meta = self.typed(rd, p, "metadata", dict, False)
            if meta is not None:
                self.typed(meta, p + ".metadata", "invocationId", str, False)
                self.time(meta, p + ".metadata", "startedOn")
                self.time(meta, p + ".metadata", "finishedOn")
            self.descriptors(rd, p, "byproducts")

    def statement(self, doc):
        if not isinstance(doc, dict):
            self.bad("", f"not an in-toto Statement ({kind(doc)}, not an object)")
            return
        t = self.typed(doc, "", "_type", str, True)
        if t is not None and t != STATEMENT_TYPE:
            self.bad("_type", f"{json.dumps(t)} where {json.dumps(STATEMENT_TYPE)} was expected")
        subject = self.typed(doc, "", "subject", list, True)
        if subject is not None and not subject:
            self.bad("subject", "empty: a Statement needs at least one subject")
        for i, s in enumerate(subject or []):
            self.descriptor(s, f"subject[{i}]", need_digest=True)
        pt = self.typed(doc, "", "predicateType", str, True)
        if pt is not None and pt != PROVENANCE_TYPE:
            self.bad("predicateType", f"{json.dumps(pt)} where {json.dumps(PROVENANCE_TYPE)} was expected")
        pred = self.typed(doc, "", "predicate", dict, True)
        if pred is not None:
            self.provenance(pred)


def main(argv):
    if len(argv) < 2:
        print("usage: intoto_check.py FILE...", file=sys.stderr)
        return 2
    status = 0
    for name in argv[1:]:
        try:
            with open(name, "rb") as f:
                doc = json.loads(f.read().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            print(f"{name}: {e}")
            status = 2
            continue
        c = Checker()
        c.statement(doc)
        for path, what in c.violations:
            print(f"{name}: {path}: {what}" if path else f"{name}: {what}")
        if c.violations and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
