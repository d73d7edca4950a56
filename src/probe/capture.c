/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/capture.h"
#include "envlock/version.h"
#include "data/section.h"
#include "lock/lock_internal.h"
#include "probe/probe.h"
#include "probe/python/python_locate.h"
#include "state/capture_state.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

static json_t *rfc3339_now(void)
{
	char text[32];
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(text);
}

static int fill_meta(json_t *meta, const el_profile *profile)
{
	char host[HOST_NAME_MAX + 1] = "";

	gethostname(host, sizeof(host) - 1);
	if (!el__utf8_valid(host, strlen(host)))
		snprintf(host, sizeof(host), "(not UTF-8)");
	if (json_object_set_new(meta, "captured_at", rfc3339_now()) ||
	    json_object_set_new(meta, "envlock_version", json_string(EL_VERSION)) ||
	    json_object_set_new(meta, "hostname", json_string(host)) ||
	    json_object_set_new(meta, "profile", json_string(profile->name)))
		return el__error_oom();
	return EL_OK;
}

/*
 * The interpreter a check compares is the lock's own (a venv, a pyenv
 * version), not python3 on PATH, unless the caller names one. What the
 * lock names and this machine lacks is one finding, python.executable
 * gone, rather than a comparison with some other interpreter: the rest of
 * the lock's python section stands in for it.
 */
typedef struct locked_python {
	const json_t *section; /* the lock's, when its interpreter is missing here */
	const char *stands_for; /* the lock's executable, which --python stands for */
} locked_python;

static void choose_python(el__probe_ctx *ctx, locked_python *lp, const el_capture_options *opts)
{
	const json_t *python = opts->checking ? json_object_get(el__lock_doc(opts->checking), "python") : NULL;
	const char *exe = json_string_value(json_object_get(python, "executable"));
	el__buf path;
	struct stat st;

	memset(lp, 0, sizeof(*lp));
	if (!exe || exe[0] != '/')
		return;
	if (opts->python) {
		lp->stands_for = exe;
		return;
	}
	el__buf_init(&path);
	el__root_path(&path, ctx->root, exe);
	if (el__buf_failed(&path) || stat(path.data, &st) != 0 || !S_ISREG(st.st_mode)) {
		lp->section = python;
	} else if (el__ctx_is_host(ctx) && !el__path_safe_to_run("", exe)) {
		/*
		 * Learning its sys.path runs it, here, with envlock's rights: a
		 * lock is anyone's to write, so it may not name a program that
		 * someone else can change. Not compared, as if missing.
		 */
		el__warn(ctx, "python", "%s: not run: it, or a directory on its way, belongs to another user or "
			 "is writable by others; --python EXE checks another interpreter", exe);
		lp->section = python;
	} else {
		ctx->python = exe;
	}
	el__buf_free(&path);
}

/* Put the python section as choose_python() decided: the lock's stand-in, or the probe's with the executable it stands for. */
static int locked_python_section(json_t *doc, const locked_python *lp, json_t *section)
{
	if (lp->section) {
		json_t *copy = json_deep_copy(lp->section);

		json_decref(section);
		if (!copy || json_object_del(copy, "executable") || json_object_set_new(doc, "python", copy))
			return el__error_oom();
		return EL_OK;
	}
	if (section && lp->stands_for &&
	    json_object_set_new(section, "executable", json_string(lp->stands_for)))
		return el__error_oom();
	return EL_OK;
}

/*
 * The frameworks of an interpreter this machine lacks: the lock's stand in,
 * like its python section, so that gone is one finding (python.executable).
 */
static int locked_frameworks_section(json_t *doc, const el__probe_ctx *ctx)
{
	json_t *fw = ctx->checking ? json_object_get(el__lock_doc(ctx->checking), "frameworks") : NULL;
	json_t *copy = fw ? json_deep_copy(fw) : NULL;

	if (fw && (!copy || json_object_set_new(doc, "frameworks", copy)))
		return el__error_oom();
	return EL_OK;
}

/* The lock's section, where the state record says the probe would find it again. */
static int locked_section(json_t *doc, const el__capture_state *state, const char *name)
{
	json_t *locked = json_object_get(state->lock, name), *copy = locked ? json_deep_copy(locked) : NULL;

	if (locked && (!copy || json_object_set_new(doc, name, copy)))
		return el__error_oom();
	return EL_OK;
}

static int run_probe(const el__probe *probe, el__probe_ctx *ctx, json_t **section, el__capture_state *state)
{
	int rc;

	el__state_watch(state, probe->replayable);
	rc = probe->run(ctx, section);
	el__state_watch(state, false);
	return rc;
}

static int run_probes(json_t *doc, el__probe_ctx *ctx, const locked_python *lp, el__capture_state *state)
{
	for (unsigned i = 0; i < el__probe_count; i++) {
		const el__probe *probe = &el__probes[i];
		bool python = strcmp(probe->section, "python") == 0;
		json_t *section = NULL;
		int rc;

		if (probe->replayable && state->hit) {
			if (locked_section(doc, state, probe->section) != EL_OK)
				return EL_ENOMEM;
			continue;
		}
		if (lp->section && strcmp(probe->section, "frameworks") == 0) {
			if (locked_frameworks_section(doc, ctx) != EL_OK)
				return EL_ENOMEM;
			continue;
		}
		rc = python && lp->section ? EL__PROBE_ABSENT : run_probe(probe, ctx, &section, state);

		if (python && rc != EL_ENOMEM) {
			if (locked_python_section(doc, lp, section) != EL_OK)
				return EL_ENOMEM;
			if (lp->section)
				continue;
		}

		if (rc == EL_ENOMEM)
			return rc;
		if (rc < 0) {
			el__warn(ctx, probe->section, "%s", el_error_last());
			continue;
		}
		if (rc == EL__PROBE_ABSENT || !section)
			continue;
		if (json_object_set_new(probe->in_meta ? ctx->meta : doc, probe->section, section))
			return el__error_oom();
	}
	/* gpu.* names what the interpreter's framework loads (the section order does not matter). */
	return el__gpu_stack(doc);
}

static int add_data(json_t *doc, const el_capture_options *opts, const el_profile *profile)
{
	json_t *section = NULL;
	int ret = el__data_section(&section, opts, profile);

	if (ret == EL_OK && section && json_object_set_new(doc, "data", section))
		ret = el__error_oom();
	return ret;
}

/*
 * What the caller named explicitly must exist: a mistyped --root or
 * --python is bad input, not a lock with a section quietly missing.
 */
static int check_requested(el__probe_ctx *ctx)
{
	const el__python *py;
	struct stat st;
	int rc;

	if (*ctx->root) {
		if (stat(ctx->root, &st) != 0)
			return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_EINVAL, "--root %s", ctx->root);
		if (!S_ISDIR(st.st_mode))
			return el__error(EL_EINVAL, "--root %s: not a directory", ctx->root);
	}
	if (!ctx->python)
		return EL_OK;
	rc = el__probe_python_locate(ctx, &py);
	if (rc == EL_OK || rc == EL_ENOMEM)
		return rc;
	/* The locator names the interpreter: "<path>: no such executable file". */
	return el__error_reraise(rc == EL__PROBE_ABSENT || rc == EL_ENOTFOUND ? EL_ENOTFOUND : EL_EINVAL, "--python ");
}

/* The cache's directory, *dir ("" for none; for free()), and the stat cache opened there. */
static int open_cache(el__probe_ctx *ctx, const el_capture_options *opts, char **dir)
{
	const char *why = NULL;
	int ret;

	*dir = opts->cache_dir ? strdup(opts->cache_dir) : el__cache_dir_in(opts->env);
	if (!*dir && !(*dir = strdup("")))
		return el__error_oom();
	ret = el__cache_open(&ctx->cache, *dir, &why);
	if (ret == EL_OK && why)
		el__warn(ctx, "cache", "%s: %s; capturing without it", *dir, why);
	return ret;
}

int el_capture(el_lock **out, const el_capture_options *opts)
{
	static const el_capture_options defaults;
	char cwd[PATH_MAX];
	el__probe_ctx ctx = { 0 };
	char fingerprint[EL_FINGERPRINT_SIZE];
	json_t *doc = json_object();
	el_lock *lock = NULL;
	el_profile *own_profile = NULL;
	el_capture_options resolved;
	locked_python python = { 0 };
	char *cache_dir = NULL;
	el__capture_state state = { .dirfd = -1 };
	int ret;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	ctx.root = opts->root && strcmp(opts->root, "/") != 0 ? opts->root : "";
	ctx.python = opts->python;
	ctx.env = opts->env;
	ctx.may_run = !*ctx.root || opts->trust_root;
	ctx.workdir = opts->workdir ? opts->workdir : getcwd(cwd, sizeof(cwd));
	ctx.warn = opts->warn;
	ctx.warn_data = opts->warn_data;
	ctx.checking = opts->checking;
	ctx.observed = opts->observed;
	ctx.observed_count = opts->observed_count;
	ctx.meta = json_object();
	if (!doc || !ctx.meta || json_object_set_new(doc, "envlock", json_integer(EL_LOCK_SCHEMA))) {
		ret = el__error_oom();
		goto done;
	}
	if (!ctx.workdir) {
		ret = el__error_errno(EL_ERROR, "cannot read the working directory");
		goto done;
	}
	ret = open_cache(&ctx, opts, &cache_dir);
	if (ret != EL_OK)
		goto done;
	/* One directory for the stat cache and the data digests, chosen once from the options. */
	ctx.cache_dir = cache_dir;
	resolved = *opts;
	resolved.cache_dir = cache_dir;
	opts = &resolved;
	ret = el__state_begin(&state, &ctx, opts);
	if (ret != EL_OK)
		goto done;
	if (!state.hit) {
		/* Which interpreter the python probe describes is decided by what these read: watched too. */
		el__state_watch(&state, true);
		choose_python(&ctx, &python, opts);
		ret = check_requested(&ctx);
		el__state_watch(&state, false);
		if (ret != EL_OK)
			goto done;
	}
	if (!ctx.may_run)
		el__warn(&ctx, "capture", "%s is not trusted: its programs are not run nor its libraries loaded "
			 "(--trust-root allows it), so versions only they can tell are left out", ctx.root);
	if (opts->profile) {
		ctx.profile = opts->profile;
	} else {
		ret = el_profile_load(&own_profile, "default");
		if (ret != EL_OK)
			goto done;
		ctx.profile = own_profile;
	}
	ret = run_probes(doc, &ctx, &python, &state);
	if (ret != EL_OK)
		goto done;
	ret = add_data(doc, opts, ctx.profile);
	if (ret != EL_OK)
		goto done;
	ret = fill_meta(ctx.meta, ctx.profile);
	if (ret != EL_OK)
		goto done;
	if (json_object_set(doc, "meta", ctx.meta)) {
		ret = el__error_oom();
		goto done;
	}
	lock = el__lock_wrap(doc);
	doc = NULL;
	if (!lock) {
		ret = el__error_oom();
		goto done;
	}
	ret = el_lock_fingerprint(fingerprint, lock);
	/* Probes write no value the canonical form refuses: this is a bug, not bad input. */
	if (ret != EL_OK && ret != EL_ENOMEM)
		ret = el__error_reraise(EL_ERROR, "cannot fingerprint the lock: ");
	if (ret != EL_OK)
		goto done;
	if (json_object_set_new(lock->doc, "fingerprint", json_string(fingerprint))) {
		ret = el__error_oom();
		goto done;
	}
	if (el__cache_save(ctx.cache) != EL_OK)
		el__warn(&ctx, "cache", "%s", el_error_last());
	el__state_end(&state, &ctx, lock->doc);
	*out = lock;
	lock = NULL;
done:
	el_lock_free(lock);
	el_profile_free(own_profile);
	json_decref(doc);
	json_decref(ctx.meta);
	el__probe_ctx_release(&ctx);
	el__cache_free(ctx.cache);
	free(cache_dir);
	el__state_release(&state);
	return ret;
}
