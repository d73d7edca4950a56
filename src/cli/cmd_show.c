/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
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
	const char *path = NULL;
	char *found = NULL, *described = NULL;
	size_t described_len = 0;
	el_lock *lock = NULL;
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
			status = cli_usage_error("show", "%s", cli_unknown_option(argv, longopts));
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

	/* The file's name and trust are the command's to say; what the lock holds, the library's. */
	if (el_lock_describe(&described, &described_len, lock) != EL_OK) {
		cli_error("%s", el_error_last());
		status = CLI_EXIT_FAILURE;
		goto done;
	}
	printf("%-12s %s (schema %d)\n", "lock", path, el_lock_schema(lock));
	printf("%-12s %s (matches the content)\n", "fingerprint", el_lock_stored_fingerprint(lock));
	print_signature(path, lock, keys, key_count);
	fwrite(described, 1, described_len, stdout);
	status = cli_finish_stdout(CLI_EXIT_OK);
done:
	free(described);
	cli_trust_free(keys, key_count);
	el_lock_free(lock);
	free(found);
	free(trust);
	return status;
}
