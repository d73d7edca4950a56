#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# python.installs in a real venv: a package installed with `pip install -e`
# (PEP 660, direct_url.json with dir_info.editable) or with `setup.py
# develop` (a legacy .egg-link, no direct_url.json) has its source's tree
# address in the lock; bytecode and what the build left in the source are
# not drift, an edit of the source is (check exits 1, naming
# python.installs.NAME.tree), and a source that went away is a warning.
# A warm capture starts no process, editable install or not.
. "$(dirname "$0")/lib.sh"
need jq
EL_SOURCE_DIR=${EL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
[ -x "$PY" ] || skip "$PY is not installed"
"$PY" -c 'import ensurepip, venv' 2>/dev/null || skip "python3-venv is not installed"
"$PY" -c 'import setuptools' 2>/dev/null || skip "$PY has no setuptools (PEP 660 editable installs need it)"

export ENVLOCK_CACHE_DIR=$scratch/cache
mkdir -p "$scratch/src" "$scratch/project"
cp -R "$EL_SOURCE_DIR/tests/workload/repo/mylib" "$scratch/src/mylib"
PYTHONDONTWRITEBYTECODE=1 "$PY" -m venv --system-site-packages "$scratch/venv"
run "$scratch/out" "$scratch/err" env PYTHONDONTWRITEBYTECODE=1 "$scratch/venv/bin/pip" install -q --no-deps \
	--no-build-isolation --no-index -e "$scratch/src/mylib"
[ "$status" -eq 0 ] || { cat "$scratch/err" >&2; skip "pip install -e failed here (an old setuptools?)"; }

cd "$scratch/project"
el() { "$ENVLOCK" "$@"; }
run "$scratch/out" "$scratch/err" el capture --python "$scratch/venv/bin/python" -o env.lock
check_eq "capture exits 0" 0 "$status"
check_eq "python.installs.mylib: editable, its URL, a tree" \
	"true file://$scratch/src/mylib sha256" \
	"$(jq -r '.python.installs.mylib | "\(.editable) \(.url) \(.tree // "none" | split(":")[0])"' env.lock)"
check_eq "the installs hold only what direct_url.json names (pip and setuptools came from wheels)" mylib \
	"$(jq -r '.python.installs | keys | join(",")' env.lock)"
check_eq "python.build.version is the venv interpreter's sys.version" \
	"$("$scratch/venv/bin/python" -c 'import sys; print(sys.version)')" "$(jq -r .python.build.version env.lock)"
check_eq "no warning" "" "$(cat "$scratch/err")"

run "$scratch/out" "$scratch/err" el check
check_eq "check right after capture: exit 0" 0 "$status"

# What importing, building and installing leave in the source is not drift.
mkdir -p "$scratch/src/mylib/mylib/__pycache__" "$scratch/src/mylib/build/lib" "$scratch/src/mylib/mylib.egg-info"
echo bytecode >"$scratch/src/mylib/mylib/__pycache__/__init__.cpython-311.pyc"
echo x >"$scratch/src/mylib/build/lib/x.py"
echo "Name: mylib" >"$scratch/src/mylib/mylib.egg-info/PKG-INFO"
run "$scratch/out" "$scratch/err" el check
check_eq "__pycache__, build/ and *.egg-info in the source: check exit 0" 0 "$status"

# An edit of the source is.
echo "EDITED = True" >>"$scratch/src/mylib/mylib/__init__.py"
run "$scratch/out" "$scratch/err" el check --format json
check_eq "mylib's source edited: check exit 1" 1 "$status"
check_eq "the finding: python.installs.mylib.tree, refused" "python.installs.mylib.tree refuse" \
	"$(jq -r '.findings[] | "\(.path) \(.severity)"' "$scratch/out" 2>/dev/null)"

# Warm: no process at all (strace sees every execve).
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
	# Facts about files changed in the last two seconds are not cached (README, "The stat cache").
	sleep 3
	el capture --python "$scratch/venv/bin/python" >/dev/null 2>&1
	strace -f -e trace=execve -o "$scratch/trace" "$ENVLOCK" capture --python "$scratch/venv/bin/python" >/dev/null 2>&1
	check_eq "warm capture with an editable install starts no process" 1 "$(grep -c 'execve(' "$scratch/trace")"
else
	skip_part "strace is missing or cannot trace here: the warm-path check"
fi

# The source went away: no tree, a warning, the capture still succeeds.
mv "$scratch/src/mylib" "$scratch/src/moved"
run "$scratch/out" "$scratch/err" el capture --python "$scratch/venv/bin/python"
check_eq "source gone: capture exits 0" 0 "$status"
check_eq "source gone: no tree" "null" "$(jq -c .python.installs.mylib.tree "$scratch/out")"
check_eq "source gone: one warning naming it" 1 \
	"$(grep -c "its source $scratch/src/mylib does not exist any more" "$scratch/err" || true)"

# A legacy editable install (setup.py develop: an .egg-link, no direct_url.json): the same identity.
mv "$scratch/src/moved" "$scratch/src/legacy"
printf 'from setuptools import setup\nsetup()\n' >"$scratch/src/legacy/setup.py"
PYTHONDONTWRITEBYTECODE=1 "$PY" -m venv --system-site-packages "$scratch/venv2"
(cd "$scratch/src/legacy" && PYTHONDONTWRITEBYTECODE=1 "$scratch/venv2/bin/python" setup.py -q develop --no-deps) \
	>"$scratch/out" 2>"$scratch/err" || { cat "$scratch/err" >&2; fail "setup.py develop failed"; }
check_eq "setup.py develop made an .egg-link" 1 "$(ls "$scratch"/venv2/lib/python3*/site-packages/*.egg-link | wc -l)"
rm -f env.lock
run "$scratch/out" "$scratch/err" el capture --python "$scratch/venv2/bin/python" -o env.lock
check_eq "legacy editable: capture exits 0, no warning" "0 " "$status $(cat "$scratch/err")"
check_eq "legacy editable: python.installs.mylib: editable, its URL, a tree" \
	"true file://$scratch/src/legacy sha256" \
	"$(jq -r '.python.installs.mylib | "\(.editable) \(.url) \(.tree // "none" | split(":")[0])"' env.lock)"
run "$scratch/out" "$scratch/err" el check
check_eq "legacy editable: check right after capture: exit 0" 0 "$status"
echo "EDITED = True" >>"$scratch/src/legacy/mylib/__init__.py"
run "$scratch/out" "$scratch/err" el check --format json
check_eq "legacy editable: source edited: refused, python.installs.mylib.tree" "1 python.installs.mylib.tree refuse" \
	"$status $(jq -r '.findings[] | "\(.path) \(.severity)"' "$scratch/out" 2>/dev/null)"
finish
