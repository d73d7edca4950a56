/* SPDX-License-Identifier: Apache-2.0 */
/* src/probe/system/cpu.c on fixture /proc/cpuinfo files. */
#include "helpers.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/error.h"

/* Run the cpu probe on root, expecting EL_OK; returns the section JSON, warnings in *warnings. */
static const char *probe_ok(const char *root, char *warnings, size_t size)
{
	static char json[8192];
	el__probe_ctx ctx;
	json_t *section = NULL;

	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_cpu(&ctx, &section), EL_OK);
	assert_non_null(section);
	snprintf(json, sizeof(json), "%s", el_test_json(section));
	snprintf(warnings, size, "%s", el_test_warnings(&ctx));
	json_decref(section);
	el_test_ctx_release(&ctx);
	return json;
}

/* Run the cpu probe on root, expecting failure code with message "<root>/proc/cpuinfo<suffix>". */
static void probe_fails(const char *root, int code, const char *suffix)
{
	el__probe_ctx ctx;
	json_t *section = NULL;
	char want[4096];

	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_cpu(&ctx, &section), code);
	assert_null(section);
	snprintf(want, sizeof(want), "%s/proc/cpuinfo%s", root, suffix);
	assert_string_equal(el_error_last(), want);
	assert_int_equal(el_error_last_code(), code);
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
}

#define X86_BLOCK(n)                                                                          \
	"processor\t: " #n "\n"                                                               \
	"vendor_id\t: GenuineIntel\n"                                                         \
	"cpu family\t: 6\n"                                                                   \
	"model\t\t: 85\n"                                                                     \
	"model name\t: Intel(R) Xeon(R)  Platinum \t 8259CL CPU @ 2.50GHz   \n"               \
	"stepping\t: 7\n"                                                                     \
	"microcode\t: 0x5003604\n"                                                            \
	"cpu MHz\t\t: 2499.998\n"                                                             \
	"cache size\t: 36608 KB\n"                                                            \
	"physical id\t: 0\n"                                                                  \
	"siblings\t: 2\n"                                                                     \
	"core id\t\t: " #n "\n"                                                               \
	"cpu cores\t: 2\n"                                                                    \
	"fpu\t\t: yes\n"                                                                      \
	"cpuid level\t: 13\n"                                                                 \
	"wp\t\t: yes\n"                                                                       \
	"flags\t\t: fpu vme sse2 sse avx2  avx sse avx512f\tfpu ht\n"                         \
	"vmx flags\t: vnmi preemption_timer invvpid ept_x_only\n"                             \
	"bugs\t\t: cpu_meltdown spectre_v1 spectre_v2\n"                                      \
	"bogomips\t: 4999.99\n"                                                               \
	"clflush size\t: 64\n"                                                                \
	"address sizes\t: 46 bits physical, 48 bits virtual\n"                                \
	"power management:\n"                                                                 \
	"\n"

static void test_x86_two_cpus(void **state)
{
	const char *root = *state;
	char warnings[4096];

	el_test_write(root, "proc/cpuinfo", X86_BLOCK(0) X86_BLOCK(1));
	assert_string_equal(probe_ok(root, warnings, sizeof(warnings)),
			    "{\"family\":6,"
			    "\"flags\":[\"avx\",\"avx2\",\"avx512f\",\"fpu\",\"ht\",\"sse\",\"sse2\",\"vme\"],"
			    "\"logical_cpus\":2,"
			    "\"microcode\":\"0x5003604\","
			    "\"model\":\"Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz\","
			    "\"model_id\":85,"
			    "\"stepping\":7,"
			    "\"vendor\":\"GenuineIntel\"}");
	assert_string_equal(warnings, "");
}

#define ARM_BLOCK(n)                                                                              \
	"processor\t: " #n "\n"                                                                   \
	"BogoMIPS\t: 243.75\n"                                                                    \
	"Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics cpuid asimdrdm lrcpc\n"  \
	"CPU implementer\t: 0x41\n"                                                               \
	"CPU architecture: 8\n"                                                                   \
	"CPU variant\t: 0x3\n"                                                                    \
	"CPU part\t: 0xd0c\n"                                                                     \
	"CPU revision\t: 1\n"                                                                     \
	"\n"

static void test_aarch64(void **state)
{
	const char *root = *state;
	char warnings[4096];

	el_test_write(root, "proc/cpuinfo", ARM_BLOCK(0) ARM_BLOCK(1) ARM_BLOCK(2) ARM_BLOCK(3));
	/* Hex ids are numbers; aarch64 has no family, model name or microcode line. */
	assert_string_equal(probe_ok(root, warnings, sizeof(warnings)),
			    "{\"flags\":[\"aes\",\"asimd\",\"asimdrdm\",\"atomics\",\"cpuid\",\"crc32\","
			    "\"evtstrm\",\"fp\",\"lrcpc\",\"pmull\",\"sha1\",\"sha2\"],"
			    "\"logical_cpus\":4,"
			    "\"model_id\":3340,"
			    "\"stepping\":1,"
			    "\"vendor\":\"0x41\"}");
	assert_string_equal(warnings, "");
}

static void test_garbled_numbers(void **state)
{
	const char *root = *state;
	char warnings[4096], want[4096];

	el_test_write(root, "proc/cpuinfo",
		      "processor\t: 0\n"
		      "vendor_id\t: AuthenticAMD\n"
		      "cpu family\t: six\n"
		      "model\t\t: 85a\n"
		      "model name\t: AMD EPYC 7R13 Processor\n"
		      "stepping\t: -1\n"
		      "flags\t\t: sse\n"
		      "\n");
	assert_string_equal(probe_ok(root, warnings, sizeof(warnings)),
			    "{\"flags\":[\"sse\"],\"logical_cpus\":1,\"model\":\"AMD EPYC 7R13 Processor\","
			    "\"vendor\":\"AuthenticAMD\"}");
	assert_string_equal(warnings,
			    "cpu: family left out: \"six\" is not a number\n"
			    "cpu: model_id left out: \"85a\" is not a number\n"
			    "cpu: stepping left out: \"-1\" is not a number\n");

	/* Out of range, empty; and no flags line at all. */
	el_test_write(root, "proc/cpuinfo",
		      "processor\t: 0\n"
		      "cpu family\t: 99999999999999999999\n"
		      "model\t\t:\n"
		      "stepping\t: 0\n");
	assert_string_equal(probe_ok(root, warnings, sizeof(warnings)), "{\"logical_cpus\":1,\"stepping\":0}");
	snprintf(want, sizeof(want),
		 "cpu: family left out: \"99999999999999999999\" is not a number\n"
		 "cpu: model_id left out: \"\" is not a number\n"
		 "cpu: flags left out: %s/proc/cpuinfo lists none\n",
		 root);
	assert_string_equal(warnings, want);
}

/* Blank text fields are absent, not ""; text that is not UTF-8 costs its field. */
static void test_blank_and_non_utf8_text(void **state)
{
	const char *root = *state;
	char warnings[4096], want[4096];

	el_test_write(root, "proc/cpuinfo",
		      "processor\t: 0\n"
		      "vendor_id\t: Genuine\xffIntel\n"
		      "model name\t:   \n"
		      "microcode\t:\n"
		      "flags\t\t: \n"
		      "\n");
	assert_string_equal(probe_ok(root, warnings, sizeof(warnings)), "{\"logical_cpus\":1}");
	snprintf(want, sizeof(want),
		 "cpu: vendor left out: not UTF-8\n"
		 "cpu: flags left out: %s/proc/cpuinfo lists none\n",
		 root);
	assert_string_equal(warnings, want);
}

static void test_no_processor_entries(void **state)
{
	const char *root = *state;

	el_test_write(root, "proc/cpuinfo", "");
	probe_fails(root, EL_EINVAL, ": no \"processor\" entries");
	el_test_write(root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t: sse\n\nnot a key value line\n");
	probe_fails(root, EL_EINVAL, ": no \"processor\" entries");
}

static void test_binary_content(void **state)
{
	const char *root = *state;
	static const char data[] = "processor\t: 0\nvendor_id\t: Genuine\0Intel\nflags\t: sse\n";

	el_test_write_bytes(root, "proc/cpuinfo", data, sizeof(data) - 1);
	probe_fails(root, EL_EINVAL, ": binary content");
}

/* sysfs of a machine with 2 sockets, 2 cores each, 2 threads per core (Linux numbering: threads last). */
static void write_two_socket_sysfs(const char *root, bool old_names)
{
	static const char *const core_of[8] = { "0,4", "1,5", "2,6", "3,7", "0,4", "1,5", "2,6", "3,7" };
	static const char *const package_of[8] = { "0-1,4-5", "0-1,4-5", "2-3,6-7", "2-3,6-7",
						   "0-1,4-5", "0-1,4-5", "2-3,6-7", "2-3,6-7" };
	char rel[128];

	el_test_write(root, "sys/devices/system/cpu/present", "0-7\n");
	for (int i = 0; i < 8; i++) {
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/%s", i,
			 old_names ? "thread_siblings_list" : "core_cpus_list");
		el_test_write(root, rel, el_test_fmt("%s\n", core_of[i]));
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/topology/%s", i,
			 old_names ? "core_siblings_list" : "package_cpus_list");
		el_test_write(root, rel, el_test_fmt("%s\n", package_of[i]));
	}
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index0/level", "1\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index0/type", "Data\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index0/size", "48K\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index1/level", "1\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index1/type", "Instruction\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index1/size", "32K\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index2/level", "2\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index2/type", "Unified\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index2/size", "2M\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index3/level", "3\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index3/type", "Unified\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index3/size", "107520K\n");
	el_test_write(root, "sys/devices/system/node/node0/cpulist", "0-1,4-5\n");
	el_test_write(root, "sys/devices/system/node/node1/cpulist", "2-3,6-7\n");
	el_test_write(root, "sys/devices/system/node/possible", "0-1\n");
}

#define TOPOLOGY_2X2X2                                                                            \
	"{\"cache_kib\":{\"L1d\":48,\"L1i\":32,\"L2\":2048,\"L3\":107520},\"cores_per_socket\":2,"  \
	"\"numa_nodes\":2,\"sockets\":2,\"threads_per_core\":2}"

static void test_topology(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;
	json_t *t;

	write_two_socket_sysfs(root, false);
	el_test_ctx_init(&ctx, root);
	t = el__cpu_topology(&ctx);
	assert_non_null(t);
	assert_string_equal(el_test_json(t), TOPOLOGY_2X2X2);
	json_decref(t);
	/* In the cpu section, as captured. */
	el_test_write(root, "proc/cpuinfo", X86_BLOCK(0) X86_BLOCK(1));
	{
		char warnings[4096];
		const char *json = probe_ok(root, warnings, sizeof(warnings));

		assert_non_null(strstr(json, "\"topology\":" TOPOLOGY_2X2X2));
	}
	el_test_ctx_release(&ctx);
}

static void test_topology_old_kernel_names(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;
	json_t *t;

	write_two_socket_sysfs(root, true);
	el_test_ctx_init(&ctx, root);
	t = el__cpu_topology(&ctx);
	assert_string_equal(el_test_json(t), TOPOLOGY_2X2X2);
	json_decref(t);
	el_test_ctx_release(&ctx);
}

static void test_topology_partial(void **state)
{
	const char *root = *state;
	el__probe_ctx ctx;
	json_t *t;

	el_test_ctx_init(&ctx, root);
	/* No sysfs at all (a container without it): no topology member, no warning. */
	assert_null(el__cpu_topology(&ctx));
	/* A present CPU without topology (offline): the layout is not known whole, the rest is. */
	write_two_socket_sysfs(root, false);
	el_test_write(root, "sys/devices/system/cpu/present", "0-8\n");
	t = el__cpu_topology(&ctx);
	assert_string_equal(el_test_json(t), "{\"cache_kib\":{\"L1d\":48,\"L1i\":32,\"L2\":2048,\"L3\":107520},"
					     "\"numa_nodes\":2}");
	json_decref(t);
	/* Lists that are not lists, sizes that are not sizes: left out. */
	for (const char *const *bad = (const char *const[]){ "0-", "7-3", "a", "0,,1", "0-99999", "", NULL }; *bad; bad++) {
		el_test_write(root, "sys/devices/system/cpu/present", el_test_fmt("%s\n", *bad));
		el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index3/size", "lots\n");
		t = el__cpu_topology(&ctx);
		assert_string_equal(el_test_json(t), "{\"cache_kib\":{\"L1d\":48,\"L1i\":32,\"L2\":2048},"
						     "\"numa_nodes\":2}");
		json_decref(t);
	}
	/* A package list that leaves out the CPU it was read for: no layout believed. */
	el_test_write(root, "sys/devices/system/cpu/present", "0-7\n");
	el_test_write(root, "sys/devices/system/cpu/cpu0/cache/index3/size", "107520K\n");
	el_test_write(root, "sys/devices/system/cpu/cpu2/topology/package_cpus_list", "0-1,4-5\n");
	t = el__cpu_topology(&ctx);
	assert_null(json_object_get(t, "sockets"));
	json_decref(t);
	el_test_write(root, "sys/devices/system/cpu/cpu2/topology/package_cpus_list", "2-3,6-7\n");
	/* Cores of different sizes (a hybrid CPU): threads per core is not one number. */
	el_test_write(root, "sys/devices/system/cpu/present", "0-7\n");
	el_test_write(root, "sys/devices/system/cpu/cpu3/topology/core_cpus_list", "3\n");
	el_test_write(root, "sys/devices/system/cpu/cpu7/topology/core_cpus_list", "7\n");
	t = el__cpu_topology(&ctx);
	assert_null(json_object_get(t, "threads_per_core"));
	assert_null(json_object_get(t, "sockets"));
	json_decref(t);
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
}

/* A warning is one line that a terminal does not act on, whatever a file put into it. */
static void test_warning_text(void **state)
{
	el__probe_ctx ctx;

	el_test_ctx_init(&ctx, *state);
	el__warn(&ctx, "python", "%s", "a\x1b[2Jb\xc2\x9b" "31mc\td\ne\x7f \xc3\xa9");
	assert_string_equal(el_test_warnings(&ctx), "python: a?[2Jb??31mc?d e? \xc3\xa9\n");
	el_test_ctx_release(&ctx);
}

static void test_missing_file(void **state)
{
	const char *root = *state;

	el_test_write(root, "proc/version", "x");
	probe_fails(root, EL_ENOTFOUND, ": No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_x86_two_cpus, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_aarch64, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_garbled_numbers, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_blank_and_non_utf8_text, el_test_setup_tmpdir, el_test_teardown_tmpdir),
cmocka_unit_test_setup_teardown(test_no_processor_entries, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_binary_content, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_missing_file, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_topology, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_warning_text, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_topology_old_kernel_names, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_topology_partial, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
