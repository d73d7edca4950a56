/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "envlock/envlock.h"
#include "envlock/record.h"

#include "cli/cli.h"
#include "cli/report.h"

static const char usage_text[] =
	"usage: envlock diff A B [--profile P] [--format F] [--strict] [--stat]\n"
	"       envlock diff --job JOB.json NODE [NODE_B] [options]\n"
	"\n"
	"Compare two locks (two machines, two dates): what B changes from A.\n"
	"With --job, the captures the nodes of a Slurm step saved (srun --envlock\n"
	"--envlock-record): NODE_B's against NODE's, or NODE's against the lock the\n"
	"step ran with.\n"
	"\n"
	"      --job FILE     a job record (DIR/job-J.S.json); the arguments name nodes\n"
	"      --profile P    drift policy (default: the profile named in A, or the\n"
	"                     one the job record names)\n"
	"      --format F     text (default), json, github or junit\n"
	"      --strict       warnings fail too\n"
	"      --stat         how many leaves each section added, removed and changed,\n"
	"                     in place of the findings\n"
	"      --color WHEN   colour the text report: auto (default), always or never\n"
	"  -h, --help         show this help\n"
	"\n"
	"Exit status: 0 no drift the profile refuses (warnings allowed, unless\n"
	"--strict), 1 drift, 2 bad usage or an unreadable or invalid lock or profile.\n";

static const struct option longopts[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "job", required_argument, NULL, 'j' },
	{ "format", required_argument, NULL, 'f' },
	{ "strict", no_argument, NULL, 's' },
	{ "stat", no_argument, NULL, 'S' },
	{ "color", required_argument, NULL, 'c' },
	{ "colour", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * --stat: per section, how many leaves B added, removed and changed, then
 * the totals, as a table (the findings come in document order: a
 * section's are together). 0, or -1 when stdout failed.
 */
static int print_stat(const el_diff *diff)
{
	size_t total[3] = { 0, 0, 0 }, i = 0;

	printf("%-12s %7s %7s %7s\n", "section", "added", "removed", "changed");
	while (i < diff->count) {
		const char *section = diff->findings[i].section;
		size_t counts[3] = { 0, 0, 0 };

		for (; i < diff->count && strcmp(diff->findings[i].section, section) == 0; i++) {
			el_drift_kind kind = diff->findings[i].kind;

			counts[kind == EL_DRIFT_ADDED ? 0 : kind == EL_DRIFT_REMOVED ? 1 : 2]++;
		}
		printf("%-12s %7zu %7zu %7zu\n", section, counts[0], counts[1], counts[2]);
		for (int k = 0; k < 3; k++)
			total[k] += counts[k];
	}
	printf("%-12s %7zu %7zu %7zu\n", "total", total[0], total[1], total[2]);
	return cli_finish_stdout(0) == 0 ? 0 : -1;
}

/*
 * A lock a job record names (a node's capture, the step's lock). The record
 * and its directory are the job's to write: a link planted there could name
 * any file, so what is wrong with one is said without quoting what it holds.
 */
static bool read_named(el_lock **out, const char *path, const char *job_path)
{
	if (el_lock_read_file(out, path) == EL_OK)
		return true;
	el_error_clear();
	cli_error("%s: %s cannot be read as a lock", job_path, path);
	return false;
}

/* A node's capture in the job record, or NULL after saying why. */
static const char *node_capture(const el_job_record *job, const char *job_path, const char *name)
{
	const el_job_node *node = el_job_record_node(job, name);

	if (!node) {
		cli_error("%s: no node %s in the step", job_path, name);
		return NULL;
	}
	if (!node->capture)
		cli_error("%s: node %s saved no capture", job_path, name);
	return node->capture;
}

/* The two locks --job NODE [NODE_B] names: NODE's capture against the step's lock, or NODE_B's against NODE's. */
static bool job_files(el_job_record **job, const char *job_path, char **nodes, int count, const char *files[2])
{
	if (el_job_record_read(job, job_path) != EL_OK) {
		cli_error("%s", el_error_last());
		return false;
	}
	if (count == 1) {
		if (!(*job)->lock_path) {
			cli_error("%s: the step's lock is not known; name two nodes", job_path);
			return false;
		}
		files[0] = (*job)->lock_path;
		return (files[1] = node_capture(*job, job_path, nodes[0])) != NULL;
	}
	return (files[0] = node_capture(*job, job_path, nodes[0])) && (files[1] = node_capture(*job, job_path, nodes[1]));
}

int cmd_diff(int argc, char **argv)
{
	report_options ropts = { .unicode = report_unicode_auto() };
	const char *profile_name = NULL, *color = "auto", *files[2], *job_path = NULL;
	el_job_record *job = NULL;
	el_profile *profile = NULL;
	el_lock *a = NULL, *b = NULL;
	el_diff *diff = NULL;
	el_verdict *verdict = NULL;
	unsigned flags = 0;
	bool stat = false;
	int c, nfiles = 0, status = CLI_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	/* GNU getopt moves the options first: they may follow the files, as the usage line puts them. */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': profile_name = optarg; break;
		case 'j': job_path = optarg; break;
		case 's': flags |= EL_VERDICT_STRICT; break;
		case 'S': stat = true; break;
		case 'c': color = optarg; break;
		case 'f':
			if (!report_parse_format(optarg, &ropts.format))
				return cli_usage_error("diff", "unknown format '%s' (text, json, github or junit)", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			return cli_usage_error("diff", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("diff", "%s", cli_unknown_option(argv, longopts));
		}
	}
	nfiles = argc - optind;
	if (job_path && (nfiles < 1 || nfiles > 2))
		return cli_usage_error("diff", "--job expects one node or two (NODE [NODE_B])");
	if (!job_path && nfiles != 2)
		return cli_usage_error("diff", nfiles > 2 ? "expects two lock files, got more" : "expects two lock files, A and B");
	if (!cli_parse_color(color, &ropts.color))
		return cli_usage_error("diff", "--color takes auto, always or never, not '%s'", color);
	if (ropts.format == REPORT_GITHUB)
		cli_errors_as_github();
	if (job_path) {
		if (!job_files(&job, job_path, argv + optind, nfiles, files))
			goto done;
		/*
		 * A job record lies where the job could write: it may name a
		 * profile, never a file to read (a parse error would quote it).
		 */
		if (!profile_name && job->profile && !el_profile_name_valid(job->profile)) {
			cli_error("%s: the step's profile is a file (%s): name it with --profile", job_path, job->profile);
			goto done;
		}
		if (!profile_name)
			profile_name = job->profile;
	} else {
		files[0] = argv[optind];
		files[1] = argv[optind + 1];
	}

	if (job ? !read_named(&a, files[0], job_path) || !read_named(&b, files[1], job_path)
		: !cli_read_lock(&a, files[0]) || !cli_read_lock(&b, files[1]))
		goto done;
	if (!cli_load_profile(&profile, profile_name, a))
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
	if ((stat ? print_stat(diff) : report_drift(stdout, verdict, a, b, &ropts)) == 0)
		status = el_verdict_outcome(verdict) == EL_OUTCOME_REFUSE ? CLI_EXIT_DRIFT : CLI_EXIT_OK;
done:
	el_verdict_free(verdict);
	el_diff_free(diff);
	el_lock_free(a);
	el_lock_free(b);
	el_profile_free(profile);
	el_job_record_free(job);
	return status;
}
