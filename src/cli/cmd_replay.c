/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envlock replay: re-run recorded runs under their lock and profile, in
 * the sandbox, on an overlay of their working directory (replay_run.c),
 * and say for each output whether it came out bit for bit the same.
 * Records that share a lock are checked against this machine once;
 * independent records run in parallel (-j), those that write the same
 * output one after the other, in the order given.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envlock/envlock.h"
#include "envlock/record.h"

#include "cli/cli.h"
#include "cli/exec_record.h"
#include "cli/exec_run.h"
#include "cli/exec_scratch.h"
#include "cli/replay_bundle.h"
#include "cli/replay_guard.h"
#include "cli/replay_launch.h"
#include "cli/replay_run.h"
#include "cli/report.h"
#include "cli/signing.h"

static const char usage_text[] =
	"usage: envlock replay [options] RUN.json...\n"
	"       envlock replay [options] --launcher srun JOB.json\n"
	"       envlock replay [--on-drift WHAT] [--ro-bind SRC:DEST]... --bundle FILE\n"
	"\n"
	"Run each recorded command again, in the sandbox, under the lock and the\n"
	"profile it ran with, and compare its outputs with the record bit for bit.\n"
	"The command runs on an overlay of its working directory: what it writes\n"
	"never reaches the host, so the recorded outputs stay as they are (where the\n"
	"kernel has no overlay for it, on a copy of the working directory, said on\n"
	"stderr). Records that share a lock are checked against this machine once.\n"
	"\n"
	"A record lies where its run could write, so replay takes nothing from it\n"
	"that widens what the replay sees or runs: the working directory must hold\n"
	"the record (or a directory above it in its repository), outputs lie inside\n"
	"it, the lock is its env.lock, the profile is a name; anything else must be\n"
	"confirmed with the options below, which the refusal names.\n"
	"\n"
	"      --bundle FILE   replay the run a bundle carries (envlock pack), in the\n"
	"                      bundle: its root tree, a scratch copy of its code, its\n"
	"                      lock and profile; the drift check judges only what the\n"
	"                      bundle cannot carry (kernel, CPU, GPU driver); data it\n"
	"                      was packed without is bound with --ro-bind SRC:PATH\n"
	"                      and checked against the run's digest first\n"
	"      --launcher srun replay a Slurm step from its job record (srun --envlock\n"
	"                      --envlock-record DIR wrote DIR/job-J.S.json): srun starts\n"
	"                      each rank again on the node it ran on, and each replays\n"
	"                      its own run record with the options given here\n"
	"      --job-rank JOB.json\n"
	"                      what each task of --launcher srun runs: replay the rank\n"
	"                      SLURM_PROCID names\n"
	"  -j, --jobs N        replay up to N records at once (records that write the\n"
	"                      same output still run one after the other); default 1\n"
	"      --on-drift WHAT refuse (default): a record whose lock this machine has\n"
	"                      drifted from is not replayed; warn: replay it anyway\n"
	"      --keep DIR      copy the replay's outputs into DIR (made if missing) to\n"
	"                      look at them; with several records, into DIR/NAME for\n"
	"                      each NAME.json\n"
	"  -C, --workdir DIR   allow records whose working directory is DIR\n"
	"      --lock FILE     allow records checked against the lock FILE\n"
	"      --python EXE    allow records whose drift check ran the interpreter EXE\n"
	"      --profile P     allow records made with the profile file P; its\n"
	"                      require-signed and trust apply (a record's own do not)\n"
	"      --bind SRC[:DEST], --ro-bind SRC[:DEST], --tmpfs DEST\n"
	"                      allow records that had this mount\n"
	"      --require-signed  replay only records (and locks) a trusted key signed;\n"
	"                      a signed record may name its lock, interpreter and\n"
	"                      profile file without the options above\n"
	"      --trust PUBKEY  trust this public key's signatures (repeatable; with\n"
	"                      none, and none in a --profile, the signing key's)\n"
	"      --key FILE      the signing key (default: $ENVLOCK_KEY, else\n"
	"                      ~/.config/envlock/signing-key.pem)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 every output of every record reproduced, with the recorded\n"
	"exit status; 1 something differs or could not be replayed; 2 bad usage or a\n"
	"record that cannot be read, is refused, or (when signatures are required)\n"
	"that no trusted key signed.\n";

static const struct option longopts[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "on-drift", required_argument, NULL, 'd' },
	{ "keep", required_argument, NULL, 'k' },
	{ "bundle", required_argument, NULL, 'B' },
	{ "launcher", required_argument, NULL, 'L' },
	{ "job-rank", required_argument, NULL, 'R' },
	{ "workdir", required_argument, NULL, 'C' },
	{ "lock", required_argument, NULL, 'l' },
	{ "python", required_argument, NULL, 'P' },
	{ "profile", required_argument, NULL, 'p' },
	{ "bind", required_argument, NULL, 'b' },
	{ "ro-bind", required_argument, NULL, 'r' },
	{ "tmpfs", required_argument, NULL, 't' },
	{ "require-signed", no_argument, NULL, CLI_OPT_REQUIRE_SIGNED },
	{ "trust", required_argument, NULL, CLI_OPT_TRUST },
	{ "key", required_argument, NULL, CLI_OPT_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One record to replay. */
typedef struct job {
	const char *file;
	char *text;           /* the record's bytes, as read (and verified) */
	size_t len;
	el_record *record;
	el_lock *lock;        /* its group's, shared; NULL without a lock */
	el_profile *profile;  /* its group's, shared */
	bool refused;         /* its group cannot be replayed (drift, changed lock): said already */
	bool leader;          /* frees the group's lock and profile */
	pid_t pid;            /* while it runs */
	bool done;
	int status;           /* exec's status of the replayed run */
	int results_fd;       /* what its process found (replay_run.h), or -1 */
	char *keep_sub;       /* its directory in --keep's ("" for DIR itself) */
} job;

typedef struct replay {
	job *jobs;
	size_t count;
	unsigned parallel;
	el_severity on_drift; /* refuse or warn */
	size_t reproduced, differed;
	const char *keep;     /* --keep DIR, or NULL */
	int keep_fd;
	bool keep_failed;     /* something could not be kept: exit 1 */
	bool said_overlay;    /* the fallback to a copy is said once */
	cli_signing signing;
	bool unsigned_refused; /* a signature the profile requires failed: exit 2 */
} replay;

/* The lock a group of records ran with: the same file, unchanged since. */
static bool load_group_lock(job *j)
{
	const el_record *r = j->record;

	if (!r->lock_path)
		return true;
	if (el_lock_read_file(&j->lock, r->lock_path) != EL_OK) {
		cli_error("replay: %s: its lock %s", j->file, el_error_last());
		return false;
	}
	if (strcmp(el_lock_stored_fingerprint(j->lock), r->lock_fingerprint) != 0) {
		cli_error("replay: %s: not replayed: %s changed since the run (fingerprint %s, recorded %s)", j->file,
			  r->lock_path, el_lock_stored_fingerprint(j->lock), r->lock_fingerprint);
		return false;
	}
	return true;
}

/* This machine against the group's lock, once; false when the drift refuses it. */
static bool check_group(job *j, el_severity on_drift)
{
	report_options ropts = { .old_label = j->record->lock_path, .new_label = "this machine",
				 .unicode = report_unicode_auto(), .format = REPORT_TEXT };
	el_verdict *verdict = NULL;
	el_capture_options copts = { .warn = cli_print_warning, .env = cli_environment(), .profile = j->profile, .python = j->record->python,
				     .checking = j->lock };
	el_lock *now = NULL;
	el_diff *diff = NULL;
	char *dir = cli_lock_dir(j->record->lock_path);
	bool refuse = false;

	/* The lock's data paths are relative to where it lies. */
	copts.workdir = dir;
	if (!dir || el_capture(&now, &copts) != EL_OK || el_lock_diff(&diff, j->lock, now) != EL_OK) {
		if (dir)
			cli_error("replay: %s", el_error_last());
		el_lock_free(now);
		free(dir);
		return false;
	}
	free(dir);
	report_not_compared(diff, j->record->lock_path, "this machine");
	if (el_drift_verdict(&verdict, diff, j->profile, 0) != EL_OK) {
		cli_error("replay: %s", el_error_last());
		refuse = true;
	} else if (diff->count > 0) {
		ropts.color = report_color_auto(STDERR_FILENO);
		if (report_drift(stderr, verdict, j->lock, now, &ropts) != 0) {
			refuse = true;
		} else if (el_verdict_outcome(verdict) == EL_OUTCOME_REFUSE && on_drift == EL_SEVERITY_WARN) {
			cli_error("replay: replaying despite the drift (--on-drift warn)");
		} else if (el_verdict_outcome(verdict) == EL_OUTCOME_REFUSE) {
			cli_error("replay: not replaying the runs of %s: this machine has drifted from it "
				  "(--on-drift warn replays anyway)", j->record->lock_path);
			refuse = true;
		}
	}
	el_verdict_free(verdict);
	el_diff_free(diff);
	el_lock_free(now);
	return !refuse;
}

static bool same_text(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* The same environment check: the same lock file and fingerprint, profile and interpreter. */
static bool same_lock(const el_record *a, const el_record *b)
{
	if (!same_text(a->python, b->python))
		return false;
	if (!a->lock_fingerprint || !b->lock_fingerprint)
		return !a->lock_fingerprint && !b->lock_fingerprint && strcmp(a->profile, b->profile) == 0;
	return strcmp(a->lock_fingerprint, b->lock_fingerprint) == 0 && strcmp(a->lock_path, b->lock_path) == 0 &&
	       strcmp(a->profile, b->profile) == 0;
}

/* With signatures required, the group's lock too (its records were verified when they were read). */
static bool signed_as_required(replay *rp, const job *leader)
{
	if (!cli_signing_required(&rp->signing) || !leader->lock)
		return true;
	return cli_signing_check_lock(&rp->signing, "replay", leader->record->lock_path, leader->lock);
}

/* Group the records by lock (and profile); check each group once. */
static bool prepare_groups(replay *rp)
{
	for (size_t i = 0; i < rp->count; i++) {
		job *j = &rp->jobs[i];
		size_t g;

		for (g = 0; g < i && !same_lock(rp->jobs[g].record, j->record); g++)
			;
		if (g < i) {
			j->lock = rp->jobs[g].lock;
			j->profile = rp->jobs[g].profile;
			j->refused = rp->jobs[g].refused;
			continue;
		}
		j->leader = true;
		if (!load_group_lock(j)) {
			j->refused = true;
			continue;
		}
		if (el_profile_load(&j->profile, j->record->profile) != EL_OK) {
			cli_error("replay: %s: profile %s", j->file, el_error_last());
			j->refused = true;
			continue;
		}
		if (!signed_as_required(rp, j)) {
			j->refused = true;
			rp->unsigned_refused = true;
			continue;
		}
		if (j->lock && !check_group(j, rp->on_drift))
			j->refused = true;
		if (!j->lock)
			cli_print_warning(NULL, "replay", "a run without a lock: its environment is not checked");
	}
	return true;
}

/* The host path of an output of a record, for telling whether two runs write the same file. */
static char *output_path(const el_record *r, const char *output)
{
	char *path;

	if (output[0] == '/')
		return strdup(output);
	return asprintf(&path, "%s/%s", r->workdir, output) < 0 ? NULL : path;
}

static bool writes_same(const el_record *a, const el_record *b)
{
	bool same = false;

	for (size_t i = 0; i < a->output_count && !same; i++) {
		char *pa = output_path(a, a->outputs[i].path);

		for (size_t k = 0; pa && k < b->output_count && !same; k++) {
			char *pb = output_path(b, b->outputs[k].path);

			same = !pb || strcmp(pa, pb) == 0;
			free(pb);
		}
		same = same || !pa;
		free(pa);
	}
	/* The same working directory with no outputs named: assume they share it. */
	return same || (strcmp(a->workdir, b->workdir) == 0 && (!a->output_count || !b->output_count));
}

/* In the forked child: the recorded run again, without a second drift check. */
__attribute__((noreturn)) static void run_child(const replay *rp, const job *j)
{
	replay_run r = { .file = j->file, .record = j->record, .lock = j->lock, .profile = j->profile,
			 .keep_fd = rp->keep ? rp->keep_fd : -1, .keep_sub = j->keep_sub, .results_fd = j->results_fd };

	/* If replay dies, so does this run (and its sandbox with it). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	_exit(replay_run_record(&r));
}

/* What the job's process wrote (replay_run.h), as a NUL-terminated text; NULL when none. */
static char *read_results(const job *j)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = j->results_fd >= 0 ? open_memstream(&text, &len) : NULL;
	char buf[4096];
	ssize_t n;

	if (!f || lseek(j->results_fd, 0, SEEK_SET) != 0) {
		if (f)
			fclose(f);
		free(text);
		return NULL;
	}
	while ((n = read(j->results_fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, f);
	fclose(f);
	return text;
}

/* The next line of *p (cut there), or NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = line + strlen(line);
	}
	return line;
}

/* Compare the outputs with the record and say it. True when everything reproduced. */
static bool report_job(replay *rp, const job *j)
{
	const el_record *r = j->record;
	bool same = j->status == r->exit_status;
	char *results = read_results(j), *p = results, *line = next_line(&p);

	/* Said once for the whole replay, though every record fell back. */
	if (line && strncmp(line, "overlay ", 8) == 0) {
		if (!rp->said_overlay)
			cli_error("replay: overlayfs is not available here (%s): replaying on a copy of the working directory",
				  line + 8);
		rp->said_overlay = true;
		line = next_line(&p);
	}
	printf("%s: %s\n", j->file, r->argv[0]);
	if (j->status != r->exit_status)
		printf("  differs     exit status: recorded %d, now %d\n", r->exit_status, j->status);
	for (size_t i = 0; i < r->output_count; i++) {
		const el_record_output *o = &r->outputs[i];
		const char *now = line && strcmp(line, "!") != 0 && strncmp(line, "kept", 4) != 0 ? line : NULL;
		char *name = el_printable_text(o->path);

		if (!now) {
			printf("  differs     %s: cannot be hashed now\n", name ? name : "?");
			same = false;
		} else if (strcmp(now, o->sha256) == 0) {
			printf("  reproduced  %s  %s%s\n", name ? name : "?", *now ? "sha256:" : "", *now ? now : "(absent, as recorded)");
		} else {
			printf("  differs     %s: recorded %s%s, now %s%s\n", name ? name : "?", *o->sha256 ? "sha256:" : "",
			       *o->sha256 ? o->sha256 : "(absent)", *now ? "sha256:" : "", *now ? now : "(absent)");
			same = false;
		}
		free(name);
		if (line && strncmp(line, "kept", 4) != 0)
			line = next_line(&p);
	}
	printf("  %s\n", same ? "reproduced bit for bit" : "NOT reproduced");
	if (rp->keep && line && strncmp(line, "kept ", 5) == 0 && strcmp(line, "kept 0") != 0)
		printf("  outputs kept in %s%s%s\n", rp->keep, *j->keep_sub ? "/" : "", j->keep_sub);
	else if (rp->keep && !(line && strncmp(line, "kept ", 5) == 0))
		rp->keep_failed = true;
	fflush(stdout);
	free(results);
	return same;
}

/*
 * Where a record's results come back (an anonymous file, read once its
 * process ended), and its directory under --keep: DIR itself for one
 * record, else the record's file name without ".json" (a name met before
 * gets "-2", "-3"...).
 */
static bool prepare_job(replay *rp, size_t i)
{
	job *j = &rp->jobs[i];
	const char *base = strrchr(j->file, '/') ? strrchr(j->file, '/') + 1 : j->file;
	size_t len = strlen(base), n = 1;

	j->results_fd = memfd_create("envlock-replay", MFD_CLOEXEC);
	if (j->results_fd < 0) {
		cli_error("replay: %s: %s", j->file, strerror(errno));
		return false;
	}
	if (len > 5 && strcmp(base + len - 5, ".json") == 0)
		len -= 5;
	if (rp->count == 1)
		j->keep_sub = strdup("");
	else if (asprintf(&j->keep_sub, "%.*s", (int)len, base) < 0)
		j->keep_sub = NULL;
	for (size_t k = 0; j->keep_sub && k < i; k++) {
		if (strcmp(rp->jobs[k].keep_sub, j->keep_sub) != 0)
			continue;
		free(j->keep_sub);
		if (asprintf(&j->keep_sub, "%.*s-%zu", (int)len, base, ++n) < 0)
			j->keep_sub = NULL;
		k = (size_t)-1; /* look again from the first */
	}
	if (!j->keep_sub || (!*j->keep_sub && rp->count > 1)) {
		cli_error("replay: %s: %s", j->file, j->keep_sub ? "no name for its --keep directory" : "out of memory");
		return false;
	}
	return true;
}

static bool can_start(const replay *rp, size_t i)
{
	/* An earlier record that writes the same output goes first: the order given holds for them. */
	for (size_t k = 0; k < i; k++)
		if (!rp->jobs[k].done && !rp->jobs[k].refused && writes_same(rp->jobs[k].record, rp->jobs[i].record))
			return false;
	return true;
}

static void finish(replay *rp, pid_t pid, int st)
{
	for (size_t i = 0; i < rp->count; i++) {
		job *j = &rp->jobs[i];

		if (j->pid != pid || j->done)
			continue;
		j->done = true;
		j->pid = 0;
		j->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		if (report_job(rp, j))
			rp->reproduced++;
		else
			rp->differed++;
		return;
	}
}

static void run_all(replay *rp)
{
	unsigned running = 0;

	for (;;) {
		bool pending = false;

		for (size_t i = 0; i < rp->count && running < rp->parallel; i++) {
			job *j = &rp->jobs[i];

			if (j->done || j->pid || j->refused || !can_start(rp, i))
				continue;
			fflush(NULL);
			j->pid = fork();
			if (j->pid == 0)
				run_child(rp, j);
			if (j->pid < 0) {
				cli_error("replay: %s: fork: %s", j->file, strerror(errno));
				j->pid = 0;
				j->done = true;
				rp->differed++;
				continue;
			}
			running++;
		}
		for (size_t i = 0; i < rp->count; i++)
			pending = pending || (!rp->jobs[i].done && !rp->jobs[i].refused);
		if (!pending && running == 0)
			return;
		if (running > 0) {
			int st;
			pid_t pid = waitpid(-1, &st, 0);

			if (pid < 0 && errno == EINTR)
				continue;
			if (pid < 0)
				return;
			running--;
			finish(rp, pid, st);
		}
	}
}

/* The options before the job record, but --launcher (at argv[launcher_at]): what each rank's replay is given. */
static bool launcher_options(char **argv, int end, int launcher_at, char ***out, size_t *count)
{
	*count = 0;
	if (!(*out = calloc((size_t)end + 1, sizeof(**out))))
		return false;
	for (int i = 1; i < end; i++) {
		if (i == launcher_at) {
			/* "--launcher srun" is two words, "--launcher=srun" one. */
			i += !strchr(argv[i], '=');
			continue;
		}
		(*out)[(*count)++] = argv[i];
	}
	return true;
}

int cmd_replay(int argc, char **argv)
{
	replay rp = { .parallel = 1, .keep_fd = -1, .on_drift = EL_SEVERITY_REFUSE };
	replay_allow allow = { 0 };
	el_profile *policy = NULL;
	const char *bundle = NULL, *launcher = NULL, *job_rank = NULL;
	char *rank_record = NULL; /* --job-rank: the rank's run record */
	char **passed = NULL;     /* --launcher: the options each rank's replay gets */
	size_t passed_count = 0;
	int launcher_at = -1;
	bool others = false; /* an option --bundle does not go with */
	el_mount *mounts = NULL; /* with --bundle: --bind, --ro-bind and --tmpfs, for the run */
	size_t mount_count = 0;
	int c, status = CLI_EXIT_USAGE;
	char *end;

	if (!cli_signing_init(&rp.signing, argc))
		return CLI_EXIT_USAGE;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:j:C:h", longopts, NULL)) != -1) {
		if (cli_signing_option(&rp.signing, c, optarg)) {
			others = true;
			continue;
		}
		others = others || (c != 'B' && c != 'd' && c != 'h' && c != 'b' && c != 'r' && c != 't');
		switch (c) {
		case 'B':
			if (!*optarg) {
				status = cli_usage_error("replay", "--bundle needs a file");
				goto done;
			}
			bundle = optarg;
			break;
		case 'L':
			if (strcmp(optarg, "srun") != 0) {
				status = cli_usage_error("replay", "--launcher takes srun, not '%s'", optarg);
				goto done;
			}
			launcher = optarg;
			/* Where it was (value in the same word or the next), to be left out of what the ranks get. */
			launcher_at = argv[optind - 1] == optarg ? optind - 2 : optind - 1;
			break;
		case 'R': job_rank = optarg; break;
		case 'C': allow.workdir = optarg; break;
		case 'l': allow.lock = optarg; break;
		case 'P': allow.python = optarg; break;
		case 'p': allow.profile = optarg; break;
		case 'b':
		case 'r':
		case 't':
			if (!*optarg ||
			    !replay_allow_mount(&allow, c == 'b' ? EL_MOUNT_BIND : c == 'r' ? EL_MOUNT_RO_BIND : EL_MOUNT_TMPFS, optarg) ||
			    !cli_mount_add(&mounts, &mount_count,
					   c == 'b' ? EL_MOUNT_BIND : c == 'r' ? EL_MOUNT_RO_BIND : EL_MOUNT_TMPFS, optarg)) {
				status = cli_usage_error("replay", "cannot use '%s' as a mount", optarg);
				goto done;
			}
			break;
		case 'j':
			errno = 0;
			rp.parallel = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || rp.parallel < 1 || rp.parallel > 1024) {
				status = cli_usage_error("replay", "-j takes a number from 1 to 1024, not '%s'", optarg);
				goto done;
			}
			break;
		case 'd':
			if (el_severity_parse(&rp.on_drift, optarg) != EL_OK || rp.on_drift == EL_SEVERITY_IGNORE) {
				status = cli_usage_error("replay", "--on-drift takes refuse or warn, not '%s'", optarg);
				goto done;
			}
			break;
		case 'k':
			if (!*optarg) {
				status = cli_usage_error("replay", "--keep needs a directory");
				goto done;
			}
			rp.keep = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = cli_finish_stdout(CLI_EXIT_OK);
			goto done;
		case ':':
			status = cli_usage_error("replay", "option '%s' needs a value", argv[optind - 1]);
			goto done;
		default:
			status = cli_usage_error("replay", "%s", cli_unknown_option(argv, longopts));
			goto done;
		}
	}
	if (bundle && (optind < argc || others)) {
		status = cli_usage_error("replay", "--bundle replays the record the bundle carries: it takes no RUN.json, "
					 "and no option but --on-drift, --bind, --ro-bind and --tmpfs");
		goto done;
	}
	if (bundle) {
		status = replay_bundle(bundle, rp.on_drift, mounts, mount_count);
		goto done;
	}
	if ((launcher || job_rank) && rp.keep) {
		status = cli_usage_error("replay", "--keep is not taken with --launcher: each rank replays on its own node");
		goto done;
	}
	if (launcher && job_rank) {
		status = cli_usage_error("replay", "--launcher and --job-rank do not go together");
		goto done;
	}
	if (launcher) {
		if (argc - optind != 1) {
			status = cli_usage_error("replay", "--launcher srun replays one job record");
			goto done;
		}
		if (!launcher_options(argv, optind, launcher_at, &passed, &passed_count)) {
			cli_error("out of memory");
			goto done;
		}
		status = replay_launch_srun(argv[optind], passed, passed_count);
		goto done;
	}
	if (job_rank && optind < argc) {
		status = cli_usage_error("replay", "--job-rank takes no RUN.json");
		goto done;
	}
	if (job_rank && !(rank_record = replay_job_rank(job_rank)))
		goto done;
	if (optind >= argc && !rank_record) {
		status = cli_usage_error("replay", "no run record to replay");
		goto done;
	}
	/*
	 * The profile the user named (--profile) sets how records are judged
	 * (require-signed, trust); the profile a record names does not.
	 */
	if (allow.profile && el_profile_load(&policy, allow.profile) != EL_OK) {
		cli_error("replay: --profile %s", el_error_last());
		goto done;
	}
	rp.signing.policy = policy;
	rp.count = rank_record ? 1 : (size_t)(argc - optind);
	if (!(rp.jobs = calloc(rp.count, sizeof(*rp.jobs)))) {
		cli_error("out of memory");
		goto done;
	}
	for (size_t i = 0; i < rp.count; i++)
		rp.jobs[i].results_fd = -1;
	for (size_t i = 0; i < rp.count; i++) {
		job *j = &rp.jobs[i];

		j->file = rank_record ? rank_record : argv[optind + (int)i];
		/* Read once: what is verified is what is parsed. */
		if (!cli_read_file(&j->text, &j->len, j->file, 16u << 20, "replay"))
			goto done;
		if (cli_signing_required(&rp.signing) &&
		    !cli_signing_verify(&rp.signing, "replay", j->file, j->text, j->len, EL_DSSE_TYPE_RECORD))
			goto done;
		if (el_record_parse(&j->record, j->text, j->len, j->file) != EL_OK) {
			cli_error("replay: %s", el_error_last());
			goto done;
		}
		if (!prepare_job(&rp, i))
			goto done;
	}
	/* Every record is held to what replay would choose before any of them runs. */
	allow.signed_record = cli_signing_required(&rp.signing);
	for (size_t i = 0; i < rp.count; i++)
		if (!replay_guard_check(rp.jobs[i].file, rp.jobs[i].record, &allow))
			goto done;
	/* Made and opened before anything runs, like exec's --keep-scratch. */
	if (rp.keep && (rp.keep_fd = exec_keep_dir_open("replay", "--keep", rp.keep)) < 0)
		goto done;
	/* The sandbox's status comes from waitpid: a SIGCHLD our caller ignored would lose it. */
	signal(SIGCHLD, SIG_DFL);
	prepare_groups(&rp);
	run_all(&rp);
	for (size_t i = 0; i < rp.count; i++)
		if (rp.jobs[i].refused)
			rp.differed++;
	printf("replay: %zu record%s: %zu reproduced, %zu not\n", rp.count, rp.count == 1 ? "" : "s", rp.reproduced,
	       rp.differed);
	status = cli_finish_stdout(rp.unsigned_refused ? CLI_EXIT_USAGE
				   : rp.differed == 0 && !rp.keep_failed ? CLI_EXIT_OK : 1);
done:
	cli_mounts_free(mounts, mount_count);
	replay_allow_free(&allow);
	if (rp.keep && rp.keep_fd >= 0)
		close(rp.keep_fd);
	for (size_t i = 0; i < rp.count; i++) {
		if (rp.jobs[i].results_fd >= 0)
			close(rp.jobs[i].results_fd);
		free(rp.jobs[i].keep_sub);
		if (rp.jobs[i].leader) {
			el_lock_free(rp.jobs[i].lock);
			el_profile_free(rp.jobs[i].profile);
		}
		el_record_free(rp.jobs[i].record);
		free(rp.jobs[i].text);
	}
	free(rp.jobs);
	free(rank_record);
	free(passed);
	cli_signing_free(&rp.signing);
	el_profile_free(policy);
	return status;
}
