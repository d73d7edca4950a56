#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CI integrations as their hosts run them: the GitHub Actions composite
# action (packaging/github-action/action.yml: its step's script, run by
# bash with the inputs in its environment, as the runner does) and the
# pre-commit hook (.pre-commit-hooks.yaml: its entry, run in a repository).
. "$(dirname "$0")/lib.sh"
need git
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed (packaging/install-deps.sh installs it)"
export ENVLOCK_CACHE_DIR=$scratch/cache
cd "$scratch"
mkdir repo
cd repo
git init -q
echo 1,2 >data.csv
run out err "$ENVLOCK" capture --data data.csv -o env.lock
check_eq "a repository's lock: exit 0" 0 "$status"

# action NAME=VALUE...: the action's step, run with its inputs (lock, profile, strict, envlock).
action() {
	/usr/bin/python3 - "$EL_SOURCE_DIR/packaging/github-action/action.yml" "$scratch/step.sh" "$scratch/step.env" "$@" <<'PY'
import re, shlex, sys, yaml
action = yaml.safe_load(open(sys.argv[1]))
given = dict(a.split("=", 1) for a in sys.argv[4:])
inputs = {k: given.get(k, v.get("default", "")) for k, v in action["inputs"].items()}
assert action["runs"]["using"] == "composite"
step, = action["runs"]["steps"]
assert step["shell"] == "bash"
open(sys.argv[2], "w").write(step["run"])
with open(sys.argv[3], "w") as env:
    for name, value in step["env"].items():
        value = re.sub(r"\$\{\{ inputs\.([a-z]+) \}\}", lambda m: inputs[m.group(1)], value)
        env.write("%s=%s\n" % (name, shlex.quote(value)))
PY
	run out err env GITHUB_STEP_SUMMARY="$scratch/summary.md" bash -c 'set -a; . "$1"; set +a; exec bash -e "$2"' _ \
		"$scratch/step.env" "$scratch/step.sh"
}
action envlock="$ENVLOCK"
check_eq "the action, no drift: exit 0, the summary line" "0 envlock: 0 refused, 0 warnings, 0 ignored" \
	"$status $(tail -1 out)"
echo 3,4 >data.csv
: >"$scratch/summary.md"
action envlock="$ENVLOCK" lock=env.lock
check_eq "the action, the data changed: exit 1, an annotation on the lock's data line" \
	"1 ::error file=env.lock,line=$(grep -n '"data.csv":' env.lock | cut -d: -f1),title=envlock drift in data (1 failed%2C 0 warned)" \
	"$status $(grep -o '^::error [^:]*' out)"
check_eq "the action: the table in the job's summary" "| data | 1 | 0 |" \
	"$(grep -o '^| data | 1 | 0 |' "$scratch/summary.md")"
action envlock="$ENVLOCK" strict=yes
check_eq "the action, a bad input: exit 2, an annotation" "2 ::error title=envlock::strict takes true or false, not 'yes'" \
	"$status $(cat out)"
action envlock="$ENVLOCK" lock='none.lock; touch pwned'
check_eq "the action: an input is a value, never script" "2 no" "$status $([ -e pwned ] && echo yes || echo no)"

# The pre-commit hook's entry, as pre-commit runs a system hook: in the repository, no file names.
entry=$(/usr/bin/python3 -c 'import sys, yaml
hook, = yaml.safe_load(open(sys.argv[1]))
assert hook["id"] == "envlock-check" and hook["language"] == "system" and hook["pass_filenames"] is False
print(hook["entry"])' "$EL_SOURCE_DIR/.pre-commit-hooks.yaml")
check_eq "the pre-commit hook runs envlock check" "envlock check" "$entry"
run out err env PATH="$(dirname "$ENVLOCK"):$PATH" sh -c "$entry"
check_eq "the pre-commit hook, the data changed: the commit fails" 1 "$status"
echo 1,2 >data.csv
run out err env PATH="$(dirname "$ENVLOCK"):$PATH" sh -c "$entry"
check_eq "the pre-commit hook, nothing changed: the commit goes on" 0 "$status"
finish
