#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/report.h"

static const char usage_text[] =
	"usage: envlock diff A B [--profile P] [--format F] [--strict]\n"
	"\n"
	"Compare two locks (two machines, two dates): what B changes from A.\n"
	"\n"
	"      --profile P    drift policy (default: the profile named in A)\n"
	"      --format F     text (default), json or github\n"
	"      --strict       warnings fail too\n"
	"      --color WHEN   colour the text report: auto (default), always or never\n"
	"  -h, --help         show this help\n"
	"\n"
	"Exit status: 0 no drift the profile refuses (warnings allowed, unless\n"
	"--strict), 1 drift, 2 bad usage or an unreadable or invalid lock or profile.\n";

static const struct option longopts[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "strict", no_argument, NULL, 's' },
	{ "color", required_argument, NULL, 'c' },
	{ "colour", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_diff(int argc, char **argv)
{
	report_options ropts = { .unicode = report_unicode_auto() };
	const char *profile_name = NULL, *color = "auto", *files[2];
	el_profile *profile = NULL;
	el_lock *a = NULL, *b = NULL;
	el_diff *diff = NULL;
	el_verdict *verdict = NULL;
	unsigned flags = 0;
	int c, nfiles = 0, status = CLI_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	/* GNU getopt moves the options first: they may follow the files, as the usage line puts them. */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': profile_name = optarg; break;
		case 's': flags |= EL_VERDICT_STRICT; break;
		case 'c': color = optarg; break;
		case 'f':
			if (!report_parse_format(optarg, &ropts.format))
				return cli_usage_error("diff", "unknown format '%s' (text, json or github)", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			return cli_usage_error("diff", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("diff", "unknown option '%s'", cli_bad_option(argv));
		}
	}
	nfiles = argc - optind;
	if (nfiles == 2) {
		files[0] = argv[optind];
		files[1] = argv[optind + 1];
	}
	if (nfiles != 2)
		return cli_usage_error("diff", nfiles > 2 ? "expects two lock files, got more" : "expects two lock files, A and B");
	if (!cli_parse_color(color, &ropts.color))
		return cli_usage_error("diff", "--color takes auto, always or never, not '%s'", color);

	if (!cli_read_lock(&a, files[0]) || !cli_read_lock(&b, files[1]) || !cli_load_profile(&profile, profile_name, a))
		goto done;
	if (el_lock_diff(&diff, a, b) != EL_OK) {
		cli_error("%s", el_error_last());
		goto done;
	}
	ropts.old_label = files[0];
	ropts.new_label = files[1];
	report_not_compared(diff, files[0], files[1]);
	ropts.annotate_file = files[1];
	if (el_drift_verdict(&verdict, diff, profile, flags) != EL_OK) {
		cli_error("%s", el_error_last());
		goto done;
	}
	if (report_drift(stdout, verdict, a, b, &ropts) == 0)
		status = el_verdict_outcome(verdict) == EL_OUTCOME_REFUSE ? CLI_EXIT_DRIFT : CLI_EXIT_OK;
done:
	el_verdict_free(verdict);
	el_diff_free(diff);
	el_lock_free(a);
	el_lock_free(b);
	el_profile_free(profile);
	return status;
}
