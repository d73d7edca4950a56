#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# exec --record --trace: every file the run opened or executed (seccomp user
# notification, answered by envlock, the calls going on unchanged), resolved
# on the host, in the record's resolvedDependencies with the SHA-256 of the
# host's file, and the symbolic links met on the way to each as entries of
# their own (the SHA-256 of the link's text, linkTarget the text), all in one
# order by name: python3 and a module it imports, data files, files of the
# sandbox's own /tmp and files that do not exist (left out, the errors the
# same), child processes, multiprocessing workers, threads, 20000 opens,
# relative paths (working directory, openat with a directory descriptor,
# ./prog, fexecve), a static program, the usage errors, a run without
# --trace, replay of a traced record and of records edited after the run.
# As root and as the unprivileged user envlock-test, as exec.sh runs them.
. "$(dirname "$0")/lib.sh"
need jq sha256sum
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed (the checks run it inside the sandbox)"

user=envlock-test
umask 022
# Under /var/tmp, not /tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-trace.XXXXXX)
chmod 755 "$base"
# A file of the host's /tmp where the sandbox's /tmp gets one of its own.
made=/tmp/$(basename "$base")-made
trap 'rm -rf "$scratch" "$base" "$made"' EXIT
echo host >"$made"
chmod 644 "$made"

. "$(dirname "$0")/sandbox_halves.sh"

host_py() { env -u PYTHONPATH -u PYTHONHOME /usr/bin/python3 "$@"; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }
text_sum() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# What the host says python3 is and opens.
interp=$(readlink -f /usr/bin/python3)
if [ -L /usr/bin/python3 ]; then
	py_link=$(readlink /usr/bin/python3)
else
	py_link=
	skip_part "/usr/bin/python3 is not a symbolic link here: the check of its link entry"
fi
# The module json's code as python3 reads it: what strace saw it open, else the .pyc when there is one.
json_py=$(host_py -c 'import json; print(json.__file__)')
json_pyc=$(host_py -c 'import importlib.util, json; print(importlib.util.cache_from_source(json.__file__))')
json_files=()
if command -v strace >/dev/null 2>&1 &&
	strace -f -qq -e trace=open,openat -o "$scratch/strace" env -u PYTHONPATH -u PYTHONHOME /usr/bin/python3 -c 'import json' 2>/dev/null; then
	for f in "$json_pyc" "$json_py"; do
		if grep -F "\"$f\", O_RDONLY" "$scratch/strace" | grep -v ' = -1 ' >/dev/null; then json_files+=("$(readlink -f "$f")"); fi
	done
elif [ -f "$json_pyc" ]; then
	json_files=("$(readlink -f "$json_pyc")")
else
	json_files=("$(readlink -f "$json_py")")
fi
[ "${#json_files[@]}" -gt 0 ] || fail "python3 -c 'import json' opened neither $json_pyc nor $json_py under strace"

# The sandbox's own links of a merged /usr a python3 run goes through: the
# first directory of the ELF interpreter's path (/lib64/ld-linux-x86-64.so.2)
# and of libc's path in ld.so.cache (/lib/x86_64-linux-gnu/libc.so.6), where
# the host has them as links.
merged_links=()
elf_interp=
if command -v readelf >/dev/null 2>&1; then
	elf_interp=$(readelf -l "$interp" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
fi
libc_path=$(ldconfig -p 2>/dev/null | awk '/libc\.so\.6 \(/ { print $NF; exit }' || true)
for p in "$elf_interp" "$libc_path"; do
	top=/$(cut -d/ -f2 <<<"$p")
	if [ -n "$p" ] && [ -L "$top" ] && [[ " ${merged_links[*]} " != *" $top "* ]]; then merged_links+=("$top"); fi
done
[ "${#merged_links[@]}" -gt 0 ] || skip_part "no merged /usr here (/lib64, /lib are not links): the check of the sandbox's own links"

# A static program (when the C library's static archive is installed) that
# opens each argument with open(2) ("open:PATH") or openat2(2)
# ("openat2:PATH"), and says what came of it.
static_bin=
if command -v cc >/dev/null 2>&1; then
	cat >"$scratch/opener.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct open_how how = { .flags = O_RDONLY };
		char *path = strchr(argv[i], ':') + 1;
		long fd = strncmp(argv[i], "open:", 5) == 0 ? syscall(SYS_open, path, O_RDONLY)
							    : syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

		printf("%s: %s\n", argv[i], fd >= 0 ? "opened" : strerror(errno));
		if (fd >= 0)
			close((int)fd);
	}
	return 0;
}
C
	if cc -static -o "$scratch/opener" "$scratch/opener.c" 2>/dev/null; then
		static_bin=$scratch/opener
	else
		skip_part "cc -static fails here (no static libc): the static program checks"
	fi
else
	skip_part "no C compiler: the static program checks"
fi

# observed RECORD: "path sha256" per observed object (not the links).
observed() {
	jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.observed == true and .annotations.linkTarget == null) |
		"\(.name) \(.digest.sha256)"' "$1"
}
# links RECORD: "path text sha256" per link entry.
links() {
	jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.linkTarget != null) |
		"\(.name) \(.annotations.linkTarget) \(.digest.sha256)"' "$1"
}
# names RECORD: the observed entries' names, links and objects, in the record's order.
names() {
	jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.observed == true) | .name' "$1"
}

# has RECORD PATH: the record lists PATH with the host file's sha256. (grep
# without -q: under pipefail, one that stops at the first match could
# fail the pipeline with jq's SIGPIPE.)
has() {
	if observed "$1" | grep -xF -- "$2 $(sum "$2")" >/dev/null; then echo yes; else echo "no: $2"; fi
}
# has_link RECORD PATH TEXT: the record lists the link PATH with its text and the text's sha256.
has_link() {
	if links "$1" | grep -xF -- "$2 $3 $(text_sum "$3")" >/dev/null; then echo yes; else echo "no: $2 -> $3"; fi
}
# lists RECORD TEXT: the observed names with TEXT in them (none expected).
lists() { names "$1" | grep -F "$2" || true; }

# What every traced record holds: one order by name, each once; each object
# a host file with its digest; each link a host link with its text, the
# digest that of the text.
check_record() {
	local what=$1 rec=$2 path text digest bad=
	check_eq "$what: sorted by name, each once" "$(names "$rec" | LC_ALL=C sort -u)" "$(names "$rec")"
	while read -r path digest; do
		[ -f "$path" ] && [ ! -L "$path" ] && [ "$(sum "$path")" = "$digest" ] || bad="$bad $path"
	done < <(observed "$rec")
	check_eq "$what: every object is a host file with its sha256" "" "$bad"
	bad=
	while read -r path text digest; do
		[ -L "$path" ] && [ "$(readlink "$path")" = "$text" ] && [ "$(text_sum "$text")" = "$digest" ] || bad="$bad $path"
	done < <(links "$rec")
	check_eq "$what: every link is a host link with that text, the text's sha256" "" "$bad"
	check_eq "$what: after the other entries" true \
		"$(jq '.predicate.buildDefinition.resolvedDependencies | (map(.annotations.observed == true) | . == (sort))' "$rec")"
}

# ---- usage errors (once: nothing runs) ----
mkdir -p "$base/usage"
cd "$base/usage" || exit 1
run "$scratch/out" "$scratch/err" "$ENVLOCK" exec --no-lock --trace -- true
check_eq "--trace without --record: 125 and the message" "125 envlock: exec: --trace writes what the run opened into the run record: it needs --record
Try 'envlock exec --help' for more information." "$status $(cat "$scratch/err")"
run "$scratch/out" "$scratch/err" "$ENVLOCK" exec --no-lock --record r.json --trace --no-observe -- true
check_eq "--trace with --no-observe: 125 and the message" "125 envlock: exec: --trace and --no-observe contradict each other: the trace extends what is observed
Try 'envlock exec --help' for more information." "$status $(cat "$scratch/err")"
run "$scratch/out" "$scratch/err" "$ENVLOCK" exec --no-lock --record r.json --no-observe --trace -- true
check_eq "--no-observe then --trace: the same" "125 envlock: exec: --trace and --no-observe contradict each other: the trace extends what is observed
Try 'envlock exec --help' for more information." "$status $(cat "$scratch/err")"
check_eq "usage errors: no record written" "" "$(ls -A)"
cd /

half_checks() {
	local half=$1 dir=$base/$1 p="[$1]" rec i
	local -a as

	mkdir -p "$dir/work" "$dir/rec" "$dir/data" "$dir/rel/sub" "$dir/rel/d1/d2" "$dir/mnt" "$dir/many" "$dir/shadow"
	cp "$ENVLOCK" "$dir/envlock"
	rec=$dir/rec
	echo "read with cat" >"$dir/data/in.txt"
	echo "read by a child" >"$dir/data/child.txt"
	echo A >"$dir/data/a.txt"
	echo B >"$dir/data/b.txt"
	echo "relative" >"$dir/rel/sub/r.txt"
	echo "one up" >"$dir/rel/up.txt"
	echo "at a descriptor" >"$dir/rel/at.txt"
	echo "through a link" >"$dir/rel/linked.txt"
	echo "through ../.." >"$dir/rel/far.txt"
	ln -s linked.txt "$dir/rel/ln"
	ln -s ../.. "$dir/rel/d1/d2/up"
	echo "in a bind SRC:DEST" >"$dir/mnt/m.txt"
	cp /usr/bin/true "$dir/rel/prog"
	cp /usr/bin/true "$dir/rel/prog2"
	for i in $(seq 1 250); do echo "$i" >"$dir/many/f$i"; done
	for i in $(seq 1 16); do echo "thread $i" >"$dir/many/t$i"; done
	echo fork >"$dir/many/fork"
	echo spawn >"$dir/many/spawn"
	[ -z "$static_bin" ] || cp "$static_bin" "$dir/work/opener"
	printf '#!/usr/bin/python3\nprint("shebang")\n' >"$dir/work/script"
	chmod 755 "$dir/work/script"
	printf '#!/usr/bin/dash\necho shadowed\n' >"$dir/shadow/cat"
	chmod 755 "$dir/shadow/cat"
	cat >"$dir/work/procs.py" <<PY
import multiprocessing, threading

def read(path):
    with open(path) as f:
        f.read()

def worker(name):
    read("$dir/many/" + name)

if __name__ == "__main__":
    for method in ("fork", "spawn"):
        p = multiprocessing.get_context(method).Process(target=worker, args=(method,))
        p.start()
        p.join()
        assert p.exitcode == 0, (method, p.exitcode)
    # Each thread opens its own file 200 times, all at once.
    ts = [threading.Thread(target=lambda i=i: [read("$dir/many/t%d" % i) for _ in range(200)]) for i in range(1, 17)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
PY
	cat >"$dir/work/many.py" <<PY
import sys
for k in range(20000):
    with open("$dir/many/f%d" % (1 + k % 3)) as f:
        f.read()
for i in range(4, 251):
    with open("$dir/many/f%d" % i) as f:
        f.read()
sys.exit(7)
PY
	cat >"$dir/work/at.py" <<PY
import os
fd = os.open("$dir/rel", os.O_RDONLY | os.O_DIRECTORY)
os.close(os.open("at.txt", os.O_RDONLY, dir_fd=fd))
PY
	cat >"$dir/work/fexec.py" <<PY
import os
os.execve(os.open("$dir/rel/prog2", os.O_RDONLY), ["prog2"], {})
PY
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	else
		as=()
	fi
	el() { "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache" "$dir/envlock" "$@"; }
	cd "$dir/work" || exit 1

	# ---- python3 ----
	run "$scratch/out" "$scratch/err" el exec --no-lock --record "$rec/py.json" --trace -- python3 -c 'import json'
	check_eq "$p python3: exit status" 0 "$status"
	check_eq "$p python3: nothing on stderr" "" "$(cat "$scratch/err")"
	check_eq "$p python3: externalParameters.trace" true "$(jq '.predicate.buildDefinition.externalParameters.trace' "$rec/py.json")"
	check_eq "$p python3: the interpreter ($interp)" yes "$(has "$rec/py.json" "$interp")"
	for f in "${json_files[@]}"; do
		check_eq "$p python3: what import json read ($f)" yes "$(has "$rec/py.json" "$f")"
	done
	if [ -n "$py_link" ]; then
		check_eq "$p python3: the link /usr/bin/python3 -> $py_link" yes "$(has_link "$rec/py.json" /usr/bin/python3 "$py_link")"
		check_eq "$p python3: /usr/bin/python3 only as a link" "" "$(observed "$rec/py.json" | grep '^/usr/bin/python3 ' || true)"
	fi
	for l in "${merged_links[@]}"; do
		check_eq "$p python3: the sandbox's own link $l" yes "$(has_link "$rec/py.json" "$l" "$(readlink "$l")")"
	done
	check_eq "$p python3: nothing of the sandbox's own (/run/envlock, /proc, /tmp)" "" \
		"$(names "$rec/py.json" | grep -E '^/(run/envlock|proc|tmp)/' || true)"
	check_record "$p python3" "$rec/py.json"

	# ---- without --trace: the shared objects alone ----
	run "$scratch/out" "$scratch/err" el exec --no-lock --record "$rec/plain.json" -- python3 -c 'import json'
	check_eq "$p without --trace: exit status" 0 "$status"
	check_eq "$p without --trace: no externalParameters.trace" false \
		"$(jq '.predicate.buildDefinition.externalParameters | has("trace")' "$rec/plain.json")"
	check_eq "$p without --trace: no link entry" "" "$(links "$rec/plain.json")"
	check_eq "$p without --trace: the interpreter still" yes "$(has "$rec/plain.json" "$interp")"
	check_eq "$p without --trace: no module source" "" "$(names "$rec/plain.json" | grep -E '\.pyc?$' || true)"

	# ---- data files; the sandbox's /tmp; files that are not there ----
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/data" --record "$rec/data.json" --trace -- \
		sh -c "cat $dir/data/in.txt; echo sandbox >$made; read -r l <$made; echo \$l; ls $dir/data >/dev/null"
	check_eq "$p data: exit status and output" "0 read with cat
sandbox" "$status $(cat "$scratch/out")"
	check_eq "$p data: the file cat read, outside the working directory" yes "$(has "$rec/data.json" "$dir/data/in.txt")"
	check_eq "$p data: not the file made in the sandbox's /tmp (nor the host's of that name)" "" "$(lists "$rec/data.json" "$made")"
	check_eq "$p data: not the directory ls read" "" "$(names "$rec/data.json" | grep -xF "$dir/data" || true)"
	check_record "$p data" "$rec/data.json"
	for t in trace plain; do
		local -a opt=()
		[ "$t" = plain ] || opt=(--trace)
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$rec/missing-$t.json" "${opt[@]}" -- cat /nonexistent/envlock-trace
		echo "$status $(cat "$scratch/err")" >"$scratch/missing-$t"
	done
	check_eq "$p a file that is not there: cat's error and status" \
		"1 cat: /nonexistent/envlock-trace: No such file or directory" "$(cat "$scratch/missing-trace")"
	check_eq "$p a file that is not there: the same without --trace" "$(cat "$scratch/missing-plain")" "$(cat "$scratch/missing-trace")"
	check_eq "$p a file that is not there: not listed" "" "$(lists "$rec/missing-trace.json" /nonexistent)"

	# ---- processes ----
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/data" --record "$rec/child.json" --trace -- \
		sh -c "cat $dir/data/child.txt"
	check_eq "$p child process: exit status" 0 "$status"
	check_eq "$p child process: what it read" yes "$(has "$rec/child.json" "$dir/data/child.txt")"
	check_eq "$p child process: the program it ran" yes "$(has "$rec/child.json" "$(readlink -f /usr/bin/cat)")"
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/many" --record "$rec/procs.json" --trace -- python3 procs.py
	check_eq "$p workers and threads: exit status" "0 " "$status $(cat "$scratch/err")"
	check_eq "$p multiprocessing fork: what the worker read" yes "$(has "$rec/procs.json" "$dir/many/fork")"
	check_eq "$p multiprocessing spawn: what the worker read" yes "$(has "$rec/procs.json" "$dir/many/spawn")"
	check_eq "$p threads: the 16 files they read at once" 16 "$(names "$rec/procs.json" | grep -c "^$dir/many/t[0-9]*\$" || true)"
	check_record "$p workers and threads" "$rec/procs.json"
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/many" --record "$rec/many.json" --trace -- python3 many.py
	check_eq "$p 20000 opens: finishes, its exit status kept" "7 " "$status $(cat "$scratch/err")"
	check_eq "$p 20000 opens: in the record too" 7 \
		"$(jq '.predicate.runDetails.byproducts[-1].annotations.exitStatus' "$rec/many.json")"
	check_eq "$p 20000 opens: the 250 files, each once" 250 "$(names "$rec/many.json" | grep -c "^$dir/many/f[0-9]*\$" || true)"
	check_record "$p 20000 opens" "$rec/many.json"
	# A program run a second time in a run (the same path executed): the
	# tracer must read the new program's paths from its new memory, not
	# from the /proc/PID/mem it kept for the memory exec replaced.
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/data" --record "$rec/again.json" --trace -- \
		sh -c "cat $dir/data/a.txt; cat $dir/data/b.txt"
	check_eq "$p a program run twice: exit status and output" "0 A
B" "$status $(cat "$scratch/out")"
	check_eq "$p a program run twice: what the first read" yes "$(has "$rec/again.json" "$dir/data/a.txt")"
	check_eq "$p a program run twice: what the second read" yes "$(has "$rec/again.json" "$dir/data/b.txt")"
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/data" --record "$rec/exec-again.json" --trace -- \
		sh -c "/usr/bin/cat $dir/data/a.txt; exec /usr/bin/cat $dir/data/b.txt"
	check_eq "$p exec of a program run before: exit status and output" "0 A
B" "$status $(cat "$scratch/out")"
	check_eq "$p exec of a program run before: what the exec'd program read" yes \
		"$(has "$rec/exec-again.json" "$dir/data/b.txt")"

	# ---- relative paths (each program run once a run) ----
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/rel" --record "$rec/rel.json" --trace -- \
		sh -c "cd $dir/rel/sub && cat r.txt ../up.txt >/dev/null && cd $dir/rel && ./prog"
	check_eq "$p relative: exit status" "0 " "$status $(cat "$scratch/err")"
	check_eq "$p relative: a name in the directory cd went to" yes "$(has "$rec/rel.json" "$dir/rel/sub/r.txt")"
	check_eq "$p relative: ../NAME" yes "$(has "$rec/rel.json" "$dir/rel/up.txt")"
	check_eq "$p relative: execve of ./prog" yes "$(has "$rec/rel.json" "$dir/rel/prog")"
	check_record "$p relative" "$rec/rel.json"
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/mnt:/mnt/trace" --record "$rec/rel-bind.json" --trace -- \
		sh -c "cd /mnt/trace && cat m.txt >/dev/null"
	check_eq "$p relative in a bind SRC:DEST: exit status" "0 " "$status $(cat "$scratch/err")"
	check_eq "$p relative in a bind SRC:DEST: the host's file" yes "$(has "$rec/rel-bind.json" "$dir/mnt/m.txt")"
	check_eq "$p relative in a bind SRC:DEST: not the name inside" "" "$(lists "$rec/rel-bind.json" /mnt/trace)"
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/rel" --record "$rec/openat.json" --trace -- python3 at.py
	check_eq "$p openat with a directory descriptor: exit status" "0 " "$status $(cat "$scratch/err")"
	check_eq "$p openat with a directory descriptor: the file" yes "$(has "$rec/openat.json" "$dir/rel/at.txt")"
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/rel" --record "$rec/fexec.json" --trace -- python3 fexec.py
	check_eq "$p fexecve (execveat, an empty path): exit status" "0 " "$status $(cat "$scratch/err")"
	check_eq "$p fexecve (execveat, an empty path): the program" yes "$(has "$rec/fexec.json" "$dir/rel/prog2")"

	# ---- links of the run's own files ----
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/rel" --record "$rec/links.json" --trace -- \
		sh -c "cat $dir/rel/ln $dir/rel/d1/d2/up/far.txt"
	check_eq "$p links: exit status and output" "0 through a link
through ../.." "$status $(cat "$scratch/out")"
	check_eq "$p links: the file a relative link led to" yes "$(has "$rec/links.json" "$dir/rel/linked.txt")"
	check_eq "$p links: the relative link" yes "$(has_link "$rec/links.json" "$dir/rel/ln" linked.txt)"
	check_eq "$p links: the file behind a link to ../.." yes "$(has "$rec/links.json" "$dir/rel/far.txt")"
	check_eq "$p links: the link to ../.." yes "$(has_link "$rec/links.json" "$dir/rel/d1/d2/up" ../..)"
	check_record "$p links" "$rec/links.json"
	# A script's #! interpreter is opened by the kernel, with no system call
	# the trace sees: it comes from the script's first line, with the link
	# /usr/bin/python3 it names.
	run "$scratch/out" "$scratch/err" el exec --no-lock --record "$rec/shebang.json" --trace -- ./script
	check_eq "$p #! script: exit status and output" "0 shebang" "$status $(cat "$scratch/out")"
	check_eq "$p #! script: the script" yes "$(has "$rec/shebang.json" "$dir/work/script")"
	check_eq "$p #! script: the interpreter" yes "$(has "$rec/shebang.json" "$interp")"
	if [ -n "$py_link" ]; then
		check_eq "$p #! script: the link /usr/bin/python3 -> $py_link of its #! line" yes \
			"$(has_link "$rec/shebang.json" /usr/bin/python3 "$py_link")"
	fi
	# A command found on PATH: only the entry execvp runs is listed, not a
	# later one the run never executed.
	run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/shadow:/usr/local/bin" --record "$rec/path.json" --trace -- cat
	check_eq "$p command on PATH: the first found ran" "0 shadowed" "$status $(cat "$scratch/out")"
	check_eq "$p command on PATH: the program executed" yes "$(has "$rec/path.json" "$dir/shadow/cat")"
	check_eq "$p command on PATH: not a later PATH entry the run never executed" "" \
		"$(names "$rec/path.json" | grep -xF "$(readlink -f /usr/bin/cat)" || true)"

	# ---- a static program ----
	if [ -n "$static_bin" ]; then
		echo one >one.txt
		echo two >two.txt
		[ "$half" != user ] || chown "$user:$user" one.txt two.txt
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$rec/static.json" --trace -- \
			./opener "open:$dir/work/one.txt" "openat2:$dir/work/two.txt"
		check_eq "$p static: exit status, nothing on stderr" "0 " "$status $(cat "$scratch/err")"
		check_eq "$p static: the executable, which LD_AUDIT does not see" yes "$(has "$rec/static.json" "$dir/work/opener")"
		check_eq "$p static: a file opened with open(2)" yes "$(has "$rec/static.json" "$dir/work/one.txt")"
		check_record "$p static" "$rec/static.json"
		# openat2 is refused (ENOSYS, seccomp), with and without trace alike.
		cp "$scratch/out" "$scratch/static-trace"
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$rec/static-plain.json" -- \
			./opener "open:$dir/work/one.txt" "openat2:$dir/work/two.txt"
		check_eq "$p static: what the calls returned, the same without trace" "$(cat "$scratch/out")" "$(cat "$scratch/static-trace")"
		check_eq "$p static: what the calls returned" "open:$dir/work/one.txt: opened
openat2:$dir/work/two.txt: Function not implemented" "$(cat "$scratch/static-trace")"
	fi

	# ---- replay ----
	run "$scratch/out" "$scratch/err" el exec --no-lock --record run.json --trace --output out.txt -- \
		sh -c 'python3 -c "import json; print(json.dumps([1]))" >out.txt'
	check_eq "$p replay: the recorded run" 0 "$status"
	check_eq "$p replay: the record is traced, with links" "true true" \
		"$(jq '.predicate.buildDefinition | (.externalParameters.trace | tostring) + " " + (.resolvedDependencies | any(.annotations.linkTarget != null) | tostring)' -r run.json)"
	run "$scratch/out" "$scratch/err" el replay run.json
	check_eq "$p replay of a traced record: reproduced" "0 run.json: sh
  reproduced  out.txt  sha256:$(sum out.txt)
  reproduced bit for bit
replay: 1 record: 1 reproduced, 0 not" "$status $(cat "$scratch/out")"
	local deps=.predicate.buildDefinition.resolvedDependencies py first zeros
	py=$(jq "$deps | map(.name) | index(\"/usr/bin/python3\")" run.json)
	first=$(jq "$deps | map(.annotations.linkTarget != null) | index(true)" run.json)
	zeros=$(printf '0%.0s' $(seq 64))
	jq "${deps}[$py].digest.sha256 = \"$zeros\"" run.json >bad-digest.json
	jq "${deps}[$py].annotations.linkTarget = \"python3.0\"" run.json >bad-text.json
	jq 'del(.predicate.buildDefinition.externalParameters.trace)' run.json >no-trace.json
	jq "$deps |= (.[:$first] + [.[$first + 1], .[$first]] + .[$first + 2:])" run.json >unsorted.json
	jq "$deps |= (.[:$first + 1] + [.[$first]] + .[$first + 1:])" run.json >twice.json
	[ "$half" != user ] || chown "$user:$user" ./*.json
	local bd="predicate.buildDefinition.resolvedDependencies"
	run "$scratch/out" "$scratch/err" el replay bad-digest.json
	check_eq "$p replay: a link's digest changed is refused, one line" \
		"2 envlock: replay: bad-digest.json: ${bd}[$py]: the digest is not that of the link's text" "$status $(cat "$scratch/err")"
	run "$scratch/out" "$scratch/err" el replay bad-text.json
	check_eq "$p replay: a link's text changed is refused, one line" \
		"2 envlock: replay: bad-text.json: ${bd}[$py]: the digest is not that of the link's text" "$status $(cat "$scratch/err")"
	run "$scratch/out" "$scratch/err" el replay no-trace.json
	check_eq "$p replay: links in a record without trace are refused, one line" \
		"2 envlock: replay: no-trace.json: ${bd}[$first]: a link, in a record of a run without trace" "$status $(cat "$scratch/err")"
	run "$scratch/out" "$scratch/err" el replay unsorted.json
	check_eq "$p replay: entries out of order are refused, one line" \
		"2 envlock: replay: unsorted.json: ${bd}[$((first + 1))].name: not after the observed object before it (sorted by path, each once)" \
		"$status $(cat "$scratch/err")"
	run "$scratch/out" "$scratch/err" el replay twice.json
	check_eq "$p replay: a link listed twice is refused, one line" \
		"2 envlock: replay: twice.json: ${bd}[$((first + 1))].name: not after the observed object before it (sorted by path, each once)" \
		"$status $(cat "$scratch/err")"
	check_eq "$p replay: nothing was replayed for the refused records" "" "$(cat "$scratch/out")"
	rm -f bad-digest.json bad-text.json no-trace.json unsorted.json twice.json
	cd /
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
finish
