/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the profile parser: whatever the bytes,
 * el_profile_parse either refuses them with EL_EINVAL (or EL_ENOMEM) and a
 * one-line message, leaving no profile behind, or returns a profile whose
 * pins are sorted and unique and whose drift rules can be matched against
 * leaf paths. Build with -DENVLOCK_FUZZ=ON (clang), then
 *   build-fuzz/tests/fuzz/fuzz_profile -dict=tests/fuzz/profile.dict tests/fuzz/corpus/profile
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/profile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Leaf paths as drift findings print them: a plain key path, a quoted key, an index. */
static const char *const leaves[] = {
	"python.packages.numpy",
	"libraries[\"libc.so.6\"].version",
	"gpu.devices[0].name",
	"cpu.flags",
};

static char profile_dir[] = "/tmp/envlock-fuzz-profile-XXXXXX";

static void remove_profile_dir(void)
{
	rmdir(profile_dir);
}

/*
 * `include NAME` looks NAME up in $XDG_CONFIG_HOME/envlock/profiles (or
 * ~/.config/...), /etc/envlock/profiles and the installed data directory
 * before the built-in copies. Whatever happens to lie there on the machine
 * running the fuzzer would make runs differ from machine to machine, cost a
 * few stat() calls per include, and let a crash depend on files that are
 * not in the corpus. $ENVLOCK_PROFILE_PATH replaces that list (the built-in
 * profiles stay last); pointing it at an empty directory of our own leaves
 * only the built-ins, so an input behaves the same everywhere and fast.
 * (An include by absolute path still reads the real file system; a relative
 * one resolves under /nonexistent, the directory of the label below, and
 * fails cleanly.)
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(profile_dir) || setenv("ENVLOCK_PROFILE_PATH", profile_dir, 1) != 0) {
		perror("fuzz_profile: an empty ENVLOCK_PROFILE_PATH");
		abort();
	}
	atexit(remove_profile_dir);
	return 0;
}

/* Keeps the match results from being optimized away. */
static volatile unsigned sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	el_profile *p = NULL;
	int ret;

	ret = el_profile_parse(&p, "fuzz", "/nonexistent/fuzz.profile", (const char *)data, size);
	if (ret != EL_OK) {
		if ((ret != EL_EINVAL && ret != EL_ENOMEM) || p)
			abort();
		if (!el_error_last()[0] || strchr(el_error_last(), '\n'))
			abort();
		return 0;
	}
	if (!p)
		abort();
	/* Documented: pins sorted by name, a later setenv replaces an earlier one. */
	for (size_t i = 1; i < p->pin_count; i++)
		if (strcmp(p->pins[i - 1].name, p->pins[i].name) >= 0)
			abort();
	/* threads is auto (0) or what "threads N" takes. */
	if (p->threads > EL_THREADS_MAX)
		abort();
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		el_severity s = el_profile_severity(p, leaves[i]);

		if (s != EL_SEVERITY_IGNORE && s != EL_SEVERITY_WARN && s != EL_SEVERITY_REFUSE)
			abort();
		sink += (unsigned)s;
		if (p->rule_count > 0)
			sink += el_drift_pattern_match(p->rules[0].pattern, leaves[i]);
	}
	el_profile_free(p);
	return 0;
}
