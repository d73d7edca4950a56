#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The manual pages of the commands, made from their --help at build time.

    manpage.py ENVLOCK SOURCE_DIR OUTDIR VERSION

Each command's --help is the one source of what it takes: its page is that
text laid out as a manual page (NAME from the command table of `envlock
--help`, SYNOPSIS from its usage lines, DESCRIPTION, OPTIONS, EXIT
STATUS), so the two cannot disagree. Writes envlock.1 and
envlock-COMMAND.1 for each command into OUTDIR, and the two format pages
from their tables in the README files: envlock-lock.5 (README.md, "What a
lock holds") and envlock-profile.5 (profiles/README.md, "Directives").
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r"^ {2,6}-")


def roff(text):
    """Text for a roff line: backslashes and dashes escaped, no leading control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    # Other than ASCII as groff's named Unicode characters: a page is read whatever the locale.
    text = "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in text)
    return "\\&" + text if text[:1] in (".", "'") else text


def help_of(envlock, *words):
    out = subprocess.run([envlock, *words, "--help"], check=True, stdout=subprocess.PIPE, text=True).stdout
    return out.rstrip("\n").split("\n")


def blocks(lines):
    block = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def options(block):
    """(spec, description) for each option line and its continuation lines."""
    entries = []
    for line in block:
        if OPTION.match(line):
            spec, _, desc = line.strip().partition("  ")
            entries.append([spec.strip(), desc.strip()])
        elif entries:
            entries[-1][1] = (entries[-1][1] + " " + line.strip()).strip()
    return entries


def markdown(text):
    """A table cell's Markdown as roff: `code` and **bold** in bold, [text](link) as text."""
    text = text.replace("\\|", "|")
    text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text)
    pieces = re.split(r"(`[^`]*`|\*\*[^*]*\*\*)", text)
    out = []
    for piece in pieces:
        if piece.startswith("`") or piece.startswith("**"):
            out.append("\\fB" + roff(piece.strip("`*")).lstrip("\\&") + "\\fR")
        else:
            out.append(roff(piece).lstrip("\\&") if out else roff(piece))
    return "".join(out)


def table_after(path, heading):
    """The rows of the first Markdown table after heading in path, as lists of cells."""
    rows, found = [], False
    with open(path) as f:
        for line in f:
            if line.rstrip("\n") == heading:
                found = True
            elif found and line.startswith("|"):
                cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
                if not all(re.fullmatch(r"-+", c) for c in cells):
                    rows.append(cells)
            elif found and rows and not line.startswith("|"):
                break
    if not rows:
        sys.exit("manpage.py: %s: no table after %r" % (path, heading))
    return rows[1:]


def format_page(name, summary, intro, rows, version, see_also):
    out = ['.TH "%s" "5" "" "envlock %s" "envlock manual"' % (name.upper(), version), ".SH NAME",
           "%s \\- %s" % (roff(name), roff(summary)), ".SH DESCRIPTION"]
    for para in intro:
        out += [".PP", roff(para)]
    out.append(".SH %s" % ("SECTIONS" if name.endswith("lock") else "DIRECTIVES"))
    for cells in rows:
        out += [".TP", markdown(cells[0]), markdown(" ".join(cells[1:2]))]
        if len(cells) > 2:
            out.append("(From: %s.)" % markdown(cells[2]))
    out += [".SH SEE ALSO", see_also]
    return "\n".join(out) + "\n"


def paragraph(block, out):
    # A block whose lines after the first are indented is a table or a list: kept as it is laid out.
    if len(block) > 1 and any(line.startswith(" ") for line in block[1:]) and not block[0].startswith(" "):
        out += [".PP", ".nf"]
        out.extend(roff(line) for line in block)
        out.append(".fi")
    else:
        out.append(".PP")
        out.extend(roff(line.strip()) for line in block)


def page(name, summary, lines, version, section_name="1"):
    parts = list(blocks(lines))
    usage = parts.pop(0)
    out = ['.TH "%s" "%s" "" "envlock %s" "envlock manual"' % (name.upper(), section_name, version),
           ".SH NAME", "%s \\- %s" % (roff(name), roff(summary)), ".SH SYNOPSIS", ".nf"]
    for line in usage:
        out.append(roff(re.sub(r"^(usage: | +)", "", line)))
    out += [".fi", ".SH DESCRIPTION"]
    seen_options = False
    for block in parts:
        if OPTION.match(block[0]):
            if not seen_options:
                out.append(".SH OPTIONS")
                seen_options = True
            for spec, desc in options(block):
                out += [".TP", "\\fB%s\\fR" % roff(spec), roff(desc)]
        elif block[0].startswith("Exit status"):
            out.append(".SH EXIT STATUS")
            paragraph(block, out)
        else:
            paragraph(block, out)
    out += [".SH SEE ALSO", "\\fBenvlock\\fR(1), \\fBenvlock-lock\\fR(5), \\fBenvlock-profile\\fR(5)"]
    return "\n".join(out) + "\n"


def main():
    envlock, source, outdir, version = sys.argv[1:5]
    os.makedirs(outdir, exist_ok=True)
    top = help_of(envlock)
    commands = []
    table = False
    for line in top:
        if line.startswith("Commands:"):
            table = True
        elif table and line.startswith("  ") and line.strip():
            name, _, summary = line.strip().partition(" ")
            commands.append((name, summary.strip()))
        elif table and not line.strip():
            table = False
    for name, summary in commands:
        text = page("envlock-" + name, summary, help_of(envlock, name), version)
        with open(os.path.join(outdir, "envlock-%s.1" % name), "w") as f:
            f.write(text)
    text = page("envlock", "lock the environment a training run depends on", top, version)
    text = text.replace(".SH SEE ALSO\n", ".SH SEE ALSO\n" + ", ".join(
        "\\fBenvlock\\-%s\\fR(1)" % roff(n).replace("\\-", "-").replace("-", "\\-") for n, _ in commands) + ",\n")
    with open(os.path.join(outdir, "envlock.1"), "w") as f:
        f.write(text)
    pages = {
        "envlock-lock.5": format_page(
            "envlock-lock", "the lock file envlock capture writes", [
                "A lock is JSON, keys sorted, two-space indent, a newline at the end. \"envlock\" is its "
                "schema number and \"fingerprint\" the SHA-256 of the RFC 8785 canonical form of the lock "
                "without \"fingerprint\" and \"meta\"; \"meta\" (when, where, the profile) is neither "
                "fingerprinted nor compared. A component that is not there is an absent key.",
                "Its JSON Schema is installed as share/envlock/schema/lock.schema.json, a run record's "
                "as record.schema.json beside it. The sections:"],
            table_after(os.path.join(source, "README.md"), "### What a lock holds (schema 3)"), version,
            "\\fBenvlock\\fR(1), \\fBenvlock-capture\\fR(1), \\fBenvlock-check\\fR(1), "
            "\\fBenvlock-profile\\fR(5)"),
        "envlock-profile.5": format_page(
            "envlock-profile", "what envlock pins, passes through, refuses and allows", [
                "A profile is a text file of directives, one a line; # starts a comment. It is found by "
                "name in $XDG_CONFIG_HOME/envlock/profiles, /etc/envlock/profiles, the installed data "
                "directory, then the profiles built into envlock, or given as a path. A directive that is "
                "not known, or an argument missing, superfluous or out of range, is an error naming the "
                "file and line."],
            table_after(os.path.join(source, "profiles", "README.md"), "## Directives"), version,
            "\\fBenvlock\\fR(1), \\fBenvlock-exec\\fR(1), \\fBenvlock-profiles\\fR(1), "
            "\\fBenvlock-lock\\fR(5)"),
    }
    for name, text in pages.items():
        with open(os.path.join(outdir, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
