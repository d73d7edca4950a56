#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The state record (README, "The state record"): check and exec on an
# unchanged machine take the lock's sections from it without probing, and
# every change to what the probes read is still found with a record there:
# a package's metadata rewritten in place with the same size, a package
# added, a variable (PATH); a chmod, another profile or another envlock
# binary is not trusted to the record either. Where the sandbox shows the
# cache directory, exec neither reads nor writes one.
. "$(dirname "$0")/lib.sh"
need jq
PY=/usr/bin/python3
[ -x "$PY" ] || skip "$PY is not installed"
"$PY" -c 'import venv' 2>/dev/null || skip "python3-venv is not installed"

export ENVLOCK_CACHE_DIR=$scratch/cache
export ENVLOCK_PROFILE_PATH=$scratch/no-profiles
"$PY" -m venv --without-pip "$scratch/venv"
site=$("$scratch/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
meta=$site/demo-1.0.0.dist-info/METADATA
mkdir -p "$(dirname "$meta")"
printf 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0.0\n' >"$meta"
mkdir -p "$scratch/project"
cd "$scratch/project"
# Facts about files changed in the last two seconds are neither cached nor
# recorded (README, "The stat cache"): the venv is older than that here.
sleep 2.1
el() { "$ENVLOCK" "$@"; }
records() { find "$1" -maxdepth 1 -name 'state-v1-*' | wc -l; }
# The same bytes count: the version rewritten in place, the file's size and inode kept.
set_version() { "$PY" -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(-6, 2); f.write(sys.argv[2].encode() + b"\n")' "$meta" "$1"; }
# Whether a run of envlock read the metadata (the record did not hold) or not.
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
	reads_metadata() {
		strace -f -e trace=open,openat -o "$scratch/trace" "$ENVLOCK" "$@" >/dev/null 2>&1 || true
		grep -c 'demo-1.0.0.dist-info/METADATA' "$scratch/trace" || true
	}
else
	reads_metadata() { echo "no strace"; }
	skip_part "strace cannot run here: whether a record is taken, and which changes undo it, is not checked"
fi

run "$scratch/out" "$scratch/err" el capture --python "$scratch/venv/bin/python" -o env.lock
check_eq "capture exits 0" 0 "$status"
check_eq "the lock has the package" 1.0.0 "$(jq -r .python.packages.demo env.lock)"

run "$scratch/out" "$scratch/err" el check
check_eq "check: no drift" 0 "$status"
check_eq "check wrote one record" 1 "$(records "$ENVLOCK_CACHE_DIR")"
if [ "$(reads_metadata check)" != "no strace" ]; then
	check_eq "the next check takes the lock's sections from the record: METADATA not read" 0 "$(reads_metadata check)"
fi
run "$scratch/out" "$scratch/err" el exec -- true
check_eq "exec with the record: the command runs" 0 "$status"
check_eq "exec with the record: nothing said" "" "$(cat "$scratch/err")"

# A package's metadata rewritten in place between two execs: the same size, only the ctime moved.
set_version 1.0.1
check_eq "the file kept its size" "$(stat -c %s "$meta")" "$(printf 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0.1\n' | wc -c)"
run "$scratch/out" "$scratch/err" el exec -- true
check_eq "metadata rewritten: exec refuses" 125 "$status"
check_eq "metadata rewritten: the finding" 1 "$(grep -c 'python.packages.demo' "$scratch/err" || true)"
run "$scratch/out" "$scratch/err" el check --format json
check_eq "metadata rewritten: check finds 1.0.0 -> 1.0.1" "python.packages.demo 1.0.0 1.0.1" \
	"$(jq -r '.findings[] | "\(.path) \(.old) \(.new)"' "$scratch/out")"
set_version 1.0.0
sleep 2.1
run "$scratch/out" "$scratch/err" el exec -- true
check_eq "put back: exec runs" 0 "$status"

# A package added: a new entry in site-packages.
mkdir -p "$site/other-2.0.dist-info"
printf 'Metadata-Version: 2.1\nName: other\nVersion: 2.0\n' >"$site/other-2.0.dist-info/METADATA"
run "$scratch/out" "$scratch/err" el exec -- true
check_eq "a package added: exec refuses" 125 "$status"
check_eq "a package added: the finding" 1 "$(grep -c 'python.packages.other' "$scratch/err" || true)"
rm -r "$site/other-2.0.dist-info"
sleep 2.1
run "$scratch/out" "$scratch/err" el exec -- true
check_eq "taken away again: exec runs" 0 "$status"

# A variable the probes read: a cc first on PATH is another compiler.
mkdir -p "$scratch/bin"
cp /bin/true "$scratch/bin/cc"
run "$scratch/out" "$scratch/err" env PATH="$scratch/bin:$PATH" "$ENVLOCK" check --format json
check_eq "PATH changed: check finds toolchain.cc" toolchain.cc \
	"$(jq -r '.findings[] | select(.path == "toolchain.cc") | .path' "$scratch/out")"
run "$scratch/out" "$scratch/err" env PATH="$scratch/bin:$PATH" "$ENVLOCK" exec -- true
check_eq "PATH changed: exec says toolchain.cc" 1 "$(grep -c 'toolchain.cc' "$scratch/err" || true)"

if [ "$(reads_metadata check)" != "no strace" ]; then
	# Not drift, but not the record's to vouch for: read again.
	chmod 600 "$meta"
	check_eq "chmod: the metadata is read again" 1 "$(reads_metadata check)"
	sleep 2.1
	reads_metadata check >/dev/null
	check_eq "then the record holds again" 0 "$(reads_metadata check)"
	check_eq "another profile: another record" 1 "$(reads_metadata check --profile strict)"
	cp "$ENVLOCK" "$scratch/envlock-copy"
	ENVLOCK=$scratch/envlock-copy
	check_eq "another envlock binary: another record" 1 "$(reads_metadata check)"
	check_eq "another envlock binary: then its own record holds" 0 "$(reads_metadata check)"
fi

# The cache directory in the working directory, which the sandbox binds writable: no record there.
export ENVLOCK_CACHE_DIR=$scratch/project/cache
el capture --python "$scratch/venv/bin/python" >/dev/null 2>&1
sleep 2.1
run "$scratch/out" "$scratch/err" el exec -- true
check_eq "cache in the working directory: exec runs" 0 "$status"
check_eq "cache in the working directory: exec wrote no record" 0 "$(records "$ENVLOCK_CACHE_DIR")"
run "$scratch/out" "$scratch/err" el check
check_eq "check, with no sandbox, does" 1 "$(records "$ENVLOCK_CACHE_DIR")"
echo "planted" >"$ENVLOCK_CACHE_DIR/$(basename "$(find "$ENVLOCK_CACHE_DIR" -name 'state-v1-*')")"
run "$scratch/out" "$scratch/err" el exec -- true
check_eq "a damaged record: exec runs all the same" 0 "$status"

finish
