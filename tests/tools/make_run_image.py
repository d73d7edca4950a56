#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A small OCI image that runs: this machine's sh, cat, ls, env and id with
the shared libraries they load (found with ldd), in an OCI image layout
directory, for the tests of exec --image.

    make_run_image.py OUT_DIR

Two layers: the programs and their libraries (gzip), then a second one
that writes /etc/os-release, adds /srv/new and whites out /srv/old (plain
tar). Also OUT_DIR.tar, the layout as one tar (podman save --format
oci-archive). Deterministic: fixed times, owner 0, sorted entries.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MTIME = 1700000000
PROGRAMS = ["sh", "cat", "ls", "env", "id", "true"]


def which(name):
    for d in ("/usr/bin", "/bin"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return os.path.realpath(p)
    raise SystemExit("make_run_image.py: %s not found" % name)


def libraries(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/"):
                libs.append(p)
    return libs


def add_dir(t, name, mode=0o755):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = mode
    ti.mtime = MTIME
    t.addfile(ti)


def add_file(t, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = MTIME
    t.addfile(ti, io.BytesIO(data))


def add_link(t, name, target):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.SYMTYPE
    ti.linkname = target
    ti.mtime = MTIME
    t.addfile(ti)


def tar_bytes(fill):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        fill(t)
    return buf.getvalue()


def layer1(t):
    files = {}
    for prog in PROGRAMS:
        exe = which(prog)
        files["usr/bin/" + prog] = (exe, 0o755)
        for lib in libraries(exe):
            files[lib.lstrip("/")] = (os.path.realpath(lib), 0o755)
    dirs = set()
    for name in files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    for d in sorted(dirs | {"etc", "srv", "srv/old", "var", "var/tmp"}):
        add_dir(t, d + "/")
    add_link(t, "bin", "usr/bin")
    for name in sorted(files):
        src, mode = files[name]
        with open(src, "rb") as f:
            add_file(t, name, f.read(), mode)
    add_file(t, "etc/os-release", b"ID=lower\n")
    add_file(t, "srv/old/file", b"old\n")


def layer2(t):
    add_file(t, "etc/os-release", b"ID=envlock-test-image\n")
    add_dir(t, "srv/new/")
    add_file(t, "srv/new/file", b"new\n")
    add_file(t, "srv/.wh.old", b"")


def blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    l1_tar = tar_bytes(layer1)
    l1 = gzip.compress(l1_tar, mtime=0)
    l2 = tar_bytes(layer2)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [
            "sha256:" + hashlib.sha256(l1_tar).hexdigest(), "sha256:" + hashlib.sha256(l2).hexdigest()]},
        "config": {"Env": ["PATH=/usr/bin"]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(blob(out, config), mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [
            dict(blob(out, l1), mediaType="application/vnd.oci.image.layer.v1.tar+gzip"),
            dict(blob(out, l2), mediaType="application/vnd.oci.image.layer.v1.tar"),
        ],
    }, sort_keys=True).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [dict(blob(out, manifest), mediaType="application/vnd.oci.image.manifest.v1+json",
                           platform={"os": "linux", "architecture": "amd64"})],
    }
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, sort_keys=True)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with tarfile.open(out.rstrip("/") + ".tar", "w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, names in os.walk(out):
            dirs.sort()
            for n in sorted(names):
                p = os.path.join(root, n)
                ti = t.gettarinfo(p, os.path.relpath(p, out))
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                ti.mtime = MTIME
                with open(p, "rb") as f:
                    t.addfile(ti, f)


main()
