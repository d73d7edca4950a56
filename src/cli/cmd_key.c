/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "envlock/envlock.h"

#include "cli/cli.h"

static const char usage_text[] =
	"usage: envlock key generate [--type TYPE] [--out FILE]\n"
	"       envlock key id [FILE]\n"
	"\n"
	"Make and name the key pair that signs locks and run records.\n"
	"\n"
	"generate  make a new key pair: the private key at FILE (mode 0600), the\n"
	"          public key at FILE.pub. An existing FILE or FILE.pub is never\n"
	"          replaced.\n"
	"id        print the key id (the SHA-256 of the public key's DER) of a\n"
	"          public or private key file.\n"
	"\n"
	"      --type TYPE  ecdsa-p256 (default) or ed25519\n"
	"      --out FILE   where the private key goes (default: the signing key,\n"
	"                   $ENVLOCK_KEY, else $XDG_CONFIG_HOME/envlock/signing-key.pem,\n"
	"                   else ~/.config/envlock/signing-key.pem)\n"
	"  -h, --help       show this help\n"
	"\n"
	"Exit status: 0 ok, 1 runtime failure, 2 bad usage, a key that exists\n"
	"already, or a missing or unreadable key.\n";

static const struct option longopts[] = {
	{ "type", required_argument, NULL, 't' },
	{ "out", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* key id takes no option but --help. */
static const struct option id_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void no_signing_key(const char *path)
{
	cli_error("no signing key at %s (make one with 'envlock key generate')", path);
}

/*
 * The default key's directory, made private (0700) when missing: it holds
 * the one secret, and a directory others can write lets them swap it.
 */
static bool make_key_dir(const char *path)
{
	char *copy = strdup(path), *dir, *parent_copy = NULL;
	struct stat st;
	bool ok = false;

	if (!copy) {
		cli_error("out of memory");
		return false;
	}
	dir = dirname(copy);
	if (stat(dir, &st) == 0) {
		free(copy);
		return true;
	}
	parent_copy = strdup(dir);
	if (parent_copy && cli_make_dirs(dirname(parent_copy)) && (mkdir(dir, 0700) == 0 || errno == EEXIST))
		ok = true;
	else
		cli_error("key generate: %s: %s", dir, strerror(parent_copy ? errno : ENOMEM));
	free(parent_copy);
	free(copy);
	return ok;
}

static int key_generate(int argc, char **argv)
{
	const char *type_name = "ecdsa-p256", *out = NULL;
	char *default_path = NULL, *pub = NULL;
	el_key_type type;
	el_key *key = NULL;
	int c, ret, status = CLI_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': type_name = optarg; break;
		case 'o': out = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			return cli_usage_error("key generate", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("key generate", "%s", cli_unknown_option(argv, longopts));
		}
	}
	if (optind < argc)
		return cli_usage_error("key generate", "unexpected argument '%s'", argv[optind]);
	if (strcmp(type_name, "ecdsa-p256") == 0)
		type = EL_KEY_ECDSA_P256;
	else if (strcmp(type_name, "ed25519") == 0)
		type = EL_KEY_ED25519;
	else
		return cli_usage_error("key generate", "--type takes ecdsa-p256 or ed25519, not '%s'", type_name);
	if (!out) {
		out = default_path = el_key_default_path();
		if (!out) {
			cli_error("key generate: no home directory to keep the key in: give --out FILE or set ENVLOCK_KEY");
			return CLI_EXIT_USAGE;
		}
		if (!make_key_dir(out))
			goto done;
	}
	ret = el_key_generate(out, type);
	if (ret != EL_OK) {
		cli_error("%s", el_error_last());
		status = ret == EL_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
		goto done;
	}
	if (asprintf(&pub, "%s.pub", out) < 0) {
		pub = NULL;
		cli_error("out of memory");
		status = CLI_EXIT_FAILURE;
		goto done;
	}
	if (el_key_load_public(&key, pub) != EL_OK) {
		cli_error("%s", el_error_last());
		status = CLI_EXIT_FAILURE;
		goto done;
	}
	printf("private key: %s\npublic key: %s\nkey id: %s\n", out, pub, el_key_id(key));
	status = cli_finish_stdout(CLI_EXIT_OK);
done:
	el_key_free(key);
	free(pub);
	free(default_path);
	return status;
}

static int key_id(int argc, char **argv)
{
	char *default_path = NULL;
	const char *path;
	el_key *key = NULL;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", id_longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		default:
			return cli_usage_error("key id", "%s", cli_unknown_option(argv, id_longopts));
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("key id", "unexpected argument '%s'", argv[optind + 1]);
	path = optind < argc ? argv[optind] : (default_path = el_key_default_path());
	if (!path) {
		cli_error("key id: no home directory to find the signing key in: give FILE or set ENVLOCK_KEY");
		return CLI_EXIT_USAGE;
	}
	ret = el_key_load_public(&key, path);
	if (ret == EL_ENOTFOUND && default_path)
		no_signing_key(path);
	else if (ret != EL_OK)
		cli_error("%s", el_error_last());
	else
		printf("%s\n", el_key_id(key));
	el_key_free(key);
	free(default_path);
	return ret == EL_OK ? cli_finish_stdout(CLI_EXIT_OK) : CLI_EXIT_USAGE;
}

int cmd_key(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return cli_usage_error("key", "expects a subcommand: generate or id");
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage_text, stdout);
		return cli_finish_stdout(CLI_EXIT_OK);
	}
	if (strcmp(sub, "generate") == 0)
		return key_generate(argc - 1, argv + 1);
	if (strcmp(sub, "id") == 0)
		return key_id(argc - 1, argv + 1);
	if (sub[0] == '-')
		return cli_usage_error("key", "unknown option '%s'", sub);
	return cli_usage_error("key", "unknown subcommand '%s' (generate or id)", sub);
}
