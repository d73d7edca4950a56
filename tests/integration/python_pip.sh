#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The python section says exactly what `EXE -m pip list --format=json` says,
# for the interpreters a machine typically has: Debian's /usr/bin/python3
# (always: packaging/ installs python3-pip and python3-venv), python3 on PATH,
# a venv with a package from a local wheel, a --system-site-packages venv, a
# pyenv shim with PYENV_VERSION, and a directory of generated distributions
# whose names, versions and METADATA quirks are random (EL_PY_SEED=N repeats
# a run). Interpreters that are not there are skipped parts (skip_part).
. "$(dirname "$0")/lib.sh"
need jq

DEBIAN_PY=/usr/bin/python3
[ -x "$DEBIAN_PY" ] || skip "$DEBIAN_PY is not installed"
"$DEBIAN_PY" -m pip --version >/dev/null 2>&1 || skip "$DEBIAN_PY has no pip (install python3-pip)"

export ENVLOCK_CACHE_DIR=$scratch/cache
work=$scratch/work
mkdir -p "$work"
cd "$work"
cases=0

# pip's names normalized as the lock writes them (PEP 503).
pip_packages() {
	"$@" -m pip list --format=json 2>/dev/null |
		jq -S 'map({key: (.name | gsub("[-_.]+"; "-") | ascii_downcase), value: .version}) | from_entries'
}

# compare LABEL EXE [CAPTURE-ARG...]: run with the environment the caller set.
compare() {
	local label=$1 exe=$2
	shift 2
	cases=$((cases + 1))
	run "$scratch/lock" "$scratch/err" "$ENVLOCK" capture "$@"
	check_eq "$label: capture exits 0" 0 "$status"
	pip_packages "$exe" >"$scratch/pip.json"
	jq -S '.python.packages' "$scratch/lock" >"$scratch/ours.json"
	checks=$((checks + 1))
	if ! diff -u "$scratch/pip.json" "$scratch/ours.json" >"$scratch/diff"; then
		fail "$label: python.packages differs from pip list (- pip, + envlock)"
		cat "$scratch/diff" "$scratch/err" >&2
	fi
	check_eq "$label: version" "$("$exe" -c 'import sys; print(sys.version.split()[0])')" \
		"$(jq -r '.python.version' "$scratch/lock")"
	check_eq "$label: executable" "$("$exe" -c 'import sys; print(sys.executable)')" \
		"$(jq -r '.python.executable' "$scratch/lock")"
	# python.build: what the interpreter says of its build, from the same one run.
	check_eq "$label: build.version is sys.version" "$("$exe" -c 'import sys; print(sys.version)')" \
		"$(jq -r '.python.build.version' "$scratch/lock")"
	check_eq "$label: build.config_args is CONFIG_ARGS" \
		"$("$exe" -c 'import sysconfig; print(sysconfig.get_config_var("CONFIG_ARGS") or "null")')" \
		"$(jq -r '.python.build.config_args' "$scratch/lock")"
	check_eq "$label: build.compiler" \
		"$("$exe" -c 'import platform; print(platform.python_compiler())')" \
		"$(jq -r '.python.build.compiler' "$scratch/lock")"
	echo "ok: $label ($(jq '.python.packages | length' "$scratch/lock") packages)"
}

compare "Debian $DEBIAN_PY" "$DEBIAN_PY" --python "$DEBIAN_PY"

# Warm: the interpreter is not started again (strace sees every execve).
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
	strace -f -e trace=execve -o "$scratch/trace" "$ENVLOCK" capture --python "$DEBIAN_PY" >/dev/null 2>&1
	check_eq "warm capture does not run $DEBIAN_PY" 0 "$(grep -c "execve(\"$DEBIAN_PY\"" "$scratch/trace" || true)"
else
	skip_part "strace is missing or cannot trace here: the warm-path check"
fi

if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
	compare "python3 on PATH ($(command -v python3))" python3
else
	skip_part "python3 on PATH has no pip: its comparison"
fi

# A venv with one package from a wheel made here (no network, no build backend).
if "$DEBIAN_PY" -m venv "$scratch/venv" >/dev/null 2>&1; then
	"$DEBIAN_PY" - "$scratch/tiny_pkg.example-1.0.0b1-py3-none-any.whl" <<'EOF'
import base64, hashlib, sys, zipfile
info = "tiny_pkg.example-1.0.0b1.dist-info"
files = {
    "tinypkg/__init__.py": b"",
    info + "/METADATA": b"Metadata-Version: 2.1\nName: Tiny_Pkg.Example\nVersion: 1.0.0-beta1\n",
    info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: envlock-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
files[info + "/RECORD"] = ("\n".join(record + [info + "/RECORD,,"]) + "\n").encode()
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
EOF
	"$scratch/venv/bin/python3" -m pip install -q --no-index --no-deps \
		"$scratch/tiny_pkg.example-1.0.0b1-py3-none-any.whl" >/dev/null 2>&1 ||
		fail "venv: installing the local wheel failed"
	compare "venv" "$scratch/venv/bin/python3" --python "$scratch/venv/bin/python3"
	check_eq "venv: the wheel's version, normalized" '"1.0.0b1"' \
		"$(jq -c '.python.packages["tiny-pkg-example"]' "$scratch/lock")"
	# Installing changes site-packages: the cached sys.path is checked, not trusted.
	"$scratch/venv/bin/python3" -m pip uninstall -q -y tiny_pkg.example >/dev/null 2>&1
	compare "venv after uninstall" "$scratch/venv/bin/python3" --python "$scratch/venv/bin/python3"
else
	skip_part "$DEBIAN_PY -m venv failed (install python3-venv): the venv comparisons"
fi

if "$DEBIAN_PY" -m venv --system-site-packages "$scratch/svenv" >/dev/null 2>&1; then
	compare "--system-site-packages venv" "$scratch/svenv/bin/python3" --python "$scratch/svenv/bin/python3"
else
	skip_part "$DEBIAN_PY -m venv --system-site-packages failed (install python3-venv): its comparison"
fi

# pyenv: the shim is resolved without running pyenv.
if command -v pyenv >/dev/null 2>&1 && PYENV_VERSION=3.12.1 python3 -m pip --version >/dev/null 2>&1; then
	PYENV_VERSION=3.12.1 compare "pyenv shim, PYENV_VERSION=3.12.1" python3
else
	skip_part --allowed "pyenv is not part of packaging/install-deps.sh" "no pyenv with 3.12.1: the shim comparison"
fi

# Generated distributions on PYTHONPATH: random names, versions and METADATA layouts.
seed=${EL_PY_SEED:-$RANDOM}
"$DEBIAN_PY" - "$scratch/gen" "$seed" <<'EOF'
import os, random, sys
root, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
atoms = ["0", "1", "2", "00", "01", "10", "2024", ".", "-", "_", "!", "+", "v", "a", "b", "c", "rc",
         "RC", "alpha", "beta", "pre", "preview", "post", "rev", "r", "dev", "DEV", "local", "ub", " ",
         "x", "\u00a0"]
def version():
    if rnd.random() < 0.5:
        return "".join(rnd.choice(atoms) for _ in range(rnd.randint(1, 8)))
    parts = [rnd.choice(["", "v"]), rnd.choice(["", "", "1!"]),
             ".".join(rnd.choice(["0", "1", "01", "10"]) for _ in range(rnd.randint(1, 4)))]
    for letters in (["a", "b", "c", "rc", "alpha", "pre"], ["post", "rev", "r", ""], ["dev"]):
        if rnd.random() < 0.4:
            parts.append(rnd.choice(["", "-", "_", "."]) + rnd.choice(letters) +
                         rnd.choice(["", "-", "."]) + rnd.choice(["", "0", "7", "012"]))
    if rnd.random() < 0.3:
        parts.append("+" + rnd.choice([".", "-", "_"]).join(rnd.choice(["ub", "UB", "001", "x9"])
                                                            for _ in range(rnd.randint(1, 3))))
    return "".join(parts)
def write(path, text, eol):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text.replace("\n", eol))
for i in range(300):
    name = rnd.choice(["Pkg", "pkg", "PKG"]) + rnd.choice(["-", "_", ".", "__", ""]) + "%03d" % i
    headers = ["Metadata-Version: 2.1", rnd.choice(["Name", "name", "NAME"]) + ": " + name,
               rnd.choice(["Version", "version"]) + ":" + rnd.choice([" ", "", "\t"]) + version()]
    if rnd.random() < 0.3:
        headers.insert(1, "Summary: a summary\n  that goes on")
    if rnd.random() < 0.2:
        headers.append("Name: shadowed-%d" % i)
    text = "\n".join(headers) + "\n\nName: in-the-body\n"
    eol = rnd.choice(["\n", "\r\n"])
    stem = "pkg%03d-0" % i
    layout = rnd.randrange(4)
    if layout == 0:
        write("%s/%s.dist-info/METADATA" % (root, stem), text, eol)
    elif layout == 1:
        write("%s/%s.egg-info/PKG-INFO" % (root, stem), text, eol)
    elif layout == 2:
        write("%s/%s.egg-info" % (root, stem), text, eol)
    else:
        write("%s/%s.dist-info/METADATA" % (root, stem), "", eol)
        write("%s/%s.dist-info/PKG-INFO" % (root, stem), text, eol)
EOF
PYTHONPATH=$scratch/gen compare "300 generated distributions (EL_PY_SEED=$seed)" "$DEBIAN_PY" --python "$DEBIAN_PY"

[ "$cases" -gt 0 ] || skip "no interpreter to compare"
finish
