#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The everyday loop of DESIGN.md ("Schema 2 and the everyday loop") in a
# repository laid out like a user's training project, typed as a user types
# it: capture in the repository, commit the lock, check, run from a
# subdirectory, record, replay, check again on a fresh clone.
#
#   $T/project/              a git repository (tests/workload/repo, committed)
#   $T/project/src/train.py  PyTorch, DataLoader with 2 workers, reads ../data
#                            (beside the repository), writes model.bin in the
#                            repository root and a checkpoint to /tmp/ckpt.bin
#   $T/project/scripts/prep.py   #!/usr/bin/env python, prints sys.prefix
#   $T/project/mylib/        a package installed in editable mode into
#   $T/venv                  a venv outside the repository
#                            (--system-site-packages: torch is the system's)
#   $T/data/train.csv        generated data, a sibling of the repository
#
# Each check prints "ok N - ..." or "not ok N - ..." with what was expected
# and what happened; a failed step does not stop the ones after it unless
# they cannot mean anything without it. The loop runs as root and, where
# the machine allows, as the unprivileged user envlock-test through setpriv
# (packaging/create-test-user.sh). Skipped when torch, python3-venv or user
# namespaces are missing.
#
# By hand: bash tests/integration/workload_repo.sh build   (the build directory)
if [ -z "${ENVLOCK:-}" ] && [ -n "${1:-}" ]; then
	ENVLOCK=$1/envlock
fi
EL_SOURCE_DIR=${EL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
need jq sha256sum git find stat
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
/usr/bin/python3 -c 'import torch' 2>/dev/null ||
	skip "python3-torch is not installed (packaging/install-deps.sh installs it)"
/usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null ||
	skip "python3-venv is not installed (the project's interpreter is a venv)"
fixture=$EL_SOURCE_DIR/tests/workload/repo
[ -f "$fixture/src/train.py" ] || skip "$fixture is missing"

user=envlock-test
umask 022
# Under /var/tmp, not /tmp: the sandbox's /tmp is a tmpfs of its own, and
# the checkpoint the job writes there is what must be discarded.
base=$(mktemp -d /var/tmp/envlock-workload.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT
. "$(dirname "$0")/sandbox_halves.sh"

# A copy of the binary the unprivileged user can run, like exec.sh's.
mkdir "$base/bin"
cp "$ENVLOCK" "$base/bin/envlock"
chmod 755 "$base/bin" "$base/bin/envlock"
el=$base/bin/envlock
ncpus=$(nproc)

sum() { sha256sum <"$1" | cut -d' ' -f1; }
mtime() { stat -c %y "$1"; }
yesno() { if "$@"; then echo yes; else echo no; fi; }

# check WHAT EXPECTED ACTUAL [FILE...]: one ok/not ok line; when they differ,
# what was expected, what happened, and the end of each FILE (the command's
# stdout and stderr) to say why.
check() {
	local what=$1 expected=$2 actual=$3 f
	shift 3
	checks=$((checks + 1))
	if [ "$expected" = "$actual" ]; then
		echo "ok $checks - $what"
		return 0
	fi
	failures=$((failures + 1))
	echo "not ok $checks - $what"
	printf '%s\n' "expected: $expected" | sed 's/^/#   /'
	printf '%s\n' "actual:   $actual" | sed 's/^/#   /'
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "#   $(basename "$f") (last lines):"
		tail -n 12 "$f" | sed 's/^/#     /'
	done
	return 0
}

# The loop, as one user. $1: root (whoever runs the script) or user.
loop() {
	local half=$1 T=$base/$1 p="[$1]"
	local -a as=()
	local out=$base/$1.out err=$base/$1.err

	mkdir "$T"
	mkdir "$T/home" "$T/keep" "$T/no-profiles"
	cp -R "$fixture/." "$T/project"
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$T"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	fi
	# h CMD...: CMD as this half's user, in an environment of its own. PATH
	# is the system's: python3 on it is /usr/bin/python3, not the venv (the
	# user did not activate it), and Debian has no `python` at all: inside
	# the sandbox, python must be the lock's interpreter. No profiles from
	# the host's /etc/envlock: the built-in copies.
	h() {
		"${as[@]}" env -i HOME="$T/home" LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			ENVLOCK_CACHE_DIR="$T/cache" ENVLOCK_PROFILE_PATH="$T/no-profiles" GIT_CONFIG_NOSYSTEM=1 "$@"
	}
	x() { run "$out" "$err" h "$@"; }
	# setup CMD...: a step that prepares the project, not one under test: its failure ends this half.
	setup() {
		x "$@"
		[ "$status" -eq 0 ] && return 0
		check "$p setup: $(printf '%s\n' "$*" | head -1)" "exit 0" "exit $status" "$out" "$err"
		return 1
	}

	# ---- the project, as the user makes it (no bytecode written: the check after the runs is envlock's) ----
	cd "$T/project" || return 1
	chmod +x scripts/prep.py
	setup git init -q -b main || return 0
	setup git config user.name "Envlock Test" || return 0
	setup git config user.email envlock-test@example.invalid || return 0
	setup git add -A || return 0
	setup git commit -q -m "Training project" || return 0
	setup env PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m venv --system-site-packages "$T/venv" || return 0
	setup env PYTHONDONTWRITEBYTECODE=1 "$T/venv/bin/pip" install -q --no-deps --no-build-isolation --no-index \
		-e "$T/project/mylib" || return 0
	setup mkdir "$T/data" || return 0
	# 512 rows, 8 features and a target, the same bytes every time.
	setup /usr/bin/python3 -c '
import random, sys
rng = random.Random(1)
w = [rng.uniform(-1, 1) for _ in range(8)]
with open(sys.argv[1], "w") as f:
    f.write(",".join(["x%d" % i for i in range(8)] + ["y"]) + "\n")
    for _ in range(512):
        x = [rng.gauss(0, 1) for _ in range(8)]
        y = sum(a * b for a, b in zip(w, x)) + rng.gauss(0, 0.1)
        f.write(",".join("%.6f" % v for v in x + [y]) + "\n")
' "$T/data/train.csv" || return 0
	check "$p setup: no __pycache__ in the repository before any run" "" "$(find "$T/project" -name __pycache__)"
	local data_sum
	data_sum=$(sum "$T/data/train.csv")

	# ---- 1. capture in the repository root ----
	x "$el" capture --python "$T/venv/bin/python" --data ../data -o env.lock
	check "$p 1. capture --python \$T/venv/bin/python --data ../data -o env.lock: exit 0" 0 "$status" "$err"
	if [ ! -f env.lock ]; then
		check "$p 1. env.lock written (the rest of the loop needs it)" yes no "$err"
		return 0
	fi
	check "$p 1. the lock's interpreter is the venv's" "$T/venv/bin/python" "$(jq -r .python.executable env.lock)"
	check "$p 1. the editable package is in the lock" "0.1.0" "$(jq -r '.python.packages.mylib // "absent"' env.lock)"
	check "$p 1. python.installs.mylib: editable, from \$T/project/mylib, with its source's tree" \
		"true file://$T/project/mylib sha256" \
		"$(jq -r '.python.installs.mylib // {} | "\(.editable) \(.url) \(.tree // "none" | split(":")[0])"' env.lock)"
	check "$p 1. schema 3: code identity in meta, not in the fingerprinted lock" "3 false" \
		"$(jq -r '"\(.envlock) \(has("code"))"' env.lock)"

	# ---- 2. commit the lock ----
	x git add env.lock
	x git commit -q -m "Lock the training environment"
	check "$p 2. git add env.lock && git commit: exit 0" 0 "$status" "$out" "$err"

	# ---- 3. check, with the lock's interpreter (no --python) ----
	x "$el" check
	check "$p 3. envlock check after committing the lock: exit 0 (the commit did not make it stale)" 0 "$status" "$out" "$err"
	x "$el" check --format json
	check "$p 3. check --format json: no python.* finding (the lock's interpreter was checked, not python3 on PATH)" 0 \
		"$(jq '.findings|map(select(.path|startswith("python")))|length' "$out" 2>/dev/null || echo "no JSON report (exit $status)")" \
		"$out" "$err"
	cd src
	x "$el" check
	check "$p 3. envlock check from src/: exit 0 (the lock found upward, ../data still the lock's)" 0 "$status" "$out" "$err"

	# ---- 4. run from src/ ----
	x "$el" exec -- python train.py
	cp "$out" "$base/$half.train.out"
	cp "$err" "$base/$half.train.err"
	check "$p 4. cd src && envlock exec -- python train.py: exit 0" 0 "$status" "$out" "$err"
	local trained=$status
	if [ "$trained" -eq 0 ]; then
		check "$p 4. the run trained (DataLoader workers, mylib, ../data)" yes \
			"$(yesno grep -q '^final loss .* after 300 steps$' "$out")" "$out"
	fi
	check "$p 4. model.bin in the repository root on the host" yes "$(yesno test -f "$T/project/model.bin")"
	# What the command sees: where it starts, its interpreter, the editable
	# source, the repository root writable, ../data readable but not writable.
	x "$el" exec -- python -c '
import errno, os, sys
import mylib
def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def write_root():
    open("../.envlock-probe", "w").close()
    os.unlink("../.envlock-probe")
print("cwd", os.getcwd())
print("prefix", sys.prefix)
print("mylib", mylib.__file__)
print("root-write", attempt(write_root))
print("data-read", attempt(lambda: open("../../data/train.csv").read()))
print("data-write", attempt(lambda: open("../../data/train.csv", "a").write("1\n")))
print("data-create", attempt(lambda: open("../../data/new.csv", "w").close()))
'
	check "$p 4. a probe from src/ (python -c): exit 0" 0 "$status" "$out" "$err"
	probe() { sed -n "s/^$1 //p" "$out"; }
	# refused ERRNO: a write refused, with the error read-only data gives (EROFS) or its permissions do.
	refused() { case $1 in EROFS | EACCES | EPERM) echo refused ;; *) echo "$1" ;; esac; }
	# What it printed means something only if it ran.
	if [ "$status" -eq 0 ]; then
		check "$p 4. the command starts in src/" "$T/project/src" "$(probe cwd)"
		check "$p 4. python is the lock's interpreter" "$T/venv" "$(probe prefix)"
		check "$p 4. the editable package's source is visible" "$T/project/mylib/mylib/__init__.py" "$(probe mylib)"
		check "$p 4. the repository root is the writable working directory" ok "$(probe root-write)"
		check "$p 4. ../data is visible" ok "$(probe data-read)"
		check "$p 4. ../data is read-only: appending to train.csv fails" refused "$(refused "$(probe data-write)")"
		check "$p 4. ../data is read-only: a new file fails" refused "$(refused "$(probe data-create)")"
		check "$p 4. ../data unchanged on the host" "$data_sum train.csv" \
			"$(echo "$(sum "$T/data/train.csv")" "$(ls "$T/data")")"
	fi
	# Only a run that imported mylib could have written its bytecode.
	if [ "$trained" -eq 0 ]; then
		check "$p 4. no __pycache__ anywhere in the repository after the run" "" "$(find "$T/project" -name __pycache__)"
	fi

	# ---- 5. what was written outside the working directory ----
	check "$p 5. the discarded checkpoint is listed on stderr" \
		"$(printf '%s\n' "envlock: exec: 1 file written outside the working directory was discarded with the sandbox (--keep-scratch DIR keeps them):" "envlock:   /tmp/ckpt.bin")" \
		"$(grep -A1 -F 'written outside the working directory' "$base/$half.train.err")" "$base/$half.train.err"
	x "$el" exec --keep-scratch "$T/keep" -- python train.py
	check "$p 5. exec --keep-scratch \$T/keep -- python train.py: exit 0" 0 "$status" "$out" "$err"
	if [ "$status" -eq 0 ]; then
		check "$p 5. the checkpoint kept at \$T/keep/tmp/ckpt.bin, the bytes written inside (their sha256)" \
			"$(sed -n 's/^ckpt sha256 //p' "$out")" \
			"$(if [ -f "$T/keep/tmp/ckpt.bin" ]; then sum "$T/keep/tmp/ckpt.bin"; else
				echo "no such file; in \$T/keep: $(cd "$T/keep" && find . -mindepth 1 | head -5 | tr '\n' ' ')"; fi)" "$err"
	fi
	cd "$T/project"

	# ---- 6. a script run by its shebang, #!/usr/bin/env python ----
	cd scripts
	x "$el" exec -- ./prep.py
	check "$p 6. cd scripts && envlock exec -- ./prep.py: exit 0" 0 "$status" "$out" "$err"
	if [ "$status" -eq 0 ]; then
		check "$p 6. prep.py ran with the venv's interpreter" "$T/venv" "$(sed -n 's/^prefix //p' "$out")" "$out"
	fi
	cd "$T/project"

	# ---- 7. a recorded run ----
	check "$p 7. runs/ absent before the recorded run" no "$(yesno test -e runs)"
	x "$el" exec --seed 42 --record runs/ --output model.bin -- python src/train.py
	check "$p 7. exec --seed 42 --record runs/ --output model.bin -- python src/train.py: exit 0" 0 "$status" "$out" "$err"
	local -a recs=()
	[ -d runs ] && mapfile -t recs < <(find runs -maxdepth 1 -name 'run-*.json')
	check "$p 7. runs/ created, with exactly one runs/run-*.json" "1" "$([ -d runs ] && echo "${#recs[@]}" || echo "no runs/")"
	if [ "${#recs[@]}" -eq 1 ]; then
		check "$p 7. the record's subject: model.bin and its sha256" "model.bin $(sum model.bin)" \
			"$(jq -r '.subject[] | "\(.name) \(.digest.sha256)"' "${recs[0]}")"
	fi

	# ---- 8. replay ----
	if [ "${#recs[@]}" -eq 1 ] && [ -f model.bin ]; then
		local before_sum before_mtime
		before_sum=$(sum model.bin)
		before_mtime=$(mtime model.bin)
		x "$el" replay "${recs[0]}"
		check "$p 8. envlock replay runs/run-*.json: exit 0" 0 "$status" "$out" "$err"
		check "$p 8. replay says the run reproduced bit for bit" yes "$(yesno grep -qF 'reproduced bit for bit' "$out")" "$out" "$err"
		check "$p 8. model.bin on the host untouched by replay: sha256 and mtime" "$before_sum $before_mtime" \
			"$(sum model.bin) $(mtime model.bin)"
	else
		check "$p 8. replay of the recorded run" "one record and model.bin from step 7" \
			"${#recs[@]} records, model.bin $(yesno test -f model.bin)"
	fi
	x "$el" exec --record clock/ --output out.txt -- python -c 'import time; open("out.txt", "w").write(str(time.time_ns()))'
	check "$p 8. a run that writes the time, recorded in clock/: exit 0" 0 "$status" "$out" "$err"
	local -a clock=()
	[ -d clock ] && mapfile -t clock < <(find clock -maxdepth 1 -name 'run-*.json')
	if [ "${#clock[@]}" -eq 1 ] && [ -f out.txt ]; then
		local clock_bytes
		clock_bytes="$(sum out.txt) $(mtime out.txt)"
		x "$el" replay "${clock[0]}"
		check "$p 8. replay of the time-writing run: exit 1" 1 "$status" "$out" "$err"
		check "$p 8. replay says out.txt differs" yes "$(yesno grep -q 'differs.*out\.txt' "$out")" "$out" "$err"
		check "$p 8. the recorded out.txt untouched by replay: sha256 and mtime" "$clock_bytes" "$(sum out.txt) $(mtime out.txt)"
	else
		check "$p 8. replay of the time-writing run" "one record in clock/ and out.txt" \
			"${#clock[@]} records, out.txt $(yesno test -f out.txt)"
	fi

	# ---- 9. CI: a fresh clone beside its data ----
	# A CI runner checks the repository out into a workspace of its own and
	# finds the data beside the checkout (synced or mounted there), with the
	# environment baked into its image at the same path (the same venv). So:
	# $T/ci/project, a clone, and $T/ci/data, a copy of $T/data: ../data
	# from the clone's root names the same bytes at another path, the way
	# it did in the repository where the lock was made.
	x git clone -q "$T/project" "$T/ci/project"
	check "$p 9. git clone: exit 0" 0 "$status" "$out" "$err"
	x cp -a "$T/data" "$T/ci/data"
	cd "$T/ci/project"
	x "$el" check
	check "$p 9. envlock check in the fresh clone: exit 0" 0 "$status" "$out" "$err"
	cd "$T/project"

	# ---- 10. threads ----
	x "$el" show
	check "$p 10. envlock show: exit 0" 0 "$status" "$out" "$err"
	# "threads" as a word of its own: OMP_NUM_THREADS in the env section does not count.
	check "$p 10. envlock show gives the thread count ($ncpus)" yes \
		"$(yesno grep -qiE "\\bthreads?\\b.*\\b$ncpus\\b|\\b$ncpus\\b.*\\bthreads?\\b" "$out")" "$out"
	check "$p 10. jq .threads env.lock: the CPUs this process may use (nproc)" "$ncpus" "$(jq .threads env.lock)"

	# ---- 11. an edit of the editable package's source is drift ----
	cp mylib/mylib/__init__.py "$base/$half.mylib.py"
	x sh -c 'echo "EDITED = True" >>mylib/mylib/__init__.py'
	x "$el" check --format json
	check "$p 11. mylib's source edited: envlock check exit 1" 1 "$status" "$out" "$err"
	check "$p 11. the finding names python.installs.mylib.tree" "python.installs.mylib.tree" \
		"$(jq -r '[.findings[].path] | join(" ")' "$out" 2>/dev/null || echo "no JSON report (exit $status)")" "$out"
	x cp "$base/$half.mylib.py" mylib/mylib/__init__.py
	x "$el" check
	check "$p 11. the source restored: envlock check exit 0" 0 "$status" "$out" "$err"
}

for half in "${halves[@]}"; do
	echo "# the loop as $([ "$half" = user ] && echo "$user" || id -un)"
	loop "$half"
done
finish
