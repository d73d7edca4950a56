/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/trust.h"

static const char usage_text[] =
	"usage: envlock verify [--trust PUBKEY]... [--key FILE] FILE...\n"
	"\n"
	"Check that FILE.sig signs exactly FILE's bytes, by a trusted key.\n"
	"\n"
	"      --trust PUBKEY  trust this key (a public or private key file);\n"
	"                      may be given more than once\n"
	"      --key FILE      without --trust, trust this signing key's public\n"
	"                      half (FILE.pub, else FILE; default: the signing\n"
	"                      key, as 'envlock sign' finds it)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 all verified, 1 a FILE unsigned, changed since it was\n"
	"signed, or signed by no trusted key, 2 bad usage, a missing FILE, a\n"
	"malformed FILE.sig, or no trusted key.\n";

static const struct option longopts[] = {
	{ "trust", required_argument, NULL, 't' },
	{ "key", required_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The file whose signature is checked: at most as large as envlock signs. */
#define FILE_MAX (16u << 20)

/* FILE's bytes, for free(); false after printing why. */
static bool read_file(char **out, size_t *len, const char *path)
{
	struct stat st;
	size_t size = 0, cap = 0;
	char *buf = NULL, *grown;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		cli_error("%s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		cli_error("%s: not a regular file", path);
		close(fd);
		return false;
	}
	do {
		if (size == cap) {
			cap = cap ? cap * 2 : (size_t)st.st_size + 1;
			if (cap > FILE_MAX + 1)
				cap = FILE_MAX + 1;
			if (size == cap || !(grown = realloc(buf, cap))) {
				cli_error(size == cap ? "%s: larger than 16 MiB" : "%s: out of memory", path);
				free(buf);
				close(fd);
				return false;
			}
			buf = grown;
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return false;
		}
		size += (size_t)n;
	} while (n > 0);
	close(fd);
	*out = buf;
	*len = size;
	return true;
}

int cmd_verify(int argc, char **argv)
{
	const char *key_path = NULL;
	char **trust = calloc((size_t)argc, sizeof(*trust));
	size_t ntrust = 0, nkeys = 0;
	el_key **keys = NULL;
	int c, status = CLI_EXIT_USAGE;

	if (!trust) {
		cli_error("out of memory");
		return CLI_EXIT_FAILURE;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': trust[ntrust++] = optarg; break;
		case 'k': key_path = optarg; break;
		case 'h':
			free(trust);
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			free(trust);
			return cli_usage_error("verify", "option '%s' needs a value", argv[optind - 1]);
		default:
			free(trust);
			return cli_usage_error("verify", "%s", cli_unknown_option(argv, longopts));
		}
	}
	if (optind == argc) {
		free(trust);
		return cli_usage_error("verify", "expects the files to verify");
	}
	if (!cli_trust_load(&keys, &nkeys, trust, ntrust, key_path, "verify"))
		goto done;
	status = CLI_EXIT_OK;
	for (int i = optind; i < argc; i++) {
		char keyid[EL_KEYID_SIZE], *text = NULL;
		const char *type;
		size_t len = 0;
		int ret;

		if (!read_file(&text, &len, argv[i])) {
			status = CLI_EXIT_USAGE;
			continue;
		}
		/* The type FILE's content calls for: a lock's signature does not pass for a record's. */
		type = el_dsse_type_of(text, len);
		if (!type) {
			cli_error("%s: neither a lock nor a run record", argv[i]);
			free(text);
			status = CLI_EXIT_USAGE;
			continue;
		}
		ret = el_verify_file(argv[i], text, len, type, keys, nkeys, keyid);
		free(text);
		if (ret == EL_OK) {
			printf("%s: verified (key %s)\n", argv[i], keyid);
			continue;
		}
		cli_error("%s", el_error_last());
		if (ret == EL_ENOTFOUND || ret == EL_EUNTRUSTED) {
			if (status == CLI_EXIT_OK)
				status = CLI_EXIT_UNVERIFIED;
		} else {
			status = CLI_EXIT_USAGE;
		}
	}
	status = cli_finish_stdout(status);
done:
	cli_trust_free(keys, nkeys);
	free(trust);
	return status;
}
