#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# envlock exec against a command that tries to get out: el_escape (the
# system calls the filter must stop, and the process's state) compared with
# tests/stubs/el_escape.expected, TIOCSTI on a real terminal, the sandbox's
# PID 1 as a way back to the host (/proc/1/root, /proc/1/ns, /proc/1/fd,
# /proc/1/environ, /proc/1/mem, ptrace), mount and nested namespaces,
# /proc/sys, a minimal /dev, and symbolic links planted in the working
# directory by an earlier run.
#
# Everything runs twice: as root (as whoever runs the script) and as the
# unprivileged user envlock-test (packaging/create-test-user.sh) through
# setpriv. The unprivileged half is skipped, with the reason, when the user,
# setpriv or unprivileged user namespaces are missing.
. "$(dirname "$0")/lib.sh"
need sha256sum script

user=envlock-test
escape=$EL_STUBS_DIR/el_escape
[ -x "$escape" ] || skip "$escape is not built (the el_escape target)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
base=$(mktemp -d /var/tmp/envlock-escape.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$scratch" "$base"' EXIT
unset FOO_SECRET

out() { cat "$scratch/out"; }
err() { cat "$scratch/err"; }
x() { run "$scratch/out" "$scratch/err" "$@"; }

. "$(dirname "$0")/sandbox_halves.sh"

# The expected el_escape output. The i386 entry (int $0x80) dies of SIGSEGV
# on some machines (a VM without IA32 emulation) before any filter: there,
# what the host itself gets is what the sandbox gets.
expected=$(cat "$EL_SOURCE_DIR/tests/stubs/el_escape.expected")
host_i386=$("$escape" --only i386_getpid || true)
if [ "$host_i386" = "i386_getpid killed-SIGSEGV" ]; then
	note "the i386 entry dies of SIGSEGV on this host outside any filter: 'i386_getpid killed-SIGSEGV' is accepted"
	expected=$(sed 's/^i386_getpid killed-SIGSYS$/i386_getpid killed-SIGSEGV/' <<<"$expected")
fi

passwd_sum=$(sha256sum /etc/passwd)
sysctl=/proc/sys/kernel/printk_ratelimit

write_probe() {
	cat >"$1" <<'EOF'
import ctypes, errno, os, sys

libc = ctypes.CDLL(None, use_errno=True)

def name(e):
    return errno.errorcode.get(e, "errno-%d" % e)

def refused(e):  # any of the answers that mean "no"
    return "refused" if e in (errno.EPERM, errno.EACCES, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EBADF) else name(e)

op, args = sys.argv[1], sys.argv[2:]
if op == "write":  # write PATH...: "PATH ok" or "PATH ERRNO"
    for p in args:
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.write(fd, b"escaped\n")
            os.close(fd)
            print(p, "ok")
        except OSError as e:
            print(p, name(e.errno))
elif op == "exists":
    for p in args:
        print(p, "yes" if os.path.lexists(p) else "no")
elif op == "pids":  # the processes this PID namespace shows
    print(" ".join(sorted((d for d in os.listdir("/proc") if d.isdigit()), key=int)))
elif op == "setns":  # every namespace of PID 1, joined
    try:
        names = sorted(os.listdir("/proc/1/ns"))
    except OSError as e:
        names = []
        print("/proc/1/ns", refused(e.errno))
    for ns in names:
        try:
            fd = os.open("/proc/1/ns/" + ns, os.O_RDONLY)
        except OSError as e:
            print(ns, "open", name(e.errno))
            continue
        r = libc.setns(fd, 0)
        print(ns, "ok" if r == 0 else name(ctypes.get_errno()))
        os.close(fd)
elif op == "ptrace":  # PTRACE_ATTACH to PID 1
    r = libc.ptrace(16, 1, None, None)
    print("ptrace", "ok" if r == 0 else name(ctypes.get_errno()))
elif op == "mount":
    r = libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)
    print("mount", "ok" if r == 0 else name(ctypes.get_errno()))
elif op == "mknod":  # a /dev/null of its own
    try:
        os.mknod("/tmp/null", 0o20666, os.makedev(1, 3))
        print("mknod ok")
    except OSError as e:
        print("mknod", name(e.errno))
elif op == "sysctl":  # write PATH's own value back
    for p in args:
        try:
            value = open(p).read()
            with open(p, "w") as f:
                f.write(value)
            print(p, "ok")
        except OSError as e:
            print(p, refused(e.errno))
elif op == "environ":  # does PID 1's environment hold NAME?
    try:
        data = open("/proc/1/environ", "rb").read()
        names = [v.split(b"=", 1)[0] for v in data.split(b"\0") if v]
        print("environ", "leaks " + args[0] if args[0].encode() in names else "clean")
    except OSError as e:
        print("environ", refused(e.errno))
elif op == "listdir":
    for p in args:
        try:
            print(p, " ".join(sorted(os.listdir(p))))
        except OSError as e:
            print(p, refused(e.errno))
elif op == "openrw":
    for p in args:
        try:
            os.close(os.open(p, os.O_RDWR))
            print(p, "ok")
        except OSError as e:
            print(p, refused(e.errno))
EOF
}

half_checks() {
	local half=$1 dir=$base/$1 bin uid
	local -a as elcmd

	mkdir -p "$dir/work" "$dir/hostdir" "$dir/profiles"
	echo "host only" >"$dir/hostdir/secret"
	write_probe "$dir/work/probe.py"
	cp "$escape" "$dir/work/el_escape"
	printf 'include default\ngpu none\n' >"$dir/profiles/nogpu"
	# A copy of its own: the binary under test stays the same while the checks run.
	cp "$ENVLOCK" "$dir/envlock"
	bin=$dir/envlock
	if [ "$half" = user ]; then
		chown -R "$user:$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env --)
		uid=$(id -u "$user")
	else
		as=()
		uid=$(id -u)
	fi
	# SHELL: script(1) runs its command with it (the user's is nologin).
	elcmd=("${as[@]}" env -u FOO_SECRET LC_ALL=C SHELL=/bin/sh ENVLOCK_PROFILE_PATH="$dir/no-profiles")
	el() {
		local vars=()
		while [ $# -gt 0 ] && [[ $1 == [A-Za-z_]*=* ]]; do
			vars+=("$1")
			shift
		done
		"${elcmd[@]}" "${vars[@]}" "$bin" "$@"
	}
	local p="[$half]" work=$dir/work
	cd "$work" || exit 1

	# ---- el_escape ----
	x el exec --no-lock -- ./el_escape
	check_eq "$p el_escape: exit 0" 0 "$status"
	check_eq "$p el_escape: as el_escape.expected" "$expected" "$(out)"
	check_eq "$p el_escape: nothing on stderr" "" "$(err)"

	# ---- TIOCSTI on a real terminal (script(1) makes one) ----
	"${elcmd[@]}" script -qec "'$bin' exec --no-lock -- /usr/bin/python3 -c 'import fcntl, termios; fcntl.ioctl(0, termios.TIOCSTI, b\"x\")'" \
		/dev/null </dev/null >"$scratch/tty" 2>&1 && status=0 || status=$?
	check_eq "$p TIOCSTI on a terminal: python fails" 1 "$status"
	check_eq "$p TIOCSTI on a terminal: EPERM" "PermissionError: [Errno 1] Operation not permitted" \
		"$(tr -d '\r' <"$scratch/tty" | grep -v '^$' | tail -1)"

	# ---- PID 1 and /proc ----
	# PID 1's /proc entries: the sandbox's own, or closed to the command (a non-dumpable PID 1).
	x el exec --no-lock -- /usr/bin/python3 probe.py listdir /proc/1/root /
	check_eq "$p /proc/1/root is the sandbox's root, or closed" yes \
		"$([ "$(sed -n 1p "$scratch/out")" = "/proc/1/root refused" ] ||
			[ "$(sed -n 1p "$scratch/out" | cut -d' ' -f2-)" = "$(sed -n 2p "$scratch/out" | cut -d' ' -f2-)" ] && echo yes || out)"
	x el exec --no-lock -- /usr/bin/python3 probe.py exists /proc/1/root/root /proc/1/root/var/tmp/"${base##*/}"/"$half"/hostdir
	check_eq "$p /proc/1/root: no host directory" \
		"$(printf '%s\n' "/proc/1/root/root no" "/proc/1/root/var/tmp/${base##*/}/$half/hostdir no")" "$(out)"
	x el exec --no-lock -- /usr/bin/python3 probe.py write /proc/1/root/x /proc/1/root/etc/passwd
	check_eq "$p /proc/1/root: nothing can be written through it" \
		"$(printf '%s\n' "/proc/1/root/x refused" "/proc/1/root/etc/passwd refused")" \
		"$(sed -E 's/ (EROFS|EACCES|EPERM)$/ refused/' "$scratch/out")"
	x el exec --no-lock -- /usr/bin/python3 probe.py pids
	check_eq "$p /proc: only the sandbox's processes" "1 2" "$(out)"
	x el exec --no-lock -- /usr/bin/python3 probe.py setns
	check_eq "$p setns to each of PID 1's namespaces fails" "$(sed 's/ .*/ refused/' "$scratch/out")" \
		"$(sed -E 's/ (open EACCES|EPERM)$/ refused/' "$scratch/out")"
	check_eq "$p setns: PID 1's namespaces, each tried, or none to see" yes \
		"$([ "$(wc -l <"$scratch/out")" -ge 7 ] || [ "$(out)" = "/proc/1/ns refused" ] && echo yes || out)"
	x el exec --no-lock -- /usr/bin/python3 probe.py ptrace
	check_eq "$p ptrace PID 1: EPERM" "ptrace EPERM" "$(out)"
	x el exec --no-lock -- /usr/bin/python3 probe.py openrw /proc/1/mem
	check_eq "$p PID 1's memory (no seccomp filter there) cannot be opened for writing" "/proc/1/mem refused" "$(out)"
	x el FOO_SECRET=hunter2 exec --no-lock -- /usr/bin/python3 probe.py environ FOO_SECRET
	check_eq "$p /proc/1/environ does not hold the host's environment" yes \
		"$([ "$(out)" = "environ clean" ] || [ "$(out)" = "environ refused" ] && echo yes || out)"
	# A directory envlock has open (inherited from its caller) is no way out through PID 1.
	run "$scratch/out" "$scratch/err" el exec --no-lock -- /usr/bin/python3 probe.py listdir /proc/1/fd/7 7<"$dir/hostdir"
	check_eq "$p /proc/1/fd/7 (a host directory open in envlock) cannot be listed" "/proc/1/fd/7 refused" "$(out)"
	run "$scratch/out" "$scratch/err" el exec --no-lock -- /usr/bin/python3 probe.py write /proc/1/fd/7/pwned 7<"$dir/hostdir"
	check_eq "$p /proc/1/fd/7: no file made through it" "/proc/1/fd/7/pwned refused" \
		"$(sed 's/ \(ENOENT\|EACCES\|EPERM\|EROFS\|ENOTDIR\)$/ refused/' "$scratch/out")"
	check_eq "$p /proc/1/fd/7: the host directory untouched" secret "$(ls "$dir/hostdir")"

	# ---- mount, nested namespaces, devices ----
	x el exec --no-lock -- /usr/bin/python3 probe.py mount
	check_eq "$p mount: EPERM" "mount EPERM" "$(out)"
	if [ -x /usr/bin/unshare ]; then
		x el exec --no-lock -- unshare -r true
		check_eq "$p unshare -r: 1" 1 "$status"
		check_eq "$p unshare -r: EPERM" "unshare: unshare failed: Operation not permitted" "$(err)"
	else
		skip_part "$p /usr/bin/unshare is not installed (util-linux): the nested user namespace check"
	fi
	x el exec --no-lock -- /usr/bin/python3 probe.py mknod
	check_eq "$p mknod: EPERM" "mknod EPERM" "$(out)"
	x el exec --no-lock --profile "$dir/profiles/nogpu" -- ls -A /dev
	check_eq "$p /dev: the minimal set" "$(printf '%s\n' fd full null ptmx pts random shm stderr stdin stdout tty urandom zero)" "$(out)"

	# ---- /proc/sys ----
	x el exec --no-lock -- sh -c 'if echo evil 2>/dev/null >/proc/sys/kernel/hostname; then echo written; else echo refused; fi; uname -n'
	check_eq "$p writing /proc/sys/kernel/hostname fails, the hostname stays" "$(printf '%s\n' refused envlock)" "$(out)"
	if [ -f "$sysctl" ]; then
		local before
		before=$(cat "$sysctl")
		x el exec --no-lock -- /usr/bin/python3 probe.py sysctl "$sysctl"
		check_eq "$p a host-wide sysctl ($sysctl, its own value) cannot be written" "$sysctl refused" "$(out)"
		check_eq "$p the host-wide sysctl is unchanged" "$before" "$(cat "$sysctl")"
	else
		skip_part "$p no $sysctl here: the host-wide sysctl check"
	fi

	# ---- links planted in the working directory by an earlier run ----
	x el exec --no-lock -- sh -c 'ln -s /etc/passwd out && ln -s ../../../../../../../../etc/passwd out2'
	check_eq "$p an earlier run plants links" "/etc/passwd" "$(readlink out)"
	# /etc/passwd inside is the host's, read-only, and not the sandbox user's
	# (root's sandbox runs as nobody): EACCES comes first.
	x el exec --no-lock -- /usr/bin/python3 probe.py write out out2
	check_eq "$p writes through the planted links fail" "$(printf '%s\n' "out EACCES" "out2 EACCES")" "$(out)"
	check_eq "$p the host's /etc/passwd is unchanged" "$passwd_sum" "$(sha256sum /etc/passwd)"
	# Above the workdir is the sandbox's (here its /var/tmp tmpfs), never the host's.
	x el exec --no-lock -- /usr/bin/python3 probe.py write ../escape
	check_eq "$p nothing written above the workdir on the host" no "$([ -e "$dir/escape" ] && echo yes || echo no)"
	cd /
}

for half in "${halves[@]}"; do
	half_checks "$half"
done
finish
