#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock exec: exit statuses and messages, the environment inside (exactly
# the plan's), identity, file system and process state, the profile's
# sandbox directives, the options' mounts, --seed, the drift check before
# the command, signal forwarding and the sandbox dying with envlock,
# --dry-run, and the working directory's .git.
#
# Everything runs twice: as root (as whoever runs the script) and as the
# unprivileged user envlock-test (packaging/create-test-user.sh) through
# setpriv, since envlock exec must work without root. The unprivileged half
# is skipped, with the reason, when the user, setpriv or unprivileged user
# namespaces are missing.
. "$(dirname "$0")/lib.sh"
need jq sha256sum python3
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed (the checks run it inside the sandbox)"
[ -x "$EL_STUBS_DIR/el_escape" ] || skip "$EL_STUBS_DIR/el_escape is not built (the el_escape target)"

user=envlock-test
# Under /var/tmp, not /tmp: the sandbox's /tmp is a tmpfs of its own, and a
# working directory below it would show through.
base=$(mktemp -d /var/tmp/envlock-exec.XXXXXX)
chmod 755 "$base"
marker=/tmp/envlock-exec-marker.$$
trap 'rm -rf "$scratch" "$base" "$marker"' EXIT
unset CUDA_VISIBLE_DEVICES FOO_SECRET PYTHONDONTWRITEBYTECODE

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
# x ARGS...: run into $scratch/out, $scratch/err and $status.
x() { run "$scratch/out" "$scratch/err" "$@"; }

# Re-fingerprint a lock edited with jq, as README.md tells how.
refingerprint() {
	local fp
	fp="sha256:$(jq -cS 'del(.fingerprint,.meta)' "$1" | tr -d '\n' | sha256sum | cut -d' ' -f1)"
	jq -S --indent 2 --arg fp "$fp" '.fingerprint=$fp' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

. "$(dirname "$0")/sandbox_halves.sh"

# What the host gives the invoking process, to compare with inside.
ncpus=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
threads=$(usable_cpus) # what the default profile's "threads auto" pins
first_cpu=$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
seeded7=$(env -u PYTHONPATH /usr/bin/python3 -c 'import random; random.seed(7); print(random.random())')

# A small Python helper run inside the sandbox (from the working directory).
write_probe() {
	cat >"$1" <<'EOF'
import errno, fcntl, os, socket, struct, sys

def name(e):
    return errno.errorcode.get(e, "errno-%d" % e)

op, args = sys.argv[1], sys.argv[2:]
if op == "write":  # write PATH...: "PATH ok" or "PATH ERRNO", appending a line
    for p in args:
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.write(fd, b"written\n")
            os.close(fd)
            print(p, "ok")
        except OSError as e:
            print(p, name(e.errno))
elif op == "exists":
    for p in args:
        print(p, "yes" if os.path.lexists(p) else "no")
elif op == "net":  # the interfaces in /proc/net/dev, whether lo is up, and a datagram over it
    lines = open("/proc/net/dev").read().splitlines()[2:]
    print(" ".join(l.split(":")[0].strip() for l in lines))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0)))[1]
    print("lo", "up" if flags & 1 else "down")
    s.bind(("127.0.0.1", 0))
    s.settimeout(2)
    s.sendto(b"ping", s.getsockname())
    print("loopback", s.recv(16).decode())
EOF
}

# ---- one half: everything, as one user ----
half_checks() {
	local half=$1 dir=$base/$1 uid gid home bin idm user_line
	local -a as elcmd

	mkdir -p "$dir/work" "$dir/profiles" "$dir/no-profiles" "$dir/bindsrc" "$dir/rosrc" "$dir/git/.git" "$dir/gitlink"
	ln -s /etc "$dir/gitlink/.git"
	echo ro-content >"$dir/rosrc/f"
	write_probe "$dir/work/probe.py"
	write_probe "$dir/git/probe.py"
	write_probe "$dir/gitlink/probe.py"
	cp "$EL_STUBS_DIR/el_escape" "$dir/work/el_escape"
	printf '#!/bin/sh\necho should not run\n' >"$dir/work/notexec"
	chmod 644 "$dir/work/notexec"
	printf 'print("should not run")\n' >"$dir/work/train.py"
	# A copy of its own: the binary under test stays the same while the checks run.
	cp "$ENVLOCK" "$dir/envlock"
	bin=$dir/envlock
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
		uid=$(id -u "$user")
		gid=$(id -g "$user")
		home=$(getent passwd "$user" | cut -d: -f6)
	else
		as=()
		uid=$(id -u)
		gid=$(id -g)
		home=$(getent passwd "$(id -un)" | cut -d: -f6)
	fi
	# Run by root, the sandbox's user is nobody on the host, and the
	# workdir and binds are idmapped; run by a user, that user.
	if [ "$uid" = 0 ]; then
		idm="  (idmapped)"
		user_line="uid 1000 gid 1000 (uid 65534 gid 65534 on the host; in the binds marked idmapped, root's files are its own and what it writes is root's)"
	else
		idm=
		user_line="uid 1000 gid 1000 (uid $uid gid $gid on the host)"
	fi
	# LC_ALL=C: the drift report in ASCII.
	elcmd=("${as[@]}" env -u CUDA_VISIBLE_DEVICES -u FOO_SECRET LC_ALL=C
		ENVLOCK_CACHE_DIR="$dir/cache" ENVLOCK_PROFILE_PATH="$dir/no-profiles")
	# el [VAR=VALUE]... ARGS...: envlock as this half's user, from the current directory.
	el() {
		local vars=()
		while [ $# -gt 0 ] && [[ $1 == [A-Za-z_]*=* ]]; do
			vars+=("$1")
			shift
		done
		"${elcmd[@]}" "${vars[@]}" "$bin" "$@"
	}
	# own FILE...: made by this script, owned by this half's user like the rest of its directory.
	own() {
		if [ "$half" = user ]; then chown "$user:$user" "$@"; fi
	}
	local p="[$half]"
	local work=$dir/work
	cd "$work" || exit 1

	# ---- exit statuses and messages ----
	x el exec --no-lock -- sh -c 'exit 3'
	check_eq "$p exit 3: the command's status" 3 "$status"
	check_eq "$p exit 3: nothing on stderr" "" "$(err)"
	x el exec --no-lock -- sh -c 'kill -TERM $$'
	check_eq "$p killed by SIGTERM: 128+15" 143 "$status"
	x el exec --no-lock -- sh -c 'kill -KILL $$'
	check_eq "$p killed by SIGKILL: 128+9" 137 "$status"
	x el exec --no-lock -- /nonexistent
	check_eq "$p command not found: 127" 127 "$status"
	check_eq "$p command not found: the message" "envlock: exec: /nonexistent: command not found" "$(err)"
	x el exec --no-lock -- no-such-command-anywhere
	check_eq "$p not on PATH: 127" 127 "$status"
	check_eq "$p not on PATH: the message" "envlock: exec: no-such-command-anywhere: command not found" "$(err)"
	x el exec --no-lock -- train.py
	check_eq "$p a script of the working directory named bare: 127, and how to run it" \
		"127 envlock: exec: train.py: command not found; it is a file here: run it as python3 train.py or ./train.py" \
		"$status $(err)"
	x el exec --no-lock -- notexec
	check_eq "$p a file of the working directory named bare: how to run it" \
		"127 envlock: exec: notexec: command not found; it is a file here: run it as ./notexec" "$status $(err)"
	x el exec --no-lock -- ./notexec
	check_eq "$p not executable: 126" 126 "$status"
	check_eq "$p not executable: the message" "envlock: exec: ./notexec: Permission denied" "$(err)"
	check_eq "$p not executable: nothing ran" "" "$(out)"
	x el exec -- touch ran-nolock
	check_eq "$p no env.lock: 125" 125 "$status"
	check_eq "$p no env.lock: the message" \
		"envlock: exec: no env.lock in this directory or above it (up to /); capture one with 'envlock capture -o env.lock' where the code is, or name one with --lock, or run without one: --no-lock" \
		"$(err)"
	check_eq "$p no env.lock: the command did not run" no "$([ -e ran-nolock ] && echo yes || echo no)"
	x el exec --lock other.lock -- true
	check_eq "$p --lock FILE missing: 125" 125 "$status"
	check_eq "$p --lock FILE missing: the message" \
		"envlock: exec: other.lock: no such file; capture one with 'envlock capture -o other.lock', or run without a lock: --no-lock" \
		"$(err)"
	x el exec --lock x.lock --no-lock -- true
	check_eq "$p --lock with --no-lock: 125" 125 "$status"
	check_eq "$p --lock with --no-lock: the message" \
		"$(printf '%s\n' "envlock: exec: --lock and --no-lock contradict each other" "Try 'envlock exec --help' for more information.")" \
		"$(err)"
	x el exec --no-lock --frobnicate -- true
	check_eq "$p unknown option: 125" 125 "$status"
	check_eq "$p unknown option: the message" \
		"$(printf '%s\n' "envlock: exec: unknown option '--frobnicate'" "Try 'envlock exec --help' for more information.")" \
		"$(err)"
	x el exec --no-lock
	check_eq "$p no command: 125" 125 "$status"
	check_eq "$p no command: the message" \
		"$(printf '%s\n' "envlock: exec: no command to run (envlock exec [options] -- CMD [ARG]...)" "Try 'envlock exec --help' for more information.")" \
		"$(err)"
	x el exec --no-lock --on-drift sometimes -- true
	check_eq "$p bad --on-drift: 125" 125 "$status"
	x el exec --no-lock --seed 1e3 -- true
	check_eq "$p bad --seed: 125" 125 "$status"
	check_eq "$p bad --seed: the message" "envlock: exec: --seed '1e3': not a number from 0 to 4294967295" "$(err)"
	x el exec --help
	check_eq "$p --help: 0" 0 "$status"
	check_eq "$p --help: the usage line" "usage: envlock exec [options] [--] CMD [ARG]..." "$(head -1 "$scratch/out")"
	check_eq "$p --help: nothing on stderr" "" "$(err)"
	# The command's options are its own, even without "--".
	x el exec --no-lock sh -c 'echo "$0 $1"' --help -x
	check_eq "$p options after the command are the command's" "--help -x" "$(out)"
	# -C: the working directory, bound and current, given absolute or relative.
	mkdir -p cdir
	[ "$half" = user ] && chown "$user:$user" cdir
	x el exec --no-lock -C "$work/cdir" -- sh -c 'pwd; touch made-in-C'
	check_eq "$p -C DIR: the current directory" "$work/cdir" "$(out)"
	check_eq "$p -C DIR: writable, on the host" yes "$([ -e cdir/made-in-C ] && echo yes || echo no)"
	x el exec --no-lock -C cdir -- pwd
	check_eq "$p -C with a relative DIR" "$work/cdir" "$(out)"
	check_eq "$p -C with a relative DIR: exit 0" 0 "$status"
	x el exec --no-lock -C /usr -- true
	check_eq "$p -C /usr: 125" 125 "$status"
	check_eq "$p -C /usr: the message" \
		"envlock: exec: working directory /usr: it would make /usr writable; choose another with --workdir" "$(err)"
	# stdin and stdout pass through, byte for byte.
	printf 'a\0b\377\n' >"$scratch/bytes"
	run "$scratch/out" "$scratch/err" el exec --no-lock -- cat <"$scratch/bytes"
	check_eq "$p stdin to stdout, byte for byte" "$(od -An -tx1 "$scratch/bytes")" "$(od -An -tx1 "$scratch/out")"

	# ---- the environment: exactly the plan's ----
	x el FOO_SECRET=1 CUDA_VISIBLE_DEVICES=3,1 exec --no-lock -- /usr/bin/env -0
	check_eq "$p env: exit 0" 0 "$status"
	tr '\0' '\n' <"$scratch/out" | LC_ALL=C sort >"$scratch/env.inside"
	x el FOO_SECRET=1 CUDA_VISIBLE_DEVICES=3,1 exec --no-lock --dry-run -- /usr/bin/env -0
	sed -n '/^environment:$/,/^working directory:/{s/^  //p}' "$scratch/out" | LC_ALL=C sort >"$scratch/env.plan"
	check_eq "$p env inside is the dry-run's" "$(cat "$scratch/env.plan")" "$(cat "$scratch/env.inside")"
	check_eq "$p env inside: the default profile's, exactly" "$(printf '%s\n' \
		CUBLAS_WORKSPACE_CONFIG=:4096:8 CUDA_VISIBLE_DEVICES=3,1 HOME=/home/envlock LC_ALL=C.UTF-8 \
		MKL_NUM_THREADS=$threads OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PYTHONHASHSEED=0 \
		PYTHONPATH=/run/envlock/python TZ=UTC)" \
		"$(cat "$scratch/env.inside")"
	check_eq "$p env: a host variable does not leak" "" "$(grep '^FOO_SECRET=' "$scratch/env.inside" || true)"
	x el PYTHONDONTWRITEBYTECODE=x exec --no-lock -- /usr/bin/env
	check_eq "$p env: PYTHONDONTWRITEBYTECODE is kept from the host" "PYTHONDONTWRITEBYTECODE=x" \
		"$(grep '^PYTHONDONTWRITEBYTECODE=' "$scratch/out" || true)"
	x el exec --no-lock -- /usr/bin/env
	check_eq "$p env: keepenv passes nothing that the host has not set" "" \
		"$(grep '^CUDA_VISIBLE_DEVICES=' "$scratch/out" || true)"

	# ---- identity, processes, descriptors ----
	x el exec --no-lock -- sh -c 'uname -n; id -u; id -g; umask; echo $$; cat /proc/1/comm'
	check_eq "$p hostname, uid, gid, umask, PID 2 and PID 1" \
		"$(printf '%s\n' envlock 1000 1000 0022 2 envlock)" "$(out)"
	x el exec --no-lock -- ./el_escape --only fds 7<"$base" 9>"$scratch/held"
	check_eq "$p only fds 0 1 2 (7 and 9 open in envlock)" "fds 0 1 2" "$(out)"
	x el exec --no-lock -- touch owned
	check_eq "$p a file made in the workdir belongs to the invoking user" "$uid:$gid" "$(stat -c %u:%g owned 2>&1)"
	# Inside, the workdir is the sandbox user's; the host's other files are not (root's run included).
	x el exec --no-lock -- sh -c 'stat -c %u:%g .; cat /etc/shadow >/dev/null 2>&1 && echo shadow read || echo shadow refused'
	check_eq "$p the workdir is the sandbox user's, /etc/shadow is not" "$(printf '%s\n' 1000:1000 "shadow refused")" \
		"$(out)"
	if [ "$uid" = 0 ]; then
		x el exec --no-lock -- sh -c 'grep -E "^ *[0-9]" /proc/self/uid_map'
		check_eq "$p root's sandbox runs as nobody on the host" "1000 65534 1" "$(out | tr -s ' ' | sed 's/^ //')"
		# A file system that cannot idmap: root on the host after all, and said so.
		mkdir -p "$dir/ramfs"
		mount -t ramfs envlock-test "$dir/ramfs"
		x el exec --no-lock -C "$dir/ramfs" -- touch made
		check_eq "$p ramfs workdir: the command ran" 0 "$status"
		check_eq "$p ramfs workdir: the warning" "envlock: warning: exec: $dir/ramfs: no idmapped mount there (Invalid argument): the sandbox's user is root on the host, and root's files are its own" "$(err)"
		check_eq "$p ramfs workdir: the file is root's" 0:0 "$(stat -c %u:%g "$dir/ramfs/made" 2>&1)"
		umount "$dir/ramfs"
	fi
	x el exec --no-lock -- /usr/bin/python3 probe.py write /usr/x /x "$work/w"
	check_eq "$p /usr and / read-only, the workdir writable" \
		"$(printf '%s\n' "/usr/x EROFS" "/x EROFS" "$work/w ok")" "$(out)"
	check_eq "$p the write reached the host's workdir" written "$(cat "$work/w" 2>&1)"
	x el exec --no-lock -- /usr/bin/python3 probe.py exists "$home" "$base/envlock-exec-not-bound"
	check_eq "$p the host's \$HOME ($home) is not visible" "$(printf '%s\n' "$home no" "$base/envlock-exec-not-bound no")" "$(out)"
	echo "host's" >"$marker"
	x el exec --no-lock -- sh -c 'ls -A /tmp; stat -f -c %T /tmp; touch /tmp/new && echo writable'
	check_eq "$p /tmp: an empty tmpfs of its own, writable" "$(printf '%s\n' tmpfs writable)" "$(out)"
	rm -f "$marker"

	# ---- profiles ----
	local prof=$dir/profiles
	printf 'include default\nnet none\n' >"$prof/net"
	printf 'include default\nhostname trainer\n' >"$prof/hostname"
	printf 'include default\ncpus 1\n' >"$prof/cpus1"
	printf 'include default\ncpus 4096\n' >"$prof/cpus4096"
	printf 'include default\nthreads 3\n' >"$prof/threads3"
	printf 'include default\naslr off\n' >"$prof/aslr"
	printf 'include default\nuid 0\ngid 0\n' >"$prof/root"
	printf 'include default\nuid 4242\ngid 4343\n' >"$prof/ids"
	printf 'include default\nbind %s /data\nro-bind %s /ro\ntmpfs /scratch\n' "$dir/bindsrc" "$dir/rosrc" >"$prof/mounts"
	printf 'include default\n# a source that is not there\nbind %s /data\n' "$base/nosuch" >"$prof/missing"

	x el exec --no-lock --profile "$prof/net" -- /usr/bin/python3 probe.py net
	check_eq "$p net none: only lo, up, and it carries a datagram" "$(printf '%s\n' lo "lo up" "loopback ping")" "$(out)"
	check_eq "$p net none: exit 0" 0 "$status"
	x el exec --no-lock --profile "$prof/net" --dry-run -- true
	check_eq "$p net none: the plan's namespaces" "namespaces: user mount pid ipc uts cgroup net (loopback only)" \
		"$(grep '^namespaces:' "$scratch/out")"
	x el exec --no-lock --profile "$prof/hostname" -- sh -c 'uname -n; cat /proc/sys/kernel/hostname'
	check_eq "$p hostname trainer" "$(printf '%s\n' trainer trainer)" "$(out)"
	# nproc honours OMP_NUM_THREADS, which the default profile pins (threads auto).
	x el exec --no-lock --profile "$prof/cpus1" -- sh -c 'env -u OMP_NUM_THREADS nproc; grep Cpus_allowed_list /proc/self/status | cut -f2'
	check_eq "$p cpus 1: one CPU, the first envlock may use" "$(printf '%s\n' 1 "$first_cpu")" "$(out)"
	x el exec --no-lock -- env -u OMP_NUM_THREADS nproc
	check_eq "$p no cpus: every CPU envlock may use" "$ncpus" "$(out)"
	# Without a lock the thread pins are worked out as capture would: cpus 1 leaves one CPU to use.
	x el exec --no-lock --profile "$prof/cpus1" -- sh -c 'echo "$OMP_NUM_THREADS $MKL_NUM_THREADS $OPENBLAS_NUM_THREADS"'
	check_eq "$p cpus 1: threads auto pins 1" "1 1 1" "$(out)"
	x el exec --no-lock --profile "$prof/threads3" -- sh -c 'echo "$OMP_NUM_THREADS $MKL_NUM_THREADS $OPENBLAS_NUM_THREADS"'
	check_eq "$p threads 3: 3 pinned" "3 3 3" "$(out)"
	x el exec --no-lock --profile "$prof/cpus4096" -- touch ran-cpus
	check_eq "$p cpus 4096: 125" 125 "$status"
	check_eq "$p cpus 4096: the message" "envlock: exec: sandbox setup: cpus 4096: only $ncpus CPUs are available here" "$(err)"
	check_eq "$p cpus 4096: the command did not run" no "$([ -e ran-cpus ] && echo yes || echo no)"
	x el exec --no-lock --profile "$prof/aslr" -- sh -c 'cat /proc/self/personality; grep "\[stack\]" /proc/self/maps | cut -d" " -f1'
	check_eq "$p aslr off: ADDR_NO_RANDOMIZE" 00040000 "$(head -1 "$scratch/out")"
	local stack1 stack2
	stack1=$(sed -n 2p "$scratch/out")
	x el exec --no-lock --profile "$prof/aslr" -- sh -c 'cat /proc/self/personality; grep "\[stack\]" /proc/self/maps | cut -d" " -f1'
	stack2=$(sed -n 2p "$scratch/out")
	check_eq "$p aslr off: the same stack twice" "$stack1" "$stack2"
	x el exec --no-lock -- cat /proc/self/personality
	check_eq "$p aslr on by default" 00000000 "$(out)"
	if [ "$(cat /proc/sys/kernel/randomize_va_space)" != 0 ]; then
		x el exec --no-lock -- grep '\[stack\]' /proc/self/maps
		stack1=$(out)
		x el exec --no-lock -- grep '\[stack\]' /proc/self/maps
		check_eq "$p aslr on: the stack moves" moved "$([ "$stack1" != "$(out)" ] && echo moved || echo "same: $stack1")"
	fi
	x el exec --no-lock --profile "$prof/root" -- sh -c 'id -u; id -g; touch owned-by-0'
	check_eq "$p uid 0, gid 0 inside" "$(printf '%s\n' 0 0)" "$(out)"
	check_eq "$p uid 0: still the invoking user's on the host" "$uid:$gid" "$(stat -c %u:%g owned-by-0 2>&1)"
	x el exec --no-lock --profile "$prof/ids" -- sh -c 'id -u; id -g'
	check_eq "$p uid 4242, gid 4343 inside" "$(printf '%s\n' 4242 4343)" "$(out)"

	printf 'include default\nseccomp allow unshare\n' >"$prof/nested"
	printf 'include default\nseccomp deny uname\n' >"$prof/nouname"
	printf 'include default\ngpu require\n' >"$prof/gpu"
	x el exec --no-lock --profile "$prof/nested" -- unshare -r id -u
	check_eq "$p seccomp allow unshare: a nested user namespace" 0 "$(out)"
	x el exec --no-lock --profile "$prof/nouname" -- uname -n
	check_eq "$p seccomp deny uname: 1" 1 "$status"
	check_eq "$p seccomp deny uname: EPERM" "uname: cannot get system name: Operation not permitted" "$(err)"
	if ! compgen -G '/dev/nvidia*' >/dev/null && [ ! -e /dev/dri ]; then
		x el exec --no-lock --profile "$prof/gpu" -- touch ran-gpu
		check_eq "$p gpu require without a GPU: 125" 125 "$status"
		check_eq "$p gpu require without a GPU: the message" \
			"envlock: exec: the profile requires a GPU (gpu require), but there is no /dev/nvidia* or /dev/dri here" "$(err)"
		check_eq "$p gpu require without a GPU: the command did not run" no "$([ -e ran-gpu ] && echo yes || echo no)"
	fi
	x el exec --no-lock -- sh -c 'echo "$HOME"; stat -f -c %T "$HOME"; stat -c "%u %a" "$HOME"; ls -A "$HOME"; touch "$HOME/x" && echo writable'
	check_eq "$p HOME: an empty tmpfs of the sandbox's user" "$(printf '%s\n' /home/envlock tmpfs "1000 700" writable)" "$(out)"

	# ---- mounts: the profile's and the options' ----
	x el exec --no-lock --profile "$prof/mounts" -- sh -c \
		'echo through >/data/w; cat /ro/f; ls -A /scratch; stat -f -c %T /scratch; touch /scratch/t && echo scratch-writable; /usr/bin/python3 probe.py write /ro/g'
	check_eq "$p profile bind, ro-bind, tmpfs" \
		"$(printf '%s\n' ro-content tmpfs scratch-writable "/ro/g EROFS")" "$(out)"
	check_eq "$p profile bind: the write is on the host" through "$(cat "$dir/bindsrc/w" 2>&1)"
	check_eq "$p profile ro-bind: nothing written on the host" no "$([ -e "$dir/rosrc/g" ] && echo yes || echo no)"
	# A relative source is the current directory's.
	mkdir -p sub
	[ "$half" = user ] && chown "$user:$user" sub
	x el exec --no-lock --bind "$dir/bindsrc:/d2" --ro-bind "$dir/rosrc:/r2" --tmpfs /t2 --ro-bind "$dir/rosrc" \
		--bind sub:/rel -- sh -c \
		'echo through2 >/d2/w2; cat /r2/f; cat '"$dir/rosrc/f"'; ls -A /t2; stat -f -c %T /t2; echo rel >/rel/r; /usr/bin/python3 probe.py write /r2/g'
	check_eq "$p --bind, --ro-bind, --tmpfs" \
		"$(printf '%s\n' ro-content ro-content tmpfs "/r2/g EROFS")" "$(out)"
	check_eq "$p --bind: the write is on the host" through2 "$(cat "$dir/bindsrc/w2" 2>&1)"
	check_eq "$p --bind with a relative source" rel "$(cat sub/r 2>&1)"
	x el exec --no-lock --bind "$base/nosuch:/data" -- touch ran-bind
	check_eq "$p --bind of a missing source: 125" 125 "$status"
	check_eq "$p --bind of a missing source: the message" \
		"envlock: exec: command line: bind source $base/nosuch: No such file or directory" "$(err)"
	check_eq "$p --bind of a missing source: the command did not run" no "$([ -e ran-bind ] && echo yes || echo no)"
	# A new destination inside a read-only system directory cannot be made: said by the plan.
	x el exec --no-lock --bind "$dir/bindsrc:/opt/envlock-new/x" -- touch ran-bind
	check_eq "$p --bind into a read-only directory: 125" 125 "$status"
	check_eq "$p --bind into a read-only directory: the message" \
		"envlock: exec: command line: bind destination /opt/envlock-new/x: the sandbox shows /opt read-only, and envlock-new/x is not in it to mount onto (choose a path that is there, or a new one outside /opt)" \
		"$(err)"
	x el exec --no-lock --tmpfs /usr/envlock-new -- touch ran-bind
	check_eq "$p --tmpfs into a read-only directory: the message" \
		"envlock: exec: command line: tmpfs /usr/envlock-new: the sandbox shows /usr read-only, and envlock-new is not in it to mount onto (choose a path that is there, or a new one outside /usr)" \
		"$(err)"
	check_eq "$p --bind, --tmpfs into a read-only directory: the command did not run" no \
		"$([ -e ran-bind ] && echo yes || echo no)"
	x el exec --no-lock --profile "$prof/missing" -- touch ran-bind
	check_eq "$p profile bind of a missing source: 125" 125 "$status"
	check_eq "$p profile bind of a missing source: one line naming the profile and the source" yes \
		"$([[ $(err) == "envlock: exec: $prof/missing"*": bind source $base/nosuch: No such file or directory" ]] && echo yes || err)"
	check_eq "$p profile bind of a missing source: the command did not run" no "$([ -e ran-bind ] && echo yes || echo no)"

	# ---- --seed ----
	x el exec --no-lock --seed 7 -- sh -c 'echo "$PYTHONHASHSEED $ENVLOCK_SEED"; test -f /run/envlock/python/sitecustomize.py && echo hook; /usr/bin/python3 -c "import random; print(random.random())"'
	check_eq "$p --seed 7: the variables, the hook, random seeded" \
		"$(printf '%s\n' "7 7" hook "$seeded7")" "$(out)"
	check_eq "$p --seed 7: nothing on stderr" "" "$(err)"

	# ---- drift: a lock captured here ----
	x el capture -o LOCK
	check_eq "$p capture: exit 0" 0 "$status"
	if [ "$status" -ne 0 ] || [ ! -s LOCK ]; then
		sed "s/^/  capture: /" "$scratch/err" >&2
	else
		x el exec --lock LOCK -- touch ran-lock
		check_eq "$p an unchanged lock: exit 0" 0 "$status"
		check_eq "$p an unchanged lock: nothing on stderr" "" "$(err)"
		check_eq "$p an unchanged lock: the command ran" yes "$([ -e ran-lock ] && echo yes || echo no)"
		# The lock in the workdir is read-only inside: the command cannot rewrite what the next run checks.
		local locksum
		locksum=$(sha256sum LOCK)
		x el exec --lock LOCK -- /usr/bin/python3 probe.py write LOCK
		check_eq "$p lock in the workdir: read-only inside" "LOCK EROFS" "$(out)"
		check_eq "$p lock in the workdir: unchanged" "$locksum" "$(sha256sum LOCK)"
		# A lock someone else owns (read-only to us), as in a shared checkout, is used all the same.
		local other
		other=$([ "$half" = user ] && echo root || echo nobody)
		if id -u "$other" >/dev/null 2>&1; then
			cp LOCK shared.lock
			chown "$other:" shared.lock
			chmod 644 shared.lock
			x el exec --lock shared.lock -- touch ran-shared
			check_eq "$p a lock owned by $other, read-only to us: exit 0" 0 "$status"
			check_eq "$p a lock owned by $other, read-only to us: nothing on stderr" "" "$(err)"
			check_eq "$p a lock owned by $other, read-only to us: the command ran" yes "$([ -e ran-shared ] && echo yes || echo no)"
		fi
		x el exec --lock LOCK -- /usr/bin/env -0
		tr '\0' '\n' <"$scratch/out" | LC_ALL=C sort >"$scratch/env.inside"
		x el exec --lock LOCK --dry-run -- /usr/bin/env -0
		sed -n '/^environment:$/,/^working directory:/{s/^  //p}' "$scratch/out" | LC_ALL=C sort >"$scratch/env.plan"
		check_eq "$p lock: env inside is the dry-run's" "$(cat "$scratch/env.plan")" "$(cat "$scratch/env.inside")"
		# The profile named in the lock is the sandbox's.
		x el capture --profile tensorflow -o tf.lock
		x el exec --lock tf.lock -- sh -c 'echo "$TF_DETERMINISTIC_OPS"'
		check_eq "$p a lock captured with --profile tensorflow: its pins inside" 1 "$(out)"
		check_eq "$p a lock captured with --profile tensorflow: exit 0" 0 "$status"
		local lockpy
		lockpy=$(jq -r '.python.executable // empty' LOCK)
		if [ -n "$lockpy" ]; then
			x el exec --lock LOCK --seed 7 -- sh -c 'echo "${PATH%%:*}"; command -v python3; python3 -c "import random; print(random.random())"'
			check_eq "$p lock: python3 seeded" "$(env -u PYTHONPATH "$lockpy" -c 'import random; random.seed(7); print(random.random())')" \
				"$(sed -n 3p "$scratch/out")"
			# The bind of the lock's interpreter and PATH: a system one is inside
			# anyway, so where python3 on PATH is one (Debian's, as on CI) a venv's
			# lock shows them.
			local pathlock=LOCK pathpy=$lockpy
			case ${lockpy%/*} in
			/usr/* | /bin | /sbin | /lib* | /etc/* | /opt/*)
				pathlock=venv.lock pathpy=$dir/venv/bin/python3
				"${as[@]}" /usr/bin/python3 -m venv --without-pip "$dir/venv"
				x el capture --python "$pathpy" -o venv.lock
				check_eq "$p a venv's lock: exit 0" 0 "$status" ;;
			esac
			x el exec --lock "$pathlock" -- sh -c 'echo "${PATH%%:*}"; command -v python3'
			check_eq "$p lock: its python's directory first on PATH, and python3 is it" \
				"$(printf '%s\n' "${pathpy%/*}" "$pathpy")" "$(out)"
			# The lock chose it: bound as it is, never idmapped to the sandbox's user.
			if [ "$uid" = 0 ] && [ "$(stat -c %u "$pathpy")" = 0 ]; then
				x el exec --lock "$pathlock" -- stat -c %u "$pathpy"
				check_eq "$p lock: root's python is not the sandbox user's" 65534 "$(out)"
			fi
		fi
		# The thread pins are checked against the lock's count: one pin edited away from it drifts.
		local omp=$((threads + 1))
		jq --arg n "$omp" '.env.OMP_NUM_THREADS = $n' LOCK >omp.lock
		refingerprint omp.lock
		own omp.lock
		x el exec --lock omp.lock -- touch ran-refuse
		check_eq "$p drift refused: 125" 125 "$status"
		check_eq "$p drift refused: the command did not run" no "$([ -e ran-refuse ] && echo yes || echo no)"
		check_eq "$p drift refused: the finding on stderr" "  refuse  env.OMP_NUM_THREADS  $omp -> $threads" \
			"$(grep -F 'env.OMP_NUM_THREADS' "$scratch/err")"
		check_eq "$p drift refused: the last line" \
			"envlock: exec: refusing to run: this machine has drifted from omp.lock (--on-drift warn runs anyway)" \
			"$(tail -1 "$scratch/err")"
		check_eq "$p drift refused: nothing on stdout" "" "$(out)"
		x el exec --lock omp.lock --on-drift warn -- touch ran-warn
		check_eq "$p --on-drift warn: 0" 0 "$status"
		check_eq "$p --on-drift warn: the command ran" yes "$([ -e ran-warn ] && echo yes || echo no)"
		check_eq "$p --on-drift warn: the finding on stderr" "  refuse  env.OMP_NUM_THREADS  $omp -> $threads" \
			"$(grep -F 'env.OMP_NUM_THREADS' "$scratch/err")"
		check_eq "$p --on-drift warn: the last line" "envlock: exec: running despite the drift (--on-drift warn)" \
			"$(tail -1 "$scratch/err")"
		# --no-check: the lock's pins, no capture, nothing said (srun --envlock checked the node).
		x el exec --lock omp.lock --no-check -- sh -c 'echo "$OMP_NUM_THREADS"'
		check_eq "$p --no-check: 0, the lock's pin inside, nothing on stderr" "0 $omp " "$status $(out) $(cat "$scratch/err")"
		x el exec --no-lock --no-check -- true
		check_eq "$p --no-check --no-lock: refused" \
			"125 envlock: exec: --no-check takes a lock's pins: --no-lock has none" "$status $(head -1 "$scratch/err")"
		x el exec --lock omp.lock --no-check --record runs/ -- true
		check_eq "$p --no-check --record: refused" \
			"125 envlock: exec: --no-check does not go with --record: the record holds the check's findings" \
			"$status $(head -1 "$scratch/err")"
		# A lock made where a run could use more CPUs: its count inside all the same, and a warning.
		local big=$((threads + 1))
		jq --arg n "$big" '.threads = ($n | tonumber) | .env.OMP_NUM_THREADS = $n | .env.MKL_NUM_THREADS = $n |
			.env.OPENBLAS_NUM_THREADS = $n' LOCK >big.lock
		refingerprint big.lock
		own big.lock
		x el exec --lock big.lock -- sh -c 'echo "$OMP_NUM_THREADS $MKL_NUM_THREADS $OPENBLAS_NUM_THREADS"'
		check_eq "$p a lock with more threads than CPUs here: 0" 0 "$status"
		check_eq "$p a lock with more threads than CPUs here: its count inside" "$big $big $big" "$(out)"
		check_eq "$p a lock with more threads than CPUs here: the warning" "  warn    threads  $big -> $threads" \
			"$(grep -F ' threads ' "$scratch/err")"
		x el exec --lock omp.lock --on-drift ignore -- touch ran-ignore
		check_eq "$p --on-drift ignore: 0" 0 "$status"
		check_eq "$p --on-drift ignore: the command ran" yes "$([ -e ran-ignore ] && echo yes || echo no)"
		check_eq "$p --on-drift ignore: silent" "" "$(err)"
		local pkg real
		pkg=$(jq -r '.python.packages // {} | keys[0] // empty' LOCK)
		if [ -n "$pkg" ]; then
			real=$(jq -r --arg p "$pkg" '.python.packages[$p]' LOCK)
			jq --arg p "$pkg" '.python.packages[$p] = "0.0.1"' LOCK >pkg.lock
			refingerprint pkg.lock
			own pkg.lock
			x el exec --lock pkg.lock -- touch ran-pkg
			check_eq "$p a package version drifted: 125" 125 "$status"
			check_eq "$p a package version drifted: the finding" "  refuse  python.packages.$pkg  0.0.1 -> $real" \
				"$(grep -F "python.packages.$pkg " "$scratch/err")"
			check_eq "$p a package version drifted: the command did not run" no "$([ -e ran-pkg ] && echo yes || echo no)"
		else
			skip_part "[$half] the lock has no python packages: the package drift check"
		fi
		printf '{\n  "envlock": 1,\n  "host": {\n' >truncated.lock
		own truncated.lock
		x el exec --lock truncated.lock -- touch ran-corrupt
		check_eq "$p a corrupt lock: 125" 125 "$status"
		check_eq "$p a corrupt lock: the message" \
			"envlock: truncated.lock:4:0: invalid JSON: string or '}' expected near end of file" "$(err)"
		check_eq "$p a corrupt lock: the command did not run" no "$([ -e ran-corrupt ] && echo yes || echo no)"
		jq '.env.TZ = "Asia/Tokyo"' LOCK >handedit.lock
		own handedit.lock
		x el exec --lock handedit.lock --on-drift ignore -- touch ran-handedit
		check_eq "$p a hand-edited lock (even with --on-drift ignore): 125" 125 "$status"
		check_eq "$p a hand-edited lock: the message" \
			"envlock: handedit.lock: the fingerprint does not match the content (edited by hand, or a merge resolved badly?); re-lock with: envlock capture --python $(jq -r .python.executable LOCK) -o handedit.lock" \
			"$(err)"
		check_eq "$p a hand-edited lock: the command did not run" no "$([ -e ran-handedit ] && echo yes || echo no)"

		# ---- the everyday loop's layout: the lock found upward, the command started where the user is ----
		mkdir -p up/src up/.git
		cp LOCK up/env.lock
		printf 'X = 1\n' >up/src/mod.py
		own up up/src up/.git up/env.lock up/src/mod.py
		cd up/src
		x el exec -- sh -c 'pwd; touch ../written && echo writable'
		check_eq "$p from a subdirectory: exit 0" 0 "$status"
		check_eq "$p from a subdirectory: starts there, the lock's directory writable" \
			"$(printf '%s\n' "$PWD" writable)" "$(out)"
		check_eq "$p from a subdirectory: written on the host" yes "$([ -e ../written ] && echo yes || echo no)"
		x el exec -- python -c 'import os, sys, mod; print(os.path.realpath(sys.executable))'
		check_eq "$p python (not only python3) is the lock's interpreter" "$(realpath "$lockpy")" "$(out)"
		check_eq "$p no __pycache__ written into the working directory" "" "$(find .. -name __pycache__)"
		# Not a repository's root: the lock is used, but the working directory stays where the user is.
		rmdir ../.git
		x el exec -- sh -c 'pwd; touch ../outside 2>/dev/null; true'
		check_eq "$p a lock above, no repository: it starts here" "$PWD" "$(out)"
		check_eq "$p a lock above, no repository: only the current directory is the host's, writable" \
			no "$([ -e ../outside ] && echo yes || echo no)"
		cd ../..
		x el exec --lock LOCK --record runs/new/ -- true
		check_eq "$p --record DIR/ made the directory: exit 0" 0 "$status"
		check_eq "$p --record DIR/ made the directory: one record in it" 1 "$(find runs/new -name 'run-*.json' | wc -l)"
		check_eq "$p --record DIR/ made the directory: mode 0755" 755 "$(stat -c %a runs/new)"
		# --python by name: the interpreter itself leads PATH, found as the check finds it (a
		# pyenv shim resolved: the shim is a script that needs pyenv, which the sandbox lacks).
		x el exec --lock LOCK --python python3 --dry-run -- true
		pytarget=$(sed -n 's|^  symlink    /run/envlock/bin/python -> ||p' "$scratch/out")
		check_eq "$p --python python3: the link is the interpreter, not a shim" yes \
			"$([ -x "$pytarget" ] && [[ $pytarget != */shims/* ]] && [[ $pytarget == /* ]] && echo yes || echo "no: $pytarget")"
		# The lock's interpreter missing here: one refused finding, no comparison with another.
		jq '.python.executable = "/nonexistent/bin/python3"' LOCK >nopy.lock
		refingerprint nopy.lock
		own nopy.lock
		x el LC_ALL=C exec --lock nopy.lock -- touch ran-nopy
		check_eq "$p the lock's interpreter missing: 125" 125 "$status"
		check_eq "$p the lock's interpreter missing: the one python finding" \
			"  refuse  python.executable  /nonexistent/bin/python3 -> (absent)" "$(grep ' python\.' "$scratch/err")"
		check_eq "$p the lock's interpreter missing: the command did not run" no "$([ -e ran-nopy ] && echo yes || echo no)"
	fi

	# ---- signals: forwarded to the command, its status is envlock's ----
	local sig pid
	for sig in TERM INT HUP USR1 QUIT USR2; do
		rm -f "ready-$sig" "got-$sig"
		"${elcmd[@]}" "$bin" exec --no-lock -- sh -c \
			"trap 'echo got $sig >got-$sig; exit 7' $sig; echo ready >ready-$sig; while :; do sleep 0.1; done" \
			>"$scratch/bg.out" 2>"$scratch/bg.err" &
		pid=$!
		for _ in $(seq 200); do
			[ -s "ready-$sig" ] && break
			sleep 0.05
		done
		kill -"$sig" "$pid" || true
		bg_status "$pid"
		check_eq "$p SIG$sig to envlock: the command's trap's status" 7 "$status"
		check_eq "$p SIG$sig to envlock: the command got it" "got $sig" "$(cat "got-$sig" 2>&1)"
	done
	# SIGTERM at once, during the drift check or after: 143, and the command has no effect.
	"${elcmd[@]}" "$bin" exec --lock LOCK -- sh -c 'sleep 1; touch ran-early' >/dev/null 2>"$scratch/bg.err" &
	pid=$!
	sleep 0.05
	kill -TERM "$pid" || true
	bg_status "$pid"
	check_eq "$p SIGTERM right after the start: 143" 143 "$status"
	sleep 1.2
	check_eq "$p SIGTERM right after the start: the command had no effect" no "$([ -e ran-early ] && echo yes || echo no)"
	# An orphan reaped by PID 1 never sets the status: one that ends first, one the sandbox outlives.
	x el exec --no-lock -- sh -c '(sh -c "exit 9" &); sleep 0.5; exit 4'
	check_eq "$p an orphan that exits 9 first: the command's status" 4 "$status"
	x el exec --no-lock -- sh -c '(sh -c "sleep 0.3; exit 9" &); sleep 1; exit 0'
	check_eq "$p an orphan that exits 9 while the command runs: 0" 0 "$status"
	x el exec --no-lock -- sh -c '(sh -c "sleep 0.3; exit 9" &); exit 0'
	check_eq "$p an orphan still running when the command exits 0: 0" 0 "$status"
	# kill -9 envlock: nothing in the sandbox outlives it.
	local tag="86399.$$$RANDOM"
	"${elcmd[@]}" "$bin" exec --no-lock -- sh -c "sleep $tag; :" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 200); do
		pgrep -f "^sleep $tag\$" >/dev/null && break
		sleep 0.05
	done
	check_eq "$p kill -9: the command was running" yes "$(pgrep -f "^sleep $tag\$" >/dev/null && echo yes || echo no)"
	kill -KILL "$pid" || true
	wait "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		pgrep -f "$tag" >/dev/null || break
		sleep 0.05
	done
	check_eq "$p kill -9 envlock: no sandboxed process left" "" "$(pgrep -af "$tag" || true)"
	pkill -KILL -f "$tag" 2>/dev/null || true

	# ---- --dry-run ----
	x el exec --no-lock --dry-run -- touch ran-dry
	check_eq "$p --dry-run: 0" 0 "$status"
	check_eq "$p --dry-run: nothing ran" no "$([ -e ran-dry ] && echo yes || echo no)"
	check_eq "$p --dry-run: nothing on stderr" "" "$(err)"
	check_eq "$p --dry-run: the plan's head" "$(printf '%s\n' "profile: default" \
		"namespaces: user mount pid ipc uts cgroup" "user: $user_line" "hostname: envlock")" \
		"$(head -4 "$scratch/out")"
	check_eq "$p --dry-run: the workdir bound" "  bind       $work$idm" "$(grep "^  bind       $work" "$scratch/out")"
	check_eq "$p --dry-run: the command" "command: touch ran-dry" "$(tail -1 "$scratch/out")"
	check_eq "$p --dry-run: working directory" "working directory: $work" "$(grep '^working directory:' "$scratch/out")"

	# ---- .git: read-only in a writable workdir; a planted .git link binds nothing ----
	cd "$dir/git" || exit 1
	x el exec --no-lock -- /usr/bin/python3 probe.py write .git/x y
	check_eq "$p .git read-only, the workdir writable" "$(printf '%s\n' ".git/x EROFS" "y ok")" "$(out)"
	x el exec --no-lock --dry-run -- true
	check_eq "$p .git: ro-bound in the plan" "  ro-bind    $dir/git/.git$idm" "$(grep '\.git' "$scratch/out")"
	cd "$dir/gitlink" || exit 1
	x el exec --no-lock --dry-run -- true
	check_eq "$p .git -> /etc: the plan binds nothing for it" "" "$(grep '\.git' "$scratch/out" || true)"
	check_eq "$p .git -> /etc: the only writable bind is the workdir" "  bind       $dir/gitlink$idm" \
		"$(grep '^  bind ' "$scratch/out")"
	check_eq "$p .git -> /etc: no read-only bind from the workdir" "" "$(grep "^  ro-bind    $dir" "$scratch/out" || true)"
	x el exec --no-lock -- /usr/bin/python3 probe.py write .git/evil
	check_eq "$p .git -> /etc: writing through it fails" ".git/evil EROFS" "$(out)"
	check_eq "$p .git -> /etc: nothing on the host's /etc" no "$([ -e /etc/evil ] && echo yes || echo no)"

	# A bind source replaced by a link between the plan and the set-up (the plan resolved it).
	mkdir -p "$dir/race/src" "$dir/race/secret"
	cp "$EL_STUBS_DIR/el_plan_race" "$dir/race/el_plan_race"
	[ "$half" = user ] && chown -R "$user:$user" "$dir/race"
	cd "$dir/work" || exit 1
	x "${as[@]}" "$dir/race/el_plan_race" "$dir/work" "$dir/race/src" "$dir/race/secret"
	check_eq "$p a bind source turned into a link after the plan: refused" \
		"refused: sandbox setup: bind $dir/race/src: a symbolic link appeared on its path after the plan was made" \
		"$(out)"

	# A mount made on the host after the start does not show inside (the binds are
	# private), even under a shared mount, whose events would otherwise propagate.
	if [ "$(id -u)" -eq 0 ]; then
		mkdir -p "$dir/prop"
		mount -t tmpfs envlock-test "$dir/prop"
		mount --make-shared "$dir/prop"
		mkdir -p "$dir/prop/mnt"
		rm -f "$dir/work/go"
		"${elcmd[@]}" "$bin" exec --no-lock --ro-bind "$dir/prop" -- /bin/sh -c \
			'while [ ! -e go ]; do sleep 0.05; done; [ -e "$0/mnt/seen" ] && echo visible || echo hidden' \
			"$dir/prop" >"$scratch/out" 2>"$scratch/err" &
		local waiter=$!
		sleep 0.5
		mount -t tmpfs envlock-test "$dir/prop/mnt"
		echo x >"$dir/prop/mnt/seen"
		touch "$dir/work/go"
		wait "$waiter" || true
		umount "$dir/prop/mnt" "$dir/prop"
		check_eq "$p a host mount made after the start stays outside" hidden "$(out)"
	fi
	cd "$work" || exit 1
}

# bg_status PID: the exit status of a background job in $status; killed after 10 s if it hangs.
bg_status() {
	local pid=$1 _
	# Gone (bash reaped it already) or a zombie: it has ended.
	local state
	for _ in $(seq 200); do
		state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1 || true)
		[ -n "$state" ] && [ "$state" != Z ] || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	status=0
	wait "$pid" || status=$?
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
cd /
finish
