# SPDX-License-Identifier: Apache-2.0
# Sourced by the sandbox tests (exec.sh, exec_escape.sh) after lib.sh, with
# $user set: which halves to run. "root" as whoever runs the script, "user"
# as $user through setpriv; "self" alone when not run as root. Sets halves.
# A half that cannot run is a skipped part (skip_part): the script reports
# skipped, not passed, and fails under ENVLOCK_TEST_STRICT, since the sandbox
# must work both as root and without it.

note() { echo "note: $*"; }

# Whether user namespaces are open to the unprivileged user; the reason why not on stdout.
userns_blocked() {
	if [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" = 0 ]; then
		echo "user namespaces are off (user.max_user_namespaces is 0)"
	elif [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 0 ]; then
		echo "unprivileged user namespaces are off (kernel.unprivileged_userns_clone is 0)"
	elif command -v unshare >/dev/null &&
		! setpriv --reuid="$user" --regid="$user" --clear-groups --reset-env -- unshare --user true 2>/dev/null; then
		echo "unshare --user fails as $user (AppArmor, or a kernel setting)"
	else
		return 1
	fi
}

# Why envlock cannot start a sandbox as the current user (on stdout), if it cannot.
start_fails() {
	local why

	why=$("$ENVLOCK" exec --no-lock -C /tmp -- true 2>&1 >/dev/null) && return 1
	echo "${why:-exit status $?}" | head -1
}

halves=()
not_run=
if [ "$(id -u)" -ne 0 ]; then
	why=$(start_fails) && skip "envlock exec cannot start a sandbox as uid $(id -u): $why"
	halves=(self)
	skip_part "not root: the first half runs as uid $(id -u); the unprivileged half needs root (setpriv)"
else
	if why=$(start_fails); then
		skip_part "the root half is not run: $why"
		not_run="root: $why"
	else
		halves=(root)
	fi
	if ! id -u "$user" >/dev/null 2>&1; then
		skip_part "the unprivileged half is not run: no user $user (create it with packaging/create-test-user.sh)"
	elif ! command -v setpriv >/dev/null; then
		skip_part "the unprivileged half is not run: setpriv is not installed (util-linux)"
	elif why=$(userns_blocked); then
		skip_part "the unprivileged half is not run: $why"
		not_run="$not_run; $user: $why"
	else
		halves+=(user)
	fi
fi
[ "${#halves[@]}" -gt 0 ] || skip "no sandbox can start here ($not_run)"
