# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by the benchmarks here, after their set -euo pipefail: what each
# of them starts with. Its messages name the script that sources it
# ("sign.sh: ..."), not this file.

# need_tool TOOL [PACKAGE]: stop, saying so, when TOOL is not on PATH.
# PACKAGE names what packaging/install-deps.sh installs when that is not
# TOOL itself (bwrap comes with bubblewrap).
need_tool() {
	command -v "$1" >/dev/null ||
		{ echo "${0##*/}: $1 is not installed (packaging/install-deps.sh installs ${2:-it})" >&2; exit 1; }
}

# make_scratch [TEMPLATE]: $scratch, a new directory (mktemp -d's, from
# TEMPLATE when given), removed when the script exits however it ends.
make_scratch() {
	scratch=$(mktemp -d "$@")
	trap 'rm -rf "$scratch"' EXIT
}
