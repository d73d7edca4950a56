/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/progress.h"

static const char usage_text[] =
	"usage: envlock pack [--no-data] [--quiet] RUN.json -o FILE\n"
	"\n"
	"Pack a run recorded with exec --record --trace into one file that carries\n"
	"it to another machine: the record, its lock and profile, the code (git's\n"
	"files at the recorded commit), the declared data, and every file the run\n"
	"opened outside its working directory, as a root tree stored by content.\n"
	"A zstd-compressed tar: the same run packed twice gives the same bytes, and\n"
	"`tar --zstd -tvf FILE` lists it. Each file must still be what the run used.\n"
	"Prints the bundle's SHA-256, its name.\n"
	"\n"
	"  -o, --output FILE  the bundle to write (replaced atomically)\n"
	"      --no-data      leave the declared data out; its digests still travel,\n"
	"                     to be checked where the bundle runs\n"
	"  -q, --quiet        no progress line (shown on a terminal, for 64 MiB or more)\n"
	"  -h, --help         show this help\n"
	"\n"
	"Exit status: 0 packed, 1 a failure of the system (disk full), 2 bad usage,\n"
	"a record that cannot be read or was not traced, or a file that changed\n"
	"since the run.\n";

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "no-data", no_argument, NULL, 'D' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_pack(int argc, char **argv)
{
	el_pack_options opts = { 0 };
	cli_progress progress;
	bool quiet = false;
	char sha256[65];
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				return cli_usage_error("pack", "%s", "--output needs a file");
			opts.output = optarg;
			break;
		case 'D': opts.no_data = true; break;
		case 'q': quiet = true; break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			return cli_usage_error("pack", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("pack", "%s", cli_unknown_option(argv, longopts));
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("pack", argc - optind < 1 ? "expects a run record" : "unexpected argument '%s'",
				       argv[argc - 1]);
	if (!opts.output)
		return cli_usage_error("pack", "%s", "-o FILE is needed: where the bundle goes");
	opts.record = argv[optind];
	cli_progress_init(&progress, quiet);
	opts.progress = cli_progress_report;
	opts.progress_data = &progress;
	ret = el_pack(&opts, sha256);
	cli_progress_end(&progress);
	if (ret != EL_OK) {
		cli_error("pack: %s", el_error_last());
		return ret == EL_EINVAL || ret == EL_ENOTFOUND ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
	}
	printf("sha256:%s\n", sha256);
	return cli_finish_stdout(CLI_EXIT_OK);
}
