#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The OCI images tests/unit/test_oci.c gives to el__oci_unpack.

    make_oci.py OUTDIR

Writes into OUTDIR (created if missing):

Good images, and what each must unpack to:
  base/                 an OCI image layout (oci-layout, index.json,
                        blobs/sha256/...) of three layers: a plain tar, a
                        tar+gzip and a tar+zstd one. The second has
                        whiteouts (.wh.NAME, an opaque directory whose
                        marker comes after one of the layer's own files
                        and before another), a file over a directory, a
                        directory over a file, a file replaced, a
                        set-user-ID file; the third a file and a hard link
                        to a file of the first layer.
  base.oci.tar          a tar of base/, as podman save --format oci-archive
                        writes it.
  base.docker25.tar     the same tree as docker save writes it since 25: an
                        OCI layout with uncompressed layers, and a
                        manifest.json beside its index.json.
  base.docker.tar       the same tree as an older docker save writes it:
                        manifest.json naming ID/layer.tar files
                        (uncompressed) and the config, whose rootfs.diff_ids
                        are the layers' digests.
  docker-types/         the same tree in a layout whose manifest and layers
                        have docker's media types (as containerd exports
                        images): vnd.docker.image.rootfs.diff.tar, then
                        .tar.gzip twice.
  base.expected         the tree all of these unpack to (below).
  multiarch/            an index of two manifests, linux/arm64 first, then
                        linux/amd64; each image has one layer with a file
                        'arch' saying which it is.
  multiarch-nested/     the same two manifests behind an index that
                        index.json points to.
  multiarch.expected    what both unpack to (the amd64 image).
  NAME.digest           for each good image NAME: the digest of the
                        manifest el__oci_unpack must choose (for
                        base.docker.tar, which has none, the config's:
                        docker's image id), "sha256:<64 hex>", no newline.

The expected trees: one line an entry, "PATH|TYPE|MODE|SIZE|TARGET", sorted
bytewise (C order), the top directory not listed:
  PATH|d|MODE||          a directory
  PATH|f|MODE|SIZE|      a regular file
  PATH|l|||TARGET        a symbolic link
MODE is mode & 07777 in octal (no file keeps a set-id or sticky bit).

Images that must be refused (layout directories), each but the last three
with a good first layer and a second one that is the trouble:
  bad-digest            the second layer's bytes changed (one byte, the
                        size kept) after its digest was taken.
  bad-size              the second layer's descriptor says one byte more.
  missing-blob          the second layer's blob is not there.
  digest-traversal      the second layer's digest is
                        sha256:../../../../etc/passwd.
  md5-digest            the second layer's digest is
                        md5:d41d8cd98f00b204e9800998ecf8427e.
  bad-mediatype         the second layer's media type is
                        application/vnd.oci.image.layer.v1.tar+bzip9.
  layer-dotdot          the second layer has an entry '../escape'.
  layer-device          the second layer has a character device 'dev/null'.
  layer-dup             the second layer has the file 'twice' twice.
  bad-json-manifest     the manifest is not JSON (cut short; its digest and
                        size are right).
  arm-only              index.json lists one manifest, for linux/arm64.
  no-linux-amd64        index.json lists linux/arm64 and windows/amd64.
  bad-json              index.json is cut short.
  empty-dir             an empty directory.
  NAME.blob             for the first ten and bad-json-manifest: the 64
                        hex digits of the blob in question (the second
                        layer's, the manifest's), no newline.

Deterministic: fixed mtimes, uid/gid 0, JSON with sorted keys, gzip with
mtime 0. base/ and base.oci.tar need the zstd program: without it they are
not written, and the file ZSTD-MISSING says so (every other image is
written; base.expected still says what base.docker.tar and the others
unpack to).

Standard library only.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
from fixture_bytes import pseudo  # noqa: E402

T = 1700000000  # every entry's mtime

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_GZIP = OCI_TAR + "+gzip"
OCI_ZSTD = OCI_TAR + "+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_TAR = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_GZIP = DOCKER_TAR + ".gzip"

MD5_DIGEST = "md5:d41d8cd98f00b204e9800998ecf8427e"
TRAVERSAL_DIGEST = "sha256:../../../../etc/passwd"


# Layer entries: (kind, name, mode, payload); kind 'd' directory, 'f' file
# (payload: bytes), 'l' symbolic link and 'h' hard link (payload: target),
# 'c' character device.
def D(name, mode=0o755):
    return ("d", name, mode, b"")


def F(name, data, mode=0o644):
    return ("f", name, mode, data)


def L(name, target):
    return ("l", name, 0o777, target)


def H(name, target, mode=0o644):
    return ("h", name, mode, target)


def C(name, mode=0o666):
    return ("c", name, mode, b"")


TYPES = {"d": tarfile.DIRTYPE, "f": tarfile.REGTYPE, "l": tarfile.SYMTYPE,
         "h": tarfile.LNKTYPE, "c": tarfile.CHRTYPE}


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for kind, name, mode, payload in entries:
            ti = tarfile.TarInfo(name)
            ti.type = TYPES[kind]
            ti.mode = mode
            ti.mtime = T
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            if kind == "f":
                ti.size = len(payload)
                tf.addfile(ti, io.BytesIO(payload))
                continue
            if kind in ("l", "h"):
                ti.linkname = payload
            elif kind == "c":
                ti.devmajor, ti.devminor = 1, 3
            tf.addfile(ti)
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def have_zstd():
    return shutil.which("zstd") is not None


def zstd(data):
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


TOOL = b"#!/bin/sh\necho tool\n"
TOOL2 = b"#!/bin/sh\necho tool2\n"
SUID = b"#!/bin/sh\necho suid\n"

LAYER1 = [
    D("etc/"),
    F("etc/os-release", b"ID=envlock-test\nVERSION_ID=1\n"),
    F("etc/motd", b"removed by a whiteout in its directory\n"),
    D("usr/"),
    D("usr/bin/"),
    F("usr/bin/tool", TOOL, 0o755),
    D("usr/lib/"),
    F("usr/lib/libx.so.1", pseudo(1000, "libx")),
    L("usr/lib/libx.so", "libx.so.1"),
    D("opq/", 0o711),
    F("opq/old1", b"old1\n"),
    D("opq/sub/"),
    F("opq/sub/old2", b"old2\n"),
    F("gone.txt", b"gone\n"),
    D("gonedir/"),
    F("gonedir/f", b"in gonedir\n"),
    F("replaced", b"v1", 0o600),
    D("dir2file/"),
    F("dir2file/x", b"x\n"),
    F("file2dir", b"a file first\n"),
]

LAYER2 = [
    F(".wh.gone.txt", b""),
    F(".wh.gonedir", b""),
    D("etc/"),
    F("etc/.wh.motd", b""),
    F("dir2file", b"now a file\n"),
    D("file2dir/", 0o750),
    F("file2dir/y", b"y\n"),
    D("opq/", 0o711),
    # The layer's own file before the opaque marker, and one after: both stay.
    F("opq/new1", b"new1\n"),
    F("opq/.wh..wh..opq", b""),
    F("opq/new2", b"new2\n"),
    F("replaced", b"v2", 0o640),
    D("usr/"),
    D("usr/bin/"),
    F("usr/bin/suid", SUID, 0o4755),
]

# No entries for usr/ and usr/bin/: they are the lower layers'.
LAYER3 = [
    F("usr/bin/tool2", TOOL2, 0o755),
    H("usr/bin/tool-hl", "usr/bin/tool", 0o755),
]

# What the three layers make, written out by hand from the rules.
BASE_EXPECTED = [
    "dir2file|f|644|11|",
    "etc|d|755||",
    "etc/os-release|f|644|29|",
    "file2dir|d|750||",
    "file2dir/y|f|644|2|",
    "opq|d|711||",
    "opq/new1|f|644|5|",
    "opq/new2|f|644|5|",
    "replaced|f|640|2|",
    "usr|d|755||",
    "usr/bin|d|755||",
    "usr/bin/suid|f|755|%d|" % len(SUID),
    "usr/bin/tool|f|755|%d|" % len(TOOL),
    "usr/bin/tool-hl|f|755|%d|" % len(TOOL),
    "usr/bin/tool2|f|755|%d|" % len(TOOL2),
    "usr/lib|d|755||",
    "usr/lib/libx.so|l|||libx.so.1",
    "usr/lib/libx.so.1|f|644|1000|",
]


class Blobs:
    """The blobs of one layout, by hex digest."""

    def __init__(self):
        self.data = {}

    def add(self, data, media_type, digest=None, size=None):
        """A descriptor of data, which is stored under its sha256."""
        hexd = sha256(data)
        self.data[hexd] = data
        return {"digest": digest or "sha256:" + hexd, "mediaType": media_type,
                "size": len(data) if size is None else size}


def config(diff_ids, arch="amd64", os_name="linux"):
    return {"architecture": arch, "os": os_name, "created": "2023-11-14T22:13:20Z",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(t) for t in diff_ids]}}


def image(blobs, layers, arch="amd64", os_name="linux", manifest_type=OCI_MANIFEST,
          config_type=OCI_CONFIG):
    """layers: (tar, stored bytes, media type) triples, or descriptors made
    already (dicts) with the tar as "_tar". The manifest's descriptor."""
    descs, tars = [], []
    for layer in layers:
        if isinstance(layer, dict):
            tars.append(layer.pop("_tar"))
            descs.append(layer)
        else:
            tar, stored, media_type = layer
            tars.append(tar)
            descs.append(blobs.add(stored, media_type))
    cfg = blobs.add(dumps(config(tars, arch, os_name)), config_type)
    manifest = {"schemaVersion": 2, "mediaType": manifest_type, "config": cfg, "layers": descs}
    return blobs.add(dumps(manifest), manifest_type)


def platform(desc, arch, os_name="linux"):
    desc = dict(desc)
    desc["platform"] = {"architecture": arch, "os": os_name}
    return desc


def index(manifests):
    return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}


def tagged(desc, tag="latest"):
    desc = dict(desc)
    desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    return desc


def layout_files(blobs, index_json):
    """The layout's files: (name, bytes) in the order a tar of it has them."""
    files = [("oci-layout", dumps({"imageLayoutVersion": "1.0.0"})),
             ("index.json", index_json if isinstance(index_json, bytes) else dumps(index_json))]
    for hexd in sorted(blobs.data):
        files.append(("blobs/sha256/" + hexd, blobs.data[hexd]))
    return files


def write_tree(top, files):
    os.makedirs(top, exist_ok=True)
    for name, data in files:
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def archive(files, dirs=("blobs/", "blobs/sha256/")):
    """An outer tar (an image's): ustar, directories first."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name in dirs:
            ti = tarfile.TarInfo(name)
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
            ti.mtime = T
            tf.addfile(ti)
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.mode = 0o644
            ti.mtime = T
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


class Out:
    def __init__(self, top):
        self.top = top
        os.makedirs(top, exist_ok=True)

    def path(self, name):
        return os.path.join(self.top, name)

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def layout(self, name, blobs, index_json):
        write_tree(self.path(name), layout_files(blobs, index_json))

    def lines(self, name, lines):
        self.write(name, "".join(line + "\n" for line in sorted(lines)))


def write_base(out):
    tars = [tar_bytes(LAYER1), tar_bytes(LAYER2), tar_bytes(LAYER3)]
    out.lines("base.expected", BASE_EXPECTED)

    if have_zstd():
        blobs = Blobs()
        m = image(blobs, [(tars[0], tars[0], OCI_TAR), (tars[1], gz(tars[1]), OCI_GZIP),
                          (tars[2], zstd(tars[2]), OCI_ZSTD)])
        files = layout_files(blobs, index([tagged(m)]))
        write_tree(out.path("base"), files)
        out.write("base.digest", m["digest"])
        out.write("base.oci.tar", archive(files))
    else:
        out.write("ZSTD-MISSING", "base/ and base.oci.tar are not written: the zstd program is not installed\n")

    # docker save since 25: uncompressed layers, index.json and manifest.json.
    blobs = Blobs()
    m = image(blobs, [(t, t, OCI_TAR) for t in tars])
    idx = index([{"annotations": {"io.containerd.image.name": "docker.io/library/base:latest",
                                  "org.opencontainers.image.ref.name": "latest"},
                  "digest": m["digest"], "mediaType": OCI_MANIFEST, "size": m["size"]}])
    manifest = dumps([{"Config": "blobs/sha256/" + sha256(dumps(config(tars))),
                       "Layers": ["blobs/sha256/" + sha256(t) for t in tars],
                       "RepoTags": ["base:latest"]}])
    files = layout_files(blobs, idx)
    files.insert(2, ("manifest.json", manifest))
    files.append(("repositories", dumps({"base": {"latest": sha256(tars[-1])}})))
    out.write("base.docker25.tar", archive(files))
    out.write("base.docker25.digest", m["digest"])

    # The older docker save: ID/layer.tar, ID/VERSION, ID/json; HEX.json.
    cfg = dumps(config(tars))
    cfg_hex = sha256(cfg)
    files, dirs, ids, parent = [], [], [], ""
    for t in tars:
        layer_id = sha256((parent + "\n" + sha256(t)).encode())
        v1 = {"id": layer_id, "created": "2023-11-14T22:13:20Z", "container_config": {"Cmd": None}}
        if parent:
            v1["parent"] = parent
        dirs.append(layer_id + "/")
        files += [(layer_id + "/VERSION", b"1.0"), (layer_id + "/json", dumps(v1)),
                  (layer_id + "/layer.tar", t)]
        ids.append(layer_id)
        parent = layer_id
    files.append((cfg_hex + ".json", cfg))
    files.append(("manifest.json", dumps([{"Config": cfg_hex + ".json", "RepoTags": ["base:latest"],
                                           "Layers": [i + "/layer.tar" for i in ids]}])))
    files.append(("repositories", dumps({"base": {"latest": ids[-1]}})))
    out.write("base.docker.tar", archive(files, dirs))
    out.write("base.docker.digest", "sha256:" + cfg_hex)

    # Docker's media types in an OCI layout (containerd's export).
    blobs = Blobs()
    m = image(blobs, [(tars[0], tars[0], DOCKER_TAR), (tars[1], gz(tars[1]), DOCKER_GZIP),
                      (tars[2], gz(tars[2]), DOCKER_GZIP)],
              manifest_type=DOCKER_MANIFEST, config_type=DOCKER_CONFIG)
    out.layout("docker-types", blobs, index([tagged(m)]))
    out.write("docker-types.digest", m["digest"])


def arch_image(blobs, arch):
    t = tar_bytes([F("arch", arch.encode() + b"\n")])
    return image(blobs, [(t, gz(t), OCI_GZIP)], arch=arch)


def windows_image(blobs):
    t = tar_bytes([F("arch", b"windows\n")])
    return image(blobs, [(t, t, OCI_TAR)], os_name="windows")


def write_multiarch(out):
    blobs = Blobs()
    arm = platform(arch_image(blobs, "arm64"), "arm64")
    amd = platform(arch_image(blobs, "amd64"), "amd64")
    out.layout("multiarch", blobs, index([arm, amd]))
    out.write("multiarch.digest", amd["digest"])
    out.lines("multiarch.expected", ["arch|f|644|6|"])

    inner = blobs.add(dumps(index([arm, amd])), OCI_INDEX)
    out.layout("multiarch-nested", blobs, index([tagged(inner)]))
    out.write("multiarch-nested.digest", amd["digest"])


def write_order(out):
    """A whiteout of a directory after the same layer's entry in it (what
    the layer below left there goes all the same), and a layer writing into
    a directory the layer below made 0550 (it keeps its owner's rwx)."""
    lower = tar_bytes([D("foo/"), F("foo/keep", b"keep\n"), F("foo/secret", b"secret\n"),
                       D("ro/", 0o550), F("ro/a", b"a\n")])
    upper = tar_bytes([F("foo/bar", b"bar\n"), F(".wh.foo", b""), F("ro/b", b"b\n")])
    blobs = Blobs()
    m = image(blobs, [(lower, lower, OCI_TAR), (upper, upper, OCI_TAR)])
    out.layout("order", blobs, index([tagged(m)]))
    out.write("order.digest", m["digest"])
    out.lines("order.expected", ["foo|d|755||", "foo/bar|f|644|4|", "ro|d|750||", "ro/a|f|644|2|",
                                 "ro/b|f|644|2|"])


def two_layers(second, **desc):
    """A good first layer, then second (entries), its descriptor altered by
    desc. (blobs, manifest descriptor, the second layer's hex)."""
    first = tar_bytes([D("etc/"), F("etc/ok", b"the first layer\n")])
    t = tar_bytes(second)
    blobs = Blobs()
    d = blobs.add(t, OCI_TAR)
    d.update(desc)
    d["_tar"] = t
    m = image(blobs, [(first, first, OCI_TAR), d])
    return blobs, m, sha256(t)


def write_refused(out):
    ok2 = [F("ok2", pseudo(3000, "ok2"))]

    def bad(name, second=ok2, **desc):
        blobs, m, hexd = two_layers(second, **desc)
        out.write(name + ".blob", hexd)
        return blobs, m, hexd

    blobs, m, hexd = bad("bad-digest")
    data = bytearray(blobs.data[hexd])
    data[1024] ^= 0xff  # in ok2's data: the size stays
    blobs.data[hexd] = bytes(data)
    out.layout("bad-digest", blobs, index([m]))

    blobs, m, hexd = bad("bad-size", size=len(tar_bytes(ok2)) + 1)
    out.layout("bad-size", blobs, index([m]))

    blobs, m, hexd = bad("missing-blob")
    del blobs.data[hexd]
    out.layout("missing-blob", blobs, index([m]))

    blobs, m, hexd = bad("digest-traversal", digest=TRAVERSAL_DIGEST)
    out.layout("digest-traversal", blobs, index([m]))

    blobs, m, hexd = bad("md5-digest", digest=MD5_DIGEST)
    out.layout("md5-digest", blobs, index([m]))

    blobs, m, hexd = bad("bad-mediatype", mediaType=OCI_TAR + "+bzip9")
    out.layout("bad-mediatype", blobs, index([m]))

    blobs, m, hexd = bad("layer-dotdot", [F("ok2", b"ok2\n"), F("../escape", b"escaped\n")])
    out.layout("layer-dotdot", blobs, index([m]))

    blobs, m, hexd = bad("layer-device", [F("ok2", b"ok2\n"), D("dev/"), C("dev/null")])
    out.layout("layer-device", blobs, index([m]))

    blobs, m, hexd = bad("layer-dup", [F("twice", b"one\n"), F("twice", b"two\n")])
    out.layout("layer-dup", blobs, index([m]))

    blobs = Blobs()
    m = blobs.add(dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST})[:20], OCI_MANIFEST)
    out.layout("bad-json-manifest", blobs, index([m]))
    out.write("bad-json-manifest.blob", m["digest"][len("sha256:"):])

    blobs = Blobs()
    out.layout("arm-only", blobs, index([platform(arch_image(blobs, "arm64"), "arm64")]))

    blobs = Blobs()
    out.layout("no-linux-amd64", blobs,
               index([platform(arch_image(blobs, "arm64"), "arm64"),
                      platform(windows_image(blobs), "amd64", "windows")]))

    blobs = Blobs()
    idx = dumps(index([tagged(arch_image(blobs, "amd64"))]))
    out.layout("bad-json", blobs, idx[:len(idx) // 2])

    os.makedirs(out.path("empty-dir"), exist_ok=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_oci.py OUTDIR")
    out = Out(sys.argv[1])
    write_base(out)
    write_multiarch(out)
    write_order(out)
    write_refused(out)


if __name__ == "__main__":
    main()
