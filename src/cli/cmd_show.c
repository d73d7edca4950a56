#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/report.h"

static const char usage_text[] =
	"usage: envlock show [FILE]\n"
	"\n"
	"Summarize a lock after checking it: its fingerprint, where, when and at\n"
	"which commit it was captured, its thread count, and each section.\n"
	"Default: env.lock here or in the nearest directory above, up to the\n"
	"repository root.\n"
	"\n"
	"  -h, --help  show this help\n"
	"\n"
	"Exit status: 0 ok, 1 runtime failure, 2 bad usage or an unreadable or\n"
	"invalid lock.\n";

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Objects with more scalar members than this are counted, not listed (python.packages). */
#define LIST_MAX 16

static bool is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

/* Keys come from the lock too (python.packages, env): never raw control characters. */
static void print_key_padded(const char *key, int width)
{
	char *text = report_key_text(key);

	printf("%-*s", width, text ? text : "?");
	free(text);
}

static void print_key(const char *key)
{
	print_key_padded(key, 0);
}

static void print_value(const json_t *v)
{
	char *text = report_value_text(v);

	fputs(text ? text : "?", stdout);
	free(text);
}

/* An item's scalar members on one line: "name=NVIDIA H100, memory_mib=81559". */
static void print_members(const json_t *item)
{
	const char *key;
	json_t *v;
	bool first = true;

	if (is_scalar(item)) {
		print_value(item);
		return;
	}
	if (json_is_array(item)) {
		printf("%zu items", json_array_size(item));
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)item, key, v) {
		printf("%s", first ? "" : ", ");
		print_key(key);
		putchar('=');
		if (is_scalar(v))
			print_value(v);
		else
			printf("(%zu)", json_is_array(v) ? json_array_size(v) : json_object_size(v));
		first = false;
	}
}

static bool all_scalar(const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (!is_scalar(v))
			return false;
	}
	return true;
}

/*
 * One member of a section on its line: a value, a small object's members
 * (a library: path, sha256, version), or a count with one line per item
 * below it (GPU devices). Large flat objects and lists are counted only
 * (python.packages, cpu.flags): the lock itself has them.
 */
static void print_member(const char *key, const json_t *v, int width)
{
	size_t i;
	const char *k;
	json_t *item;

	fputs("  ", stdout);
	print_key_padded(key, width);
	fputs("  ", stdout);
	if (is_scalar(v) || (json_is_object(v) && all_scalar(v) && json_object_size(v) <= LIST_MAX)) {
		print_members(v);
		putchar('\n');
		return;
	}
	if (json_is_array(v)) {
		bool scalars = true;

		json_array_foreach(v, i, item)
			scalars &= is_scalar(item);
		printf("%zu\n", json_array_size(v));
		if (scalars)
			return;
		json_array_foreach(v, i, item) {
			printf("    [%zu] ", i);
			print_members(item);
			putchar('\n');
		}
		return;
	}
	printf("%zu\n", json_object_size(v));
	if (all_scalar(v))
		return;
	json_object_foreach((json_t *)(uintptr_t)v, k, item) {
		fputs("    ", stdout);
		print_key(k);
		fputs("  ", stdout);
		print_members(item);
		putchar('\n');
	}
}

static void print_section(const char *name, const json_t *section)
{
	const char *key;
	json_t *v;
	int width = 0;

	printf("\n%s\n", name);
	if (!json_is_object(section)) {
		print_member("", section, 0);
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)section, key, v) {
		if ((int)strlen(key) > width)
			width = (int)strlen(key);
	}
	if (width > 32)
		width = 32;
	json_object_foreach((json_t *)(uintptr_t)section, key, v)
		print_member(key, v, width);
}

static void print_meta(const json_t *meta, const char *key, const char *label)
{
	const json_t *v = json_object_get(meta, key);

	if (!v)
		return;
	printf("%-12s ", label);
	print_value(v);
	putchar('\n');
}

/* The commit the lock was captured at: informational, not fingerprinted. */
static void print_code(const json_t *code)
{
	const json_t *dirty = json_object_get(code, "git_dirty");
	const char *commit = json_string_value(json_object_get(code, "git_commit"));

	if (!commit)
		return;
	printf("%-12s %s%s\n", "at commit", commit,
	       json_is_true(dirty) ? " (with uncommitted changes)" : json_is_false(dirty) ? "" : " (clean or not: unknown)");
}

/*
 * The thread count with the variables env pins to it:
 * "threads      8 (OMP, MKL, OpenBLAS pinned)". A setenv in the profile
 * may have pinned one of them to something else; env shows that.
 */
static void print_threads(const json_t *doc)
{
	const json_t *count = json_object_get(doc, "threads"), *env = json_object_get(doc, "env");
	char text[32];
	int listed = 0;

	if (!count)
		return;
	snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(count));
	printf("%-12s %s (", "threads", text);
	for (size_t i = 0; i < el_thread_var_count; i++) {
		const char *pinned = json_string_value(json_object_get(env, el_thread_vars[i].name));

		if (pinned && strcmp(pinned, text) == 0)
			printf("%s%s", listed++ ? ", " : "", el_thread_vars[i].label);
	}
	printf("%s)\n", listed ? " pinned" : "nothing pinned to it");
}

int cmd_show(int argc, char **argv)
{
	const char *path = NULL, *key;
	char *found = NULL;
	const json_t *doc, *meta;
	el_lock *lock = NULL;
	json_t *section;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		default:
			return cli_usage_error("show", "unknown option '%s'", cli_bad_option(argv));
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("show", "unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc)
		path = argv[optind];
	else if (!cli_find_lock(&found, "show", ""))
		return CLI_EXIT_USAGE;
	if (found)
		path = found;
	if (!cli_read_lock(&lock, path)) {
		free(found);
		return CLI_EXIT_USAGE;
	}

	doc = el_lock_json(lock);
	meta = json_object_get(doc, "meta");
	printf("%-12s %s (schema %d)\n", "lock", path, (int)json_integer_value(json_object_get(doc, "envlock")));
	printf("%-12s %s (verified)\n", "fingerprint", el_lock_stored_fingerprint(lock));
	print_meta(meta, "captured_at", "captured at");
	print_meta(meta, "hostname", "on host");
	print_meta(meta, "profile", "profile");
	print_meta(meta, "envlock_version", "by envlock");
	print_code(json_object_get(meta, "code"));
	print_threads(doc);
	json_object_foreach((json_t *)(uintptr_t)doc, key, section) {
		if (strcmp(key, "envlock") != 0 && strcmp(key, "fingerprint") != 0 && strcmp(key, "meta") != 0 &&
		    strcmp(key, "threads") != 0)
			print_section(key, section);
	}
	el_lock_free(lock);
	free(found);
	return cli_finish_stdout(CLI_EXIT_OK);
}
