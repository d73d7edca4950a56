/* SPDX-License-Identifier: Apache-2.0 */
/* Profiles: every directive, the syntax, includes, the lookup, the shipped profiles and drift patterns. */
#include "helpers.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/profile.h"
#include "envlock/version.h"
#include "lock/path.h"
#include "util/text.h"

/* The shipped profiles' sources, next to tests/fixtures. */
#define PROFILES_DIR EL_FIXTURES "/../../profiles"

/*
 * Every test gets a lookup of its own: ENVLOCK_PROFILE_PATH=first:second,
 * two empty directories under root, so only the built-in profiles are
 * found until a test writes one.
 */
struct fixture {
	char *root;
	char *first;
	char *second;
	char *saved_xdg; /* XDG_CONFIG_HOME and HOME as they were, put back in teardown */
	char *saved_home;
};

static char *__attribute__((format(printf, 1, 2))) str(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static char *saved_env(const char *name)
{
	const char *v = getenv(name);

	return v ? strdup(v) : NULL;
}

static void restore_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *path;

	assert_non_null(fx);
	fx->root = el_test_mkdtemp();
	fx->first = el_test_path(fx->root, "first");
	fx->second = el_test_path(fx->root, "second");
	assert_int_equal(mkdir(fx->first, 0755), 0);
	assert_int_equal(mkdir(fx->second, 0755), 0);
	fx->saved_xdg = saved_env("XDG_CONFIG_HOME");
	fx->saved_home = saved_env("HOME");
	path = str("%s:%s", fx->first, fx->second);
	setenv("ENVLOCK_PROFILE_PATH", path, 1);
	free(path);
	el_error_clear();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unsetenv("ENVLOCK_PROFILE_PATH");
	restore_env("XDG_CONFIG_HOME", fx->saved_xdg);
	restore_env("HOME", fx->saved_home);
	el_test_rmtree(fx->root);
	free(fx->root);
	free(fx->first);
	free(fx->second);
	free(fx->saved_xdg);
	free(fx->saved_home);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

/* Parse text as if read from file (a label without '/' is how a built-in profile is read). */
static el_profile *parse_as(const char *file, const char *text)
{
	el_profile *p = NULL;

	if (el_profile_parse(&p, "t", file, text, strlen(text)) != EL_OK)
		fail_msg("refused: %s", el_error_last());
	assert_non_null(p);
	return p;
}

static el_profile *parse(const char *text)
{
	return parse_as("t", text);
}

/* Parse len bytes as the file "t" and expect EL_EINVAL with exactly message. */
static void expect_error_bytes(const char *text, size_t len, const char *message)
{
	el_profile *p = (el_profile *)1;

	assert_int_equal(el_profile_parse(&p, "t", "t", text, len), EL_EINVAL);
	assert_null(p);
	assert_string_equal(el_error_last(), message);
}

static void expect_error(const char *text, const char *message)
{
	expect_error_bytes(text, strlen(text), message);
}

static el_profile *load(const char *name_or_path)
{
	el_profile *p = NULL;

	if (el_profile_load(&p, name_or_path) != EL_OK)
		fail_msg("%s refused: %s", name_or_path, el_error_last());
	assert_non_null(p);
	return p;
}

static void expect_load_error(const char *name_or_path, int code, const char *message)
{
	el_profile *p = (el_profile *)1;

	assert_int_equal(el_profile_load(&p, name_or_path), code);
	assert_null(p);
	assert_string_equal(el_error_last(), message);
}

/* Append to a static buffer's text, never past its end. */
static void add(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* The pins as "NAME=VALUE" lines, in the profile's order. */
static const char *pins(const el_profile *p)
{
	static char buf[16384];

	buf[0] = '\0';
	for (size_t i = 0; i < p->pin_count; i++)
		add(buf, sizeof(buf), "%s=%s\n", p->pins[i].name, p->pins[i].value);
	return buf;
}

/* The value pinned for name, or NULL. */
static const char *pin(const el_profile *p, const char *name)
{
	for (size_t i = 0; i < p->pin_count; i++)
		if (strcmp(p->pins[i].name, name) == 0)
			return p->pins[i].value;
	return NULL;
}

/* A list of strings, space-separated. */
static const char *words(char *const *v, size_t n)
{
	static char buf[16384];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		add(buf, sizeof(buf), "%s%s", i ? " " : "", v[i]);
	return buf;
}

/* The drift rules as "SEVERITY PATTERN ORIGIN" lines, in order. */
static const char *rules(const el_profile *p)
{
	static char buf[16384];

	buf[0] = '\0';
	for (size_t i = 0; i < p->rule_count; i++)
		add(buf, sizeof(buf), "%s %s %s\n", el_severity_name(p->rules[i].severity), p->rules[i].pattern,
		    p->rules[i].origin);
	return buf;
}

/* The mounts as "KIND SOURCE DEST" lines ('-' for no source), in order. */
static const char *mounts(const el_profile *p)
{
	static char buf[16384];

	buf[0] = '\0';
	for (size_t i = 0; i < p->mount_count; i++)
		add(buf, sizeof(buf), "%s %s %s\n", el_mount_kind_name(p->mounts[i].kind),
		    p->mounts[i].source ? p->mounts[i].source : "-", p->mounts[i].dest);
	return buf;
}

/* The severity the profile gives the leaf at path, by name. */
static const char *severity(const el_profile *p, const char *path)
{
	return el_severity_name(el_profile_severity(p, path));
}

/* A chain of files f0 .. f(files-1) in dir, each including the next by name and pinning F<i>. */
static void write_chain(const char *dir, int files)
{
	for (int i = 0; i < files; i++) {
		char *name = str("f%d", i);
		char *text = i + 1 < files ? str("include f%d\nsetenv F%d 1\n", i + 1, i) : str("setenv F%d 1\n", i);

		el_test_write(dir, name, text);
		free(name);
		free(text);
	}
}

/* ---- directives ---- */

/*
 * An empty profile has the documented defaults: host network, GPU auto, uid and gid 1000, ASLR on, no seed,
 * threads auto.
 */
static void test_defaults(void **state)
{
	el_profile *p = parse("");

	assert_string_equal(p->name, "t");
	assert_string_equal(p->source, "t");
	assert_int_equal(p->pin_count, 0);
	assert_int_equal(p->keepenv_count, 0);
	assert_int_equal(p->rule_count, 0);
	assert_int_equal(p->mount_count, 0);
	assert_int_equal(p->seccomp_deny_count, 0);
	assert_int_equal(p->seccomp_allow_count, 0);
	assert_int_equal(p->net, EL_NET_HOST);
	assert_int_equal(p->gpu, EL_GPU_AUTO);
	assert_null(p->hostname);
	assert_int_equal(p->cpus, 0);
	assert_int_equal(p->threads, 0);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 1000);
	assert_true(p->aslr);
	assert_false(p->python_seed);
	el_profile_free(p);
}

/* setenv pins; the pins come out sorted by name and a later setenv replaces an earlier one. */
static void test_setenv(void **state)
{
	el_profile *p = parse("setenv ZZ last\n"
			      "setenv TZ UTC\n"
			      "setenv A_1 a=b\n"
			      "setenv TZ Europe/Paris\n"
			      "setenv _x \"two words\"\n"
			      "setenv EMPTY \"\"\n");

	assert_string_equal(pins(p), "A_1=a=b\nEMPTY=\nTZ=Europe/Paris\nZZ=last\n_x=two words\n");
	el_profile_free(p);
}

/* setenv takes exactly a variable name and a value. */
static void test_setenv_invalid(void **state)
{
	expect_error("setenv A", "t:1: setenv: expects NAME VALUE");
	expect_error("setenv", "t:1: setenv: expects NAME VALUE");
	expect_error("setenv A 1 2", "t:1: setenv: expects NAME VALUE");
	expect_error("setenv 1A x", "t:1: setenv: '1A' is not a variable name");
	expect_error("setenv A-B x", "t:1: setenv: 'A-B' is not a variable name");
	expect_error("setenv A=B x", "t:1: setenv: 'A=B' is not a variable name");
	expect_error("setenv \"\" x", "t:1: setenv: '' is not a variable name");
	/* A '#' after a space starts a comment, even where the value should be. */
	expect_error("setenv A #1", "t:1: setenv: expects NAME VALUE");
}

/* unsetenv drops a pin set earlier; dropping one never set is fine. */
static void test_unsetenv(void **state)
{
	el_profile *p = parse("setenv A 1\nsetenv B 2\nunsetenv A\nunsetenv NEVER_SET\n");

	assert_string_equal(pins(p), "B=2\n");
	el_profile_free(p);
	expect_error("unsetenv", "t:1: unsetenv: expects NAME");
	expect_error("unsetenv A B", "t:1: unsetenv: expects NAME");
	expect_error("unsetenv 9", "t:1: unsetenv: '9' is not a variable name");
}

/* keepenv collects names (sorted, each once) and locks no value. */
static void test_keepenv(void **state)
{
	el_profile *p = parse("keepenv USER HOME\nkeepenv HOME\nkeepenv CUDA_VISIBLE_DEVICES\n");

	assert_string_equal(words(p->keepenv, p->keepenv_count), "CUDA_VISIBLE_DEVICES HOME USER");
	assert_int_equal(p->pin_count, 0);
	el_profile_free(p);
	expect_error("keepenv", "t:1: keepenv: expects NAME...");
	expect_error("keepenv A b-c", "t:1: keepenv: 'b-c' is not a variable name");
}

/* Between setenv and keepenv of one name, the later directive wins. */
static void test_keepenv_setenv_later_wins(void **state)
{
	el_profile *p = parse("setenv X 1\nsetenv Y 2\nkeepenv X\n");

	assert_string_equal(pins(p), "Y=2\n");
	assert_string_equal(words(p->keepenv, p->keepenv_count), "X");
	el_profile_free(p);
	p = parse("keepenv X Y\nsetenv X 1\n");
	assert_string_equal(pins(p), "X=1\n");
	assert_string_equal(words(p->keepenv, p->keepenv_count), "Y");
	el_profile_free(p);
	/* The setenv took X out of keepenv; the unsetenv takes the pin, not the keepenv back. */
	p = parse("keepenv X Y\nsetenv X 1\nunsetenv X\n");
	assert_string_equal(pins(p), "");
	assert_string_equal(words(p->keepenv, p->keepenv_count), "Y");
	el_profile_free(p);
	p = parse("setenv X 1\nkeepenv X\nsetenv X 2\nkeepenv Y\nunsetenv Y\n");
	assert_string_equal(pins(p), "X=2\n");
	assert_string_equal(words(p->keepenv, p->keepenv_count), "Y");
	el_profile_free(p);
}

/*
 * 100k keepenv names, with repeats and a setenv that overrides one: each
 * directive must not search the list (this took minutes when it did).
 */
static void test_keepenv_many(void **state)
{
	enum { N = 100000, PER_LINE = 50 };
	size_t cap = (size_t)N * 9 + 4096, len = 0;
	char *text = malloc(cap);
	el_profile *p;
	char want[16];
	size_t k = 0;

	assert_non_null(text);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s V%06d%s", i % PER_LINE ? "" : "keepenv",
					N - 1 - i, i % PER_LINE == PER_LINE - 1 ? "\n" : "");
	len += (size_t)snprintf(text + len, cap - len,
				"keepenv V000007 V050000 V099999 V000007\n"
				"setenv V000123 1\n"
				"setenv W 2\nkeepenv W W\n"
				"keepenv Z\nsetenv Z 3\nunsetenv Z\n");
	assert_true(len < cap);
	p = parse(text);
	/* All but V000123, once each, in strcmp order, then W. */
	assert_int_equal(p->keepenv_count, N);
	for (int i = 0; i < N; i++) {
		if (i == 123)
			continue;
		snprintf(want, sizeof(want), "V%06d", i);
		assert_string_equal(p->keepenv[k++], want);
	}
	assert_string_equal(p->keepenv[k], "W");
	assert_string_equal(pins(p), "V000123=1\n");
	el_profile_free(p);
	free(text);
}

/* drift adds one rule per pattern, in order, each with the FILE:LINE that set it. */
static void test_drift(void **state)
{
	el_profile *p = parse("drift warn cpu gpu.driver\n"
			      "\n"
			      "drift ignore cpu.microcode\n"
			      "drift refuse \"libraries[\\\"libc.so.6\\\"].version\" gpu.devices[*].name **.sha256\n");

	assert_string_equal(rules(p), "warn cpu t:1\n"
				      "warn gpu.driver t:1\n"
				      "ignore cpu.microcode t:3\n"
				      "refuse libraries[\"libc.so.6\"].version t:4\n"
				      "refuse gpu.devices[*].name t:4\n"
				      "refuse **.sha256 t:4\n");
	el_profile_free(p);
	/* Four "**" keys are the most a pattern may have. */
	p = parse("drift warn **.a.**.b.**.c.**\n");
	assert_int_equal(p->rule_count, 1);
	el_profile_free(p);
}

/*
 * A pattern is "a leaf path as findings print it" (profiles/README.md, whose
 * own example is libraries["libc.so.6"].version), and the syntax asks for
 * quotes only around spaces, tabs and '#': so it can be written as printed.
 */
static void test_drift_pattern_as_printed(void **state)
{
	const char *text = "drift warn libraries[\"libc.so.6\"].version\n";
	el_profile *p = NULL;

	if (el_profile_parse(&p, "t", "t", text, strlen(text)) != EL_OK)
		fail_msg("refused: %s", el_error_last());
	assert_string_equal(rules(p), "warn libraries[\"libc.so.6\"].version t:1\n");
	el_profile_free(p);
}

/* drift checks its severity and every pattern. */
static void test_drift_invalid(void **state)
{
	el_profile *p = (el_profile *)1;
	const char *ci = "#\n#\n#\n#\n#\n#\n#\n#\n#\n#\n#\ndrift fatal code.git_dirty\n";

	expect_error("drift fatal cpu", "t:1: drift: severity must be refuse, warn or ignore, not 'fatal'");
	expect_error("drift warn", "t:1: drift: expects refuse|warn|ignore PATTERN...");
	expect_error("drift", "t:1: drift: expects refuse|warn|ignore PATTERN...");
	expect_error("drift warn cpu..flags", "t:1: drift: 'cpu..flags' is not a leaf path (column 5)");
	expect_error("drift warn cpu cpu.", "t:1: drift: 'cpu.' is not a leaf path (column 5)");
	expect_error("drift warn gpu.devices[x]", "t:1: drift: 'gpu.devices[x]' is not a leaf path (column 13)");
	expect_error("drift warn **.**.**.**.**", "t:1: drift: '**.**.**.**.**' has more than 4 '**' keys");
	/* The example in profiles/README.md, word for word. */
	assert_int_equal(el_profile_parse(&p, "ci", "ci", ci, strlen(ci)), EL_EINVAL);
	assert_null(p);
	assert_string_equal(el_error_last(), "ci:12: drift: severity must be refuse, warn or ignore, not 'fatal'");
}

/* One name table each: every value has a name that parses back to it, and nothing else parses. */
static void test_vocabulary_names(void **state)
{
	static const char *const severities[] = { "ignore", "warn", "refuse" };
	static const char *const kinds[] = { "bind", "ro-bind", "tmpfs" };
	el_severity s;
	el_mount_kind k;
	(void)state;

	for (int i = 0; i < 3; i++) {
		assert_string_equal(el_severity_name((el_severity)i), severities[i]);
		assert_int_equal(el_severity_parse(&s, severities[i]), EL_OK);
		assert_int_equal(s, i);
		assert_string_equal(el_mount_kind_name((el_mount_kind)i), kinds[i]);
		assert_int_equal(el_mount_kind_parse(&k, kinds[i]), EL_OK);
		assert_int_equal(k, i);
	}
	assert_null(el_severity_name((el_severity)3));
	assert_null(el_mount_kind_name((el_mount_kind)-1));
	assert_int_equal(el_severity_parse(&s, "Refuse"), EL_EINVAL);
	assert_string_equal(el_error_last(), "'Refuse' is not refuse, warn or ignore");
	assert_int_equal(el_mount_kind_parse(&k, "overlay"), EL_EINVAL);
	assert_string_equal(el_error_last(), "'overlay' is not bind, ro-bind or tmpfs");
}

/* net none|host; the last one wins. */
static void test_net(void **state)
{
	el_profile *p = parse("net none\n");

	assert_int_equal(p->net, EL_NET_NONE);
	el_profile_free(p);
	p = parse("net none\nnet host\n");
	assert_int_equal(p->net, EL_NET_HOST);
	el_profile_free(p);
	expect_error("net off", "t:1: net: expects none or host, not 'off'");
	expect_error("net None", "t:1: net: expects none or host, not 'None'");
	expect_error("net", "t:1: net: expects none|host");
	expect_error("net none host", "t:1: net: expects none|host");
}

/* bind, ro-bind and tmpfs keep their order; DEST defaults to SRC; tmpfs has no source. */
static void test_mounts(void **state)
{
	el_profile *p = parse("bind /data\n"
			      "ro-bind /models /mnt/models\n"
			      "tmpfs /scratch\n"
			      "bind /a/.hidden /b/..c\n"
			      "ro-bind /\n");

	assert_string_equal(mounts(p), "bind /data /data\n"
				       "ro-bind /models /mnt/models\n"
				       "tmpfs - /scratch\n"
				       "bind /a/.hidden /b/..c\n"
				       "ro-bind / /\n");
	el_profile_free(p);
}

/* Mount paths are absolute with no "." or ".." component; the argument counts are checked. */
static void test_mounts_invalid(void **state)
{
	expect_error("bind data", "t:1: bind: 'data' is not an absolute path without '.' or '..' components");
	expect_error("bind /a rel", "t:1: bind: 'rel' is not an absolute path without '.' or '..' components");
	expect_error("bind /a/../b", "t:1: bind: '/a/../b' is not an absolute path without '.' or '..' components");
	expect_error("bind /a/..", "t:1: bind: '/a/..' is not an absolute path without '.' or '..' components");
	expect_error("bind /./a", "t:1: bind: '/./a' is not an absolute path without '.' or '..' components");
	expect_error("ro-bind /a /b/.", "t:1: ro-bind: '/b/.' is not an absolute path without '.' or '..' components");
	expect_error("tmpfs ../x", "t:1: tmpfs: '../x' is not an absolute path without '.' or '..' components");
	expect_error("bind \"\"", "t:1: bind: '' is not an absolute path without '.' or '..' components");
	expect_error("bind", "t:1: bind: expects SRC [DEST]");
	expect_error("bind /a /b /c", "t:1: bind: expects SRC [DEST]");
	expect_error("ro-bind", "t:1: ro-bind: expects SRC [DEST]");
	expect_error("tmpfs", "t:1: tmpfs: expects DEST");
	expect_error("tmpfs /a /b", "t:1: tmpfs: expects DEST");
}

/* seccomp takes comma-separated names over one or more arguments; the lists come out sorted, each name once. */
static void test_seccomp(void **state)
{
	el_profile *p = parse("seccomp deny ptrace,mount\n"
			      "seccomp deny kexec_load ptrace\n"
			      "seccomp allow personality\n");

	assert_string_equal(words(p->seccomp_deny, p->seccomp_deny_count), "kexec_load mount ptrace");
	assert_string_equal(words(p->seccomp_allow, p->seccomp_allow_count), "personality");
	el_profile_free(p);
}

/* allow after deny takes the name off the deny list, and the other way round. */
static void test_seccomp_later_wins(void **state)
{
	el_profile *p = parse("seccomp deny ptrace,mount\nseccomp allow ptrace\n");

	assert_string_equal(words(p->seccomp_deny, p->seccomp_deny_count), "mount");
	assert_string_equal(words(p->seccomp_allow, p->seccomp_allow_count), "ptrace");
	el_profile_free(p);
	p = parse("seccomp allow ptrace\nseccomp deny ptrace\n");
	assert_string_equal(words(p->seccomp_deny, p->seccomp_deny_count), "ptrace");
	assert_int_equal(p->seccomp_allow_count, 0);
	el_profile_free(p);
}

/* seccomp names must be known to libseccomp, and the mode deny or allow. */
static void test_seccomp_invalid(void **state)
{
	expect_error("seccomp deny not_a_syscall", "t:1: seccomp: unknown system call 'not_a_syscall'");
	expect_error("seccomp allow ptrace,nope", "t:1: seccomp: unknown system call 'nope'");
	expect_error("seccomp deny ptrace PTRACE", "t:1: seccomp: unknown system call 'PTRACE'");
	expect_error("seccomp block ptrace", "t:1: seccomp: expects deny or allow, not 'block'");
	expect_error("seccomp deny", "t:1: seccomp: expects deny|allow SYSCALL[,SYSCALL...]");
	expect_error("seccomp", "t:1: seccomp: expects deny|allow SYSCALL[,SYSCALL...]");
}

/*
 * A seccomp directive that names no system call at all is an argument
 * missing (README: SYSCALL[,SYSCALL...]), not a silent no-op.
 */
static void test_seccomp_no_names(void **state)
{
	static const char *const texts[] = { "seccomp deny \"\"", "seccomp deny ,", "seccomp allow ,,," };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		el_profile *p = NULL;
		int ret = el_profile_parse(&p, "t", "t", texts[i], strlen(texts[i]));

		el_profile_free(p);
		if (ret != EL_EINVAL)
			fail_msg("'%s' accepted (no system call named)", texts[i]);
		assert_true(strncmp(el_error_last(), "t:1: seccomp: ", 14) == 0);
	}
}

/* gpu auto|none|require. */
static void test_gpu(void **state)
{
	el_profile *p = parse("gpu none\n");

	assert_int_equal(p->gpu, EL_GPU_NONE);
	el_profile_free(p);
	p = parse("gpu none\ngpu require\n");
	assert_int_equal(p->gpu, EL_GPU_REQUIRE);
	el_profile_free(p);
	p = parse("gpu require\ngpu auto\n");
	assert_int_equal(p->gpu, EL_GPU_AUTO);
	el_profile_free(p);
	expect_error("gpu maybe", "t:1: gpu: expects auto, none or require, not 'maybe'");
	expect_error("gpu", "t:1: gpu: expects auto|none|require");
	expect_error("gpu auto none", "t:1: gpu: expects auto|none|require");
}

#define NOT_A_HOST_NAME "is not a host name (letters, digits, '-' and '.'; labels of at most 63, 64 in all)"

/* hostname takes an RFC 1123 name of at most 64 characters; the last one wins. */
static void test_hostname(void **state)
{
	char longest[65], *text;
	el_profile *p = parse("hostname first\nhostname build-01.example.COM\n");

	assert_string_equal(p->hostname, "build-01.example.COM");
	el_profile_free(p);
	p = parse("hostname 7\n");
	assert_string_equal(p->hostname, "7");
	el_profile_free(p);
	/* RFC 1123: a label of at most 63, a name of at most 64 (the kernel's limit). */
	memset(longest, 'a', 64);
	longest[31] = '.';
	longest[64] = '\0';
	text = str("hostname %s\n", longest);
	p = parse(text);
	assert_string_equal(p->hostname, longest);
	el_profile_free(p);
	free(text);
}

/* Host names with empty labels, a '-' at a label's edge, other characters or too long are refused. */
static void test_hostname_invalid(void **state)
{
	static const char *const bad[] = { "-a", "a-", "a-.b", "a.-b", "a..b", ".a", "a.", "a_b", "caf\xc3\xa9" };
	char too_long[66], *text, *message;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		text = str("hostname %s", bad[i]);
		message = str("t:1: hostname: '%s' " NOT_A_HOST_NAME, bad[i]);
		expect_error(text, message);
		free(text);
		free(message);
	}
	expect_error("hostname \"\"", "t:1: hostname: '' " NOT_A_HOST_NAME);
	expect_error("hostname \"a b\"", "t:1: hostname: 'a b' " NOT_A_HOST_NAME);
	memset(too_long, 'a', 65);
	too_long[65] = '\0';
	text = str("hostname %s", too_long);
	message = str("t:1: hostname: '%s' " NOT_A_HOST_NAME, too_long);
	expect_error(text, message);
	free(text);
	free(message);
	too_long[64] = '\0'; /* one label of 64 */
	text = str("hostname %s", too_long);
	message = str("t:1: hostname: '%s' " NOT_A_HOST_NAME, too_long);
	expect_error(text, message);
	free(text);
	free(message);
	expect_error("hostname", "t:1: hostname: expects NAME");
	expect_error("hostname a b", "t:1: hostname: expects NAME");
}

/* cpus takes 1 to 4096. */
static void test_cpus(void **state)
{
	el_profile *p = parse("cpus 1\n");

	assert_int_equal(p->cpus, 1);
	el_profile_free(p);
	p = parse("cpus 2\ncpus 4096\n");
	assert_int_equal(p->cpus, 4096);
	el_profile_free(p);
	p = parse("cpus 0008\n");
	assert_int_equal(p->cpus, 8);
	el_profile_free(p);
}

/* threads takes auto or 1 to 4096; the last line wins, and auto is 0. */
static void test_threads(void **state)
{
	el_profile *p = parse("threads 1\n");

	assert_int_equal(p->threads, 1);
	el_profile_free(p);
	p = parse("threads 8\nthreads 4096\n");
	assert_int_equal(p->threads, 4096);
	el_profile_free(p);
	p = parse("threads 0008\n");
	assert_int_equal(p->threads, 8);
	el_profile_free(p);
	p = parse("threads 64\nthreads auto\n");
	assert_int_equal(p->threads, 0);
	el_profile_free(p);
	/* It pins nothing in the profile itself: capture and the sandbox do, with the count. */
	p = parse("threads 8\n");
	assert_int_equal(p->pin_count, 0);
	el_profile_free(p);
}

/* threads refuses 0, too many, other words and anything that is not plain digits (without overflowing). */
static void test_threads_invalid(void **state)
{
	static const char *const bad[] = { "0", "4097", "4x", "x4", "-1", "+1", "1.5", "0x10", "Auto", "max",
					   "99999999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = str("threads %s", bad[i]);
		char *message = str("t:1: threads: expects auto or a number of threads from 1 to 4096, not '%s'",
				    bad[i]);

		expect_error(text, message);
		free(text);
		free(message);
	}
	expect_error("threads \"\"", "t:1: threads: expects auto or a number of threads from 1 to 4096, not ''");
	expect_error("threads", "t:1: threads: expects auto|N");
	expect_error("threads 1 2", "t:1: threads: expects auto|N");
}

/* setenv and keepenv of a thread variable win over threads; others are left to it. */
static void test_threads_pin(void **state)
{
	el_profile *p = parse("setenv OMP_NUM_THREADS 4\nkeepenv MKL_NUM_THREADS\nsetenv TZ UTC\n");

	assert_int_equal(el_thread_var_count, 3);
	assert_string_equal(el_thread_vars[0].name, "OMP_NUM_THREADS");
	assert_string_equal(el_thread_vars[0].label, "OMP");
	assert_string_equal(el_thread_vars[1].name, "MKL_NUM_THREADS");
	assert_string_equal(el_thread_vars[1].label, "MKL");
	assert_string_equal(el_thread_vars[2].name, "OPENBLAS_NUM_THREADS");
	assert_string_equal(el_thread_vars[2].label, "OpenBLAS");
	assert_false(el_profile_threads_pin(p, "OMP_NUM_THREADS"));
	assert_false(el_profile_threads_pin(p, "MKL_NUM_THREADS"));
	assert_true(el_profile_threads_pin(p, "OPENBLAS_NUM_THREADS"));
	el_profile_free(p);
	/* unsetenv drops a setenv: the variable is the count's again. */
	p = parse("setenv OMP_NUM_THREADS 4\nunsetenv OMP_NUM_THREADS\n");
	assert_true(el_profile_threads_pin(p, "OMP_NUM_THREADS"));
	el_profile_free(p);
}

/* cpus refuses 0, too many, and anything that is not plain digits (without overflowing). */
static void test_cpus_invalid(void **state)
{
	static const char *const bad[] = { "0", "4097", "4x", "x4", "-1", "+1", "1.5", "0x10",
					   "99999999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = str("cpus %s", bad[i]);
		char *message = str("t:1: cpus: expects a number of CPUs from 1 to 4096, not '%s'", bad[i]);

		expect_error(text, message);
		free(text);
		free(message);
	}
	expect_error("cpus \"\"", "t:1: cpus: expects a number of CPUs from 1 to 4096, not ''");
	expect_error("cpus", "t:1: cpus: expects N");
	expect_error("cpus 1 2", "t:1: cpus: expects N");
}

/* uid and gid take 0 to 4294967294, each on its own; the last one wins. */
static void test_uid_gid(void **state)
{
	el_profile *p = parse("uid 0\ngid 0\n");

	assert_int_equal(p->uid, 0);
	assert_int_equal(p->gid, 0);
	el_profile_free(p);
	p = parse("uid 1\nuid 4294967294\n");
	assert_int_equal(p->uid, 4294967294U);
	assert_int_equal(p->gid, 1000);
	el_profile_free(p);
	p = parse("gid 0065534\n");
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 65534);
	el_profile_free(p);
	p = parse("gid 4294967294\ngid 100\nuid 1001\n");
	assert_int_equal(p->uid, 1001);
	assert_int_equal(p->gid, 100);
	el_profile_free(p);
}

/* uid and gid refuse (uid_t)-1, anything larger, and anything that is not plain digits (without overflowing). */
static void test_uid_gid_invalid(void **state)
{
	static const char *const bad[] = { "4294967295", "4294967296", "-1", "+1", "1x", "x1", "1.5", "0x10", "1e3",
					   "18446744073709551616", "99999999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = str("uid %s", bad[i]);
		char *message = str("t:1: uid: expects a user ID from 0 to 4294967294, not '%s'", bad[i]);

		expect_error(text, message);
		free(text);
		free(message);
		text = str("gid %s", bad[i]);
		message = str("t:1: gid: expects a group ID from 0 to 4294967294, not '%s'", bad[i]);
		expect_error(text, message);
		free(text);
		free(message);
	}
	expect_error("uid \"\"", "t:1: uid: expects a user ID from 0 to 4294967294, not ''");
	expect_error("gid \" 1\"", "t:1: gid: expects a group ID from 0 to 4294967294, not ' 1'");
	expect_error("uid", "t:1: uid: expects N");
	expect_error("gid 1 2", "t:1: gid: expects N");
}

/* require names what the run needs of the working tree: clean-tree, nothing else yet. */
static void test_require(void **state)
{
	el_profile *p = parse("require clean-tree\n");

	assert_true(p->require_clean_tree);
	el_profile_free(p);
	expect_error("require dirty", "t:1: require: unknown requirement 'dirty' (clean-tree)");
	expect_error("require", "t:1: require: expects clean-tree");
	expect_error("require clean-tree now", "t:1: require: expects clean-tree");
}

/* aslr and python-seed take on or off (lower case); the last one wins. */
static void test_aslr_python_seed(void **state)
{
	el_profile *p = parse("aslr off\npython-seed on\n");

	assert_false(p->aslr);
	assert_true(p->python_seed);
	el_profile_free(p);
	p = parse("aslr off\naslr on\npython-seed on\npython-seed off\n");
	assert_true(p->aslr);
	assert_false(p->python_seed);
	el_profile_free(p);
	expect_error("aslr yes", "t:1: aslr: expects on or off, not 'yes'");
	expect_error("aslr OFF", "t:1: aslr: expects on or off, not 'OFF'");
	expect_error("python-seed 1", "t:1: python-seed: expects on or off, not '1'");
	expect_error("aslr", "t:1: aslr: expects on|off");
	expect_error("python-seed on off", "t:1: python-seed: expects on|off");
}

/* A keyword that is no directive is refused by name; keywords are case-sensitive. */
static void test_unknown_directive(void **state)
{
	expect_error("frobnicate x", "t:1: unknown directive 'frobnicate'");
	expect_error("Setenv A 1", "t:1: unknown directive 'Setenv'");
	expect_error("pythonseed on", "t:1: unknown directive 'pythonseed'");
}

/* ---- syntax ---- */

/* '#' starts a comment at a line's start or after a space or tab; inside a word it is a letter. */
static void test_comments(void **state)
{
	el_profile *p = parse("# a comment\n"
			      "   # indented\n"
			      "\t# after a tab\n"
			      "\n"
			      "setenv A 1 # trailing\n"
			      "setenv B a#b\n"
			      "setenv C 1\t#tab, then a comment\n"
			      "setenv D x#\n"
			      "#setenv E 1\n"
			      "setenv\tF\t\t2   \t\n");

	assert_string_equal(pins(p), "A=1\nB=a#b\nC=1\nD=x#\nF=2\n");
	el_profile_free(p);
}

/* Double quotes hold spaces, tabs and '#'; \" and \\ are the escapes; "" is the empty string. */
static void test_quotes(void **state)
{
	el_profile *p = parse("setenv A \"x y\\\"z\\\\w\"\n"
			      "setenv B \"\"\n"
			      "setenv C \"# not a comment\"   # but this is\n"
			      "\"setenv\" D \"1\"\n"
			      "setenv E \"tab\there\"\n"
			      "setenv F \"\\\\\"\n"
			      "setenv G \"\\\"\"\n");

	assert_string_equal(pins(p), "A=x y\"z\\w\nB=\nC=# not a comment\nD=1\nE=tab\there\nF=\\\nG=\"\n");
	el_profile_free(p);
}

/* Quoting mistakes are errors, each with its own message. */
static void test_quote_errors(void **state)
{
	expect_error("setenv A \"abc", "t:1: unterminated quote");
	expect_error("setenv A \"abc\\\"", "t:1: unterminated quote");
	expect_error("setenv A \"a\\nb\"", "t:1: unknown escape '\\n' (only \\\" and \\\\)");
	expect_error("setenv A \"a\\tb\"", "t:1: unknown escape '\\t' (only \\\" and \\\\)");
	expect_error("setenv A \"a\"b", "t:1: text right after a closing quote");
	expect_error("setenv A \"a\"#b", "t:1: text right after a closing quote");
	expect_error("setenv A \"a\"\"b\"", "t:1: text right after a closing quote");
}

/* A quote inside a word is a plain character: drift patterns are written as findings print them. */
static void test_quote_inside_word(void **state)
{
	el_profile *p = parse("setenv A a\"b\"\nsetenv B a\"\n");

	assert_string_equal(p->pins[0].value, "a\"b\"");
	assert_string_equal(p->pins[1].value, "a\"");
	el_profile_free(p);
}

/* A backslash that ends a line inside quotes leaves the quote unterminated: there is no escape to name. */
static void test_quote_trailing_backslash(void **state)
{
	expect_error("setenv A \"abc\\", "t:1: unterminated quote");
	expect_error("setenv A \"abc\\\nsetenv B 1\n", "t:1: unterminated quote");
}

/* A message that quotes an unknown escape stays valid UTF-8 when the escaped character is not ASCII. */
static void test_escape_message_utf8(void **state)
{
	const char *text = "setenv A \"\\\xc3\xa9\"";
	el_profile *p = NULL;

	assert_int_equal(el_profile_parse(&p, "t", "t", text, strlen(text)), EL_EINVAL);
	assert_null(p);
	if (!el__utf8_valid(el_error_last(), strlen(el_error_last())))
		fail_msg("message is not UTF-8: %s", el_error_last());
	assert_string_equal(el_error_last(), "t:1: unknown escape '\\\xc3\xa9' (only \\\" and \\\\)");
}

/* CRLF line endings read like LF: no '\r' left in a value or a keyword. */
static void test_crlf(void **state)
{
	el_profile *p = parse("# written on Windows\r\nsetenv A 1\r\n\r\nsetenv B \"x y\"\r\nnet none\r\n");

	assert_string_equal(pins(p), "A=1\nB=x y\n");
	assert_int_equal(p->net, EL_NET_NONE);
	el_profile_free(p);
	/* A '\r' anywhere but before the newline is a control character. */
	expect_error("setenv A 1\rsetenv B 2\n", "t:1: control character 0x0d");
	expect_error("setenv A 1\r\r\n", "t:1: control character 0x0d");
}

/* A NUL byte anywhere makes the file no profile, named with the line it is on. */
static void test_nul_byte(void **state)
{
	const struct fixture *fx = *state;
	static const char text[] = "setenv A 1\nsetenv B x\0y\n";
	char *message;

	expect_error_bytes(text, sizeof(text) - 1, "t:2: a NUL byte: not a text file");
	el_test_write_bytes(fx->first, "nul", text, sizeof(text) - 1);
	message = str("%s/nul:2: a NUL byte: not a text file", fx->first);
	expect_load_error("nul", EL_EINVAL, message);
	free(message);
}

/* Control characters other than tab are refused, in comments too, with their code. */
static void test_control_characters(void **state)
{
	expect_error("setenv A 1\nsetenv B a\x01"
		     "b\n",
		     "t:2: control character 0x01");
	expect_error("setenv A a\x7f", "t:1: control character 0x7f");
	expect_error("setenv A a\x0c", "t:1: control character 0x0c");
	expect_error("# \x1b[31m red\n", "t:1: control character 0x1b");
	expect_error("setenv A \"\x1b\"", "t:1: control character 0x1b");
}

/* Text must be UTF-8 (strict: no overlong forms, surrogates or code points past U+10FFFF). */
static void test_utf8(void **state)
{
	el_profile *p = parse("setenv A \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n# na\xc3\xafve\n");

	assert_string_equal(pin(p, "A"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	el_profile_free(p);
	expect_error("setenv A \xff", "t:1: not valid UTF-8");
	expect_error("setenv A \xc0\x80", "t:1: not valid UTF-8");
	expect_error("setenv A \xed\xa0\x80", "t:1: not valid UTF-8");
	expect_error("setenv A \xf4\x90\x80\x80", "t:1: not valid UTF-8");
	expect_error("setenv A \xe2\x82\nsetenv B 1\n", "t:1: not valid UTF-8");
	expect_error("setenv A 1\n# \xff\n", "t:2: not valid UTF-8");
}

/* A line holds at most 64 words (a trailing comment does not count). */
static void test_word_limit(void **state)
{
	char line[2048] = "keepenv";
	el_profile *p;
	char *text;

	for (int i = 1; i <= 63; i++)
		add(line, sizeof(line), " V%d", i);
	p = parse(line);
	assert_int_equal(p->keepenv_count, 63);
	el_profile_free(p);
	text = str("%s # one two three", line);
	p = parse(text);
	assert_int_equal(p->keepenv_count, 63);
	el_profile_free(p);
	free(text);
	text = str("# fine\n%s V64", line);
	expect_error(text, "t:2: more than 64 words");
	free(text);
}

/* Line numbers count blank, comment and CRLF lines; the first mistake stops the parse. */
static void test_line_numbers(void **state)
{
	expect_error("\n# c\r\n\nsetenv A 1\n\tnet maybe", "t:5: net: expects none or host, not 'maybe'");
	expect_error("net maybe\ngpu maybe\n", "t:1: net: expects none or host, not 'maybe'");
	expect_error("\n\n\n\n\n\n\n\n\nfoo\n", "t:10: unknown directive 'foo'");
}

/* ---- include ---- */

#define NOT_A_PROFILE_NAME "is not a profile name (letters, digits, '_' and '-'; a path has a '/')"

/* include NAME reads the first copy in the lookup in place; later lines override it. */
static void test_include_by_name(void **state)
{
	const struct fixture *fx = *state;
	char *expected = str("warn cpu %s/base:3\n", fx->first);
	el_profile *p;

	el_test_write(fx->first, "base", "setenv A 1\nsetenv B 1\ndrift warn cpu\n");
	el_test_write(fx->second, "base", "setenv A second\n");
	el_test_write(fx->second, "extra", "setenv X 1\n");
	p = parse("include base\nsetenv B 2\ninclude extra\n");
	assert_string_equal(pins(p), "A=1\nB=2\nX=1\n");
	assert_string_equal(rules(p), expected);
	el_profile_free(p);
	free(expected);
}

/* include PATH is relative to the including file, whatever the process's working directory. */
static void test_include_relative_path(void **state)
{
	const struct fixture *fx = *state;
	char *main_path = el_test_path(fx->root, "proj/main"), *expected, *text;
	el_profile *p;

	el_test_write(fx->root, "proj/main", "include sub/inc\nsetenv M 1\n");
	el_test_write(fx->root, "proj/sub/inc", "include ../common/c\ndrift warn x\n");
	el_test_write(fx->root, "proj/common/c", "setenv C 1\ndrift ignore y\n");
	p = load(main_path);
	assert_string_equal(pins(p), "C=1\nM=1\n");
	expected = str("ignore y %s/proj/sub/../common/c:2\nwarn x %s/proj/sub/inc:2\n", fx->root, fx->root);
	assert_string_equal(rules(p), expected);
	el_profile_free(p);
	/* el_profile_parse resolves relative includes against the file it is told. */
	text = el_test_read(main_path, NULL, NULL);
	p = parse_as(main_path, text);
	assert_string_equal(pins(p), "C=1\nM=1\n");
	assert_string_equal(rules(p), expected);
	el_profile_free(p);
	free(text);
	free(expected);
	free(main_path);
}

/* include /ABSOLUTE/PATH works from anywhere, a built-in profile too. */
static void test_include_absolute_path(void **state)
{
	const struct fixture *fx = *state;
	char *text = str("include %s/elsewhere/abs\nsetenv B 2\n", fx->root);
	el_profile *p;

	el_test_write(fx->root, "elsewhere/abs", "setenv A 1\nsetenv B 1\n");
	p = parse(text);
	assert_string_equal(pins(p), "A=1\nB=2\n");
	el_profile_free(p);
	free(text);
}

/* A profile with no directory (built in) has nothing to resolve a relative include against. */
static void test_include_relative_from_builtin(void **state)
{
	expect_error("include sub/x", "t:1: include: a built-in profile cannot include the relative path 'sub/x'");
	expect_error("\ninclude ./x", "t:2: include: a built-in profile cannot include the relative path './x'");
}

/* a -> b -> a by name is a cycle, reported at the include that closes it. */
static void test_include_cycle_by_name(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("%s/b:2: include: include cycle: 'a' is already being read", fx->first);

	el_test_write(fx->first, "a", "include b\n");
	el_test_write(fx->first, "b", "setenv B 1\ninclude a\n");
	expect_load_error("a", EL_EINVAL, message);
	free(message);
}

/* Cycles by path are found by file identity: "./a" from b, a file including itself, a symlink to itself. */
static void test_include_cycle_by_path(void **state)
{
	const struct fixture *fx = *state;
	char *path = el_test_path(fx->root, "p/a"), *message;

	el_test_write(fx->root, "p/a", "include ./b\n");
	el_test_write(fx->root, "p/b", "# b\ninclude ./a\n");
	message = str("%s/p/b:2: include: include cycle: './a' is already being read", fx->root);
	expect_load_error(path, EL_EINVAL, message);
	free(message);
	free(path);

	el_test_write(fx->root, "p/self", "include ./self\n");
	path = el_test_path(fx->root, "p/self");
	message = str("%s/p/self:1: include: include cycle: './self' is already being read", fx->root);
	expect_load_error(path, EL_EINVAL, message);
	free(message);
	free(path);

	el_test_write(fx->root, "p/c", "include ./alias\n");
	el_test_symlink(fx->root, "p/alias", "c");
	path = el_test_path(fx->root, "p/c");
	message = str("%s/p/c:1: include: include cycle: './alias' is already being read", fx->root);
	expect_load_error(path, EL_EINVAL, message);
	free(message);
	free(path);
}

/* A user "default" that includes default gets the built-in one, then overrides it. */
static void test_include_own_name_builtin(void **state)
{
	const struct fixture *fx = *state;
	char *source = el_test_path(fx->first, "default");
	el_profile *p;

	el_test_write(fx->first, "default", "include default\nsetenv TZ Europe/Paris\ndrift refuse cpu.flags\n");
	p = load("default");
	assert_string_equal(p->source, source);
	assert_int_equal(p->pin_count, 4);
	assert_int_equal(p->threads, 0);
	assert_string_equal(pin(p, "TZ"), "Europe/Paris");
	assert_string_equal(pin(p, "PYTHONHASHSEED"), "0");
	assert_string_equal(severity(p, "cpu.flags"), "refuse");
	assert_string_equal(severity(p, "cpu.model"), "warn");
	el_profile_free(p);
	free(source);
}

/* Including one's own name goes one copy down the lookup; past the last copy it is a cycle. */
static void test_include_own_name_next_dir(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("%s/y:1: include: include cycle: 'y' is already being read", fx->second);
	el_profile *p;

	el_test_write(fx->first, "x", "include x\nsetenv A 1\n");
	el_test_write(fx->second, "x", "setenv A 2\nsetenv B 2\n");
	p = load("x");
	assert_string_equal(pins(p), "A=1\nB=2\n");
	el_profile_free(p);
	el_test_write(fx->first, "y", "include y\n");
	el_test_write(fx->second, "y", "include y\n");
	expect_load_error("y", EL_EINVAL, message);
	free(message);
}

/* Includes nest 16 deep: a chain of 17 files loads. */
static void test_include_depth_limit(void **state)
{
	const struct fixture *fx = *state;
	el_profile *p;

	write_chain(fx->first, 17);
	p = load("f0");
	assert_int_equal(p->pin_count, 17);
	assert_string_equal(pin(p, "F16"), "1");
	el_profile_free(p);
}

/* A chain of 18 files goes one level too deep, reported at the 17th file's include. */
static void test_include_too_deep(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("%s/f16:1: include: includes nest deeper than 16", fx->first);

	write_chain(fx->first, 18);
	expect_load_error("f0", EL_EINVAL, message);
	free(message);
}

/* A missing include names the profile and where it looked; bad names and argument counts are refused. */
static void test_include_missing(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("t:1: include: profile 'nope' not found (looked in %s, %s, and the built-in profiles)",
			    fx->first, fx->second);
	char *text, *missing;

	expect_error("include nope", message);
	free(message);
	missing = el_test_path(fx->root, "missing");
	text = str("include %s", missing);
	message = str("t:1: include: %s: No such file or directory", missing);
	expect_error(text, message);
	free(message);
	free(text);
	free(missing);
	expect_error("include a.b", "t:1: include: 'a.b' " NOT_A_PROFILE_NAME);
	expect_error("include", "t:1: include: expects NAME|PATH");
	expect_error("include a b", "t:1: include: expects NAME|PATH");
}

/* A long include path (PATH_MAX is 4096) is quoted whole in the message, with the reason after it. */
static void test_include_missing_long_path(void **state)
{
	const struct fixture *fx = *state;
	char path[800], text[1024], message[1024];

	snprintf(path, sizeof(path), "%s", fx->root);
	for (int i = 0; i < 6; i++)
		add(path, sizeof(path), "/%0100d", i);
	snprintf(text, sizeof(text), "include %s", path);
	snprintf(message, sizeof(message), "t:1: include: %s: No such file or directory", path);
	expect_error(text, message);
}

/* A mistake inside an included file is reported with that file and its line. */
static void test_include_error_inside(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("%s/bad:3: cpus: expects a number of CPUs from 1 to 4096, not '0'", fx->second);

	el_test_write(fx->second, "bad", "# bad\n\ncpus 0\n");
	expect_error("setenv A 1\ninclude bad\n", message);
	free(message);
}

/* uid and gid from an included profile hold until a later line sets them; a bad one names the included file. */
static void test_include_uid_gid(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("%s/bad:2: gid: expects a group ID from 0 to 4294967294, not '-1'", fx->second);
	el_profile *p;

	el_test_write(fx->first, "base", "uid 0\ngid 0\n");
	p = parse("include base\ngid 100\n");
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->gid, 100);
	el_profile_free(p);
	p = parse("uid 5\ngid 6\ninclude base\n");
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->gid, 0);
	el_profile_free(p);
	el_test_write(fx->second, "bad", "uid 7\ngid -1\n");
	expect_error("include bad\n", message);
	free(message);
}

/* A user profile can build on a shipped one by name; rule origins name the built-in copy. */
static void test_include_builtin(void **state)
{
	el_profile *p = parse("include ci\nnet host\n");

	assert_int_equal(p->net, EL_NET_HOST);
	assert_int_equal(p->pin_count, 4);
	assert_true(p->require_clean_tree);
	assert_string_equal(p->rules[0].origin, "default (built in):53");
	assert_string_equal(p->rules[p->rule_count - 1].origin, "default (built in):97");
	el_profile_free(p);
}

/* ---- load ---- */

/* A name is looked up in order: the first directory's copy wins, else the next. */
static void test_load_by_name(void **state)
{
	const struct fixture *fx = *state;
	char *first = el_test_path(fx->first, "mine"), *second = el_test_path(fx->second, "mine");
	el_profile *p;

	el_test_write(fx->first, "mine", "setenv WHERE first\n");
	el_test_write(fx->second, "mine", "setenv WHERE second\n");
	p = load("mine");
	assert_string_equal(p->name, "mine");
	assert_string_equal(p->source, first);
	assert_string_equal(pin(p, "WHERE"), "first");
	el_profile_free(p);
	assert_int_equal(unlink(first), 0);
	p = load("mine");
	assert_string_equal(p->source, second);
	assert_string_equal(pin(p, "WHERE"), "second");
	el_profile_free(p);
	free(first);
	free(second);
}

/* Anything with a '/' is a path, absolute or from the working directory. */
static void test_load_by_path(void **state)
{
	const struct fixture *fx = *state;
	char *path = el_test_path(fx->root, "proj/train.profile"), cwd[PATH_MAX];
	el_profile *p;

	el_test_write(fx->root, "proj/train.profile", "include ./common\nsetenv T 1\n");
	el_test_write(fx->root, "proj/common", "setenv C 1\ndrift warn x\n");
	p = load(path);
	assert_string_equal(p->name, path);
	assert_string_equal(p->source, path);
	assert_string_equal(pins(p), "C=1\nT=1\n");
	el_profile_free(p);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(fx->root), 0);
	p = load("proj/train.profile");
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(p->name, "proj/train.profile");
	assert_string_equal(p->source, "proj/train.profile");
	assert_string_equal(rules(p), "warn x proj/common:2\n");
	el_profile_free(p);
	free(path);
}

/* An unknown name is EL_ENOTFOUND naming every directory looked in; so is a missing path. */
static void test_load_not_found(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("profile 'nope' not found (looked in %s, %s, and the built-in profiles)", fx->first,
			    fx->second);
	char *path = el_test_path(fx->root, "none");

	expect_load_error("nope", EL_ENOTFOUND, message);
	free(message);
	message = str("%s: No such file or directory", path);
	expect_load_error(path, EL_ENOTFOUND, message);
	free(message);
	free(path);
}

/* A name must be letters, digits, '_' and '-', at most 64 of them. */
static void test_load_invalid_name(void **state)
{
	el_profile *p = NULL;
	char longest[66];

	expect_load_error("a.b", EL_EINVAL, "'a.b' " NOT_A_PROFILE_NAME);
	expect_load_error("", EL_EINVAL, "'' " NOT_A_PROFILE_NAME);
	expect_load_error("a b", EL_EINVAL, "'a b' " NOT_A_PROFILE_NAME);
	memset(longest, 'a', 65);
	longest[65] = '\0';
	assert_int_equal(el_profile_load(&p, longest), EL_EINVAL);
	assert_null(p);
}

/* A path that is a directory is no profile. */
static void test_load_directory(void **state)
{
	const struct fixture *fx = *state;
	char *message = str("%s: not a regular file", fx->first);

	expect_load_error(fx->first, EL_EINVAL, message);
	free(message);
}

/*
 * Load and list agree on which copy wins: a directory that happens to carry
 * a profile's name in the first lookup directory is skipped by
 * el_profile_list, so loading that name takes the next copy as well.
 */
static void test_load_skips_directory_like_list(void **state)
{
	const struct fixture *fx = *state;
	el_profile_entry *entries = NULL;
	char second[PATH_MAX];
	el_profile *p = NULL;
	size_t n = 0;
	int ret;

	snprintf(second, sizeof(second), "%s/sub", fx->second);
	el_test_write(fx->first, "sub/inner", "setenv X 1\n");
	el_test_write(fx->second, "sub", "setenv WHERE second\n");
	assert_int_equal(el_profile_list(&entries, &n), EL_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(entries[i].name, "sub") == 0) {
			assert_string_equal(entries[i].source, second);
			assert_null(entries[i].shadowed_by);
		}
	el_profile_entries_free(entries, n);
	ret = el_profile_load(&p, "sub");
	if (ret != EL_OK)
		fail_msg("list says %s wins, load says: %s", second, el_error_last());
	assert_string_equal(p->source, second);
	el_profile_free(p);
}

/* ---- the shipped profiles ---- */

/*
 * default: exactly the four pins, threads auto (no thread pins of its own), CUDA_VISIBLE_DEVICES passed
 * through, and the documented policy.
 */
static void test_builtin_default(void **state)
{
	el_profile *p = load("default");

	assert_string_equal(p->name, "default");
	assert_string_equal(p->source, "(built in)");
	assert_string_equal(pins(p), "CUBLAS_WORKSPACE_CONFIG=:4096:8\n"
				     "LC_ALL=C.UTF-8\n"
				     "PYTHONHASHSEED=0\n"
				     "TZ=UTC\n");
	assert_int_equal(p->threads, 0);
	assert_string_equal(words(p->keepenv, p->keepenv_count), "CUDA_VISIBLE_DEVICES");
	assert_int_equal(p->net, EL_NET_HOST);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 1000);
	assert_true(p->aslr);
	assert_false(p->python_seed);
	assert_string_equal(p->rules[0].origin, "default (built in):53");
	assert_string_equal(severity(p, "python.packages.numpy"), "refuse");
	assert_string_equal(severity(p, "gpu.cuda_runtime"), "refuse");
	assert_string_equal(severity(p, "gpu.cudnn"), "refuse");
	assert_string_equal(severity(p, "gpu.nccl"), "refuse");
	assert_string_equal(severity(p, "gpu.cublas"), "refuse");
	assert_string_equal(severity(p, "host.glibc"), "refuse");
	assert_string_equal(severity(p, "libraries[\"libc.so.6\"].version"), "refuse");
	assert_string_equal(severity(p, "libraries[\"libc.so.6\"].sha256"), "refuse");
	assert_string_equal(severity(p, "env.TZ"), "refuse");
	assert_string_equal(severity(p, "data[\"/data/train\"]"), "refuse");
	assert_string_equal(severity(p, "gpu.driver"), "warn");
	assert_string_equal(severity(p, "host.kernel"), "warn");
	assert_string_equal(severity(p, "cpu.model"), "warn");
	assert_string_equal(severity(p, "cpu.flags"), "warn");
	assert_string_equal(severity(p, "python.executable"), "refuse");
	assert_false(p->require_clean_tree);
	assert_string_equal(severity(p, "libraries[\"libc.so.6\"].path"), "warn");
	assert_string_equal(severity(p, "cpu.microcode"), "ignore");
	assert_string_equal(severity(p, "threads"), "warn");
	assert_string_equal(severity(p, "env.OMP_NUM_THREADS"), "refuse");
	assert_string_equal(severity(p, "toolchain.gcc"), "refuse");
	assert_string_equal(severity(p, "python.version"), "refuse");
	assert_string_equal(severity(p, "host.os"), "refuse");
	assert_string_equal(severity(p, "gpu.devices[0].name"), "refuse");
	assert_string_equal(severity(p, "code.git_commit"), "refuse");
	el_profile_free(p);
}

/* strict: refuses all drift (threads too), pins MKL_CBWR and NVIDIA_TF32_OVERRIDE, threads auto, no network, no ASLR, seeds Python. */
static void test_builtin_strict(void **state)
{
	static const char *const leaves[] = {
		"host.kernel", "cpu.microcode", "cpu.flags", "cpu.model", "gpu.driver",
		"code.git_dirty", "python.executable", "libraries[\"libc.so.6\"].path", "toolchain.gcc", "threads",
	};
	el_profile *p = load("strict");

	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (el_profile_severity(p, leaves[i]) != EL_SEVERITY_REFUSE)
			fail_msg("strict does not refuse %s", leaves[i]);
	assert_int_equal(p->pin_count, 6);
	assert_int_equal(p->threads, 0);
	assert_null(pin(p, "OMP_NUM_THREADS"));
	assert_string_equal(pin(p, "MKL_CBWR"), "COMPATIBLE");
	assert_string_equal(pin(p, "NVIDIA_TF32_OVERRIDE"), "0");
	assert_string_equal(pin(p, "PYTHONHASHSEED"), "0");
	assert_int_equal(p->net, EL_NET_NONE);
	assert_false(p->aslr);
	assert_true(p->python_seed);
	el_profile_free(p);
}

/* ci: default's policy, a clean tree required, no network. */
static void test_builtin_ci(void **state)
{
	el_profile *p = load("ci");

	assert_true(p->require_clean_tree);
	assert_string_equal(severity(p, "host.kernel"), "warn");
	assert_string_equal(severity(p, "cpu.microcode"), "ignore");
	assert_string_equal(severity(p, "threads"), "warn");
	assert_int_equal(p->pin_count, 4);
	assert_int_equal(p->threads, 0);
	assert_int_equal(p->net, EL_NET_NONE);
	assert_false(p->python_seed);
	el_profile_free(p);
}

/* pytorch: default's pins, torch's deterministic algorithms asked of the Python hook, and Python seeded. */
static void test_builtin_pytorch(void **state)
{
	el_profile *p = load("pytorch");

	assert_true(p->python_seed);
	assert_int_equal(p->pin_count, 5);
	assert_int_equal(p->threads, 0);
	assert_string_equal(pin(p, "CUBLAS_WORKSPACE_CONFIG"), ":4096:8");
	assert_string_equal(pin(p, "ENVLOCK_TORCH_DETERMINISTIC"), "1");
	assert_string_equal(severity(p, "cpu.flags"), "warn");
	el_profile_free(p);
}

/* tensorflow: default's pins, op determinism asked of the Python hook (and TF_DETERMINISTIC_OPS for TF < 2.8). */
static void test_builtin_tensorflow(void **state)
{
	el_profile *p = load("tensorflow");

	assert_int_equal(p->pin_count, 8);
	assert_int_equal(p->threads, 0);
	assert_string_equal(pin(p, "ENVLOCK_TF_DETERMINISTIC"), "1");
	assert_string_equal(pin(p, "TF_DETERMINISTIC_OPS"), "1");
	assert_string_equal(pin(p, "TF_CUDNN_DETERMINISTIC"), "1");
	assert_string_equal(pin(p, "TF_ENABLE_ONEDNN_OPTS"), "0");
	assert_true(p->python_seed);
	el_profile_free(p);
}

/* jax: default's pins plus XLA's deterministic ops. */
static void test_builtin_jax(void **state)
{
	el_profile *p = load("jax");

	assert_int_equal(p->pin_count, 5);
	assert_int_equal(p->threads, 0);
	assert_string_equal(pin(p, "XLA_FLAGS"), "--xla_gpu_deterministic_ops=true");
	assert_true(p->python_seed);
	el_profile_free(p);
}

/* distributed: pytorch's pins, NCCL's algorithm and protocol pinned, the ranks' identity passed through, the host's network. */
static void test_builtin_distributed(void **state)
{
	el_profile *p = load("distributed"), *torch = load("pytorch");
	static const char *const kept[] = { "SLURM_PROCID", "SLURM_NODEID", "SLURM_LOCALID", "MASTER_ADDR",
					    "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK", "PMI_RANK" };

	(void)state;
	assert_int_equal(p->pin_count, torch->pin_count + 3);
	assert_string_equal(pin(p, "NCCL_ALGO"), "Ring");
	assert_string_equal(pin(p, "NCCL_NVLS_ENABLE"), "0");
	assert_string_equal(pin(p, "NCCL_PROTO"), "Simple");
	assert_string_equal(pin(p, "ENVLOCK_TORCH_DETERMINISTIC"), "1");
	assert_int_equal(p->net, EL_NET_HOST);
	assert_true(p->python_seed);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		bool found = false;

		for (size_t k = 0; k < p->keepenv_count; k++)
			found = found || strcmp(p->keepenv[k], kept[i]) == 0;
		assert_true(found);
		assert_null(pin(p, kept[i]));
	}
	el_profile_free(torch);
	el_profile_free(p);
}

/* The built-in copies are the files in profiles/: loading either gives the same pins and policy. */
static void test_builtins_match_sources(void **state)
{
	static const char *const names[] = { "default", "pytorch", "tensorflow", "jax", "strict", "ci", "distributed" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *path = str("%s/%s", PROFILES_DIR, names[i]), *builtin_pins;
		el_profile *b = load(names[i]), *f = load(path);

		builtin_pins = strdup(pins(b));
		assert_string_equal(pins(f), builtin_pins);
		assert_int_equal(f->rule_count, b->rule_count);
		for (size_t r = 0; r < b->rule_count; r++) {
			assert_string_equal(f->rules[r].pattern, b->rules[r].pattern);
			assert_int_equal(f->rules[r].severity, b->rules[r].severity);
		}
		assert_int_equal(f->net, b->net);
		assert_int_equal(f->uid, b->uid);
		assert_int_equal(f->gid, b->gid);
		assert_int_equal(f->aslr, b->aslr);
		assert_int_equal(f->python_seed, b->python_seed);
		assert_int_equal(f->threads, b->threads);
		free(builtin_pins);
		el_profile_free(b);
		el_profile_free(f);
		free(path);
	}
}

/* ---- drift patterns ---- */

#define MATCH(pattern, path) assert_true(el_drift_pattern_match(pattern, path))
#define NO_MATCH(pattern, path) assert_false(el_drift_pattern_match(pattern, path))

/* A pattern matches its own leaf and every leaf below it, never a longer sibling. */
static void test_pattern_exact_and_prefix(void **state)
{
	MATCH("python.packages.numpy", "python.packages.numpy");
	NO_MATCH("python.packages.numpy", "python.packages");
	MATCH("cpu", "cpu");
	MATCH("cpu", "cpu.flags");
	MATCH("gpu.devices", "gpu.devices[0].name");
	MATCH("libraries", "libraries[\"libc.so.6\"].version");
	NO_MATCH("cpu", "host.cpu");
	NO_MATCH("cpu", "cpus");
	NO_MATCH("cpu.model", "cpu.model_id");
	NO_MATCH("gpu.cuda", "gpu.cuda_runtime");
	NO_MATCH("env.TZ", "env.TZX");
	NO_MATCH("python.packages.numpy", "python.packages.numpyx");
}

/* An index pattern longer than the matcher's stack buffer, against keys and indexes (a leak the fuzzer found). */
static void test_pattern_long_index(void **state)
{
	char pattern[600], path[600];

	snprintf(pattern, sizeof(pattern), "gpu.devices[%0300d]", 7);
	snprintf(path, sizeof(path), "gpu.devices[%0300d]", 7);
	NO_MATCH(pattern, "gpu.devices.name");
	MATCH(pattern, path);
	NO_MATCH(pattern, "gpu.devices[7]");
}

/* '*' and '?' match within one key. */
static void test_pattern_star_in_key(void **state)
{
	MATCH("python.packages.torch*", "python.packages.torch");
	MATCH("python.packages.torch*", "python.packages.torchvision");
	NO_MATCH("python.packages.torch*", "python.packages.pytorch");
	MATCH("python.packages.t?rch", "python.packages.torch");
	NO_MATCH("python.packages.t?rch", "python.packages.toorch");
	MATCH("*.kernel", "host.kernel");
	NO_MATCH("*.kernel", "host.os");
	MATCH("*", "anything.at.all");
	NO_MATCH("python.*.numpy", "python.numpy");
}

/* A '*' key matches a quoted key as findings print it. */
static void test_pattern_quoted_keys(void **state)
{
	MATCH("libraries.*.version", "libraries[\"libc.so.6\"].version");
	NO_MATCH("libraries.*.version", "libraries[\"libc.so.6\"].sha256");
	MATCH("libraries[\"libc.so.6\"].version", "libraries[\"libc.so.6\"].version");
	MATCH("libraries[\"libc.so.6\"]", "libraries[\"libc.so.6\"].path");
	NO_MATCH("libraries[\"libc.so.6\"]", "libraries[\"libc.so.7\"].version");
	MATCH("data.*", "data[\"/data/train\"]");
}

/*
 * A pattern written exactly as a finding prints a leaf matches that leaf,
 * even when a quoted key holds '[' or '\' (data paths can): only '*' and '?'
 * are wildcards (profiles/README.md).
 */
static void test_pattern_quoted_key_is_literal(void **state)
{
	MATCH("data[\"/data/run[1]\"]", "data[\"/data/run[1]\"]");
	NO_MATCH("data[\"/data/run[1]\"]", "data[\"/data/run1\"]");
	MATCH("data[\"C:\\\\x\"]", "data[\"C:\\\\x\"]");
	NO_MATCH("data[\"C:\\\\x\"]", "data[\"C:x\"]");
}

/* [*] matches any index and only an index; a bare '*' key matches an index too. */
static void test_pattern_index(void **state)
{
	MATCH("gpu.devices[*].name", "gpu.devices[0].name");
	MATCH("gpu.devices[*].name", "gpu.devices[12].name");
	NO_MATCH("gpu.devices[*].name", "gpu.devices[0].memory_mib");
	NO_MATCH("gpu.devices[*].name", "gpu.devices.x.name");
	NO_MATCH("gpu.devices[*]", "gpu.devices[\"0\"]");
	MATCH("gpu.devices[0]", "gpu.devices[0].memory_mib");
	NO_MATCH("gpu.devices[0]", "gpu.devices[1].name");
	MATCH("gpu.devices[1?]", "gpu.devices[12].name");
	MATCH("gpu.devices.*.name", "gpu.devices[0].name");
}

/* A "**" key matches any number of keys (none too), at the start, in the middle or at the end. */
static void test_pattern_globstar(void **state)
{
	MATCH("**", "host.kernel");
	MATCH("**.version", "libraries[\"libc.so.6\"].version");
	MATCH("**.version", "python.version");
	MATCH("**.version", "version");
	NO_MATCH("**.version", "python.packages.numpy");
	MATCH("libraries.**.version", "libraries[\"a\"].version");
	MATCH("a.**.d", "a.b.c.d");
	MATCH("a.**.d", "a.d");
	MATCH("a.**.d", "a.b.d.e");
	NO_MATCH("a.**.d", "a.b.c");
	MATCH("**.**.x", "x");
	MATCH("**.devices[*].name", "gpu.devices[3].name");
	MATCH("cpu.**", "cpu");
}

/* Malformed patterns (and paths) match nothing. */
static void test_pattern_invalid(void **state)
{
	NO_MATCH("", "cpu");
	NO_MATCH("cpu.", "cpu.flags");
	NO_MATCH(".cpu", "cpu");
	NO_MATCH("a..b", "a..b");
	NO_MATCH("[x]", "cpu");
	NO_MATCH("libraries[\"libc", "libraries[\"libc\"]");
	NO_MATCH("cpu", "");
	NO_MATCH("cpu", "cpu.*");
	NO_MATCH("*", "a..b");
}

/* The last rule that matches wins; a leaf that no rule matches is refused. */
static void test_severity_last_rule_wins(void **state)
{
	el_profile *p = parse("drift ignore cpu\ndrift warn cpu.flags\n");

	assert_string_equal(severity(p, "cpu.flags"), "warn");
	assert_string_equal(severity(p, "cpu.model"), "ignore");
	assert_string_equal(severity(p, "host.os"), "refuse");
	el_profile_free(p);
	p = parse("drift warn cpu.flags\ndrift ignore cpu\n");
	assert_string_equal(severity(p, "cpu.flags"), "ignore");
	el_profile_free(p);
	p = parse("");
	assert_int_equal(el_profile_severity(p, "anything"), EL_SEVERITY_REFUSE);
	el_profile_free(p);
	assert_string_equal(el_severity_name(EL_SEVERITY_REFUSE), "refuse");
	assert_string_equal(el_severity_name(EL_SEVERITY_WARN), "warn");
	assert_string_equal(el_severity_name(EL_SEVERITY_IGNORE), "ignore");
}

/* ---- listing and the search path ---- */

/* The entries as "NAME SOURCE SHADOWED_BY" lines ('-' when it wins). */
static const char *entries_text(const el_profile_entry *e, size_t n)
{
	static char buf[16384];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		add(buf, sizeof(buf), "%s %s %s\n", e[i].name, e[i].source,
		    e[i].shadowed_by ? e[i].shadowed_by : "-");
	return buf;
}

/* Every copy is listed, sorted by name then lookup order; later copies name the one that wins. */
static void test_list(void **state)
{
	const struct fixture *fx = *state;
	el_profile_entry *entries = NULL;
	size_t n = 0;
	char *expected;

	el_test_write(fx->first, "alpha", "");
	el_test_write(fx->first, "default", "");
	el_test_write(fx->first, "README.md", "");
	el_test_write(fx->first, ".hidden", "");
	el_test_write(fx->first, "dir/inner", "");
	el_test_write(fx->second, "alpha", "");
	el_test_write(fx->second, "beta", "");
	el_test_write(fx->second, "notes.txt", "");
	assert_int_equal(el_profile_list(&entries, &n), EL_OK);
	expected = str("alpha %1$s/alpha -\n"
		       "alpha %2$s/alpha %1$s/alpha\n"
		       "beta %2$s/beta -\n"
		       "ci (built in) -\n"
		       "default %1$s/default -\n"
		       "default (built in) %1$s/default\n"
		       "distributed (built in) -\n"
		       "jax (built in) -\n"
		       "pytorch (built in) -\n"
		       "strict (built in) -\n"
		       "tensorflow (built in) -\n",
		       fx->first, fx->second);
	assert_string_equal(entries_text(entries, n), expected);
	free(expected);
	el_profile_entries_free(entries, n);
}

/* With empty directories only the seven built-in profiles are listed. */
static void test_list_builtins_only(void **state)
{
	el_profile_entry *entries = NULL;
	size_t n = 0;

	assert_int_equal(el_profile_list(&entries, &n), EL_OK);
	assert_string_equal(entries_text(entries, n), "ci (built in) -\n"
						      "default (built in) -\n"
						      "distributed (built in) -\n"
						      "jax (built in) -\n"
						      "pytorch (built in) -\n"
						      "strict (built in) -\n"
						      "tensorflow (built in) -\n");
	el_profile_entries_free(entries, n);
}

/* ENVLOCK_PROFILE_PATH lists the directories; empty and relative entries are dropped. */
static void test_search_path_env(void **state)
{
	char **dirs = NULL;

	setenv("ENVLOCK_PROFILE_PATH", "/a::rel:/b/:", 1);
	assert_int_equal(el_profile_search_path(&dirs), EL_OK);
	assert_string_equal(dirs[0], "/a");
	assert_string_equal(dirs[1], "/b/");
	assert_null(dirs[2]);
	el_profile_search_path_free(dirs);
}

/*
 * Without ENVLOCK_PROFILE_PATH the lookup is $XDG_CONFIG_HOME/envlock/profiles
 * (else ~/.config/envlock/profiles), /etc/envlock/profiles, the data
 * directory; a profile there wins over the built-in copy.
 */
static void test_xdg_config_home(void **state)
{
	const struct fixture *fx = *state;
	char *xdg = el_test_path(fx->root, "xdg"), *home = el_test_path(fx->root, "home"), *expected, *source;
	el_profile_entry *entries = NULL;
	char **dirs = NULL;
	el_profile *p;
	size_t n = 0;
	struct stat st;

	if (stat("/etc/envlock/profiles", &st) == 0)
		el_test_skip_case("/etc/envlock/profiles exists: a profile there could shadow what this test writes");
	unsetenv("ENVLOCK_PROFILE_PATH");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	el_test_write(xdg, "envlock/profiles/default", "include default\nsetenv TZ Europe/Berlin\n");
	source = el_test_path(xdg, "envlock/profiles/default");

	assert_int_equal(el_profile_search_path(&dirs), EL_OK);
	expected = str("%s/envlock/profiles", xdg);
	assert_string_equal(dirs[0], expected);
	assert_string_equal(dirs[1], "/etc/envlock/profiles");
	assert_string_equal(dirs[2], EL_DATADIR "/profiles");
	assert_null(dirs[3]);
	el_profile_search_path_free(dirs);
	free(expected);

	p = load("default");
	assert_string_equal(p->source, source);
	assert_string_equal(pin(p, "TZ"), "Europe/Berlin");
	assert_int_equal(p->pin_count, 4);
	el_profile_free(p);
	assert_int_equal(el_profile_list(&entries, &n), EL_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(entries[i].source, "(built in)") == 0 && strcmp(entries[i].name, "default") == 0)
			assert_string_equal(entries[i].shadowed_by, source);
	el_profile_entries_free(entries, n);

	/* Unset or relative, XDG_CONFIG_HOME gives way to ~/.config. */
	setenv("HOME", home, 1);
	expected = str("%s/.config/envlock/profiles", home);
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(el_profile_search_path(&dirs), EL_OK);
	assert_string_equal(dirs[0], expected);
	el_profile_search_path_free(dirs);
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	assert_int_equal(el_profile_search_path(&dirs), EL_OK);
	assert_string_equal(dirs[0], expected);
	assert_string_equal(dirs[1], "/etc/envlock/profiles");
	el_profile_search_path_free(dirs);
	free(expected);
	free(source);
	free(home);
	free(xdg);
}

/* ---- leaf paths ---- */

/* The segments of a path as "key|key|[index]". */
static const char *split(const char *path, bool glob)
{
	static char buf[4096];
	el__path_seg *segs = NULL;
	size_t n = 0;

	if (el__path_split(path, glob, &segs, &n) != EL_OK)
		fail_msg("'%s' refused: %s", path, el_error_last());
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		add(buf, sizeof(buf), segs[i].index ? "%s[%s]" : "%s%s", i ? "|" : "", segs[i].text);
	el__path_segs_free(segs, n);
	return buf;
}

static void expect_split_error(const char *path, bool glob, const char *message)
{
	el__path_seg *segs = (el__path_seg *)1;
	size_t n = 1;

	assert_int_equal(el__path_split(path, glob, &segs, &n), EL_EINVAL);
	assert_null(segs);
	assert_int_equal(n, 0);
	assert_string_equal(el_error_last(), message);
}

/* Bare keys are words of letters, digits, '_', '-' and '+'. */
static void test_path_split_bare(void **state)
{
	assert_string_equal(split("python.packages.numpy", false), "python|packages|numpy");
	assert_string_equal(split("toolchain.c++", false), "toolchain|c++");
	assert_string_equal(split("env.CUDA_VISIBLE_DEVICES", false), "env|CUDA_VISIBLE_DEVICES");
	assert_string_equal(split("a-b", false), "a-b");
}

/* Quoted keys take \" \\ and \u00XX escapes, and may come first. */
static void test_path_split_quoted(void **state)
{
	assert_string_equal(split("libraries[\"libc.so.6\"].version", false), "libraries|libc.so.6|version");
	assert_string_equal(split("data[\"a\\\"b\\\\c\\u0001d\\u001F\"]", false), "data|a\"b\\c\x01" "d\x1f");
	assert_string_equal(split("[\"x y\"][\"\"]", false), "x y|");
	assert_string_equal(split("[\"a\"].b", false), "a|b");
}

/* Indexes are digits in brackets; with glob, '*' and '?' may stand in keys and indexes. */
static void test_path_split_index_glob(void **state)
{
	assert_string_equal(split("gpu.devices[0].name", false), "gpu|devices|[0]|name");
	assert_string_equal(split("m[1][22]", false), "m|[1]|[22]");
	assert_string_equal(split("gpu.devices[*].name", true), "gpu|devices|[*]|name");
	assert_string_equal(split("python.packages.torch*", true), "python|packages|torch*");
	assert_string_equal(split("**.v?", true), "**|v?");
	expect_split_error("gpu.devices[*].name", false, "'gpu.devices[*].name' is not a leaf path (column 13)");
	expect_split_error("python.packages.torch*", false, "'python.packages.torch*' is not a leaf path (column 22)");
}

/* Malformed paths are EL_EINVAL with the column where reading stopped. */
static void test_path_split_malformed(void **state)
{
	expect_split_error("", false, "'' is not a leaf path (column 1)");
	expect_split_error(".a", false, "'.a' is not a leaf path (column 1)");
	expect_split_error("a.", false, "'a.' is not a leaf path (column 3)");
	expect_split_error("a..b", false, "'a..b' is not a leaf path (column 3)");
	expect_split_error("a[\"b", false, "'a[\"b' is not a leaf path (column 4)");
	expect_split_error("a[\"b\"", false, "'a[\"b\"' is not a leaf path (column 4)");
	expect_split_error("[x]", false, "'[x]' is not a leaf path (column 2)");
	expect_split_error("a.[\"b\"]", false, "'a.[\"b\"]' is not a leaf path (column 3)");
	expect_split_error("a[]", false, "'a[]' is not a leaf path (column 3)");
	expect_split_error("a[0", false, "'a[0' is not a leaf path (column 5)");
	expect_split_error("a b", false, "'a b' is not a leaf path (column 2)");
	expect_split_error("a[0]b", false, "'a[0]b' is not a leaf path (column 5)");
	expect_split_error("a[\"\\u0000\"]", false, "'a[\"\\u0000\"]' is not a leaf path (column 4)");
	expect_split_error("a[\"\\n\"]", false, "'a[\"\\n\"]' is not a leaf path (column 4)");
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_defaults),
		TEST(test_vocabulary_names),
		TEST(test_setenv),
		TEST(test_setenv_invalid),
		TEST(test_unsetenv),
		TEST(test_keepenv),
		TEST(test_keepenv_setenv_later_wins),
		TEST(test_keepenv_many),
		TEST(test_drift),
		TEST(test_drift_pattern_as_printed),
		TEST(test_drift_invalid),
		TEST(test_net),
		TEST(test_mounts),
		TEST(test_mounts_invalid),
		TEST(test_seccomp),
		TEST(test_seccomp_later_wins),
		TEST(test_seccomp_invalid),
		TEST(test_seccomp_no_names),
		TEST(test_gpu),
		TEST(test_hostname),
		TEST(test_hostname_invalid),
		TEST(test_cpus),
		TEST(test_cpus_invalid),
		TEST(test_threads),
		TEST(test_threads_invalid),
		TEST(test_threads_pin),
		TEST(test_uid_gid),
		TEST(test_uid_gid_invalid),
		TEST(test_aslr_python_seed),
		TEST(test_require),
		TEST(test_unknown_directive),
		TEST(test_comments),
		TEST(test_quotes),
		TEST(test_quote_errors),
		TEST(test_quote_inside_word),
		TEST(test_quote_trailing_backslash),
		TEST(test_escape_message_utf8),
		TEST(test_crlf),
		TEST(test_nul_byte),
		TEST(test_control_characters),
		TEST(test_utf8),
		TEST(test_word_limit),
		TEST(test_line_numbers),
		TEST(test_include_by_name),
		TEST(test_include_relative_path),
		TEST(test_include_absolute_path),
		TEST(test_include_relative_from_builtin),
		TEST(test_include_cycle_by_name),
		TEST(test_include_cycle_by_path),
		TEST(test_include_own_name_builtin),
		TEST(test_include_own_name_next_dir),
		TEST(test_include_depth_limit),
		TEST(test_include_too_deep),
		TEST(test_include_missing),
		TEST(test_include_missing_long_path),
		TEST(test_include_error_inside),
		TEST(test_include_uid_gid),
		TEST(test_include_builtin),
		TEST(test_load_by_name),
		TEST(test_load_by_path),
		TEST(test_load_not_found),
		TEST(test_load_invalid_name),
		TEST(test_load_directory),
		TEST(test_load_skips_directory_like_list),
		TEST(test_builtin_default),
		TEST(test_builtin_strict),
		TEST(test_builtin_ci),
		TEST(test_builtin_pytorch),
		TEST(test_builtin_tensorflow),
		TEST(test_builtin_jax),
		TEST(test_builtin_distributed),
		TEST(test_builtins_match_sources),
		TEST(test_pattern_exact_and_prefix),
		TEST(test_pattern_long_index),
		TEST(test_pattern_star_in_key),
		TEST(test_pattern_quoted_keys),
		TEST(test_pattern_quoted_key_is_literal),
		TEST(test_pattern_index),
		TEST(test_pattern_globstar),
		TEST(test_pattern_invalid),
		TEST(test_severity_last_rule_wins),
		TEST(test_list),
		TEST(test_list_builtins_only),
		TEST(test_search_path_env),
		TEST(test_xdg_config_home),
		TEST(test_path_split_bare),
		TEST(test_path_split_quoted),
		TEST(test_path_split_index_glob),
		TEST(test_path_split_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
