/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envlock_spank.so: `srun --envlock[=LOCK] [--envlock-profile=P]
 * [--envlock-seed=N] [--envlock-record=DIR] CMD` runs every task of the step in envlock's
 * sandbox, pinned by the lock, after checking each node once.
 *
 *   srun (local)     the lock and the profile are read with libenvlock,
 *                    so that a bad one stops srun before any node works;
 *   user_init        on each node, once, before any task is started: the
 *                    drift check (node_check.c); a node that drifted
 *                    says so in one line that names it, and each of its
 *                    tasks ends with status 125, as envlock exec's would;
 *   task_init        in each task's process, as the user: exec
 *                    `envlock exec --no-check ... -- CMD` in place of CMD;
 *   exit (srun)      with --envlock-record DIR, once the step ended: the
 *                    job record DIR/job-J.S.json (job_record.c).
 *
 * Why exec from task_init rather than enter a sandbox made per node (as
 * pyxis enters its container): envlock's sandbox is more than a mount
 * namespace. Its PID namespace needs a first process of its own, and its
 * seccomp filter, no_new_privs, dropped capabilities and cleared
 * environment are applied to the command as it starts; a task that only
 * joined namespaces would keep slurmstepd's view of PIDs and would run
 * Slurm's TaskProlog inside the filter. One envlock exec per task is the
 * sandbox a user gets from `srun envlock exec`, the same code, tested
 * alike. What slurmstepd would have done between task_init and the
 * command's execve is done here or said: the limits srun propagates
 * (SLURM_RLIMIT_*) are applied before the exec; TaskProlog and srun
 * --task-prolog do not run (the README says so).
 *
 * plugstack.conf: optional /usr/lib/.../envlock_spank.so [envlock=PATH]
 */
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/spank.h>

#include "envlock/envlock.h"
#include "slurm/job_record.h"
#include "slurm/node_check.h"

SPANK_PLUGIN(envlock, 1);

#ifndef EL_ENVLOCK_BINARY
#define EL_ENVLOCK_BINARY "/usr/bin/envlock"
#endif

static struct {
	bool on;                      /* --envlock given */
	char *lock;                   /* --envlock=LOCK; NULL: found as envlock exec finds it */
	char *profile;                /* --envlock-profile */
	char *record;                 /* --envlock-record, ending in '/' */
	char *seed;                   /* --envlock-seed */
	char *outputs;                /* --envlock-output, PATH[,PATH...] */
	const char *envlock;          /* the binary (plugstack.conf envlock=PATH) */
	/*
	 * This node failed its check (user_init said why, once): each of its
	 * tasks ends with envlock's refusal status, 125, without running.
	 * Failing user_init itself would not do: srun reports such a node as
	 * "launch failed" and still exits 0 when the other tasks do.
	 */
	bool node_refused;
} opt = { .envlock = EL_ENVLOCK_BINARY };

static int set_value(char **slot, const char *value, const char *option)
{
	if (!value || !*value) {
		slurm_error("envlock: %s needs a value", option);
		return -1;
	}
	free(*slot);
	*slot = strdup(value);
	return *slot ? 0 : -1;
}

static int on_envlock(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	opt.on = true;
	/* --envlock alone: the lock is found from the working directory. */
	return optarg && *optarg ? set_value(&opt.lock, optarg, "--envlock=LOCK") : 0;
}

static int on_profile(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	return set_value(&opt.profile, optarg, "--envlock-profile");
}

static int on_record(int val, const char *optarg, int remote)
{
	size_t n = optarg ? strlen(optarg) : 0;

	(void)val;
	(void)remote;
	if (set_value(&opt.record, optarg, "--envlock-record") != 0)
		return -1;
	/* exec --record DIR/ makes a new file in DIR for each rank. */
	if (optarg[n - 1] != '/') {
		char *dir = malloc(n + 2);

		if (!dir)
			return -1;
		memcpy(dir, optarg, n);
		memcpy(dir + n, "/", 2);
		free(opt.record);
		opt.record = dir;
	}
	return 0;
}

static int on_output(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	return set_value(&opt.outputs, optarg, "--envlock-output");
}

static int on_seed(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	return set_value(&opt.seed, optarg, "--envlock-seed");
}

struct spank_option spank_options[] = {
	{ "envlock", "LOCK",
	  "Run every task in envlock's sandbox, pinned by LOCK (default: env.lock, found as envlock exec finds it); "
	  "each node is checked once first, and one that drifted fails the step",
	  2, 0, on_envlock },
	{ "envlock-profile", "P", "envlock's profile for --envlock (default: the one the lock names)", 1, 0,
	  on_profile },
	{ "envlock-seed", "N", "With --envlock: seed every rank with N (envlock exec --seed N)", 1, 0, on_seed },
	{ "envlock-record", "DIR", "With --envlock: write each rank's run record into DIR", 1, 0, on_record },
	{ "envlock-output", "PATH[,PATH...]",
	  "With --envlock-record: the files whose digests the records keep (envlock exec --output); a PATH is "
	  "rank 0's, a PATH with %r each rank's own, %r its rank",
	  1, 0, on_output },
	SPANK_OPTIONS_TABLE_END
};

/* plugstack.conf's arguments: envlock=PATH, the binary the tasks run. */
int slurm_spank_init(spank_t sp, int ac, char **av)
{
	(void)sp;
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "envlock=", 8) == 0 && av[i][8] == '/') {
			opt.envlock = av[i] + 8;
			continue;
		}
		slurm_error("envlock: plugstack.conf: unknown argument '%s' (the plugin takes envlock=/ABSOLUTE/PATH)",
			    av[i]);
		return -1;
	}
	return 0;
}

/*
 * One --envlock-output path for rank: "%r" replaced by the rank, malloc'd;
 * NULL when the path holds "%r" twice (said) or when out of memory (said).
 */
static char *rank_path(const char *path, size_t len, unsigned long rank)
{
	const char *mark = memmem(path, len, "%r", 2);
	char *out;
	int n;

	if (mark && memmem(mark + 2, len - (size_t)(mark + 2 - path), "%r", 2)) {
		slurm_error("envlock: --envlock-output: %.*s: one %%r at most", (int)len, path);
		return NULL;
	}
	n = mark ? asprintf(&out, "%.*s%lu%.*s", (int)(mark - path), path, rank, (int)(len - (size_t)(mark + 2 - path)),
			    mark + 2)
		 : asprintf(&out, "%.*s", (int)len, path);
	if (n < 0) {
		slurm_error("envlock: out of memory");
		return NULL;
	}
	return out;
}

/* --envlock-output's paths, each as exec --output takes it (rank 0's name standing for %r), checked in srun. */
static int check_outputs(const char *list)
{
	const char *item = list;

	for (;;) {
		size_t len = strcspn(item, ",");
		char *path;
		bool valid;

		if (len == 0) {
			slurm_error("envlock: --envlock-output: '%s' is not a list of paths", list);
			return -1;
		}
		if (!(path = rank_path(item, len, 0)))
			return -1;
		valid = el_record_output_path_valid(path);
		free(path);
		if (!valid) {
			slurm_error("envlock: --envlock-output: %.*s is not a path inside the working directory", (int)len,
				    item);
			return -1;
		}
		if (!item[len])
			return 0;
		item += len + 1;
	}
}

/* mkdir -p path (it ends in '/'): 0, or -1 with errno. */
static int make_dirs(const char *path)
{
	char *copy = strdup(path);
	int rc = 0;

	if (!copy)
		return -1;
	for (char *slash = strchr(copy + 1, '/'); slash && rc == 0; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(copy, 0777) != 0 && errno != EEXIST)
			rc = -1;
		*slash = '/';
	}
	free(copy);
	return rc;
}

/* In srun, before any node is asked: a lock or a profile that cannot be read stops here. */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	if (!opt.on || spank_context() != S_CTX_LOCAL) {
		if (!opt.on && (opt.profile || opt.seed || opt.record || opt.outputs) && spank_context() == S_CTX_LOCAL) {
			slurm_error("envlock: --envlock-profile, --envlock-seed, --envlock-record and --envlock-output go "
				    "with --envlock");
			return -1;
		}
		return 0;
	}
	if (opt.outputs && !opt.record) {
		slurm_error("envlock: --envlock-output goes with --envlock-record (the digests are in the records)");
		return -1;
	}
	if (opt.outputs && check_outputs(opt.outputs) != 0)
		return -1;
	/* Made here, as the user, before the nodes' checks save their captures in it. */
	if (opt.record && make_dirs(opt.record) != 0) {
		slurm_error("envlock: --envlock-record: %s: %s", opt.record, strerror(errno));
		return -1;
	}
	if (opt.lock) {
		el_lock *lock = NULL;

		if (el_lock_read_file(&lock, opt.lock) != EL_OK) {
			slurm_error("envlock: %s", el_error_last());
			return -1;
		}
		el_lock_free(lock);
	}
	if (opt.profile) {
		el_profile *profile = NULL;

		if (el_profile_load(&profile, opt.profile) != EL_OK) {
			slurm_error("envlock: %s", el_error_last());
			return -1;
		}
		el_profile_free(profile);
	}
	return 0;
}

/*
 * This node's name in the cluster, for the messages and its capture's
 * file: slurmd's own (slurmstepd inherits SLURMD_NODENAME from it), else
 * the host's short name, as Slurm names nodes by default. Not the step's
 * environment: in a batch job it holds the batch host's name on every node.
 */
static void node_name(char *name, size_t size)
{
	const char *env = getenv("SLURMD_NODENAME");

	if (env && *env) {
		snprintf(name, size, "%s", env);
		return;
	}
	if (gethostname(name, size) != 0)
		snprintf(name, size, "%s", "(unnamed)");
	name[size - 1] = '\0';
	name[strcspn(name, ".")] = '\0';
}

/*
 * With --envlock-record DIR: DIR/node-NAME.JOB.STEP.lock, where the check
 * saves this node's capture for the job record. The node's name makes a
 * file name only when it is a plain one (Slurm's node names are).
 */
static bool capture_path(spank_t sp, const char *node, char *path, size_t size)
{
	uint32_t job, step;
	int n;

	if (!*node || *node == '.' || strspn(node, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
					     strlen(node))
		return false;
	if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return false;
	n = snprintf(path, size, "%snode-%s.%lu.%lu.lock", opt.record, node, (unsigned long)job, (unsigned long)step);
	return n > 0 && (size_t)n < size;
}

/* Once per node, before any task: the drift check. */
int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	node_check check = { .envlock = opt.envlock, .lock = opt.lock, .profile = opt.profile };
	char node[256], message[2048], capture[4096];
	char **env = NULL;

	(void)ac;
	(void)av;
	if (!opt.on || !spank_remote(sp))
		return 0;
	node_name(node, sizeof(node));
	check.node = node;
	if (spank_get_item(sp, S_JOB_UID, &check.user.uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &check.user.gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &check.user.groups, &check.user.group_count) !=
		    ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS) {
		slurm_error("envlock: node %s: the step's user or environment is unknown", node);
		opt.node_refused = true;
		return 0;
	}
	check.env = env;
	if (opt.record && !capture_path(sp, node, capture, sizeof(capture))) {
		slurm_error("envlock: node %s: the node's name or the step's id cannot name its capture in %s", node,
			    opt.record);
		opt.node_refused = true;
		return 0;
	}
	check.save_capture = opt.record ? capture : NULL;
	if (node_check_run(&check, message, sizeof(message)) != NODE_CLEAN) {
		slurm_error("envlock: %s", message);
		opt.node_refused = true;
	}
	return 0;
}

/*
 * The limits srun propagates (SLURM_RLIMIT_NOFILE=1024, "U1024" when the
 * user asked with --propagate), applied as slurmstepd would after
 * task_init: the soft limit, within the hard one. Refused when the user
 * asked for it, quietly otherwise, as slurmstepd does.
 */
static const struct {
	const char *name;
	int resource;
} rlimits[] = {
	{ "CPU", RLIMIT_CPU },	     { "FSIZE", RLIMIT_FSIZE },	    { "DATA", RLIMIT_DATA },
	{ "STACK", RLIMIT_STACK },   { "CORE", RLIMIT_CORE },	    { "RSS", RLIMIT_RSS },
	{ "NPROC", RLIMIT_NPROC },   { "NOFILE", RLIMIT_NOFILE },   { "MEMLOCK", RLIMIT_MEMLOCK },
	{ "AS", RLIMIT_AS },
};

static void apply_rlimit(const char *name, const char *value)
{
	bool asked = *value == 'U';
	char *end;
	unsigned long long limit;
	struct rlimit r;

	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
		if (strcmp(rlimits[i].name, name) != 0)
			continue;
		errno = 0;
		limit = strtoull(value + asked, &end, 10);
		if (errno || *end || end == value + asked || getrlimit(rlimits[i].resource, &r) != 0)
			return;
		r.rlim_cur = (rlim_t)limit;
		if (setrlimit(rlimits[i].resource, &r) != 0 && asked)
			slurm_error("envlock: cannot propagate RLIMIT_%s of %llu from the submit host: %s", name, limit,
				    strerror(errno));
		return;
	}
}

/* The task's environment without SLURM_RLIMIT_* (applied, as slurmstepd does), NULL-terminated. */
static char **task_env(char **env)
{
	size_t n = 0, kept = 0;
	char **out;

	while (env && env[n])
		n++;
	if (!(out = calloc(n + 1, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(env[i], "SLURM_RLIMIT_", 13) == 0 && strchr(env[i], '=')) {
			char name[32];
			const char *eq = strchr(env[i], '=');
			size_t len = (size_t)(eq - env[i]) - 13;

			if (len < sizeof(name)) {
				memcpy(name, env[i] + 13, len);
				name[len] = '\0';
				apply_rlimit(name, eq + 1);
			}
			continue;
		}
		out[kept++] = env[i];
	}
	return out;
}

/* How many paths --envlock-output lists (an upper bound: empty items are skipped). */
static size_t output_count(void)
{
	size_t n = opt.outputs ? 1 : 0;

	for (const char *c = opt.outputs; c && *c; c++)
		n += *c == ',';
	return n;
}

/*
 * --envlock-output's paths, as this task's exec --output: a path with %r
 * is each rank's own (%r its rank); a plain one is rank 0's, the rank
 * that saves a checkpoint, so that no rank records a file another is
 * still writing. The paths are cut out of list, which the exec keeps.
 */
static int add_outputs(spank_t sp, char *list, char **args, size_t *n)
{
	uint32_t rank;
	char *save = NULL;

	if (!list)
		return 0;
	if (spank_get_item(sp, S_TASK_GLOBAL_ID, &rank) != ESPANK_SUCCESS) {
		slurm_error("envlock: --envlock-output: the task's rank is unknown");
		return -1;
	}
	for (char *path = strtok_r(list, ",", &save); path; path = strtok_r(NULL, ",", &save)) {
		if (!strstr(path, "%r") && rank != 0)
			continue;
		/* The exec replaces this process: nothing to free. */
		if (!(path = rank_path(path, strlen(path), rank)))
			return -1;
		args[(*n)++] = "--output";
		args[(*n)++] = path;
	}
	return 0;
}

/* In each task's process, as the user: become envlock exec of the task's command. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	char **argv = NULL, **env = NULL, **exec_env = NULL, **args = NULL, *outputs = NULL;
	int argc = 0;
	size_t n = 0;

	(void)ac;
	(void)av;
	if (!opt.on || !spank_remote(sp))
		return 0;
	/* What envlock exec does on drift; slurmstepd's own exit handlers are not the task's to run. */
	if (opt.node_refused)
		_exit(125);
	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS || argc < 1) {
		slurm_error("envlock: the task's command or environment is unknown");
		return -1;
	}
	if (!(exec_env = task_env(env)) ||
	    !(args = calloc((size_t)argc + 16 + 2 * output_count(), sizeof(*args))) ||
	    (opt.outputs && !(outputs = strdup(opt.outputs)))) {
		slurm_error("envlock: out of memory");
		free(args);
		free(exec_env);
		return -1;
	}
	args[n++] = "envlock";
	args[n++] = "exec";
	if (opt.lock) {
		args[n++] = "--lock";
		args[n++] = opt.lock;
	}
	if (opt.profile) {
		args[n++] = "--profile";
		args[n++] = opt.profile;
	}
	if (opt.seed) {
		args[n++] = "--seed";
		args[n++] = opt.seed;
	}
	/* A record holds the check's findings: a recording task checks again, for its record. */
	if (opt.record) {
		args[n++] = "--record";
		args[n++] = opt.record;
		if (add_outputs(sp, outputs, args, &n) != 0) {
			free(args);
			free(exec_env);
			free(outputs);
			return -1;
		}
	} else {
		args[n++] = "--no-check";
	}
	args[n++] = "--";
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execve(opt.envlock, args, exec_env);
	slurm_error("envlock: %s: %s", opt.envlock, strerror(errno));
	free(args);
	free(exec_env);
	free(outputs);
	return -1;
}

/* A number srun set in its own environment for the step (SLURM_JOB_ID...); -1 when none. */
static long step_number(const char *name)
{
	const char *value = getenv(name);
	char *end;
	long n;

	if (!value || *value < '0' || *value > '9')
		return -1;
	errno = 0;
	n = strtol(value, &end, 10);
	return errno || *end || n > UINT32_MAX ? -1 : n;
}

/*
 * In srun, once every task ended and wrote its record: the step's job
 * record, and one line saying it. The step is named by what srun set in
 * its own environment (its spank items are gone by then).
 */
static void write_job_record(void)
{
	long job = step_number("SLURM_JOB_ID"), step = step_number("SLURM_STEP_ID");
	long tasks = step_number("SLURM_STEP_NUM_TASKS");
	char job_id[24], step_id[24], error[512];
	job_step record = { .dir = opt.record, .job = job_id, .step = step_id, .lock = opt.lock, .profile = opt.profile };
	job_summary summary;

	if (tasks < 0)
		tasks = step_number("SLURM_NTASKS");
	if (job < 0 || step < 0 || tasks < 0) {
		slurm_error("envlock: the job record: srun did not say the step's job, id or tasks");
		return;
	}
	snprintf(job_id, sizeof(job_id), "%ld", job);
	snprintf(step_id, sizeof(step_id), "%ld", step);
	record.tasks = tasks;
	if (job_record_write(&record, &summary, error, sizeof(error)) != 0) {
		slurm_error("envlock: the job record: %s", error);
		return;
	}
	if (summary.agree && summary.unlike[0][0])
		slurm_info("envlock: %sjob-%s.%s.json: %zu rank%s on %zu node%s agree; the nodes differ in what the "
			   "profile allows (envlock diff --job %sjob-%s.%s.json %s %s)",
			   opt.record, job_id, step_id, summary.ranks, summary.ranks == 1 ? "" : "s", summary.nodes,
			   summary.nodes == 1 ? "" : "s", opt.record, job_id, step_id, summary.unlike[0], summary.unlike[1]);
	else if (summary.agree)
		slurm_info("envlock: %sjob-%s.%s.json: %zu rank%s on %zu node%s agree", opt.record, job_id, step_id,
			   summary.ranks, summary.ranks == 1 ? "" : "s", summary.nodes, summary.nodes == 1 ? "" : "s");
	else
		slurm_error("envlock: %sjob-%s.%s.json: the ranks disagree: %s", opt.record, job_id, step_id,
			    summary.first);
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	if (opt.on && opt.record && spank_context() == S_CTX_LOCAL)
		write_job_record();
	free(opt.lock);
	free(opt.profile);
	free(opt.record);
	free(opt.seed);
	free(opt.outputs);
	opt.lock = opt.profile = opt.record = opt.seed = opt.outputs = NULL;
	return 0;
}
