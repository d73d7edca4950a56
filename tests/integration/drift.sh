#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check, diff, show and profiles: golden reports, drift scenarios made from
# a real capture of this machine, and bad input.
#
#   drift.sh            run the checks
#   drift.sh --update   rewrite tests/golden/ from the current binary (review the diff!)
. "$(dirname "$0")/lib.sh"
need jq sha256sum

fixtures=$EL_SOURCE_DIR/tests/fixtures/drift
golden=$EL_SOURCE_DIR/tests/golden
export ENVLOCK_CACHE_DIR=$scratch/cache
# Only the built-in profiles, whatever this machine has in ~/.config or /etc.
export ENVLOCK_PROFILE_PATH=$scratch/no-profiles
unset NO_COLOR

# Re-fingerprint a lock edited with jq, as README.md tells how.
refingerprint() {
	local fp
	fp="sha256:$(jq -cS 'del(.fingerprint,.meta)' "$1" | tr -d '\n' | sha256sum | cut -d' ' -f1)"
	jq -S --indent 2 --arg fp "$fp" '.fingerprint=$fp' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# edit NAME JQ-FILTER: $scratch/NAME.lock, the base lock edited and re-fingerprinted.
edit() {
	jq "$2" "$scratch/base.lock" >"$scratch/$1.lock"
	refingerprint "$scratch/$1.lock"
}

# ---- golden reports (the fixture locks; names relative, as users type them) ----
golden_case() { # NAME EXPECTED-STATUS -- command...
	local name=$1 want=$2
	shift 3
	run "$scratch/out" "$scratch/err" "$@"
	if [ "${update:-}" = 1 ]; then
		cp "$scratch/out" "$golden/$name"
	fi
	check_eq "golden $name: exit status" "$want" "$status"
	check_eq "golden $name: output" "$(cat "$golden/$name")" "$(cat "$scratch/out")"
	check_eq "golden $name: nothing on stderr" "" "$(cat "$scratch/err")"
}
[ "${1:-}" = --update ] && update=1
cd "$fixtures"
golden_case diff.txt 1 -- env LC_ALL=C "$ENVLOCK" diff a.lock b.lock
golden_case diff-utf8.txt 1 -- env LC_ALL=C.UTF-8 "$ENVLOCK" diff a.lock b.lock
golden_case diff.json 1 -- "$ENVLOCK" diff a.lock b.lock --format json
golden_case diff-github.txt 1 -- "$ENVLOCK" diff --format github a.lock b.lock
golden_case diff-stat.txt 1 -- "$ENVLOCK" diff --stat a.lock b.lock
golden_case diff-junit.xml 1 -- "$ENVLOCK" diff --format junit a.lock b.lock
check_eq "junit: well-formed XML, a testcase per section, those with refused drift failing" "7 4 4" \
	"$(python3 -c 'import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
print(len(d.getElementsByTagName("testcase")), len(d.getElementsByTagName("failure")), d.documentElement.getAttribute("failures"))' "$golden/diff-junit.xml")"
# With $GITHUB_STEP_SUMMARY, a table of the sections goes there too (appended, as the runner expects).
printf 'before\n' >"$scratch/summary.md"
golden_case diff-github.txt 1 -- env GITHUB_STEP_SUMMARY="$scratch/summary.md" "$ENVLOCK" diff --format github a.lock b.lock
[ "${update:-}" = 1 ] && tail -n +2 "$scratch/summary.md" >"$golden/diff-github-summary.md"
check_eq "github: the step summary, after what the file held" "before
$(cat "$golden/diff-github-summary.md")" "$(cat "$scratch/summary.md")"
golden_case kernel.txt 0 -- env LC_ALL=C "$ENVLOCK" diff a.lock kernel.lock
golden_case kernel-strict.txt 1 -- env LC_ALL=C "$ENVLOCK" diff --strict a.lock kernel.lock
# A lock from before "threads" against one with it: the pins changed (refused), the count appeared (warned).
golden_case threads.txt 1 -- env LC_ALL=C "$ENVLOCK" diff a.lock threads.lock
cd - >/dev/null

# A schema-1 lock is read; its fingerprinted code section is set aside, said once.
cd "$fixtures"
run "$scratch/out" "$scratch/err" env LC_ALL=C "$ENVLOCK" diff schema1.lock a.lock
cd - >/dev/null
check_eq "schema 1 against its schema-2 twin: no drift" 0 "$status"
check_eq "schema 1 against its schema-2 twin: report" "a.lock against schema1.lock (profile default)

no drift" "$(cat "$scratch/out")"
check_eq "schema 1: one note" "envlock: note: schema1.lock: a schema-1 lock: its code section is not compared (since schema 2 the code is not part of the environment); re-lock to update the file" \
	"$(cat "$scratch/err")"

# The json report is one object that jq reads, with every finding's severity.
"$ENVLOCK" diff "$fixtures/a.lock" "$fixtures/b.lock" --format json >"$scratch/d.json" || true
check_eq "json: the escape-laden version survives as data" '"1.0\u001b]0;pwned\u0007"' \
	"$(jq -c '.findings[] | select(.path == "python.packages.evil-pkg") | .new' "$scratch/d.json")"
check_eq "json: ignored findings are listed" '["cpu.microcode"]' \
	"$(jq -c '[.findings[] | select(.severity == "ignore") | .path]' "$scratch/d.json")"
# No raw escape byte reaches the terminal from a hostile lock.
"$ENVLOCK" diff "$fixtures/a.lock" "$fixtures/b.lock" >"$scratch/d.txt" || true
check_eq "text: no ESC byte from the lock's values" 0 "$(grep -c $'\033' "$scratch/d.txt" || true)"

# ---- colour: only on a terminal, never with NO_COLOR or TERM=dumb ----
if command -v script >/dev/null; then
	tty_run() { TERM=xterm script -qec "$*" /dev/null </dev/null; }
	(cd "$fixtures" && tty_run "LC_ALL=C '$ENVLOCK' diff a.lock b.lock") >"$scratch/tty.txt" || true
	check_eq "tty: refusals in bold red" 1 "$(grep -c $'\033\\[1;31mrefuse' "$scratch/tty.txt" | grep -c '^[1-9]')"
	check_eq "tty: warnings in yellow" 1 "$(grep -c $'\033\\[33mwarn' "$scratch/tty.txt" | grep -c '^[1-9]')"
	# Stripped of colour and CRs, it is the plain report.
	check_eq "tty: same text once the colour is gone" "$(cat "$golden/diff.txt")" \
		"$(sed -e $'s/\033\\[[0-9;]*m//g' -e 's/\r$//' "$scratch/tty.txt")"
	tty_run "NO_COLOR=1 '$ENVLOCK' diff '$fixtures/a.lock' '$fixtures/b.lock'" >"$scratch/tty-nc.txt" || true
	check_eq "tty: NO_COLOR turns colour off" 0 "$(grep -c $'\033' "$scratch/tty-nc.txt" || true)"
	tty_run "TERM=dumb '$ENVLOCK' diff '$fixtures/a.lock' '$fixtures/b.lock'" >"$scratch/tty-dumb.txt" || true
	check_eq "tty: TERM=dumb turns colour off" 0 "$(grep -c $'\033' "$scratch/tty-dumb.txt" || true)"
	tty_run "'$ENVLOCK' diff --color=never '$fixtures/a.lock' '$fixtures/b.lock'" >"$scratch/tty-never.txt" || true
	check_eq "tty: --color=never" 0 "$(grep -c $'\033' "$scratch/tty-never.txt" || true)"
else
	skip_part "script(1) is not installed: the terminal checks"
fi
"$ENVLOCK" diff --color=always "$fixtures/a.lock" "$fixtures/b.lock" >"$scratch/always.txt" || true
check_eq "--color=always colours a pipe" 1 "$(grep -c $'\033\\[1;31m' "$scratch/always.txt" | grep -c '^[1-9]')"

# ---- drift scenarios from a real capture of this machine ----
"$ENVLOCK" capture -o "$scratch/base.lock" 2>/dev/null
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/base.lock"
check_eq "unchanged machine: exit 0" 0 "$status"
check_eq "unchanged machine: no drift" "no drift" "$(tail -1 "$scratch/out")"

# scenario NAME JQ-EDIT EXPECTED-STATUS EXPECTED-FINDINGS [check options...]
# The findings are compared as "severity path old new" lines from --format json
# (old is the lock's value, new this machine's).
scenario() {
	local name=$1 filter=$2 want=$3 findings=$4
	shift 4
	edit "$name" "$filter"
	run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/$name.lock" --format json "$@"
	check_eq "$name: exit status" "$want" "$status"
	check_eq "$name: findings" "$findings" \
		"$(jq -r '.findings[] | "\(.severity) \(.path) \(.old) \(.new)"' "$scratch/out" 2>&1)"
}

pkg=$(jq -r '.python.packages // {} | keys[0] // empty' "$scratch/base.lock")
if [ -n "$pkg" ]; then
	real=$(jq -r --arg p "$pkg" '.python.packages[$p]' "$scratch/base.lock")
	scenario upgraded ".python.packages[\"$pkg\"] = \"0.0.1\"" 1 "refuse python.packages.$pkg 0.0.1 $real"
	scenario removed '.python.packages["envlock-ghost"] = "1.0"' 1 \
		"refuse python.packages.envlock-ghost 1.0 null"
fi
if [ "$(jq -r '.gpu.cuda_runtime // empty' "$scratch/base.lock")" != "" ]; then
	rt=$(jq -r .gpu.cuda_runtime "$scratch/base.lock")
	scenario cuda-runtime '.gpu.cuda_runtime = "11.8"' 1 "refuse gpu.cuda_runtime 11.8 $rt"
fi
if [ "$(jq -r '.gpu.cudnn // empty' "$scratch/base.lock")" != "" ]; then
	dnn=$(jq -r .gpu.cudnn "$scratch/base.lock")
	scenario cudnn '.gpu.cudnn = "8.9.7"' 1 "refuse gpu.cudnn 8.9.7 $dnn"
fi
if jq -e '.cpu.flags | index("avx512f")' "$scratch/base.lock" >/dev/null; then
	# This machine has it: a lock without it sees the flag appear.
	scenario avx512f '.cpu.flags -= ["avx512f"]' 0 "warn cpu.flags null avx512f"
else
	# The lock was made where avx512f existed; this machine lost it.
	scenario avx512f '.cpu.flags += ["avx512f"] | .cpu.flags |= sort' 0 "warn cpu.flags avx512f null"
	run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/avx512f.lock" --strict
	check_eq "avx512f lost, --strict: exit 1" 1 "$status"
fi
kernel=$(uname -r)
scenario kernel '.host.kernel = "5.10.0-old"' 0 "warn host.kernel 5.10.0-old $kernel"
scenario pin '.env.TZ = "Europe/Paris"' 1 "refuse env.TZ Europe/Paris UTC"
scenario gpu-gone '.gpu.devices = [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0", "memory_mib": 81559}]' 1 \
	"$(printf '%s\n' 'refuse gpu.devices[0].compute_capability 9.0 null' \
		'refuse gpu.devices[0].memory_mib 81559 null' 'refuse gpu.devices[0].name NVIDIA H100 80GB HBM3 null')"
# A GPU appeared: the lock from a machine without one, the other with one.
jq 'del(.gpu)' "$fixtures/a.lock" >"$scratch/nogpu.lock"
refingerprint "$scratch/nogpu.lock"
run "$scratch/out" "$scratch/err" env LC_ALL=C "$ENVLOCK" diff "$scratch/nogpu.lock" "$fixtures/a.lock"
check_eq "gpu appeared: exit 1" 1 "$status"
check_eq "gpu appeared: the section is named as missing on one side" "gpu (not in $scratch/nogpu.lock)" \
	"$(grep '^gpu' "$scratch/out")"
check_eq "gpu appeared: every leaf listed" 9 "$(grep -c '  refuse  gpu\.\|  warn    gpu\.' "$scratch/out")"

# The profile named in the lock decides the policy; --profile overrides it.
jq '.meta.profile = "strict"' "$scratch/kernel.lock" >"$scratch/kernel-strict.lock"
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/kernel-strict.lock"
check_eq "meta.profile strict: the kernel refuses" 1 "$status"
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/kernel-strict.lock" --profile default
check_eq "--profile default overrides the lock's strict" 0 "$status"
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/pin.lock"
python_exe=$(jq -r .python.executable "$scratch/pin.lock")
check_eq "refused drift: the re-lock hint" \
	"If the change is intended, re-lock: cd $scratch && envlock capture --python $python_exe -o pin.lock" \
	"$(tail -1 "$scratch/out")"
# The hint, run as printed (from elsewhere), makes a lock that this machine passes.
hint=$(tail -1 "$scratch/out" | sed 's/^If the change is intended, re-lock: //')
(cd / && PATH="$(dirname "$ENVLOCK"):$PATH" eval "$hint") 2>/dev/null
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/pin.lock"
check_eq "the re-lock hint, run: check passes" 0 "$status"
check_eq "the re-lock hint, run: the same interpreter" "$python_exe" "$(jq -r .python.executable "$scratch/pin.lock")"
edit pin '.env.TZ = "Europe/Paris"'
# Found upward: from a subdirectory of a repository, the lock at its root; the search stops there.
mkdir -p "$scratch/repo/.git" "$scratch/repo/src/deep"
cp "$scratch/base.lock" "$scratch/repo/env.lock"
run "$scratch/out" "$scratch/err" sh -c "cd '$scratch/repo/src/deep' && '$ENVLOCK' check"
check_eq "check from a subdirectory finds ../../env.lock" 0 "$status"
check_eq "check from a subdirectory: the report names it" "this machine against ../../env.lock (profile default)" \
	"$(head -1 "$scratch/out")"
mv "$scratch/repo/env.lock" "$scratch/env.lock"
run "$scratch/out" "$scratch/err" sh -c "cd '$scratch/repo/src' && '$ENVLOCK' check"
check_eq "the search stops at the repository's root: exit 2" 2 "$status"
check_eq "the search stops at the repository's root: message" \
	"envlock: check: no env.lock in this directory or above it (up to $scratch/repo, the repository's root); capture one with 'envlock capture -o env.lock' where the code is, or name one with --lock" \
	"$(cat "$scratch/err")"
rm "$scratch/env.lock"
# A lock another user owns (planted in a shared directory) is not taken unless named.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$scratch/shared-dir/job"
	cp "$scratch/base.lock" "$scratch/shared-dir/env.lock"
	chown 65534 "$scratch/shared-dir/env.lock"
	run "$scratch/out" "$scratch/err" sh -c "cd '$scratch/shared-dir/job' && '$ENVLOCK' check"
	check_eq "a lock another user owns: exit 2" 2 "$status"
	check_eq "a lock another user owns: message" \
		"envlock: check: $scratch/shared-dir/env.lock belongs to uid 65534, not to you: not used; name it with --lock if you trust it" \
		"$(cat "$scratch/err")"
fi

# A section the lock lacks but this machine has appeared: drift, not a gap.
edit nopython 'del(.python) | del(.toolchain.python)'
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/nopython.lock" --format json
check_eq "a section that appeared: exit 1" 1 "$status"
check_eq "a section that appeared: python.version added" '["added","refuse"]' \
	"$(jq -c '[.findings[] | select(.path == "python.version") | .change, .severity]' "$scratch/out")"

# ---- the thread count ----
threads=$(usable_cpus)
check_eq "capture: threads auto is the CPUs a run may use" "$threads" "$(jq -r .threads "$scratch/base.lock")"
check_eq "capture: OMP, MKL and OpenBLAS pinned to it" "$threads $threads $threads" \
	"$(jq -r '[.env.OMP_NUM_THREADS, .env.MKL_NUM_THREADS, .env.OPENBLAS_NUM_THREADS] | join(" ")' "$scratch/base.lock")"
# pins N: the lock's count N and its three pins.
pins() { echo ".threads = $1 | .env.OMP_NUM_THREADS = \"$1\" | .env.MKL_NUM_THREADS = \"$1\" | .env.OPENBLAS_NUM_THREADS = \"$1\""; }
# A lock made where runs had more CPUs: its count is kept (no env drift), the shortfall is a warning.
big=$((threads + 1))
scenario threads-more "$(pins "$big")" 0 "warn threads $big $threads"
run "$scratch/out" "$scratch/err" env LC_ALL=C "$ENVLOCK" check --lock "$scratch/threads-more.lock"
check_eq "threads-more: the text report" "$(printf '%s\n' "threads" "  warn    threads  $big -> $threads" "" \
	"0 refused, 1 warning, 0 ignored: nothing refused")" "$(sed -n '3,$p' "$scratch/out")"
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/threads-more.lock" --strict
check_eq "threads-more, --strict: exit 1" 1 "$status"
# Made where runs had fewer CPUs: this machine can run that count, so nothing drifts.
scenario threads-fewer "$(pins 1)" 0 ""
# strict refuses the shortfall.
"$ENVLOCK" capture --profile strict -o "$scratch/strict-base.lock" 2>/dev/null
jq "$(pins "$big")" "$scratch/strict-base.lock" >"$scratch/threads-strict.lock"
refingerprint "$scratch/threads-strict.lock"
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/threads-strict.lock" --format json
check_eq "threads-more under strict: exit 1" 1 "$status"
check_eq "threads-more under strict: refused" "refuse threads $big $threads" \
	"$(jq -r '.findings[] | "\(.severity) \(.path) \(.old) \(.new)"' "$scratch/out")"
# A lock from before "threads" (pins at 1, no count): the pins changed, which is drift, and the count appeared.
if [ "$threads" = 1 ]; then
	old_pins=""
else
	old_pins=$(printf 'refuse env.%s 1 %s\n' MKL_NUM_THREADS "$threads" OMP_NUM_THREADS "$threads" \
		OPENBLAS_NUM_THREADS "$threads")
fi
scenario threads-before 'del(.threads) | .env.OMP_NUM_THREADS = "1" | .env.MKL_NUM_THREADS = "1" | .env.OPENBLAS_NUM_THREADS = "1"' 1 \
	"$(printf '%s\n' "$old_pins" "warn threads null $threads" | sed '/^$/d')"
# capture --profile with threads N: N recorded and pinned, a setenv winning over it.
printf 'include default\nthreads 3\nsetenv OMP_NUM_THREADS 5\n' >"$scratch/three.profile"
run "$scratch/three.lock" "$scratch/err" "$ENVLOCK" capture --profile "$scratch/three.profile"
check_eq "threads 3: recorded" 3 "$(jq -r .threads "$scratch/three.lock")"
check_eq "threads 3: pinned, OMP by setenv" "5 3 3" \
	"$(jq -r '[.env.OMP_NUM_THREADS, .env.MKL_NUM_THREADS, .env.OPENBLAS_NUM_THREADS] | join(" ")' "$scratch/three.lock")"
run "$scratch/out" "$scratch/err" "$ENVLOCK" show "$scratch/three.lock"
check_eq "show: the count and what is pinned to it" "threads      3 (MKL, OpenBLAS pinned)" "$(grep '^threads ' "$scratch/out")"
printf 'include default\nthreads 3\nkeepenv OMP_NUM_THREADS MKL_NUM_THREADS OPENBLAS_NUM_THREADS\n' >"$scratch/kept.profile"
"$ENVLOCK" capture --profile "$scratch/kept.profile" -o "$scratch/kept.lock" 2>/dev/null
check_eq "keepenv of all three: none in env" "" "$(jq -r '.env | keys[] | select(endswith("_NUM_THREADS"))' "$scratch/kept.lock")"
run "$scratch/out" "$scratch/err" "$ENVLOCK" show "$scratch/kept.lock"
check_eq "show: a count nothing is pinned to" "threads      3 (nothing pinned to it)" "$(grep '^threads ' "$scratch/out")"

# github format
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/pin.lock" --format github
check_eq "github: an ::error line for a refused pin, at its line of the lock" \
	"::error file=$scratch/pin.lock,line=$(grep -n '"TZ":' "$scratch/pin.lock" | cut -d: -f1),title=envlock drift in env (1 failed%2C 0 warned)::env.TZ: Europe/Paris -> UTC" \
	"$(grep '^::error' "$scratch/out")"
# Many findings in a section: one annotation, its first five, and how many more.
edit many '.env += {"A1": "1", "A2": "2", "A3": "3", "A4": "4", "A5": "5", "A6": "6", "A7": "7"}'
run "$scratch/out" "$scratch/err" "$ENVLOCK" diff --format github "$scratch/many.lock" "$scratch/base.lock"
check_eq "github: seven findings of a section, one annotation" "1 1" "$status $(grep -c '^::' "$scratch/out")"
check_eq "github: its first five, then the count of the rest" \
	"env.A1: 1 -> (absent)%0Aenv.A2: 2 -> (absent)%0Aenv.A3: 3 -> (absent)%0Aenv.A4: 4 -> (absent)%0Aenv.A5: 5 -> (absent)%0A... and 2 more" \
	"$(grep '^::error' "$scratch/out" | sed 's/^[^:]*::[^:]*:://')"
# Bad input is an annotation too, besides its line on stderr.
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/nowhere.lock" --format github
check_eq "github: a lock that cannot be read: exit 2, an ::error on stdout, the line on stderr" \
	"2 ::error title=envlock::$scratch/nowhere.lock: no such lock file (create one with 'envlock capture -o $scratch/nowhere.lock') envlock: $scratch/nowhere.lock: no such lock file (create one with 'envlock capture -o $scratch/nowhere.lock')" \
	"$status $(cat "$scratch/out") $(cat "$scratch/err")"

# ---- the lock's interpreter is run on the host only when nobody else can change it ----
mkdir -p "$scratch/shared/bin"
cp "$(jq -r .python.executable "$scratch/base.lock" | xargs realpath)" "$scratch/shared/bin/python3"
chmod 0777 "$scratch/shared/bin"
edit unsafe-python ".python.executable = \"$scratch/shared/bin/python3\""
run "$scratch/out" "$scratch/err" env LC_ALL=C "$ENVLOCK" check --lock "$scratch/unsafe-python.lock"
check_eq "a lock naming a python others can change: refused" 1 "$status"
check_eq "a lock naming a python others can change: not run, said once" \
	"envlock: warning: python: $scratch/shared/bin/python3: not run: it, or a directory on its way, belongs to another user or is writable by others; --python EXE checks another interpreter" \
	"$(cat "$scratch/err")"
check_eq "a lock naming a python others can change: one finding" \
	"  refuse  python.executable  $scratch/shared/bin/python3 -> (absent)" "$(grep '^  [a-z]* *python\.' "$scratch/out")"

# ---- require clean-tree: a policy on the working tree, not drift ----
git_repo=$scratch/clean-repo
mkdir -p "$git_repo/src"
echo 'print(1)' >"$git_repo/src/train.py"
git_c() { git -C "$git_repo" -c user.name=t -c user.email=t@t -c commit.gpgsign=false "$@"; }
git_c init -q && git_c add . && git_c commit -qm code
(cd "$git_repo" && "$ENVLOCK" capture -o env.lock 2>/dev/null)
git_c add env.lock && git_c commit -qm lock
check_eq "the lock holds the commit in meta.code only" "null $(git_c rev-parse HEAD~1)" \
	"$(jq -r '.code, .meta.code.git_commit' "$git_repo/env.lock" | tr '\n' ' ' | sed 's/ $//')"
run "$scratch/out" "$scratch/err" sh -c "cd '$git_repo/src' && '$ENVLOCK' check --profile ci"
check_eq "committed lock, clean tree, ci: exit 0" 0 "$status"
echo 'print(2)' >"$git_repo/src/train.py"
run "$scratch/out" "$scratch/err" sh -c "cd '$git_repo/src' && LC_ALL=C '$ENVLOCK' check"
check_eq "a dirty tree under default: no drift (exit 0)" 0 "$status"
run "$scratch/out" "$scratch/err" sh -c "cd '$git_repo/src' && LC_ALL=C '$ENVLOCK' check --profile ci"
check_eq "a dirty tree under ci: exit 1" 1 "$status"
check_eq "a dirty tree under ci: report" "this machine against ../env.lock (profile ci)

the profile
  refuse  require clean-tree: tracked files differ from the commit checked out (commit or stash them)

0 refused, 0 warnings, 0 ignored: a requirement of the profile is not met" "$(cat "$scratch/out")"
run "$scratch/out" "$scratch/err" sh -c "cd '$git_repo' && '$ENVLOCK' check --profile ci --format json"
check_eq "a dirty tree under ci: json" '[true,["require clean-tree: tracked files differ from the commit checked out (commit or stash them)"]]' \
	"$(jq -c '[.drift, .unmet]' "$scratch/out")"
run "$scratch/out" "$scratch/err" sh -c "cd '$git_repo' && '$ENVLOCK' check --profile ci --format github"
check_eq "a dirty tree under ci: github" "::error title=envlock requirement::require clean-tree: tracked files differ from the commit checked out (commit or stash them)" \
	"$(grep '^::' "$scratch/out")"
git_c checkout -q -- src/train.py
cp "$git_repo/env.lock" "$scratch/nogit.lock"
run "$scratch/out" "$scratch/err" "$ENVLOCK" check --lock "$scratch/nogit.lock" --profile ci --format json
check_eq "outside a git checkout under ci: exit 1" 1 "$status"
check_eq "outside a git checkout under ci: why" '["require clean-tree: the working directory is not in a git checkout with a commit"]' \
	"$(jq -c .unmet "$scratch/out")"

# ---- capture --profile ----
run "$scratch/tf.lock" "$scratch/err" "$ENVLOCK" capture --profile tensorflow
check_eq "capture --profile: meta.profile" tensorflow "$(jq -r .meta.profile "$scratch/tf.lock")"
check_eq "capture --profile: the profile's pins in env" 1 "$(jq -r .env.TF_DETERMINISTIC_OPS "$scratch/tf.lock")"
check_eq "capture: meta.profile defaults to default" default "$(jq -r .meta.profile "$scratch/base.lock")"

# ---- bad input: one line on stderr, exit 2 ----
bad() { # WHAT EXPECTED-STDERR -- command...
	local what=$1 want=$2
	shift 3
	run "$scratch/out" "$scratch/err" "$@"
	check_eq "$what: exit 2" 2 "$status"
	check_eq "$what: message" "$want" "$(cat "$scratch/err")"
	check_eq "$what: nothing on stdout" "" "$(cat "$scratch/out")"
}
cd "$scratch"
bad "missing lock" "envlock: check: no env.lock in this directory or above it (up to /); capture one with 'envlock capture -o env.lock' where the code is, or name one with --lock" -- \
	"$ENVLOCK" check
bad "missing --lock" "envlock: nowhere.lock: no such lock file (create one with 'envlock capture -o nowhere.lock')" -- \
	"$ENVLOCK" check --lock nowhere.lock
jq '.env.TZ = "Asia/Tokyo"' base.lock >handedit.lock
bad "hand-edited lock" "envlock: handedit.lock: the fingerprint does not match the content (edited by hand, or a merge resolved badly?); re-lock with: envlock capture --python $python_exe -o handedit.lock" -- \
	"$ENVLOCK" check --lock handedit.lock
printf '{\n  "envlock": 1,\n  "host": {\n' >truncated.lock
bad "truncated lock" "envlock: truncated.lock:4:0: invalid JSON: string or '}' expected near end of file" -- \
	"$ENVLOCK" diff truncated.lock base.lock
jq '.threads = 0' base.lock >nothreads.lock
bad "a lock with threads 0" "envlock: nothreads.lock: threads: expected a whole number from 1 to 4096" -- \
	"$ENVLOCK" show nothreads.lock
printf 'include default\nthreads all\n' >threads.profile
bad "threads all" "envlock: ./threads.profile:2: threads: expects auto or a number of threads from 1 to 4096, not 'all'" -- \
	"$ENVLOCK" capture --profile ./threads.profile
jq '.envlock = 4' base.lock >future.lock
bad "future schema" "envlock: future.lock: written for lock schema 4, newer than this envlock reads (3): upgrade envlock" -- \
	"$ENVLOCK" show future.lock
printf 'include default\nfrobnicate on\n' >bad.profile
bad "unknown directive" "envlock: ./bad.profile:2: unknown directive 'frobnicate'" -- \
	"$ENVLOCK" check --lock base.lock --profile ./bad.profile
printf 'drift fatal python\n' >sev.profile
bad "bad severity" "envlock: ./sev.profile:1: drift: severity must be refuse, warn or ignore, not 'fatal'" -- \
	"$ENVLOCK" diff base.lock base.lock --profile ./sev.profile
printf 'include ./b.profile\n' >a.profile
printf '# b\ninclude ./a.profile\n' >b.profile
bad "include cycle" "envlock: ./b.profile:2: include: include cycle: './a.profile' is already being read" -- \
	"$ENVLOCK" capture --profile ./a.profile
bad "missing profile" "envlock: profile 'nosuch' not found (looked in $scratch/no-profiles, and the built-in profiles)" -- \
	"$ENVLOCK" check --lock base.lock --profile nosuch
jq '.meta.profile = "gone"' base.lock >gone.lock
bad "profile named by the lock is missing" "envlock: profile 'gone' not found (looked in $scratch/no-profiles, and the built-in profiles) (the profile the lock was captured with; choose one with --profile)" -- \
	"$ENVLOCK" check --lock gone.lock
# meta is not fingerprinted: a lock names a profile, never a file to read.
jq '.meta.profile = "/etc/passwd"' base.lock >steal.lock
bad "meta.profile as a path" "envlock: the lock's meta.profile is not a profile name; choose the profile with --profile" -- \
	"$ENVLOCK" check --lock steal.lock
bad "unknown short option" "$(printf "envlock check: unknown option '-x'\nTry 'envlock check --help'.")" -- \
	"$ENVLOCK" check -xh
bad "unknown format" "$(printf "envlock check: unknown format 'yaml' (text, json, github or junit)\nTry 'envlock check --help'.")" -- \
	"$ENVLOCK" check --format yaml
bad "diff with one file" "$(printf "envlock diff: expects two lock files, A and B\nTry 'envlock diff --help'.")" -- \
	"$ENVLOCK" diff base.lock
bad "diff --job with no node" "$(printf "envlock diff: --job expects one node or two (NODE [NODE_B])\nTry 'envlock diff --help'.")" -- \
	"$ENVLOCK" diff --job job.json
bad "diff --job of a missing job record" "envlock: nojob.json: No such file or directory" -- \
	"$ENVLOCK" diff --job nojob.json node1 node2
bad "diff --job of a lock, not a job record" "envlock: base.lock: not a job record (srun --envlock-record writes them)" -- \
	"$ENVLOCK" diff --job base.lock node1
# A Slurm step's job record (srun --envlock-record), as a job in the job's own directory could leave it.
printf '{"job":"1","step":"0","tasks":1,"lock":null,"profile":null,"ranks":[],"nodes":{"n1":{"ranks":[],"capture":"../base.lock","fingerprint":null,"findings":null,"driftRefused":0}},"nodesAlike":true,"agree":true,"disagreements":[]}' >job.json
bad "diff --job: a capture outside the job record's directory" "envlock: job.json: nodes.n1.capture: expected a file name of the job record's directory, or null" -- \
	"$ENVLOCK" diff --job job.json n1
printf '{"job":"1","step":"0","tasks":1,"lock":null,"profile":null,"ranks":[],"nodes":{"n1":{"ranks":[],"capture":null,"fingerprint":null,"findings":null,"driftRefused":0}},"nodesAlike":true,"agree":true,"disagreements":[]}' >job.json
bad "diff --job NODE without the step's lock" "envlock: job.json: the step's lock is not known; name two nodes" -- \
	"$ENVLOCK" diff --job job.json n1
bad "diff --job: a node that saved no capture" "envlock: job.json: node n1 saved no capture" -- \
	"$ENVLOCK" diff --job job.json n1 n1
# A job record names files in a directory the job could write: a planted link is read, never quoted.
ln -s /etc/shadow node-n2.1.0.lock
printf '{"job":"1","step":"0","tasks":1,"lock":{"path":"/etc/shadow","fingerprint":"x"},"profile":"/etc/shadow","ranks":[],"nodes":{"n2":{"ranks":[],"capture":"node-n2.1.0.lock","fingerprint":null,"findings":null,"driftRefused":0}},"nodesAlike":true,"agree":true,"disagreements":[]}' >job2.json
bad "diff --job: a profile file named by the job record" "envlock: job2.json: the step's profile is a file (/etc/shadow): name it with --profile" -- \
	"$ENVLOCK" diff --job job2.json n2
bad "diff --job: a lock the job record names that is no lock: not quoted" "envlock: job2.json: /etc/shadow cannot be read as a lock" -- \
	"$ENVLOCK" diff --job job2.json n2 --profile default
bad "diff --job: a capture that is a planted link: not quoted" "envlock: job2.json: node-n2.1.0.lock cannot be read as a lock" -- \
	"$ENVLOCK" diff --job job2.json n2 n2 --profile default
bad "replay --launcher srun of two files" "$(printf "envlock replay: --launcher srun replays one job record\nTry 'envlock replay --help'.")" -- \
	"$ENVLOCK" replay --launcher srun job.json job.json
bad "replay --launcher srun --keep" "$(printf "envlock replay: --keep is not taken with --launcher: each rank replays on its own node\nTry 'envlock replay --help'.")" -- \
	"$ENVLOCK" replay --keep kept --launcher srun job.json
bad "replay --launcher srun: a step with a rank missing" "envlock: replay: job.json: rank 0 left no record; a step is replayed whole" -- \
	"$ENVLOCK" replay --launcher srun job.json
bad "replay --job-rank outside srun" "envlock: replay: --job-rank is what each task of replay --launcher srun runs (SLURM_PROCID is not set)" -- \
	env -u SLURM_PROCID "$ENVLOCK" replay --job-rank job.json
cd - >/dev/null

# ---- show ----
run "$scratch/out" "$scratch/err" "$ENVLOCK" show "$fixtures/a.lock"
check_eq "show: exit 0" 0 "$status"
check_eq "show: the fingerprint, which only says the content was not changed without re-fingerprinting" \
	"fingerprint  $(jq -r .fingerprint "$fixtures/a.lock") (matches the content)" "$(sed -n 2p "$scratch/out")"
check_eq "show: no signature" "signature    none (sign it with 'envlock sign $fixtures/a.lock')" "$(sed -n 3p "$scratch/out")"
check_eq "show: a library line" '  libc.so.6        path=/usr/lib/x86_64-linux-gnu/libc.so.6, sha256=1111111111111111111111111111111111111111111111111111111111111111, version=2.36' \
	"$(grep '  libc.so.6 ' "$scratch/out")"
check_eq "show: a device line" '    [0] compute_capability=9.0, memory_mib=81559, name=NVIDIA H100 80GB HBM3' \
	"$(grep '\[0\]' "$scratch/out")"
check_eq "show: the commit it was captured at" "at commit    $(jq -r .meta.code.git_commit "$fixtures/a.lock")" \
	"$(grep '^at commit' "$scratch/out")"
run "$scratch/out" "$scratch/err" "$ENVLOCK" show "$fixtures/b.lock"
check_eq "show: a dirty capture says so" "at commit    $(jq -r .meta.code.git_commit "$fixtures/b.lock") (with uncommitted changes)" \
	"$(grep '^at commit' "$scratch/out")"
mkdir -p "$scratch/showrepo/.git" "$scratch/showrepo/src"
cp "$fixtures/a.lock" "$scratch/showrepo/env.lock"
run "$scratch/out" "$scratch/err" sh -c "cd '$scratch/showrepo/src' && '$ENVLOCK' show"
check_eq "show: finds the lock upward" "lock         ../env.lock (schema 2)" "$(head -1 "$scratch/out")"
check_eq "show: a lock from before threads has no threads line" "" "$(grep '^threads' "$scratch/out" || true)"
run "$scratch/out" "$scratch/err" "$ENVLOCK" show "$fixtures/threads.lock"
check_eq "show: the header, with the thread count" "$(printf '%-12s %s\n' \
	lock "$fixtures/threads.lock (schema 2)" \
	fingerprint "$(jq -r .fingerprint "$fixtures/threads.lock") (matches the content)" \
	signature "none (sign it with 'envlock sign $fixtures/threads.lock')" \
	"captured at" 2026-12-01T09:00:00Z "on host" gpu-node-07 profile default "by envlock" 0.1.0 \
	"at commit" "$(jq -r .meta.code.git_commit "$fixtures/threads.lock")" \
	threads "224 (OMP, MKL, OpenBLAS pinned)")" "$(sed -n 1,9p "$scratch/out")"
check_eq "show: threads is not a section" "" "$(grep -x 'threads' "$scratch/out" || true)"

# ---- profiles ----
mkdir -p "$scratch/no-profiles"
printf 'include default\nsetenv TZ Asia/Tokyo\n' >"$scratch/no-profiles/default"
printf 'include default\n' >"$scratch/no-profiles/team"
run "$scratch/out" "$scratch/err" "$ENVLOCK" profiles
check_eq "profiles: exit 0" 0 "$status"
check_eq "profiles: the listing" "$(printf '%-11s  %s\n' \
	ci "(built in)" \
	default "$scratch/no-profiles/default" \
	"" "(built in) (shadowed)" \
	distributed "(built in)" \
	jax "(built in)" \
	pytorch "(built in)" \
	strict "(built in)" \
	team "$scratch/no-profiles/team" \
	tensorflow "(built in)")" "$(sed -n '1,9p' "$scratch/out")"
check_eq "profiles: the lookup order" "$(printf '%s\n' "Looked up in this order:" "  $scratch/no-profiles" "  (built in)")" \
	"$(sed -n '11,$p' "$scratch/out")"
# A profile that includes its own name extends the next one down.
run "$scratch/tokyo.lock" "$scratch/err" "$ENVLOCK" capture
check_eq "a user default over the built-in one: its pin" Asia/Tokyo "$(jq -r .env.TZ "$scratch/tokyo.lock")"
check_eq "a user default over the built-in one: the built-in pins too" 0 "$(jq -r .env.PYTHONHASHSEED "$scratch/tokyo.lock")"

finish
