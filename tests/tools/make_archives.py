#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The archives tests/integration/unpack.sh gives to envlock unpack.

    make_archives.py OUTDIR [CANARY_DIR]

Writes into OUTDIR (created if missing) every test archive, and for each
archive that must unpack, what it must unpack to:

  NAME.list    the tree, one line an entry, sorted (C order), as
               unpack.sh's listing prints it:
                 PATH|d|MODE|MTIME           directory
                 PATH|f|MODE|SIZE|MTIME|NLINK regular file
                 PATH|l|TARGET               symbolic link
               MODE in octal as find's %m, MTIME as find's %T@; an MTIME of
               '*' is a parent the archive has no entry for (its time is
               whenever it was made).
  NAME.sha256  the regular files' contents, as sha256sum -c reads them
               (none for bomb.list: 200 MiB of zeros).
  NAME.links   the hard links, "LINK|TARGET" a line (present when any).

Everything is deterministic: fixed mtimes, uid/gid 0 (but for owner.tar),
pseudo-random bytes from a fixed SHA-256 chain, gzip with mtime 0. The .zst
archives need the zstd program; without it they are left out (unpack.sh
skips what needs them).

With CANARY_DIR (an absolute directory), the archives whose entries would
write into it are made too (abs-canary.tar, link-canary.tar,
hardlink-canary.tar): their names are those of the run, so they exist only
with it.

Standard library only.
"""
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
from fixture_bytes import pseudo  # noqa: E402

T = 1700000000  # the base mtime; each entry gets T plus a number of its own
MIB = 1024 * 1024
BOMB_SIZE = 200 * MIB


# An entry: (kind, name, mode, mtime, payload) with kind one of
#   'd' directory, 'f' file (payload: bytes), 'l' symbolic link (payload:
#   target), 'h' hard link (payload: the target's name as stored), 'b'/'c'
#   block/character device, 'p' FIFO;
# and optional keyword extras (uid, gid, uname, gname).
def E(kind, name, mode=0o644, mtime=T, payload=b"", **extra):
    return (kind, name, mode, mtime, payload, extra)


TYPES = {
    "d": tarfile.DIRTYPE,
    "f": tarfile.REGTYPE,
    "l": tarfile.SYMTYPE,
    "h": tarfile.LNKTYPE,
    "b": tarfile.BLKTYPE,
    "c": tarfile.CHRTYPE,
    "p": tarfile.FIFOTYPE,
}


def tarinfo(entry):
    kind, name, mode, mtime, payload, extra = entry
    ti = tarfile.TarInfo(name)
    ti.type = TYPES[kind]
    ti.mode = mode
    ti.mtime = mtime
    ti.uid = extra.get("uid", 0)
    ti.gid = extra.get("gid", 0)
    ti.uname = extra.get("uname", "root")
    ti.gname = extra.get("gname", "root")
    if kind == "f":
        ti.size = len(payload)
    elif kind in ("l", "h"):
        ti.linkname = payload
    elif kind in ("b", "c"):
        ti.devmajor, ti.devminor = 1, 3
    return ti


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for entry in entries:
            ti = tarinfo(entry)
            if entry[0] == "f":
                tf.addfile(ti, io.BytesIO(entry[4]))
            else:
                tf.addfile(ti)
    return buf.getvalue()


def have_zstd():
    return shutil.which("zstd") is not None


def zstd(data, level="-19"):
    return subprocess.run(["zstd", "-q", level, "-c"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def strip(name):
    """The name as it lands: leading './' and trailing '/' dropped."""
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def expectations(entries):
    """(list lines, sha256 lines, links lines) for a good archive."""
    by_path = {}
    links = []
    for kind, name, mode, mtime, payload, _ in entries:
        path = strip(name)
        if kind == "h":
            links.append((path, strip(payload)))
        else:
            by_path[path] = (kind, mode, mtime, payload)
    nlink = {}
    for path, target in links:
        nlink[target] = nlink.get(target, 1) + 1
    for path, target in links:
        by_path[path] = by_path[target]
        nlink[path] = nlink[target]
    # Parents without an entry of their own: 0755, time unknown.
    for path in list(by_path):
        parts = path.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent not in by_path:
                by_path[parent] = ("d", 0o755, None, b"")
    lines, sums = [], []
    for path, (kind, mode, mtime, payload) in by_path.items():
        if kind == "d":
            when = "*" if mtime is None else "%d.0000000000" % mtime
            lines.append("%s|d|%o|%s" % (path, mode & 0o7777, when))  # a directory keeps every bit
        elif kind == "f":
            lines.append("%s|f|%o|%d|%d.0000000000|%d" % (
                path, mode & 0o777, len(payload), mtime, nlink.get(path, 1)))
            sums.append("%s  %s" % (hashlib.sha256(payload).hexdigest(), path))
        elif kind == "l":
            lines.append("%s|l|%s" % (path, payload))
        else:
            raise ValueError("not in a good archive: %r" % (kind,))
    return sorted(lines), sorted(sums), ["%s|%s" % pair for pair in links]


class Out:
    def __init__(self, top):
        self.top = top
        os.makedirs(top, exist_ok=True)

    def write(self, name, data):
        with open(os.path.join(self.top, name), "wb") as f:
            f.write(data)

    def text(self, name, lines):
        self.write(name, "".join(line + "\n" for line in lines).encode())

    def good(self, stem, entries, names):
        """Writes the archives NAMES and stem.list/.sha256/.links."""
        lines, sums, links = expectations(entries)
        self.text(stem + ".list", lines)
        self.text(stem + ".sha256", sums)
        if links:
            self.text(stem + ".links", links)
        for name, data in names:
            self.write(name, data)


def good_tree(prefix=""):
    p = prefix
    return [
        E("d", p + "top/", 0o755, T + 1),
        E("d", p + "top/nested/", 0o750, T + 2),
        E("d", p + "top/nested/deeper/", 0o700, T + 3),
        E("f", p + "top/nested/deeper/file.txt", 0o644, T + 4, b"deep down\n"),
        E("f", p + "top/empty-file", 0o644, T + 5, b""),
        E("d", p + "empty/", 0o751, T + 6),
        E("d", p + "modes/", 0o755, T + 7),
        E("f", p + "modes/rw", 0o644, T + 8, b"rw\n"),
        E("f", p + "modes/exec", 0o755, T + 9, b"#!/bin/sh\necho hi\n"),
        E("f", p + "modes/private", 0o600, T + 10, b"private\n"),
        E("f", p + "modes/readonly", 0o444, T + 11, b"read only\n"),
        E("f", p + "modes/all", 0o777, T + 12, b"everyone\n"),
        E("f", p + "modes/none", 0o000, T + 13, b"no one\n"),
        E("d", p + "ro/", 0o555, T + 14),
        E("f", p + "ro/inside", 0o644, T + 15, b"inside a read-only directory\n"),
        E("d", p + "sticky/", 0o1777, T + 16),
        E("f", p + "sticky/in", 0o644, T + 17, b"sticky\n"),
        E("f", p + "\u00fcn\u00efc\u00f8d\u00e9-\u540d\u524d.txt", 0o644, T + 18, "unicode \u540d\n".encode()),
        E("d", p + "long/", 0o755, T + 19),
        E("f", p + "long/" + "L" * 200, 0o644, T + 20, b"a 200-character name\n"),
        E("d", p + "links/", 0o755, T + 21),
        E("l", p + "links/abs", 0o777, T + 22, "/usr/lib/x"),
        E("l", p + "links/rel", 0o777, T + 23, "../top/nested/deeper/file.txt"),
        E("l", p + "links/dir", 0o777, T + 24, "../modes"),
        E("l", p + "links/dot", 0o777, T + 25, "."),
        E("d", p + "a/", 0o755, T + 26),
        E("l", p + "a/link", 0o777, T + 27, "../b"),
        E("f", p + "b", 0o644, T + 28, b"b\n"),
        E("d", p + "hard/", 0o755, T + 29),
        E("f", p + "hard/orig", 0o640, T + 30, pseudo(3000, "hard")),
        E("h", p + "hard/copy", 0o640, T + 30, p + "hard/orig"),
        # Parents with no entry of their own.
        E("f", p + "x/y/z", 0o644, T + 31, b"implicit parents\n"),
        E("f", p + "mid/q/file", 0o644, T + 32, b"an implicit parent below an explicit one\n"),
        E("d", p + "mid/", 0o710, T + 33),
    ]


def write_good(out):
    tree = good_tree()
    plain = tar_bytes(tree)
    names = [("good.tar", plain), ("good.tar.gz", gz(plain)),
             ("good-dotslash.tar", tar_bytes(good_tree("./")))]
    if have_zstd():
        names.append(("good.tar.zst", zstd(plain)))
    out.good("good", tree, names)

    # The good tree, then a refused entry: what was unpacked must go.
    out.write("late-refusal.tar", tar_bytes(tree + [E("p", "zz-fifo", 0o644, T + 40)]))

    # Sticky bit on regular files: dropped (mode & 0777).
    sticky = [E("f", "sf", 0o1644, T + 1, b"sticky file\n"),
              E("f", "sx", 0o1755, T + 2, b"#!/bin/sh\n")]
    out.good("sticky-file", sticky, [("sticky-file.tar", tar_bytes(sticky))])

    # Set-group-ID on a directory: kept (it gives no privilege, only the
    # group new files there take; root file systems have such directories).
    sgid_dir = [E("d", "sgid-dir/", 0o2755, T + 1), E("f", "sgid-dir/f", 0o644, T + 2, b"in it\n")]
    out.good("setgid-dir", sgid_dir, [("setgid-dir.tar", tar_bytes(sgid_dir))])

    # Owned by someone else in the archive: the unpacker owns it.
    owner = [E("d", "theirdir/", 0o755, T + 1, uid=4242, gid=4242, uname="someone", gname="someone"),
             E("f", "theirdir/theirs", 0o644, T + 2, b"theirs\n", uid=4242, gid=4242,
               uname="someone", gname="someone")]
    out.good("owner", owner, [("owner.tar", tar_bytes(owner))])

    # No entries at all (the two zero blocks tar ends with).
    out.good("empty", [], [("empty.tar", tar_bytes([]))])

    # What `tar -C D -cf F .` makes: an entry './' for D itself (unpack.sh
    # only tells what happens to it).
    out.write("dotslash-root.tar", tar_bytes([E("d", "./", 0o755, T + 1),
                                              E("f", "./f", 0o644, T + 2, b"f\n")]))

    # Eleven entries.
    eleven = [E("f", "f%02d" % i, 0o644, T + i, b"%d\n" % i) for i in range(11)]
    out.good("eleven", eleven, [("eleven.tar", tar_bytes(eleven))])

    # One file of 1 MiB, not compressible.
    big = [E("f", "big", 0o644, T, pseudo(MIB, "big"))]
    out.good("big", big, [("big.tar", tar_bytes(big))])


def write_bombs(out):
    """200 MiB of zeros in one file, compressed: bomb.tar.gz and (with zstd)
    bomb.tar.zst. Streamed, never held whole."""
    ti = tarinfo(E("f", "zeros", 0o644, T))
    ti.size = BOMB_SIZE
    header = ti.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")
    chunk = bytes(MIB)
    sinks = []
    gz_file = open(os.path.join(out.top, "bomb.tar.gz"), "wb")
    gzf = gzip.GzipFile(filename="", mode="wb", compresslevel=9, mtime=0, fileobj=gz_file)
    sinks.append(gzf)
    proc = None
    if have_zstd():
        proc = subprocess.Popen(["zstd", "-q", "-19", "-c"], stdin=subprocess.PIPE,
                                stdout=open(os.path.join(out.top, "bomb.tar.zst"), "wb"))
        sinks.append(proc.stdin)
    for s in sinks:
        s.write(header)
    for _ in range(BOMB_SIZE // MIB):
        for s in sinks:
            s.write(chunk)
    for s in sinks:
        s.write(bytes(2 * tarfile.BLOCKSIZE))
    gzf.close()
    gz_file.close()
    if proc is not None:
        proc.stdin.close()
        if proc.wait() != 0:
            sys.exit("make_archives.py: zstd failed")
    lines = ["zeros|f|644|%d|%d.0000000000|1" % (BOMB_SIZE, T)]
    out.text("bomb.list", lines)


def ok():
    return E("f", "ok.txt", 0o644, T, b"written before the refusal\n")


def write_refusals(out):
    bad = {
        "abs": [ok(), E("f", "/abs/file", 0o644, T, b"absolute\n")],
        "dotdot": [ok(), E("f", "../evil", 0o644, T, b"evil\n")],
        "dotdot-deep": [ok(), E("d", "a/", 0o755), E("f", "a/../../evil", 0o644, T, b"evil\n")],
        "dotdot-canary": [ok(), E("f", "../../canary", 0o644, T, b"canary\n")],
        "dotdot-inside": [ok(), E("d", "a/", 0o755), E("f", "a/../b", 0o644, T, b"b\n")],
        "empty-name": [ok(), E("f", "", 0o644, T, b"no name\n")],
        "symlink-out": [ok(), E("d", "a/", 0o755), E("l", "a/link", 0o777, T, "../../x")],
        "symlink-up": [ok(), E("l", "up", 0o777, T, "..")],
        "hardlink-missing": [ok(), E("h", "h", 0o644, T, "nosuch")],
        "hardlink-later": [ok(), E("h", "h", 0o644, T, "later"), E("f", "later", 0o644, T, b"later\n")],
        "hardlink-symlink": [ok(), E("l", "s", 0o777, T, "ok.txt"), E("h", "h", 0o644, T, "s")],
        "hardlink-dir": [ok(), E("d", "d/", 0o755), E("h", "h", 0o644, T, "d")],
        "hardlink-dotdot": [ok(), E("d", "sub/", 0o755), E("h", "h", 0o644, T, "sub/../ok.txt")],
        "hardlink-up": [ok(), E("h", "h", 0o644, T, "../ok.txt")],
        "blockdev": [ok(), E("b", "blk", 0o600)],
        "chardev": [ok(), E("c", "chr", 0o600)],
        "fifo": [ok(), E("p", "fifo", 0o644)],
        "setuid": [ok(), E("f", "suid", 0o4755, T, b"#!/bin/sh\n")],
        "setgid": [ok(), E("f", "sgid", 0o2755, T, b"#!/bin/sh\n")],
        "twice-file": [ok(), E("f", "f", 0o644, T, b"one\n"), E("f", "f", 0o644, T, b"two\n")],
        "twice-dir-file": [ok(), E("d", "d/", 0o755), E("f", "d", 0o644, T, b"file\n")],
        "twice-dotslash": [ok(), E("f", "./f", 0o644, T, b"one\n"), E("f", "f", 0o644, T, b"two\n")],
        "notdir-file": [ok(), E("f", "f", 0o644, T, b"file\n"), E("f", "f/x", 0o644, T, b"x\n")],
        "notdir-deep": [ok(), E("d", "a/", 0o755), E("f", "a/f", 0o644, T, b"file\n"),
                        E("f", "a/f/b/c", 0o644, T, b"c\n")],
        "notdir-symlink": [ok(), E("d", "sub/", 0o755), E("l", "rl", 0o777, T, "sub"),
                           E("f", "rl/x", 0o644, T, b"x\n")],
    }
    for stem, entries in bad.items():
        out.write(stem + ".tar", tar_bytes(entries))


def write_broken(out):
    # Cut in the middle of the third file's data.
    entries = [E("f", "a", 0o644, T, b"a\n" * 50), E("f", "b", 0o644, T, b"b\n" * 50),
               E("f", "c", 0o644, T, pseudo(10000, "c"))]
    data = tar_bytes(entries, tarfile.USTAR_FORMAT)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        at = tf.getmember("c").offset_data + 5000
    out.write("truncated.tar", data[:at])

    # A .tar.zst cut in the middle of its compressed stream.
    if have_zstd():
        entries = [E("f", "a", 0o644, T, b"a\n" * 50), E("f", "b", 0o644, T, b"b\n" * 50),
                   E("f", "c", 0o644, T, pseudo(256 * 1024, "czst"))]
        z = zstd(tar_bytes(entries, tarfile.USTAR_FORMAT), "-3")
        out.write("truncated.tar.zst", z[:len(z) // 2])

    # A header whose size says more than the archive holds: a one-file
    # ustar archive, the size field patched to 1000000 and the checksum
    # fixed, the file's one data block kept and the end blocks dropped.
    data = bytearray(tar_bytes([E("f", "liar", 0o644, T, b"x" * 100)], tarfile.USTAR_FORMAT))
    header = data[:512]
    header[124:136] = b"%011o\0" % 1000000
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    out.write("size-lies.tar", bytes(header) + bytes(data[512:1024]))

    out.write("random.bin", pseudo(4096, "not an archive"))
    out.write("empty.bin", b"")


def write_canaries(out, canary_dir):
    c = canary_dir.rstrip("/")
    out.write("abs-canary.tar", tar_bytes([ok(), E("f", c + "/canary", 0o644, T, b"canary\n")]))
    out.write("link-canary.tar", tar_bytes([ok(), E("l", "esc", 0o777, T, c),
                                            E("f", "esc/canary", 0o644, T, b"canary\n")]))
    out.write("hardlink-canary.tar", tar_bytes([ok(), E("h", "h", 0o644, T, c + "/secret")]))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: make_archives.py OUTDIR [CANARY_DIR]")
    out = Out(sys.argv[1])
    write_good(out)
    write_bombs(out)
    write_refusals(out)
    write_broken(out)
    if len(sys.argv) == 3:
        if not os.path.isabs(sys.argv[2]):
            sys.exit("make_archives.py: CANARY_DIR must be absolute")
        write_canaries(out, sys.argv[2])


if __name__ == "__main__":
    main()
