#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/report.h"
#include "cli/trust.h"

static const char usage_text[] =
	"usage: envlock show [--trust PUBKEY]... [FILE]\n"
	"\n"
	"Summarize a lock after checking it: its fingerprint (which only says the\n"
	"content was not changed without re-fingerprinting it), its signature\n"
	"(FILE.sig, checked against --trust, else the signing key's public half),\n"
	"where, when and at which commit it was captured, its thread count, and\n"
	"each section. Default: env.lock here or in the nearest directory above,\n"
	"up to the repository root.\n"
	"\n"
	"      --trust PUBKEY  a public key whose signature is trusted (repeatable)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 ok, 1 runtime failure, 2 bad usage or an unreadable or\n"
	"invalid lock.\n";

static const struct option longopts[] = {
	{ "trust", required_argument, NULL, 't' },
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

/* The signing key's public half, when there is one; without one, show says the signature was not checked. */
static void own_key(el_key ***keys, size_t *count)
{
	char *path = el_key_default_path(), *pub = NULL;
	el_key *key = NULL;

	*keys = NULL;
	*count = 0;
	if (path && asprintf(&pub, "%s.pub", path) >= 0 && el_key_load_public(&key, pub) == EL_OK &&
	    (*keys = calloc(1, sizeof(**keys)))) {
		(*keys)[0] = key;
		*count = 1;
		key = NULL;
	}
	el_error_clear();
	el_key_free(key);
	free(pub);
	free(path);
}

/*
 * "signature": whether PATH.sig signs the lock's bytes with a trusted key.
 * The fingerprint alone proves nothing: anyone who can write the lock can
 * re-fingerprint it.
 */
static void print_signature(const char *path, const el_lock *lock, el_key **keys, size_t count)
{
	char keyid[EL_KEYID_SIZE], *sig = NULL;
	size_t len = 0;
	const char *text = el_lock_text(lock, &len);

	if (asprintf(&sig, "%s.sig", path) < 0)
		return;
	if (access(sig, F_OK) != 0)
		printf("%-12s none (sign it with 'envlock sign %s')\n", "signature", path);
	else if (!count)
		printf("%-12s %s, not checked: no trusted key (give --trust PUBKEY)\n", "signature", sig);
	else if (el_verify_file(path, text, len, EL_DSSE_TYPE_LOCK, keys, count, keyid) == EL_OK)
		printf("%-12s %s, by key %s (trusted)\n", "signature", sig, keyid);
	else
		printf("%-12s NOT VALID: %s\n", "signature", el_error_last());
	free(sig);
}

int cmd_show(int argc, char **argv)
{
	const char *path = NULL, *key;
	char *found = NULL;
	const json_t *doc, *meta;
	el_lock *lock = NULL;
	json_t *section;
	char **trust = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*trust));
	el_key **keys = NULL;
	size_t trust_count = 0, key_count = 0;
	int c, status = CLI_EXIT_USAGE;

	if (!trust) {
		cli_error("out of memory");
		return CLI_EXIT_USAGE;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			trust[trust_count++] = optarg;
			break;
		case ':':
			status = cli_usage_error("show", "option '%s' needs a value", argv[optind - 1]);
			goto done;
		case 'h':
			fputs(usage_text, stdout);
			status = cli_finish_stdout(CLI_EXIT_OK);
			goto done;
		default:
			status = cli_usage_error("show", "unknown option '%s'", cli_bad_option(argv));
			goto done;
		}
	}
	if (argc - optind > 1) {
		status = cli_usage_error("show", "unexpected argument '%s'", argv[optind + 1]);
		goto done;
	}
	if (optind < argc)
		path = argv[optind];
	else if (!cli_find_lock(&found, "show", ""))
		goto done;
	if (found)
		path = found;
	if (!cli_read_lock(&lock, path))
		goto done;
	if (trust_count && !cli_trust_load(&keys, &key_count, trust, trust_count, NULL, "show"))
		goto done;
	if (!trust_count)
		own_key(&keys, &key_count);

	doc = el_lock_json(lock);
	meta = json_object_get(doc, "meta");
	printf("%-12s %s (schema %d)\n", "lock", path, (int)json_integer_value(json_object_get(doc, "envlock")));
	printf("%-12s %s (matches the content)\n", "fingerprint", el_lock_stored_fingerprint(lock));
	print_signature(path, lock, keys, key_count);
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
	status = cli_finish_stdout(CLI_EXIT_OK);
done:
	cli_trust_free(keys, key_count);
	el_lock_free(lock);
	free(found);
	free(trust);
	return status;
}
