/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"

static const char usage_text[] =
	"usage: envlock unpack [--max-bytes N] [--max-entries N] [--max-ratio N] FILE DIR\n"
	"\n"
	"Unpack the bundle or tar archive FILE (plain, zstd, gzip, xz or bzip2)\n"
	"into the new directory DIR, which may not exist yet or be empty. Entries\n"
	"that would leave DIR, device nodes, FIFOs, set-id files and the like are\n"
	"refused; on any failure DIR is left as it was.\n"
	"\n"
	"      --max-bytes N    refuse more than N bytes of file data (default 64 GiB)\n"
	"      --max-entries N  refuse more than N entries (default 1000000)\n"
	"      --max-ratio N    refuse an archive that unpacks to more than N times\n"
	"                       its own size, past the first 64 MiB (default 200)\n"
	"  -h, --help           show this help\n"
	"\n"
	"Exit status: 0 unpacked, 1 a failure of the system (disk full), 2 bad\n"
	"usage, a missing FILE, an archive refused or over a limit, or a DIR\n"
	"that is not empty.\n";

static const struct option longopts[] = {
	{ "max-bytes", required_argument, NULL, 'b' },
	{ "max-entries", required_argument, NULL, 'e' },
	{ "max-ratio", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A limit: a whole number of at least 1, in decimal. */
static bool parse_limit(uint64_t *out, const char *text)
{
	char *end;
	unsigned long long v;

	if (!*text || *text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v == 0)
		return false;
	*out = v;
	return true;
}

int cmd_unpack(int argc, char **argv)
{
	el_unpack_limits limits = { 0 };
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		uint64_t *field = c == 'b' ? &limits.max_bytes : c == 'e' ? &limits.max_entries : &limits.max_ratio;

		switch (c) {
		case 'b':
		case 'e':
		case 'r':
			if (!parse_limit(field, optarg))
				return cli_usage_error("unpack", "--%s needs a whole number of at least 1, not '%s'",
						       c == 'b' ? "max-bytes" : c == 'e' ? "max-entries" : "max-ratio", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			return cli_usage_error("unpack", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("unpack", "%s", cli_unknown_option(argv, longopts));
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("unpack", argc - optind < 2 ? "expects an archive and a directory"
								 : "unexpected argument '%s'",
				       argv[argc - 1]);
	ret = el_unpack(argv[optind], argv[optind + 1], &limits);
	if (ret == EL_OK)
		return CLI_EXIT_OK;
	cli_error("unpack: %s", el_error_last());
	return ret == EL_EINVAL || ret == EL_ENOTFOUND ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
}
