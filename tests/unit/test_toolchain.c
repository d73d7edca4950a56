/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/probe/system/toolchain.c with fake compilers (shell scripts) in a fixture
 * root. PATH entries are looked up under the root: with PATH=/bin the probe
 * runs <root>/bin/gcc.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/error.h"

static char *saved_path;

static int setup_root(void **state)
{
	setenv("PATH", "/bin", 1);
	return el_test_setup_tmpdir(state);
}

static int teardown_root(void **state)
{
	setenv("PATH", saved_path, 1);
	return el_test_teardown_tmpdir(state);
}

/* Run the probe with ctx: the section JSON, or "ABSENT". */
static const char *probe(el__probe_ctx *ctx)
{
	static char json[8192];
	json_t *section = NULL;
	int rc = el__probe_toolchain(ctx, &section);

	if (rc == EL__PROBE_ABSENT) {
		assert_null(section);
		return "ABSENT";
	}
	assert_int_equal(rc, EL_OK);
	snprintf(json, sizeof(json), "%s", el_test_json(section));
	json_decref(section);
	return json;
}

/* A fake tool that insists on being asked with --version. */
static void tool(const char *root, const char *rel, const char *output)
{
	char body[4096];

	snprintf(body, sizeof(body), "[ \"$1\" = --version ] && [ $# = 1 ] || exit 9\nprintf '%%s' '%s'", output);
	el_test_script(root, rel, body);
}

static void test_versions(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;

	tool(root, "bin/gcc",
	     "gcc (Debian 12.2.0-14) 12.2.0\nCopyright (C) 2022 Free Software Foundation, Inc.\n"
	     "This is free software; see the source for copying conditions.\n");
	/* Blank lines and surrounding blanks are skipped. */
	tool(root, "bin/cc", "\n  \n\t cc (GCC) 13.1.0  \r\nmore\n");
	tool(root, "bin/nvcc",
	     "nvcc: NVIDIA (R) Cuda compiler driver\nCopyright (c) 2005-2023 NVIDIA Corporation\n"
	     "Built on Fri_Nov__3_17:16:49_PDT_2023\nCuda compilation tools, release 12.3, V12.3.107\n"
	     "Build cuda_12.3.r12.3/compiler.33567101_0\n");
	/* Without a final newline. */
	tool(root, "bin/clang", "Debian clang version 14.0.6");
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx),
			    "{\"cc\":\"cc (GCC) 13.1.0\","
			    "\"clang\":\"Debian clang version 14.0.6\","
			    "\"gcc\":\"gcc (Debian 12.2.0-14) 12.2.0\","
			    "\"nvcc\":\"Cuda compilation tools, release 12.3, V12.3.107\"}");
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
}

static void test_first_path_entry_wins(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;

	tool(root, "opt/bin/gcc", "gcc from /opt/bin\n");
	tool(root, "bin/gcc", "gcc from /bin\n");
	/* Not executable: skipped. Relative entries are ignored too. */
	el_test_write(root, "usr/bin/gcc", "#!/bin/sh\necho not executable\n");
	setenv("PATH", "opt/bin:/usr/bin::/opt/bin:/bin", 1);
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "{\"gcc\":\"gcc from /opt/bin\"}");
	el_test_ctx_release(&ctx);
}

static void test_nvcc_fallback_and_prefix(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;
	char want[4096];

	/* Not on PATH: the CUDA default location under the root is tried. */
	tool(root, "usr/local/cuda/bin/nvcc", "Cuda compilation tools, release 11.8, V11.8.89\n");
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "{\"nvcc\":\"Cuda compilation tools, release 11.8, V11.8.89\"}");
	el_test_ctx_release(&ctx);

	/* An nvcc that never names the release gives a warning, not its first line. */
	tool(root, "bin/nvcc", "nvcc: NVIDIA (R) Cuda compiler driver\nsomething else\n");
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "ABSENT");
	snprintf(want, sizeof(want), "toolchain: nvcc left out: '%s/bin/nvcc --version' printed no version\n", root);
	assert_string_equal(el_test_warnings(&ctx), want);
	el_test_ctx_release(&ctx);
}

static void test_failures_warn(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;
	char want[4096];

	tool(root, "bin/gcc", "gcc 12\n");
	el_test_script(root, "bin/g++", "echo 'g++ 12'\nexit 1");
	el_test_script(root, "bin/c++", "exit 0");
	el_test_script(root, "bin/clang", "echo 'clang 17'\nkill -9 $$");
	el_test_script(root, "bin/cc", "printf '\\n \\n\\t\\n'");
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "{\"gcc\":\"gcc 12\"}");
	/* In table order: cc, c++, gcc, g++, clang. */
	snprintf(want, sizeof(want),
		 "toolchain: cc left out: '%s/bin/cc --version' printed no version\n"
		 "toolchain: c++ left out: '%s/bin/c++ --version' printed no version\n"
		 "toolchain: g++ left out: '%s/bin/g++ --version' failed\n"
		 "toolchain: clang left out: '%s/bin/clang --version' failed\n",
		 root, root, root, root);
	assert_string_equal(el_test_warnings(&ctx), want);
	el_test_ctx_release(&ctx);
}

static void test_none_is_absent(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;

	el_test_write(root, "bin/ls", "");
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "ABSENT");
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
}

static void test_environment_is_pinned(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;

	/* Only LC_ALL=C and PATH reach the tool: a translated or HOME-dependent answer cannot. */
	setenv("LC_ALL", "de_DE.UTF-8", 1);
	setenv("EL_TEST_SECRET", "leaked", 1);
	el_test_script(root, "bin/gcc", "echo \"gcc LC_ALL=$LC_ALL PATH=$PATH SECRET=${EL_TEST_SECRET-unset}\"");
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "{\"gcc\":\"gcc LC_ALL=C PATH=/bin SECRET=unset\"}");
	el_test_ctx_release(&ctx);
	unsetenv("LC_ALL");
	unsetenv("EL_TEST_SECRET");
}

static int count_lines(const char *root, const char *rel)
{
	char *text = el_test_read(root, rel, NULL);
	int n = 0;

	if (!text)
		return 0;
	for (char *p = text; *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

/* Install the stub compiler binary as root/rel, answering version. */
static void install_fake_cc(const char *root, const char *rel, const char *version)
{
	char *cmd, *vfile;

	if (asprintf(&cmd, "cp '%s/el_fake_cc' '%s/%s'", EL_STUBS_DIR, root, rel) < 0 ||
	    asprintf(&vfile, "%s.version", rel) < 0)
		abort();
	assert_int_equal(system(cmd), 0);
	el_test_write(root, vfile, version);
	free(cmd);
	free(vfile);
}

static void test_cached_by_binary_identity(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx, fresh;
	char body[4096];

	el_test_write(root, "bin/.keep", "");
	install_fake_cc(root, "bin/gcc", "gcc 12.2.0\n");
	el_test_symlink(root, "bin/cc", "gcc");
	/* A wrapper script: it answers for a compiler that may change under it. */
	snprintf(body, sizeof(body), "echo run >> '%s/clang.count'\necho 'clang 14.0.6'", root);
	el_test_script(root, "bin/clang", body);
	/*
	 * The cache does not store facts about files changed in the last two
	 * seconds (their identity could repeat), and ctime cannot be set back:
	 * the one sleep of the suite.
	 */
	sleep(3);
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "{\"cc\":\"gcc 12.2.0\",\"clang\":\"clang 14.0.6\",\"gcc\":\"gcc 12.2.0\"}");
	/* cc is a link to gcc, but each name is asked once. */
	assert_int_equal(count_lines(root, "bin/gcc.count"), 2);
	assert_int_equal(count_lines(root, "clang.count"), 1);
	assert_string_equal(probe(&ctx), "{\"cc\":\"gcc 12.2.0\",\"clang\":\"clang 14.0.6\",\"gcc\":\"gcc 12.2.0\"}");
	/* The binary's answer came from the cache; the wrapper was asked again. */
	assert_int_equal(count_lines(root, "bin/gcc.count"), 2);
	assert_int_equal(count_lines(root, "clang.count"), 2);
	assert_string_equal(el_test_warnings(&ctx), "");

	/* Another cache knows nothing: the tool runs again (so the count can move). */
	el_test_ctx_init(&fresh, root);
	assert_string_equal(probe(&fresh), "{\"cc\":\"gcc 12.2.0\",\"clang\":\"clang 14.0.6\",\"gcc\":\"gcc 12.2.0\"}");
	assert_int_equal(count_lines(root, "bin/gcc.count"), 4);
	el_test_ctx_release(&fresh);

	/* A rewritten binary is a new identity: asked again, the new answer kept. */
	install_fake_cc(root, "bin/gcc", "gcc 13.1.0\n");
	assert_string_equal(probe(&ctx), "{\"cc\":\"gcc 13.1.0\",\"clang\":\"clang 14.0.6\",\"gcc\":\"gcc 13.1.0\"}");
	assert_int_equal(count_lines(root, "bin/gcc.count"), 6);
	el_test_ctx_release(&ctx);
}

static void test_exec_wrapper_is_its_target(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;
	char body[4096];

	el_test_write(root, "opt/cuda/bin/.keep", "");
	install_fake_cc(root, "opt/cuda/bin/nvcc", "Cuda compilation tools, release 13.0, V13.0.88\n");
	/* CUDA's /usr/local/bin/nvcc: a one-line exec wrapper, followed to its target. */
	snprintf(body, sizeof(body), "# installed by the toolkit\n\n  exec %s/opt/cuda/bin/nvcc   \"$@\"  ", root);
	el_test_script(root, "bin/nvcc", body);
	/* A wrapper that does anything else is asked every time. */
	snprintf(body, sizeof(body), "echo run >> '%s/gcc.count'\nexec %s/opt/cuda/bin/nvcc \"$@\"", root, root);
	el_test_script(root, "bin/gcc", body);
	snprintf(body, sizeof(body), "exec %s/opt/cuda/bin/nvcc -O \"$@\"", root);
	el_test_script(root, "bin/clang", body);
	snprintf(body, sizeof(body), "exec $HOME/nvcc \"$@\"");
	el_test_script(root, "bin/cc", body);
	sleep(3);
	el_test_ctx_init(&ctx, root);
	assert_string_equal(probe(&ctx), "{\"gcc\":\"Cuda compilation tools, release 13.0, V13.0.88\","
					 "\"nvcc\":\"Cuda compilation tools, release 13.0, V13.0.88\"}");
	assert_int_equal(count_lines(root, "opt/cuda/bin/nvcc.count"), 2);
	assert_int_equal(count_lines(root, "gcc.count"), 1);
	/* Warm: the target's answer is cached; the gcc wrapper runs again. */
	probe(&ctx);
	assert_int_equal(count_lines(root, "opt/cuda/bin/nvcc.count"), 3);
	assert_int_equal(count_lines(root, "gcc.count"), 2);
	el_test_ctx_release(&ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_versions, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_first_path_entry_wins, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_nvcc_fallback_and_prefix, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_failures_warn, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_none_is_absent, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_environment_is_pinned, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_cached_by_binary_identity, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_exec_wrapper_is_its_target, setup_root, teardown_root),
	};

	saved_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
