/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/envlock.h"

#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "cli/signing.h"

static const char usage_text[] =
	"usage: envlock check [--lock FILE] [--profile P] [--format F] [--strict] [--python EXE]\n"
	"                     [--save-capture FILE] [--quiet] [--require-signed] [--trust PUBKEY]...\n"
	"\n"
	"Capture this machine now and report where it has drifted from the lock.\n"
	"\n"
	"  -l, --lock FILE    the lock to check against (default: env.lock here or in\n"
	"                     the nearest directory above, up to the repository root)\n"
	"      --profile P    drift policy (default: the profile named in the lock)\n"
	"      --format F     text (default), json, github or junit\n"
	"      --strict       warnings fail too\n"
	"      --color WHEN   colour the text report: auto (default), always or never\n"
	"      --python EXE   the Python interpreter to compare (default: the lock's)\n"
	"  -q, --quiet        no progress line while data is hashed (shown on a\n"
	"                     terminal, for 64 MiB or more to read)\n"
	"      --save-capture FILE\n"
	"                     also write what this machine is now, as a lock, to FILE\n"
	"                     (atomically): for envlock diff against the lock, later\n"
	CLI_SIGNING_HELP
	"  -h, --help         show this help\n"
	"\n"
	"Exit status: 0 no drift the profile refuses (warnings allowed, unless\n"
	"--strict), 1 drift, 2 bad usage or an unreadable or invalid lock or profile,\n"
	"or a lock no trusted key signed when signatures are required.\n";

static const struct option longopts[] = {
	{ "lock", required_argument, NULL, 'l' },
	{ "profile", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "strict", no_argument, NULL, 's' },
	{ "color", required_argument, NULL, 'c' },
	{ "colour", required_argument, NULL, 'c' },
	{ "python", required_argument, NULL, 'P' },
	{ "save-capture", required_argument, NULL, 'S' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "require-signed", no_argument, NULL, CLI_OPT_REQUIRE_SIGNED },
	{ "trust", required_argument, NULL, CLI_OPT_TRUST },
	{ "key", required_argument, NULL, CLI_OPT_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_check(int argc, char **argv)
{
	report_options ropts = { .old_label = "env.lock", .new_label = "this machine", .unicode = report_unicode_auto() };
	el_capture_options copts = { .warn = cli_print_warning, .env = cli_environment() };
	const char *lock_path = NULL, *profile_name = NULL, *color = "auto", *save_capture = NULL;
	el_profile *profile = NULL;
	el_lock *lock = NULL, *now = NULL;
	el_diff *diff = NULL;
	el_verdict *verdict = NULL;
	unsigned flags = 0;
	bool quiet = false;
	cli_signing signing;
	char *hint = NULL, *found = NULL, *unmet = NULL, *lock_dir = NULL;
	int c, status = CLI_EXIT_USAGE;

	if (!cli_signing_init(&signing, argc))
		return CLI_EXIT_USAGE;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:l:qh", longopts, NULL)) != -1) {
		if (cli_signing_option(&signing, c, optarg))
			continue;
		switch (c) {
		case 'l': lock_path = optarg; break;
		case 'p': profile_name = optarg; break;
		case 's': flags |= EL_VERDICT_STRICT; break;
		case 'c': color = optarg; break;
		case 'P': copts.python = optarg; break;
		case 'S': save_capture = optarg; break;
		case 'q': quiet = true; break;
		case 'f':
			if (!report_parse_format(optarg, &ropts.format)) {
				status = cli_usage_error("check", "unknown format '%s' (text, json, github or junit)", optarg);
				goto done;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = cli_finish_stdout(CLI_EXIT_OK);
			goto done;
		case ':':
			status = cli_usage_error("check", "option '%s' needs a value", argv[optind - 1]);
			goto done;
		default:
			status = cli_usage_error("check", "%s", cli_unknown_option(argv, longopts));
			goto done;
		}
	}
	if (optind < argc) {
		status = cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
		goto done;
	}
	if (!cli_parse_color(color, &ropts.color)) {
		status = cli_usage_error("check", "--color takes auto, always or never, not '%s'", color);
		goto done;
	}
	if (ropts.format == REPORT_GITHUB)
		cli_errors_as_github();

	if (!lock_path && !cli_find_lock(&found, "check", ""))
		goto done;
	if (found)
		lock_path = found;
	if (!cli_read_lock(&lock, lock_path) || !cli_load_profile(&profile, profile_name, lock))
		goto done;
	/* Only a profile the user named decides how the lock is judged, not one the lock names. */
	signing.policy = profile_name ? profile : NULL;
	cli_signing_note_unnamed(&signing, profile);
	if (!cli_signing_check_lock(&signing, "check", lock_path, lock))
		goto done;
	/* The lock's data paths, its code and pyenv's .python-version: where the lock lies. */
	if (!(lock_dir = cli_lock_dir(lock_path)))
		goto done;
	copts.workdir = lock_dir;
	/*
	 * Every section capture probes, not just those the lock has: a
	 * component that appeared since (a GPU on a node locked on a CPU-only
	 * one) is drift too. The thread pins keep the lock's count, so that
	 * only a machine with fewer CPUs than that shows (at "threads").
	 */
	copts.profile = profile;
	copts.checking = lock;
	if (cli_capture_shown(&now, &copts, quiet) != EL_OK) {
		cli_error("%s", el_error_last());
		goto done;
	}
	/* Before the report: a failed write is a failed check, whatever it found. */
	if (save_capture && el_lock_write_file(now, save_capture) != EL_OK) {
		cli_error("%s", el_error_last());
		goto done;
	}
	if (el_lock_diff(&diff, lock, now) != EL_OK) {
		cli_error("%s", el_error_last());
		goto done;
	}
	ropts.old_label = lock_path;
	ropts.annotate_file = lock_path;
	report_not_compared(diff, lock_path, "this machine");
	ropts.hint = hint = cli_relock_hint(profile, lock, lock_path, copts.python);
	if (el_profile_unmet(&unmet, profile, now) != EL_OK) {
		cli_error("out of memory");
		goto done;
	}
	ropts.unmet = unmet;
	if (el_drift_verdict(&verdict, diff, profile, flags) != EL_OK ||
	    el_verdict_explain_data(verdict, copts.cache_dir) != EL_OK) {
		cli_error("%s", el_error_last());
		goto done;
	}
	if (report_drift(stdout, verdict, lock, now, &ropts) == 0)
		status = el_verdict_outcome(verdict) == EL_OUTCOME_REFUSE || unmet ? CLI_EXIT_DRIFT : CLI_EXIT_OK;
done:
	el_verdict_free(verdict);
	free(hint);
	free(found);
	free(unmet);
	free(lock_dir);
	el_diff_free(diff);
	el_lock_free(now);
	el_lock_free(lock);
	el_profile_free(profile);
	cli_signing_free(&signing);
	return status;
}
