/* SPDX-License-Identifier: Apache-2.0 */
#include "state/capture_state.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/sandbox.h"
#include "envlock/version.h"
#include "lock/lock_internal.h"
#include "util/cache.h"
#include "util/error.h"

/* Records kept in the cache directory: a few projects, a few envlock builds each. */
#define RECORDS_KEPT 16

static void add_field(el__buf *key, const char *name, const void *value, size_t len)
{
	el__buf_puts(key, name);
	el__buf_putc(key, '\0');
	el__buf_add(key, value, len);
	el__buf_putc(key, '\0');
}

static void add_text(el__buf *key, const char *name, const char *value)
{
	/* Absent and empty differ: a tag byte first. */
	add_field(key, name, value ? "+" : "-", 1);
	if (value)
		add_field(key, name, value, strlen(value));
}

static bool add_identity(el__buf *key, const char *name, const char *path)
{
	struct stat st;
	el__ident id;

	if (stat(path, &st) != 0)
		return false;
	el__ident_of(&id, &st);
	add_field(key, name, &id, sizeof(id));
	return true;
}

bool el__state_key(el__buf *key, const char *workdir, const el_capture_options *opts, const char *binary)
{
	const char *fingerprint = el_lock_stored_fingerprint(opts->checking);
	char cwd[PATH_MAX];
	uint32_t ids[2] = { (uint32_t)geteuid(), (uint32_t)getegid() };

	if (!opts->checking->fingerprint_checked || !fingerprint || !getcwd(cwd, sizeof(cwd)))
		return false;
	add_text(key, "record", "envlock state record 1");
	add_text(key, "version", EL_VERSION);
	if (!add_identity(key, "binary", binary))
		return false;
	add_text(key, "lock", fingerprint);
	add_text(key, "python", opts->python);
	add_text(key, "workdir", workdir);
	add_text(key, "cwd", cwd);
	add_field(key, "user", ids, sizeof(ids));
	add_text(key, "profile", opts->profile ? opts->profile->name : NULL);
	add_text(key, "profile source", opts->profile ? opts->profile->source : NULL);
	if (opts->profile && opts->profile->source[0] == '/' && !add_identity(key, "profile file", opts->profile->source))
		return false;
	return !el__buf_failed(key);
}

/* Whether the sandbox shows dir or the record in it: a job there could have written the record. */
static bool shown(const el_capture_options *opts, const char *dir, const char *name)
{
	char *real;
	el__buf file;
	bool seen;

	if (!opts->sandbox)
		return false;
	if (!(real = realpath(dir, NULL)))
		return true;
	el__buf_init(&file);
	el__buf_printf(&file, "%s/%s", real, name);
	seen = el__buf_failed(&file) || el_sandbox_plan_shows(opts->sandbox, real) ||
	       el_sandbox_plan_shows(opts->sandbox, file.data);
	el__buf_free(&file);
	free(real);
	return seen;
}

static void replay_warnings(const el__record *r, el__probe_ctx *ctx)
{
	for (size_t i = 0; ctx->warn && i < el__record_warning_count(r); i++) {
		const char *line = el__record_warning(r, i);
		const char *tab = strchr(line, '\t');
		char section[64];

		if (!tab || (size_t)(tab - line) >= sizeof(section))
			continue;
		memcpy(section, line, (size_t)(tab - line));
		section[tab - line] = '\0';
		ctx->warn(ctx->warn_data, section, tab + 1);
	}
}

int el__state_begin(el__capture_state *s, el__probe_ctx *ctx, const el_capture_options *opts)
{
	const char *dir = opts->cache_dir, *why = NULL;
	el__record *record = NULL;
	int ret = EL_OK;

	memset(s, 0, sizeof(*s));
	s->dirfd = -1;
	el__buf_init(&s->key);
	if (!opts->checking || *ctx->root || opts->observed_count)
		return EL_OK;
	if (!dir || !*dir || !el__state_key(&s->key, ctx->workdir, opts, "/proc/self/exe"))
		goto done;
	el__record_name(s->name, sizeof(s->name), &s->key);
	if (shown(opts, dir, s->name) || (s->dirfd = el__cache_open_dir(dir, &why)) < 0)
		goto done;
	s->lock = el__lock_doc(opts->checking);
	ret = el__record_load(&record, s->dirfd, s->name, &s->key);
	if (ret != EL_OK)
		goto done;
	if (record && el__record_holds(record, opts->env)) {
		s->hit = true;
		replay_warnings(record, ctx);
	} else {
		ret = el__watch_new(&s->watch, dir);
	}
done:
	el__record_free(record);
	return ret;
}

void el__state_watch(el__capture_state *s, bool on)
{
	if (!s->watch)
		return;
	if (on)
		el__watch_begin(s->watch);
	else
		el__watch_end(s->watch);
}

/* Whether doc's replayable sections are the lock's, absent where it has none. */
static bool as_locked(const el__capture_state *s, const json_t *doc)
{
	for (unsigned i = 0; i < el__probe_count; i++) {
		const json_t *mine, *locked;

		if (!el__probes[i].replayable)
			continue;
		mine = json_object_get(doc, el__probes[i].section);
		locked = json_object_get(s->lock, el__probes[i].section);
		if ((mine || locked) && !json_equal(mine, locked))
			return false;
	}
	return true;
}

void el__state_end(el__capture_state *s, el__probe_ctx *ctx, const json_t *doc)
{
	if (!s->watch || el__watch_unusable(s->watch) || !as_locked(s, doc))
		return;
	if (el__record_save(s->dirfd, s->name, &s->key, s->watch) != EL_OK)
		el__warn(ctx, "cache", "%s", el_error_last());
	else
		el__record_prune(s->dirfd, RECORDS_KEPT);
}

void el__state_release(el__capture_state *s)
{
	el__watch_free(s->watch);
	s->watch = NULL;
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
	el__buf_free(&s->key);
}
