#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# exec --record's and capture --observe's observed libraries: the shared objects the run loaded
# (envlock's LD_AUDIT library reporting over descriptor 3) in the record's
# resolvedDependencies with the SHA-256 of the host's file: Debian's numpy
# with the BLAS its alternatives point at, a dlopen'd library, a static
# program (the note), a job that writes junk to descriptor 3,
# --no-observe; capture --observe's libraries and check comparing them. As root and as the unprivileged user envlock-test, as
# exec.sh runs them.
. "$(dirname "$0")/lib.sh"
need jq sha256sum
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed (the checks run it inside the sandbox)"

user=envlock-test
# Under /var/tmp, not /tmp: the sandbox's /tmp is a tmpfs of its own.
base=$(mktemp -d /var/tmp/envlock-observe.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT

. "$(dirname "$0")/sandbox_halves.sh"

host_py() { env -u PYTHONPATH -u PYTHONHOME /usr/bin/python3 "$@"; }

# What the host says numpy loads: the BLAS behind Debian's alternatives,
# numpy's core extension, and the interpreter (Debian links libpython into
# it; a shared build maps libpython*.so, which is checked instead).
have_numpy=
if host_py -c 'import numpy' 2>/dev/null; then
	have_numpy=1
	blas=
	for l in /usr/lib/x86_64-linux-gnu/libblas.so.3 /usr/lib/x86_64-linux-gnu/libopenblas.so.0 \
		/usr/lib/aarch64-linux-gnu/libblas.so.3 /usr/lib/aarch64-linux-gnu/libopenblas.so.0; do
		if [ -e "$l" ]; then blas=$(readlink -f "$l"); break; fi
	done
	umath=$(host_py -c 'import numpy.core._multiarray_umath as m; print(m.__file__)' 2>/dev/null ||
		host_py -c 'import numpy._core._multiarray_umath as m; print(m.__file__)')
	umath=$(readlink -f "$umath")
	interp=$(readlink -f /usr/bin/python3)
	libpython=$(host_py -c "print(open('/proc/self/maps').read())" | grep -c '/libpython3[^/]*\.so' || true)
else
	skip_part "Debian's numpy (python3-numpy) is not installed: the numpy checks"
fi

# A library the interpreter does not load by itself, for the dlopen check.
maps_of() { host_py -c "import ctypes${1:+; ctypes.CDLL('$1')}; print(open('/proc/self/maps').read())" 2>/dev/null; }
dl_lib=
plain_maps=$(maps_of "" || true)
for l in libbz2.so.1.0 liblzma.so.5 libzstd.so.1 libuuid.so.1; do
	path=$(maps_of "$l" | awk -v l="/$l" 'index($6, l) { print $6; exit }' || true)
	if [ -n "$path" ] && ! grep -qF "$path" <<<"$plain_maps"; then
		dl_lib=$l
		dl_path=$(readlink -f "$path")
		break
	fi
done

# A static program, built here when the C library's static archive is installed.
static_bin=
if command -v cc >/dev/null 2>&1; then
	printf 'int main(void) { return 0; }\n' >"$scratch/static.c"
	if cc -static -o "$scratch/static" "$scratch/static.c" 2>/dev/null; then
		static_bin=$scratch/static
	else
		skip_part "cc -static fails here (no static libc): the static program check"
	fi
else
	skip_part "no C compiler: the static program check"
fi

# observed RECORD: "path sha256" per observed object.
observed() {
	jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.observed == true) |
		"\(.name) \(.digest.sha256)"' "$1"
}

# Every observed object is a host file with that digest.
check_all_real() {
	local what=$1 rec=$2 path digest bad=
	while read -r path digest; do
		[ -f "$path" ] && [ "$(sha256sum <"$path" | cut -d' ' -f1)" = "$digest" ] || bad="$bad $path"
	done < <(observed "$rec")
	check_eq "$what: every observed object is a host file with its sha256" "" "$bad"
}

# has RECORD PATH: the record lists PATH with the host file's sha256.
has() {
	local want
	want="$2 $(sha256sum <"$2" | cut -d' ' -f1)"
	if observed "$1" | grep -qxF "$want"; then echo yes; else echo "no: $2"; fi
}

half_checks() {
	local half=$1 dir=$base/$1 p="[$1]"
	local -a as

	mkdir -p "$dir/work" "$dir/rec"
	cp "$ENVLOCK" "$dir/envlock"
	[ -z "$static_bin" ] || cp "$static_bin" "$dir/work/static"
	cat >"$dir/work/junk.sh" <<'SH'
# Junk on descriptor 3: not paths, a file of the sandbox's own /tmp, one the
# host lacks, a relative name, control characters, a line cut short.
echo fake >/tmp/fake.so
printf 'not a path\n/tmp/fake.so\n/nonexistent/libevil.so\nlibc.so.6\n/usr/lib/\033[31mred\n\n/etc/hostname\n/proc/self/exe\n/cut' >&3
SH
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
	else
		as=()
	fi
	el() { "${as[@]}" env ENVLOCK_CACHE_DIR="$dir/cache" "$dir/envlock" "$@"; }
	cd "$dir/work"

	if [ -n "$have_numpy" ]; then
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/numpy.json" -- python3 -c 'import numpy'
		check_eq "$p numpy: exit status" 0 "$status"
		check_eq "$p numpy: nothing on stderr" "" "$(cat "$scratch/err")"
		if [ -n "$blas" ]; then
			check_eq "$p numpy: the BLAS Debian's alternatives point at ($blas)" yes "$(has "$dir/rec/numpy.json" "$blas")"
		else
			skip_part "$p neither libblas.so.3 nor libopenblas.so.0 is installed: the BLAS check"
		fi
		check_eq "$p numpy: _multiarray_umath" yes "$(has "$dir/rec/numpy.json" "$umath")"
		if [ "$libpython" -gt 0 ]; then
			check_eq "$p numpy: libpython" 1 "$(observed "$dir/rec/numpy.json" | grep -c '/libpython3[^/]*\.so')"
		else
			check_eq "$p numpy: the interpreter (libpython linked in)" yes "$(has "$dir/rec/numpy.json" "$interp")"
		fi
		check_eq "$p numpy: libc" 1 "$(observed "$dir/rec/numpy.json" | grep -c '/libc\.so\.6 ')"
		check_eq "$p numpy: sorted by path, each once" "$(observed "$dir/rec/numpy.json" | cut -d' ' -f1 | LC_ALL=C sort -u)" \
			"$(observed "$dir/rec/numpy.json" | cut -d' ' -f1)"
		check_all_real "$p numpy" "$dir/rec/numpy.json"
		# After the lock's, the code's and the data entries: the last entries of the list.
		check_eq "$p numpy: observed entries last" "true" \
			"$(jq '.predicate.buildDefinition.resolvedDependencies | (map(.annotations.observed == true) | . == (sort))' "$dir/rec/numpy.json")"
	fi

	if [ -n "$dl_lib" ]; then
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/plain.json" -- python3 -c 'import ctypes'
		check_eq "$p dlopen: a run without it does not list $dl_path" "" "$(observed "$dir/rec/plain.json" | grep -F "$dl_path " || true)"
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/dlopen.json" -- python3 -c "import ctypes; ctypes.CDLL('$dl_lib')"
		check_eq "$p dlopen: exit status" 0 "$status"
		check_eq "$p dlopen: $dl_lib dlopen'd is listed" yes "$(has "$dir/rec/dlopen.json" "$dl_path")"
		# Through a bind SRC:DEST the command names DEST; the record names the host's SRC.
		mkdir -p "$dir/bound"
		cp "$dl_path" "$dir/bound/libbound.so"
		[ "$half" != user ] || chown -R "$user:$user" "$dir/bound"
		run "$scratch/out" "$scratch/err" el exec --no-lock --ro-bind "$dir/bound:/mnt/bound" \
			--record "$dir/rec/bound.json" -- python3 -c "import ctypes; ctypes.CDLL('/mnt/bound/libbound.so')"
		check_eq "$p bind SRC:DEST: exit status" 0 "$status"
		check_eq "$p bind SRC:DEST: the host's file is listed" yes "$(has "$dir/rec/bound.json" "$dir/bound/libbound.so")"
		check_eq "$p bind SRC:DEST: not the name inside" "" "$(observed "$dir/rec/bound.json" | grep -F /mnt/bound || true)"
		# Processes started with their descriptors closed reach the file through an ancestor's.
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/subprocess.json" -- python3 -c \
			"import subprocess, sys; subprocess.run([sys.executable, '-c', 'import ctypes, os; assert not os.path.exists(\"/proc/self/fd/3\"); ctypes.CDLL(\"$dl_lib\")'], check=True)"
		check_eq "$p subprocess with close_fds: exit status" "0 " "$status $(cat "$scratch/err")"
		check_eq "$p subprocess with close_fds: what the child dlopen'd is listed" yes "$(has "$dir/rec/subprocess.json" "$dl_path")"
		cat >"$dir/work/spawned.py" <<PY
import ctypes, multiprocessing, os

def load():
    # Descriptor 3, if any, is the start method's own pipe: not the observer's file.
    held = os.readlink("/proc/self/fd/3") if os.path.exists("/proc/self/fd/3") else ""
    assert "envlock-observed" not in held, held
    ctypes.CDLL("$dl_lib")

if __name__ == "__main__":
    p = multiprocessing.get_context("spawn").Process(target=load)
    p.start()
    p.join()
    raise SystemExit(p.exitcode)
PY
		[ "$half" != user ] || chown "$user:$user" "$dir/work/spawned.py"
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/spawn.json" -- python3 spawned.py
		check_eq "$p multiprocessing spawn: exit status" "0 " "$status $(cat "$scratch/err")"
		check_eq "$p multiprocessing spawn: what the worker dlopen'd is listed" yes "$(has "$dir/rec/spawn.json" "$dl_path")"
	else
		skip_part "$p no library found to dlopen that python3 does not load by itself: the dlopen check"
	fi

	if [ -n "$static_bin" ]; then
		run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/static.json" -- ./static
		check_eq "$p static: exit status" 0 "$status"
		check_eq "$p static: the note, once" \
			"envlock: note: the command loaded no shared object envlock could observe (a static or set-id program)" \
			"$(cat "$scratch/err")"
		check_eq "$p static: nothing observed" "" "$(observed "$dir/rec/static.json")"
	fi
	# A command that is not there loaded nothing either, but that was said already.
	run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/missing.json" -- ./no-such-command
	check_eq "$p a missing command: 127, said once, no note" \
		"127 envlock: exec: ./no-such-command: command not found" "$status $(cat "$scratch/err")"

	# The job's junk: the record is written, only real host files in it.
	run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/junk.json" -- sh junk.sh
	check_eq "$p junk: exit status" 0 "$status"
	check_eq "$p junk: said once" 1 \
		"$(grep -cxF "envlock: warning: exec: the observer's file held lines that are not paths" "$scratch/err" || true)"
	check_eq "$p junk: the sandbox's /tmp file is not listed" "" "$(observed "$dir/rec/junk.json" | grep -F /tmp/fake.so || true)"
	check_eq "$p junk: a file the host lacks is not listed" "" "$(observed "$dir/rec/junk.json" | grep -F /nonexistent || true)"
	check_eq "$p junk: nothing under /proc" "" "$(observed "$dir/rec/junk.json" | grep '^/proc/' || true)"
	check_eq "$p junk: the shell itself is listed" yes "$(has "$dir/rec/junk.json" "$(readlink -f /bin/sh)")"
	check_all_real "$p junk" "$dir/rec/junk.json"

	# capture --observe: what the command loaded goes into libraries, marked observed; check compares it.
	if [ -n "$dl_lib" ]; then
		cp "$dl_path" "$dir/work/libfoo.so"
		[ "$half" != user ] || chown "$user:$user" "$dir/work/libfoo.so"
		run "$scratch/out" "$scratch/err" el capture --python /usr/bin/python3 -o env.lock \
			--observe -- python3 -c "import ctypes; ctypes.CDLL('./libfoo.so')"
		check_eq "$p capture --observe: exit status" 0 "$status"
		check_eq "$p capture --observe: the dlopen'd library, observed" \
			"{\"observed\":true,\"path\":\"$dir/work/libfoo.so\",\"sha256\":\"$(sha256sum <"$dir/work/libfoo.so" | cut -d' ' -f1)\"}" \
			"$(jq -cS '.libraries["libfoo.so"]' env.lock)"
		check_eq "$p capture --observe: the interpreter, observed" true \
			"$(jq --arg p "$(readlink -f /usr/bin/python3)" '[.libraries[] | select(.path == $p and .observed == true)] | length == 1' env.lock)"
		check_eq "$p capture --observe: schema 3" 3 "$(jq .envlock env.lock)"
		run "$scratch/out" "$scratch/err" el check --python /usr/bin/python3
		check_eq "$p check after capture --observe: no drift" "0 no drift" "$status $(grep -c '^no drift$' "$scratch/out" | sed 's/^1$/no drift/')"
		echo changed >>"$dir/work/libfoo.so"
		run "$scratch/out" "$scratch/err" el check --python /usr/bin/python3
		check_eq "$p check: an observed library changed is refused" "1 1" \
			"$status $(grep -c 'refuse  libraries\["libfoo.so"\].sha256' "$scratch/out")"
		check_eq "$p check: the re-lock hint asks for the observed command again" 1 \
			"$(grep -c -- ' -o env.lock --observe -- CMD (the command you observed when you locked: without it, the libraries it loaded are dropped from the lock)$' "$scratch/out")"
		rm "$dir/work/libfoo.so"
		run "$scratch/out" "$scratch/err" el check --python /usr/bin/python3
		check_eq "$p check: an observed library gone is removed" "1 1" \
			"$status $(grep -cE 'libraries\["libfoo.so"\].sha256 .* (→|->) \(absent\)' "$scratch/out")"
		# A hostile lock naming a root-only file as observed: never hashed, so its digest goes nowhere.
		if [ "$half" = root ] && [ -r /etc/shadow ]; then
			run "$scratch/out" "$scratch/err" el capture --python /usr/bin/python3 -o plain.lock
			jq '.libraries.shadow = {"path": "/etc/shadow", "observed": true, "sha256": "'"$(printf '0%.0s' $(seq 64))"'"}' \
				plain.lock >hostile.body
			jq --arg fp "sha256:$(jq -cS 'del(.fingerprint,.meta)' hostile.body | tr -d '\n' | sha256sum | cut -d' ' -f1)" \
				'.fingerprint = $fp' hostile.body >hostile.lock
			run "$scratch/out" "$scratch/err" el check --python /usr/bin/python3 --lock hostile.lock
			check_eq "$p a lock naming /etc/shadow as observed: its digest is printed nowhere" 0 \
				"$(cat "$scratch/out" "$scratch/err" | grep -c "$(sha256sum </etc/shadow | cut -d' ' -f1)")"
			check_eq "$p a lock naming /etc/shadow as observed: it reads as gone" 1 \
				"$(grep -cE 'libraries.shadow.sha256 .* (→|->) \(absent\)' "$scratch/out")"
			rm -f plain.lock hostile.body hostile.lock
		fi
		rm -f env.lock
		run "$scratch/out" "$scratch/err" el capture -o env.lock --observe -- sh -c 'exit 3'
		check_eq "$p capture --observe: a failing command writes no lock" \
			"1 envlock: capture: --observe: sh exited with status 3: no lock written no lock" \
			"$status $(cat "$scratch/err") $([ -e env.lock ] && echo lock || echo no lock)"
		# Its messages are capture's, not exec's.
		run "$scratch/out" "$scratch/err" el capture -o env.lock --observe -- sh junk.sh
		check_eq "$p capture --observe of junk: the warning names capture" \
			"0 envlock: warning: capture: the observer's file held lines that are not paths" \
			"$status $(cat "$scratch/err")"
		rm -f env.lock
	fi

	# The descriptor: 3 is the observer's file; with --no-observe only 0-2, and no LD_AUDIT.
	run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/fd.json" -- \
		sh -c 'readlink /proc/$$/fd/3; echo "${LD_AUDIT-unset} ${ENVLOCK_AUDIT_FD-unset}"'
	check_eq "$p fd: descriptor 3 and the variables" \
		"/memfd:envlock-observed (deleted)
/run/envlock/audit.so 3" "$(cat "$scratch/out")"
	run "$scratch/out" "$scratch/err" el exec --no-lock --record "$dir/rec/none.json" --no-observe -- \
		sh -c 'echo "${LD_AUDIT-unset} ${ENVLOCK_AUDIT_FD-unset}"; ls /run/envlock/audit.so; ls /proc/$$/fd'
	check_eq "$p --no-observe: only 0-2, no variables, no library" "unset unset 0 1 2" "$(tr '\n' ' ' <"$scratch/out" | sed 's/ $//')"
	check_eq "$p --no-observe: nothing observed" "" "$(observed "$dir/rec/none.json")"
	# Without --record, nothing is observed either.
	run "$scratch/out" "$scratch/err" el exec --no-lock -- sh -c 'echo "${LD_AUDIT-unset}"; ls /proc/$$/fd'
	check_eq "$p no record: nothing observed" "unset 0 1 2" "$(tr '\n' ' ' <"$scratch/out" | sed 's/ $//')"
	cd /
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
finish
