/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec --record: the run record of DESIGN.md, written once the run is
 * over, for failed and refused runs too.
 */
#include "cli/exec_record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

bool exec_output_path_ok(const char *command, const char *what, const char *path)
{
	if (path[0] == '/')
		cli_error("%s: %s %s: an absolute path; outputs are relative to the working directory, inside it",
			  command, what, path);
	else if (!el_record_output_path_valid(path))
		cli_error("%s: %s %s: not a path inside the working directory (no '.', '..' or empty names)",
			  command, what, path);
	else
		return true;
	return false;
}

/*
 * What the sandbox keeps as it is: a record directory whole (earlier
 * records, and nothing planted beside them); for a named file, that file
 * and its signature (the directory stays the run's: --record out/run.json
 * beside --output out/model.bin). The directories on the way are pinned
 * either way (see el_sandbox_options.protect).
 */
static bool note_protected(exec_record_target *t, const char *dir_path)
{
	char *dir = realpath(dir_path, NULL);

	if (!dir) {
		cli_error("exec: --record %s: %s", t->path, strerror(errno));
		return false;
	}
	if (!t->name) {
		t->protect[t->protect_count++] = dir;
		return true;
	}
	if (asprintf(&t->protect[t->protect_count], "%s/%s", dir, t->name) < 0 ||
	    (t->protect_count++, asprintf(&t->protect[t->protect_count], "%s/%s.sig", dir, t->name) < 0)) {
		cli_error("out of memory");
		free(dir);
		return false;
	}
	t->protect_count++;
	free(dir);
	return true;
}

bool exec_record_target_open(exec_record_target *t, const char *path)
{
	struct stat st;
	char *copy = strdup(path), *slash;
	bool ok;

	t->dirfd = -1;
	t->name = NULL;
	t->path = path;
	t->protect_count = 0;
	if (!copy) {
		cli_error("out of memory");
		return false;
	}
	if (path[strlen(path) - 1] == '/' && stat(path, &st) != 0 && errno == ENOENT && !cli_make_dirs(path)) {
		cli_error("exec: --record %s: %s", path, strerror(errno));
		free(copy);
		return false;
	}
	/* An existing directory (a link to one is followed: the user named it before the run). */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		t->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(copy);
		if (t->dirfd < 0) {
			cli_error("exec: --record %s: %s", path, strerror(errno));
			return false;
		}
		return note_protected(t, path);
	}
	/* A file: its directory now, its name later (a link planted at the name is replaced). */
	slash = strrchr(copy, '/');
	if (slash && slash[1] == '\0') {
		cli_error("exec: --record %s: no such directory", path);
		free(copy);
		return false;
	}
	if (slash == copy)
		t->dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = '\0';
		t->dirfd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else
		t->dirfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		cli_error("exec: --record %s: %s", path, strerror(errno));
		free(copy);
		return false;
	}
	t->name = strdup(slash ? slash + 1 : copy);
	if (!t->name) {
		cli_error("out of memory");
		free(copy);
		exec_record_target_close(t);
		return false;
	}
	ok = note_protected(t, slash == copy ? "/" : slash ? copy : ".");
	free(copy);
	return ok;
}

void exec_record_target_close(exec_record_target *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	t->dirfd = -1;
	free(t->name);
	t->name = NULL;
	for (size_t i = 0; i < t->protect_count; i++)
		free(t->protect[i]);
	t->protect_count = 0;
}

bool exec_output_digest(char hex[EL_RECORD_SHA256_SIZE], int workdir_fd, const char *output)
{
	el_data_options opts = { .cache_dir = "", .no_links = true, .dirfd = workdir_fd };
	el_data_tree *tree = NULL;
	int rc = el_data_hash(&tree, output, &opts);

	hex[0] = '\0';
	if (rc == EL_ENOTFOUND) {
		el_error_clear();
		return true;
	}
	if (rc != EL_OK) {
		cli_error("exec: --output %s", el_error_last());
		return false;
	}
	snprintf(hex, EL_RECORD_SHA256_SIZE, "%s", tree->digest + strlen("sha256:"));
	el_data_tree_free(tree);
	return true;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The environment the command got, as name/value pairs. */
static bool add_env(el_record *r, const el_sandbox_plan *plan)
{
	char *const *env = el_sandbox_plan_env(plan);
	size_t n = 0;

	while (env[n])
		n++;
	if (!(r->env = calloc(n ? n : 1, sizeof(*r->env))))
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '=');

		r->env[i].name = eq ? strndup(env[i], (size_t)(eq - env[i])) : strdup(env[i]);
		r->env[i].value = strdup(eq ? eq + 1 : "");
		r->env_count++;
		if (!r->env[i].name || !r->env[i].value)
			return false;
	}
	return true;
}

/*
 * Under a launcher, where it placed this run: the rank, the world, the
 * node and the devices, from what srun or torchrun (or a job script
 * setting torch.distributed's variables) set in envlock's environment;
 * the sandbox may clear them for the command. Sorted by name, as the
 * record keeps them. A job record gathers the ranks' records by these.
 */
static const char *const launcher_vars[] = {
	"CUDA_VISIBLE_DEVICES", "LOCAL_RANK",	   "LOCAL_WORLD_SIZE",	  "MASTER_ADDR",
	"MASTER_PORT",		"RANK",		   "SLURMD_NODENAME",	  "SLURM_JOB_ID",
	"SLURM_LOCALID",	"SLURM_NODEID",	   "SLURM_PROCID",	  "SLURM_STEP_GPUS",
	"SLURM_STEP_ID",	"SLURM_STEP_NODELIST", "SLURM_STEP_NUM_NODES", "SLURM_STEP_NUM_TASKS",
	"WORLD_SIZE",
};

static bool add_launcher(el_record *r)
{
	size_t n = sizeof(launcher_vars) / sizeof(launcher_vars[0]);
	bool srun = getenv("SLURM_JOB_ID") && getenv("SLURM_PROCID");
	bool torch = getenv("RANK") && getenv("WORLD_SIZE");

	if (!srun && !torch)
		return true;
	if (!(r->launcher = calloc(n, sizeof(*r->launcher))))
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *value = getenv(launcher_vars[i]);
		el_record_pair *p = &r->launcher[r->launcher_count];

		if (!value)
			continue;
		p->name = strdup(launcher_vars[i]);
		p->value = strdup(value);
		r->launcher_count++;
		if (!p->name || !p->value)
			return false;
	}
	return true;
}

static bool add_mounts(el_record *r, const el_mount *mounts, size_t count)
{
	if (!(r->mounts = calloc(count ? count : 1, sizeof(*r->mounts))))
		return false;
	for (size_t i = 0; i < count; i++) {
		el_record_mount *m = &r->mounts[r->mount_count++];

		m->kind = mounts[i].kind;
		m->source = dup_or_null(mounts[i].source);
		m->dest = strdup(mounts[i].dest ? mounts[i].dest : mounts[i].source);
		if (!m->kind || !m->dest || (mounts[i].source && !m->source))
			return false;
	}
	return true;
}

/* The lock's data section: what the run read, by address. */
static bool add_data(el_record *r, const el_lock *lock)
{
	el_lock_entry *data = NULL;
	size_t count = 0;
	bool ok = !lock || el_lock_data(&data, &count, lock) == EL_OK;

	if (ok && !(r->data = calloc(count + 1, sizeof(*r->data))))
		ok = false;
	for (size_t i = 0; ok && i < count; i++) {
		el_record_pair *p = &r->data[r->data_count++];

		p->name = strdup(data[i].name);
		p->value = strdup(data[i].value);
		ok = p->name && p->value;
	}
	free(data);
	return ok;
}

/* The code the check found checked out (its capture of this machine); none without a check. */
static bool add_code(el_record *r, const el_lock *now)
{
	const char *commit = now ? el_lock_git_commit(now) : NULL;

	if (!commit)
		return true;
	if (!(r->git_commit = strdup(commit)))
		return false;
	r->git_dirty = el_lock_git_dirty(now);
	return true;
}

static bool add_outputs(el_record *r, const exec_record_input *in)
{
	if (!(r->outputs = calloc(in->output_count ? in->output_count : 1, sizeof(*r->outputs))))
		return false;
	for (size_t i = 0; i < in->output_count; i++) {
		el_record_output *o = &r->outputs[r->output_count++];

		if (!(o->path = strdup(in->outputs[i])))
			return false;
		/* A failed hash is said already; the record still says what ran, with the output as missing. */
		exec_output_digest(o->sha256, in->workdir_fd, in->outputs[i]);
	}
	return true;
}

/* The shared objects the run loaded, as the sandbox hashed them (sorted by path). */
static bool add_observed(el_record *r, const el_sandbox_objects *objects)
{
	size_t n = objects ? objects->count : 0;

	if (!(r->observed = calloc(n + 1, sizeof(*r->observed))))
		return false;
	for (size_t i = 0; i < n; i++) {
		el_record_pair *p = &r->observed[r->observed_count++];

		p->name = strdup(objects->items[i].path);
		if (asprintf(&p->value, "sha256:%s", objects->items[i].sha256) < 0)
			p->value = NULL;
		if (!p->name || !p->value)
			return false;
	}
	if (!objects || !objects->link_count)
		return true;
	if (!(r->links = calloc(objects->link_count, sizeof(*r->links))))
		return false;
	for (size_t i = 0; i < objects->link_count; i++) {
		el_record_pair *p = &r->links[r->link_count++];

		p->name = strdup(objects->links[i].path);
		p->value = strdup(objects->links[i].target);
		if (!p->name || !p->value)
			return false;
	}
	return true;
}

static bool build(el_record *r, const exec_record_input *in)
{
	size_t argc = 0;

	while (in->argv[argc])
		argc++;
	if (!(r->argv = calloc(argc + 1, sizeof(*r->argv))))
		return false;
	for (; r->argc < argc; r->argc++)
		if (!(r->argv[r->argc] = strdup(in->argv[r->argc])))
			return false;
	r->workdir = strdup(in->workdir);
	r->profile = strdup(in->profile->name);
	r->on_drift = in->on_drift;
	r->envlock_version = strdup(EL_VERSION);
	r->seed = dup_or_null(in->seed);
	r->python = dup_or_null(in->python);
	if (in->lock) {
		r->lock_path = strdup(in->lock_path);
		r->lock_fingerprint = dup_or_null(el_lock_stored_fingerprint(in->lock));
	}
	if (!r->workdir || !r->profile || !r->envlock_version || (in->seed && !r->seed) || (in->python && !r->python) ||
	    (in->lock && (!r->lock_path || !r->lock_fingerprint)))
		return false;
	if (in->run->verdict && el_record_set_drift(r, in->run->verdict) != EL_OK)
		return false;
	if (el_record_set_sandbox(r, in->plan) != EL_OK)
		return false;
	r->started = in->run->started;
	r->finished = in->run->finished;
	r->usage = in->run->usage;
	r->exit_status = in->status;
	r->traced = in->trace;
	return add_env(r, in->plan) && add_launcher(r) && add_mounts(r, in->mounts, in->mount_count) && add_data(r, in->lock) &&
	       add_code(r, in->run->now) && add_outputs(r, in) && add_observed(r, in->run->observed);
}

bool exec_record_write(const exec_record_target *t, const exec_record_input *in)
{
	el_record *r = el_record_new();
	char *written = NULL;
	bool ok;

	if (!r || !build(r, in)) {
		el_record_free(r);
		cli_error("exec: --record %s: out of memory", t->path);
		return false;
	}
	/* Signed as it is written, from the same bytes (record.h). */
	ok = el_record_write_signed_at(r, in->sign_key, t->dirfd, t->name, t->path, &written) == EL_OK;
	if (!ok)
		cli_error("exec: --record %s", el_error_last());
	free(written);
	el_record_free(r);
	return ok;
}
