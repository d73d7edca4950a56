/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "envlock/envlock.h"

#include "cli/cli.h"

static const char usage_text[] =
	"usage: envlock sign [--key FILE] FILE...\n"
	"\n"
	"Sign locks and run records: FILE.sig beside each FILE, a DSSE envelope\n"
	"that holds FILE's bytes and the signature over them. An existing\n"
	"FILE.sig is replaced. 'envlock verify' checks it, and so can openssl\n"
	"(see README.md).\n"
	"\n"
	"      --key FILE  the private key (default: $ENVLOCK_KEY, else\n"
	"                  $XDG_CONFIG_HOME/envlock/signing-key.pem, else\n"
	"                  ~/.config/envlock/signing-key.pem; make one with\n"
	"                  'envlock key generate')\n"
	"  -h, --help      show this help\n"
	"\n"
	"Exit status: 0 all signed, 1 runtime failure, 2 bad usage, a missing or\n"
	"unreadable key, or a FILE that is missing or neither a lock nor a run\n"
	"record.\n";

static const struct option longopts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_sign(int argc, char **argv)
{
	const char *key_path = NULL;
	char *default_path = NULL;
	el_key *key = NULL;
	int c, ret, status = CLI_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': key_path = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			return cli_usage_error("sign", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("sign", "%s", cli_unknown_option(argv, longopts));
		}
	}
	if (optind == argc)
		return cli_usage_error("sign", "expects the files to sign");
	if (!key_path && !(key_path = default_path = el_key_default_path())) {
		cli_error("sign: no home directory to find the signing key in: give --key FILE or set ENVLOCK_KEY");
		return CLI_EXIT_USAGE;
	}
	ret = el_key_load_private(&key, key_path);
	if (ret == EL_ENOTFOUND)
		cli_error("no signing key at %s (make one with 'envlock key generate')", key_path);
	else if (ret != EL_OK)
		cli_error("%s", el_error_last());
	if (ret != EL_OK)
		goto done;
	/* Each file on its own: one that cannot be signed does not stop the others. */
	status = CLI_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		ret = el_sign_file(argv[i], key);
		if (ret == EL_OK) {
			printf("signed %s: %s.sig (key %s)\n", argv[i], argv[i], el_key_id(key));
			continue;
		}
		cli_error("%s", el_error_last());
		if (ret == EL_EINVAL || ret == EL_ENOTFOUND)
			status = CLI_EXIT_USAGE;
		else if (status == CLI_EXIT_OK)
			status = CLI_EXIT_FAILURE;
	}
	status = cli_finish_stdout(status);
done:
	el_key_free(key);
	free(default_path);
	return status;
}
