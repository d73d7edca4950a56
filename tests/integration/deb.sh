#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages (packaging/build-deb.sh): dpkg-buildpackage builds
# them from this tree, lintian reports no error and no warning, and each
# package holds what it should.
. "$(dirname "$0")/lib.sh"
need dpkg-buildpackage dh lintian
out=$scratch/deb
run "$scratch/out" "$scratch/err" bash "$EL_SOURCE_DIR/packaging/build-deb.sh" "$out"
check_eq "build-deb.sh: the packages build and lintian passes them" "0 " "$status $(tail -20 "$scratch/err")"
check_eq "lintian: no error, no warning" "" "$(grep -E '^[EW]: ' "$out/lintian.txt" || true)"
contents() { dpkg-deb -c "$out/$1"_*.deb | awk '{print $6}' | grep -E "$2" | sort | paste -sd' '; }
check_eq "envlock: the binary, its pages, completions, profiles and schemas" \
	"./usr/bin/envlock ./usr/share/bash-completion/completions/envlock ./usr/share/envlock/profiles/distributed ./usr/share/envlock/schema/lock.schema.json ./usr/share/fish/vendor_completions.d/envlock.fish ./usr/share/man/man1/envlock-exec.1.gz ./usr/share/man/man5/envlock-lock.5.gz ./usr/share/zsh/site-functions/_envlock" \
	"$(contents envlock 'bin/envlock$|completions/envlock$|_envlock$|envlock.fish$|distributed$|lock.schema.json$|envlock-exec.1|envlock-lock.5')"
check_eq "envlock: linked to the system's OpenSSL, as a package must be" "yes" \
	"$(dpkg-deb -f "$out"/envlock_*.deb Depends | grep -q 'libssl3' && echo yes)"
check_eq "libenvlock0: the shared library" "./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/libenvlock.so.0" \
	"$(contents libenvlock0 'libenvlock.so.0$')"
check_eq "libenvlock-dev: the headers and envlock.pc" "./usr/include/envlock/envlock.h ./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/pkgconfig/envlock.pc" \
	"$(contents libenvlock-dev 'envlock.h$|envlock.pc$')"
check_eq "slurm-envlock: the SPANK plugin" "./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/envlock/envlock_spank.so" \
	"$(contents slurm-envlock 'envlock_spank.so$')"
finish
