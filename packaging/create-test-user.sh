#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Create envlock-test, the unprivileged user the sandbox tests run envlock as
# (through runuser or setpriv), since envlock exec must work without root.
# A system user with a home of its own and no login shell. Idempotent: when
# the user exists it prints nothing and changes nothing.
#
#   packaging/create-test-user.sh    (as root; install-deps.sh runs it)
set -eu

user=envlock-test

if id -u "$user" >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "create-test-user.sh: run as root to create the user $user" >&2
	exit 1
fi
if ! command -v useradd >/dev/null 2>&1; then
	echo "create-test-user.sh: no useradd here (Debian: passwd, Fedora: shadow-utils)" >&2
	exit 1
fi

shell=/usr/sbin/nologin
[ -x "$shell" ] || shell=/sbin/nologin
[ -x "$shell" ] || shell=/bin/false

useradd --system --user-group --create-home --shell "$shell" \
	--comment "envlock sandbox tests" "$user"
