#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# libenvlock.so exports its public API and nothing else: every symbol it
# defines is an el_ name and none is an el__ internal, and every function
# (and variable) the public headers mark EL_API is there. The headers name
# no third-party type, and the CLI includes only public headers.
#   exports.sh LIBRARY SOURCE_DIR
set -euo pipefail
lib=$1 src=$2
fail=0

exported=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u)
foreign=$(grep -v '^el_' <<<"$exported" || true)
internal=$(grep '^el__' <<<"$exported" || true)
[ -z "$foreign" ] || { echo "exported, not el_*:"; echo "$foreign"; fail=1; }
[ -z "$internal" ] || { echo "exported internals (el__*):"; echo "$internal"; fail=1; }

declared=$(sed -n 's/^EL_API .*[ *]\(el_[a-z0-9_]*\)\(\[\]\)\?[(;].*/\1/p' "$src"/include/envlock/*.h | sort -u)
[ -n "$declared" ] || { echo "no EL_API declaration found"; exit 1; }
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
[ -z "$missing" ] || { echo "declared EL_API, not exported:"; echo "$missing"; fail=1; }
unmarked=$(comm -13 <(echo "$declared") <(echo "$exported"))
[ -z "$unmarked" ] || { echo "exported, not declared EL_API in a public header:"; echo "$unmarked"; fail=1; }

if grep -n '#include <\(jansson\|openssl/\|seccomp\|sys/capability\|archive\)\|\bjson_t\b\|\bEVP_\|\bscmp_' "$src"/include/envlock/*.h; then
	echo "a public header names a third-party library"; fail=1
fi
if grep -n '^#include "' "$src"/src/cli/*.[ch] | grep -v '"envlock/\|"cli/'; then
	echo "the CLI includes a header that is not public"; fail=1
fi
for h in "$src"/include/envlock/*.h; do
	name=$(basename "$h")
	[ "$name" = envlock.h ] || [ "$name" = api.h ] ||
		grep -q "#include \"envlock/$name\"" "$src/include/envlock/envlock.h" ||
		{ echo "envlock.h does not include $name"; fail=1; }
done
[ $fail = 0 ] && echo "ok: $(wc -l <<<"$exported") symbols, all public"
exit $fail
