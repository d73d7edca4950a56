# Sourced by the sandbox tests (exec.sh, exec_escape.sh) after lib.sh, with
# $user set: which halves to run. "root" as whoever runs the script, "user"
# as $user through setpriv; "self" alone when not run as root. Sets halves.

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

halves=(root)
if [ "$(id -u)" -ne 0 ]; then
	halves=(self)
	"$ENVLOCK" exec --no-lock -- true 2>/dev/null || skip "envlock exec cannot start a sandbox as uid $(id -u): $("$ENVLOCK" exec --no-lock -- true 2>&1 | head -1)"
	note "not run as root: the first half runs as uid $(id -u), the unprivileged half is not run (setpriv needs root)"
elif ! id -u "$user" >/dev/null 2>&1; then
	note "the unprivileged half is not run: no user $user (create it with packaging/create-test-user.sh)"
elif ! command -v setpriv >/dev/null; then
	note "the unprivileged half is not run: setpriv is not installed (util-linux)"
elif why=$(userns_blocked); then
	note "the unprivileged half is not run: $why"
else
	halves+=(user)
fi
