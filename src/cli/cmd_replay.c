/*
 * envlock replay: re-run recorded runs under their lock and profile, in
 * the sandbox, and say for each output whether it came out bit for bit
 * the same. Records that share a lock are checked against this machine
 * once; independent records run in parallel (-j), those that write the
 * same output one after the other, in the order given.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envlock/envlock.h"
#include "envlock/record.h"

#include "cli/cli.h"
#include "cli/exec_record.h"
#include "cli/exec_run.h"
#include "cli/report.h"

static const char usage_text[] =
	"usage: envlock replay [-j N] [--on-drift refuse|warn] RUN.json...\n"
	"\n"
	"Run each recorded command again, in the sandbox, under the lock and the\n"
	"profile it ran with, and compare its outputs with the record bit for bit.\n"
	"The outputs are written where the run wrote them. Records that share a\n"
	"lock are checked against this machine once.\n"
	"\n"
	"  -j, --jobs N        replay up to N records at once (records that write the\n"
	"                      same output still run one after the other); default 1\n"
	"      --on-drift WHAT refuse (default): a record whose lock this machine has\n"
	"                      drifted from is not replayed; warn: replay it anyway\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 every output of every record reproduced, with the recorded\n"
	"exit status; 1 something differs or could not be replayed; 2 bad usage or a\n"
	"record that cannot be read.\n";

static const struct option longopts[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "on-drift", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One record to replay. */
typedef struct job {
	const char *file;
	el_record *record;
	el_lock *lock;        /* its group's, shared; NULL without a lock */
	el_profile *profile;  /* its group's, shared */
	bool refused;         /* its group cannot be replayed (drift, changed lock): said already */
	bool leader;          /* frees the group's lock and profile */
	pid_t pid;            /* while it runs */
	bool done;
	int status;           /* exec's status of the replayed run */
} job;

typedef struct replay {
	job *jobs;
	size_t count;
	unsigned parallel;
	exec_on_drift on_drift;
	size_t reproduced, differed;
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
static bool check_group(job *j, exec_on_drift on_drift)
{
	report_options ropts = { .old_label = j->record->lock_path, .new_label = "this machine",
				 .unicode = report_unicode_auto(), .format = REPORT_TEXT };
	el_capture_options copts = { .warn = cli_print_warning, .profile = j->profile, .python = j->record->python,
				     .verify_data_of = j->lock, .threads_of = j->lock };
	el_lock *now = NULL;
	el_diff *diff = NULL;
	char *dir = cli_lock_dir(j->record->lock_path);
	int verdict = 0;

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
	if (diff->count > 0) {
		ropts.color = report_color_auto(STDERR_FILENO);
		verdict = report_drift(stderr, diff, j->profile, el_lock_json(j->lock), el_lock_json(now), &ropts);
		if (verdict == 1 && on_drift == EXEC_DRIFT_WARN) {
			cli_error("replay: replaying despite the drift (--on-drift warn)");
			verdict = 0;
		} else if (verdict == 1) {
			cli_error("replay: not replaying the runs of %s: this machine has drifted from it "
				  "(--on-drift warn replays anyway)", j->record->lock_path);
		}
	}
	el_diff_free(diff);
	el_lock_free(now);
	return verdict == 0;
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

static el_mount *record_mounts(const el_record *r)
{
	el_mount *m = calloc(r->mount_count ? r->mount_count : 1, sizeof(*m));

	for (size_t i = 0; m && i < r->mount_count; i++) {
		const el_record_mount *rm = &r->mounts[i];

		m[i].kind = strcmp(rm->kind, "bind") == 0 ? EL_MOUNT_BIND
			    : strcmp(rm->kind, "ro-bind") == 0 ? EL_MOUNT_RO_BIND
							      : EL_MOUNT_TMPFS;
		/* Borrowed from the record: the child only reads them. */
		m[i].source = rm->source;
		m[i].dest = rm->dest;
	}
	return m;
}

/* In the forked child: the recorded run again, without a second drift check. */
__attribute__((noreturn)) static void run_child(const job *j)
{
	const el_record *r = j->record;
	el_sandbox_options sopts = {
		.profile = j->profile, .lock = j->lock, .lock_path = r->lock_path, .workdir = r->workdir,
		.cwd = json_string_value(json_object_get(r->sandbox, "cwd")), .python = r->python,
		.seed = r->seed, .argv = r->argv, .host_uid = geteuid(), .host_gid = getegid(),
	};
	el_sandbox_plan *plan = NULL;
	exec_run run = { .profile = j->profile, .lock_path = r->lock_path };
	el_mount *mounts = record_mounts(r);

	/* If replay dies, so does this run (and its sandbox with it). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sopts.mounts = mounts;
	sopts.mount_count = r->mount_count;
	if (!mounts || el_sandbox_plan_new(&plan, &sopts) != EL_OK) {
		cli_error("replay: %s: %s", j->file, mounts ? el_error_last() : "out of memory");
		_exit(EXEC_FAILED);
	}
	run.plan = plan;
	fflush(NULL);
	_exit(exec_run_sandbox(&run));
}

/* Compare the outputs with the record and say it. True when everything reproduced. */
static bool report_job(const job *j)
{
	const el_record *r = j->record;
	bool same = j->status == r->exit_status;
	int workdir_fd = open(r->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	printf("%s: %s\n", j->file, r->argv[0]);
	if (j->status != r->exit_status)
		printf("  differs     exit status: recorded %d, now %d\n", r->exit_status, j->status);
	for (size_t i = 0; i < r->output_count; i++) {
		const el_record_output *o = &r->outputs[i];
		char now[EL_RECORD_SHA256_SIZE] = "";
		char *name = report_key_text(o->path);

		if (workdir_fd < 0 || !exec_output_digest(now, workdir_fd, o->path)) {
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
	}
	if (workdir_fd >= 0)
		close(workdir_fd);
	printf("  %s\n", same ? "reproduced bit for bit" : "NOT reproduced");
	fflush(stdout);
	return same;
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
		if (report_job(j))
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
				run_child(j);
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

int cmd_replay(int argc, char **argv)
{
	replay rp = { .parallel = 1 };
	int c, status = CLI_EXIT_USAGE;
	char *end;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			errno = 0;
			rp.parallel = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || rp.parallel < 1 || rp.parallel > 1024)
				return cli_usage_error("replay", "-j takes a number from 1 to 1024, not '%s'", optarg);
			break;
		case 'd':
			if (!exec_on_drift_parse(optarg, &rp.on_drift) || rp.on_drift == EXEC_DRIFT_IGNORE)
				return cli_usage_error("replay", "--on-drift takes refuse or warn, not '%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_finish_stdout(CLI_EXIT_OK);
		case ':':
			return cli_usage_error("replay", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli_usage_error("replay", "unknown option '%s'", cli_bad_option(argv));
		}
	}
	if (optind >= argc)
		return cli_usage_error("replay", "no run record to replay");
	rp.count = (size_t)(argc - optind);
	if (!(rp.jobs = calloc(rp.count, sizeof(*rp.jobs)))) {
		cli_error("out of memory");
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < rp.count; i++) {
		rp.jobs[i].file = argv[optind + (int)i];
		if (el_record_read(&rp.jobs[i].record, rp.jobs[i].file) != EL_OK) {
			cli_error("replay: %s", el_error_last());
			goto done;
		}
	}
	/* The sandbox's status comes from waitpid: a SIGCHLD our caller ignored would lose it. */
	signal(SIGCHLD, SIG_DFL);
	prepare_groups(&rp);
	run_all(&rp);
	for (size_t i = 0; i < rp.count; i++)
		if (rp.jobs[i].refused)
			rp.differed++;
	printf("replay: %zu record%s: %zu reproduced, %zu not\n", rp.count, rp.count == 1 ? "" : "s", rp.reproduced,
	       rp.differed);
	status = cli_finish_stdout(rp.differed == 0 ? CLI_EXIT_OK : 1);
done:
	for (size_t i = 0; i < rp.count; i++) {
		if (rp.jobs[i].leader) {
			el_lock_free(rp.jobs[i].lock);
			el_profile_free(rp.jobs[i].profile);
		}
		el_record_free(rp.jobs[i].record);
	}
	free(rp.jobs);
	return status;
}
