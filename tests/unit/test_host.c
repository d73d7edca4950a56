/* SPDX-License-Identifier: Apache-2.0 */
/* src/probe/system/host.c on fixture roots: os-release, kernel release, arch, glibc. */
#include "helpers.h"

#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "envlock/error.h"

static char machine[65];

/* Run the host probe on root; the section (owned by the caller) and warnings. */
static json_t *probe(const char *root, char *warnings, size_t size)
{
	el__probe_ctx ctx;
	json_t *section = NULL;

	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_host(&ctx, &section), EL_OK);
	assert_non_null(section);
	snprintf(warnings, size, "%s", el_test_warnings(&ctx));
	el_test_ctx_release(&ctx);
	return section;
}

/* The expected section JSON: arch is always the running machine's. */
static const char *expect(const char *rest)
{
	static char text[1024];

	snprintf(text, sizeof(text), "{\"arch\":\"%s\"%s%s}", machine, *rest ? "," : "", rest);
	return text;
}

static void kernel(const char *root)
{
	el_test_write(root, "proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
}

static void test_os_release_debian(void **state)
{
	const char *root = *state;
	char warnings[4096];
	json_t *host;

	el_test_write(root, "etc/os-release",
		      "PRETTY_NAME=\"Debian GNU/Linux 12 \\\"bookworm\\\"\"\n"
		      "NAME='Debian GNU/Linux'\n"
		      "VERSION_ID=\"12\"\n"
		      "VERSION=\"12 (bookworm)\"\n"
		      "VERSION_CODENAME=bookworm\n"
		      "ID_LIKE=ubuntu\n"
		      "ID=debian\n"
		      "HOME_URL=\"https://www.debian.org/\"\n");
	kernel(root);
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(el_test_json(host), expect("\"kernel\":\"6.1.0-18-amd64\",\"os\":\"debian 12\""));
	assert_string_equal(warnings, "");
	json_decref(host);
}

static void test_os_release_quotes_and_escapes(void **state)
{
	const char *root = *state;
	char warnings[4096];
	json_t *host;

	/* Double quotes take backslash escapes, single quotes and bare words do not need them. */
	el_test_write(root, "etc/os-release", "ID=\"my\\\"os\"\nVERSION_ID='1.0'\n");
	kernel(root);
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "os")), "my\"os 1.0");
	json_decref(host);

	el_test_write(root, "etc/os-release", "ID='debian'\nVERSION_ID=\"1\\\\2\"\n");
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "os")), "debian 1\\2");
	assert_string_equal(warnings, "");
	json_decref(host);
}

static void test_os_release_rolling(void **state)
{
	const char *root = *state;
	char warnings[4096];
	json_t *host;

	el_test_write(root, "etc/os-release", "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n");
	kernel(root);
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(el_test_json(host), expect("\"kernel\":\"6.1.0-18-amd64\",\"os\":\"arch\""));
	assert_string_equal(warnings, "");
	json_decref(host);
}

static void test_os_release_in_usr_lib(void **state)
{
	const char *root = *state;
	char warnings[4096];
	json_t *host;

	el_test_write(root, "usr/lib/os-release", "ID=fedora\nVERSION_ID=40\n");
	kernel(root);
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "os")), "fedora 40");
	assert_string_equal(warnings, "");
	json_decref(host);
	/* /etc/os-release wins when both exist. */
	el_test_write(root, "etc/os-release", "ID=debian\nVERSION_ID=12\n");
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "os")), "debian 12");
	json_decref(host);
}

static void test_os_release_absolute_symlink_stays_in_root(void **state)
{
	const char *root = *state;
	char warnings[4096];
	json_t *host;

	/* The usual layout, with an absolute link: it must not reach the host's file. */
	el_test_write(root, "usr/lib/os-release", "ID=fixtureos\nVERSION_ID=7\n");
	el_test_symlink(root, "etc/os-release", "/usr/lib/os-release");
	kernel(root);
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "os")), "fixtureos 7");
	assert_string_equal(warnings, "");
	json_decref(host);
	/* A relative one too. */
	el_test_symlink(root, "etc/os-release", "../usr/lib/os-release");
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "os")), "fixtureos 7");
	json_decref(host);
}

static void test_os_release_missing(void **state)
{
	const char *root = *state;
	char warnings[4096], want[4096];
	json_t *host;

	el_test_write(root, "usr/lib/other", "");
	kernel(root);
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(el_test_json(host), expect("\"kernel\":\"6.1.0-18-amd64\""));
	snprintf(want, sizeof(want),
		 "host: os left out: %s has neither /etc/os-release nor /usr/lib/os-release\n", root);
	assert_string_equal(warnings, want);
	json_decref(host);
}

static void test_os_release_without_id(void **state)
{
	const char *root = *state;
	char warnings[4096], want[4096];
	json_t *host;

	el_test_write(root, "etc/os-release", "NAME=Something\nID_LIKE=debian\nVERSION_ID=3\nID=\n");
	kernel(root);
	host = probe(root, warnings, sizeof(warnings));
	assert_null(json_object_get(host, "os"));
	snprintf(want, sizeof(want), "host: os left out: %s/etc/os-release has no ID\n", root);
	assert_string_equal(warnings, want);
	json_decref(host);
}

static void test_kernel_release(void **state)
{
	const char *root = *state;
	char warnings[4096], want[4096];
	json_t *host;

	el_test_write(root, "etc/os-release", "ID=debian\n");
	el_test_write(root, "proc/sys/kernel/osrelease", "  5.15.0-1050-aws \n");
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(el_test_json(host), expect("\"kernel\":\"5.15.0-1050-aws\",\"os\":\"debian\""));
	assert_string_equal(warnings, "");
	json_decref(host);

	/* Two lines is not a release. */
	el_test_write(root, "proc/sys/kernel/osrelease", "6.1.0\ngarbage\n");
	host = probe(root, warnings, sizeof(warnings));
	assert_string_equal(el_test_json(host), expect("\"os\":\"debian\""));
	snprintf(want, sizeof(want), "host: kernel left out: %s/proc/sys/kernel/osrelease is not one line\n", root);
	assert_string_equal(warnings, want);
	json_decref(host);

	/* Neither is nothing at all. */
	el_test_write(root, "proc/sys/kernel/osrelease", " \n");
	host = probe(root, warnings, sizeof(warnings));
	assert_null(json_object_get(host, "kernel"));
	assert_string_equal(warnings, want);
	json_decref(host);

	assert_int_equal(remove(strcat(strcpy(want, root), "/proc/sys/kernel/osrelease")), 0);
	host = probe(root, warnings, sizeof(warnings));
	assert_null(json_object_get(host, "kernel"));
	snprintf(want, sizeof(want),
		 "host: kernel left out: %s/proc/sys/kernel/osrelease: No such file or directory\n", root);
	assert_string_equal(warnings, want);
	json_decref(host);
}

static void test_glibc_only_for_this_machine(void **state)
{
	char warnings[4096];
	json_t *host;

	/* A fixture root is another system: this process's glibc says nothing about it. */
	kernel(*state);
	el_test_write(*state, "etc/os-release", "ID=x\n");
	host = probe(*state, warnings, sizeof(warnings));
	assert_null(json_object_get(host, "glibc"));
	assert_string_equal(json_string_value(json_object_get(host, "arch")), machine);
	json_decref(host);

	host = probe("", warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "glibc")), gnu_get_libc_version());
	assert_string_equal(json_string_value(json_object_get(host, "arch")), machine);
	json_decref(host);
	host = probe("/", warnings, sizeof(warnings));
	assert_string_equal(json_string_value(json_object_get(host, "glibc")), gnu_get_libc_version());
	json_decref(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_os_release_debian, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_os_release_quotes_and_escapes, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_os_release_rolling, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_os_release_in_usr_lib, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_os_release_absolute_symlink_stays_in_root, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_os_release_missing, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_os_release_without_id, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_kernel_release, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_glibc_only_for_this_machine, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};
	struct utsname uts;

	if (uname(&uts) != 0)
		return 1;
	snprintf(machine, sizeof(machine), "%s", uts.machine);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
