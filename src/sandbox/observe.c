/* SPDX-License-Identifier: Apache-2.0 */
/*
 * After an observed run: the observer's lines into host files and their
 * SHA-256. The lines are the command's to write (it holds descriptor 3),
 * so each is checked, resolved on the host and hashed by envlock itself;
 * nothing the command wrote is taken for a digest.
 */
#include "sandbox/observe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/resolve.h"
#include "util/sha256.h"
#include "util/text.h"

static bool line_valid(const char *line, size_t len)
{
	if (len == 0 || len > EL_SANDBOX_OBSERVED_MAX_PATH || line[0] != '/')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return false;
	return el__utf8_valid(line, len);
}

int el__observe_parse(el__observe_lines *out, char *text, size_t len)
{
	size_t cap = 0, n = 0, kept = 0;
	char **paths = NULL;

	memset(out, 0, sizeof(*out));
	for (size_t at = 0; at < len;) {
		char *nl = memchr(text + at, '\n', len - at);
		size_t line_len = nl ? (size_t)(nl - (text + at)) : len - at;

		/* A last line without its newline was cut short (or forged): not a path. */
		if (!nl || !line_valid(text + at, line_len)) {
			out->refused++;
			at += line_len + 1;
			continue;
		}
		*nl = '\0';
		if (n == cap) {
			size_t grown_cap = cap ? cap * 2 : 256;
			char **grown = realloc(paths, grown_cap * sizeof(*paths));

			if (!grown) {
				free(paths);
				return el__error_oom();
			}
			paths = grown;
			cap = grown_cap;
		}
		paths[n++] = text + at;
		at += line_len + 1;
	}
	if (n)
		qsort(paths, n, sizeof(*paths), el__strcmp_ptr);
	for (size_t i = 0; i < n; i++) {
		if (kept && strcmp(paths[kept - 1], paths[i]) == 0)
			continue;
		if (kept == EL_SANDBOX_OBSERVED_MAX) {
			out->too_many = true;
			break;
		}
		paths[kept++] = paths[i];
	}
	out->paths = paths;
	out->count = kept;
	return EL_OK;
}

void el_sandbox_objects_free(el_sandbox_objects *objects)
{
	if (!objects)
		return;
	for (size_t i = 0; i < objects->count; i++)
		free(objects->items[i].path);
	free(objects->items);
	for (size_t i = 0; i < objects->link_count; i++) {
		free(objects->links[i].path);
		free(objects->links[i].target);
	}
	free(objects->links);
	free(objects);
}

/* The whole file, up to EL__OBSERVE_MAX_BYTES; *cut when there was more. */
static int read_lines(char **text, size_t *len, bool *cut, int fd)
{
	struct stat st;
	size_t size, done = 0;

	*text = NULL;
	*len = 0;
	*cut = false;
	if (fstat(fd, &st) != 0)
		return el__error_errno(EL_ERROR, "the observer's file");
	size = (size_t)st.st_size;
	if (size > EL__OBSERVE_MAX_BYTES) {
		size = EL__OBSERVE_MAX_BYTES;
		*cut = true;
	}
	if (!(*text = malloc(size + 1)))
		return el__error_oom();
	while (done < size) {
		ssize_t n = pread(fd, *text + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(*text);
			*text = NULL;
			return el__error_errno(EL_ERROR, "reading the observer's file");
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	(*text)[done] = '\0';
	*len = done;
	return EL_OK;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const el_sandbox_object *)a)->path, ((const el_sandbox_object *)b)->path);
}

/*
 * The host file a reported path stands for, or NULL (skipped): the path
 * mapped through the plan's mounts (a --bind SRC:DEST shows SRC at DEST),
 * resolved on the host, shown by the sandbox there, a regular file; started
 * by root, one every user may read, directories on the way included (the
 * sandbox's user is not root; el__path_public).
 */
static char *host_file(const el_sandbox_plan *plan, const char *path, struct stat *st, el__path_links *links)
{
	el__buf mapped;
	char *real = NULL;

	el__buf_init(&mapped);
	if (el__sandbox_plan_host_path(plan, path, &mapped) == EL_OK)
		real = el__path_resolve(mapped.data, links);
	el__buf_free(&mapped);
	if (!real)
		return NULL;
	if (!el__utf8_valid(real, strlen(real)) || !el_sandbox_plan_shows(plan, real) || stat(real, st) != 0 ||
	    !S_ISREG(st->st_mode) || (plan->host_uid == 0 && !el__path_public(real))) {
		free(real);
		return NULL;
	}
	return real;
}

/*
 * With trace: keep the links met on the way to a kept file, those the
 * sandbox showed (and, started by root, in a directory every user may
 * read). false when out of memory.
 */
static bool keep_links(el_sandbox_objects *objs, const el_sandbox_plan *plan, el__path_links *met)
{
	for (size_t i = 0; i < met->count; i++) {
		el__path_link *l = &met->items[i];
		el_sandbox_link *grown;

		if (!el_sandbox_plan_shows(plan, l->path) || (plan->host_uid == 0 && !el__link_public(l->path)) || !el__utf8_valid(l->path, strlen(l->path)) ||
		    !el__utf8_valid(l->target, strlen(l->target)))
			continue;
		grown = realloc(objs->links, (objs->link_count + 1) * sizeof(*grown));
		if (!grown)
			return false;
		objs->links = grown;
		grown[objs->link_count++] = (el_sandbox_link){ .path = l->path, .target = l->target };
		l->path = l->target = NULL;
	}
	return true;
}

/*
 * With trace: the sandbox's own links (a merged /usr's /lib -> usr/lib,
 * made by the plan, not bound from the host) that a kept file's path
 * went through, marked in used[] (one flag per plan step).
 */
static void note_plan_links(bool *used, const el_sandbox_plan *plan, const char *line)
{
	for (size_t i = 0; i < plan->mount_count; i++) {
		const struct el__mount_step *m = &plan->mounts[i];
		size_t n = strlen(m->dest);

		if (m->op == EL__MOUNT_SYMLINK && strncmp(line, m->dest, n) == 0 && line[n] == '/')
			used[i] = true;
	}
}

static bool keep_plan_links(el_sandbox_objects *objs, const el_sandbox_plan *plan, const bool *used)
{
	for (size_t i = 0; i < plan->mount_count; i++) {
		el_sandbox_link *grown;

		if (!used[i])
			continue;
		grown = realloc(objs->links, (objs->link_count + 1) * sizeof(*grown));
		if (!grown)
			return false;
		objs->links = grown;
		grown[objs->link_count].path = strdup(plan->mounts[i].dest);
		grown[objs->link_count].target = strdup(plan->mounts[i].source);
		if (!grown[objs->link_count].path || !grown[objs->link_count].target) {
			free(grown[objs->link_count].path);
			free(grown[objs->link_count].target);
			return false;
		}
		objs->link_count++;
	}
	return true;
}

/*
 * The interpreter an executable script's "#!" line names, a path inside
 * the sandbox (malloc'd), or NULL: the kernel opens it with no system call
 * the trace sees, so the script's own first line is where it is found.
 */
static char *script_interpreter(const char *host_path)
{
	char head[256];
	struct stat st;
	ssize_t n = -1;
	size_t len;
	int fd = open(host_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	const char *p;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
		n = read(fd, head, sizeof(head) - 1);
	if (fd >= 0)
		close(fd);
	if (n < 3 || head[0] != '#' || head[1] != '!')
		return NULL;
	head[n] = '\0';
	p = head + 2 + strspn(head + 2, " \t");
	len = strcspn(p, " \t\r\n");
	return p[0] == '/' && p[len] != '\0' ? strndup(p, len) : NULL;
}

/*
 * With trace: each kept script's interpreter as one more kept object, with
 * the links on the way to it (#!/usr/bin/python3 names a link). An
 * interpreter that is a script itself is followed too, as the kernel
 * does, a few deep.
 */
static int add_interpreters(el_sandbox_objects *objs, const el_sandbox_plan *plan, bool *used)
{
	size_t from = 0;

	for (int depth = 0; depth < 4 && from < objs->count; depth++) {
		size_t to = objs->count;

		for (size_t i = from; i < to; i++) {
			el__path_links met = { 0 };
			char *line = script_interpreter(objs->items[i].path), *real = NULL;
			el_sandbox_object *grown;
			struct stat st;
			bool ok = true;

			if (line && (real = host_file(plan, line, &st, &met))) {
				grown = realloc(objs->items, (objs->count + 1) * sizeof(*grown));
				ok = grown != NULL;
				if (ok) {
					objs->items = grown;
					memset(&grown[objs->count], 0, sizeof(*grown));
					grown[objs->count++].path = real;
					real = NULL;
					note_plan_links(used, plan, line);
					ok = keep_links(objs, plan, &met);
				}
			}
			free(real);
			free(line);
			el__path_links_free(&met);
			if (!ok)
				return el__error_oom();
		}
		from = to;
	}
	return EL_OK;
}

static int link_by_path(const void *a, const void *b)
{
	return strcmp(((const el_sandbox_link *)a)->path, ((const el_sandbox_link *)b)->path);
}

/* Sorted by path, each once (a link on the way to many files was met for each). */
static void sort_links(el_sandbox_objects *objs)
{
	size_t kept = 0;

	if (objs->link_count)
		qsort(objs->links, objs->link_count, sizeof(*objs->links), link_by_path);
	for (size_t i = 0; i < objs->link_count; i++) {
		if (kept && strcmp(objs->links[kept - 1].path, objs->links[i].path) == 0) {
			free(objs->links[i].path);
			free(objs->links[i].target);
			continue;
		}
		objs->links[kept++] = objs->links[i];
	}
	objs->link_count = kept;
}

/* The digests, from the stat cache while a file's identity holds, the rest hashed in parallel. */
static int hash_objects(el_sandbox_objects *objs, const char *cache_dir)
{
	char *dir = cache_dir ? strdup(cache_dir) : el__cache_default_dir();
	el__hash_job *jobs = calloc(objs->count + 1, sizeof(*jobs));
	size_t *owner = calloc(objs->count + 1, sizeof(*owner));
	el__cache *cache = NULL;
	const char *why = NULL;
	size_t n = 0, kept = 0;
	int ret;

	ret = jobs && owner ? el__cache_open(&cache, dir ? dir : "", &why) : el__error_oom();
	for (size_t i = 0; ret == EL_OK && i < objs->count; i++) {
		struct stat st;
		json_t *hit = stat(objs->items[i].path, &st) == 0 ? el__cache_get(cache, "sha256", objs->items[i].path, &st)
								   : NULL;

		if (json_is_string(hit)) {
			snprintf(objs->items[i].sha256, sizeof(objs->items[i].sha256), "%s", json_string_value(hit));
			continue;
		}
		jobs[n].path = objs->items[i].path;
		owner[n++] = i;
	}
	if (ret == EL_OK && n)
		el__sha256_files(jobs, n, 0);
	for (size_t j = 0; ret == EL_OK && j < n; j++) {
		if (jobs[j].rc == EL_OK) {
			memcpy(objs->items[owner[j]].sha256, jobs[j].hex, sizeof(jobs[j].hex));
			el__cache_put(cache, "sha256", jobs[j].path, &jobs[j].st, json_string(jobs[j].hex));
		}
	}
	/* A file that could not be hashed (gone, unreadable) is skipped like one that is not there. */
	for (size_t i = 0; ret == EL_OK && i < objs->count; i++) {
		if (objs->items[i].sha256[0]) {
			objs->items[kept++] = objs->items[i];
		} else {
			free(objs->items[i].path);
			objs->skipped++;
		}
	}
	if (ret == EL_OK) {
		objs->count = kept;
		el__cache_save(cache);
	}
	el__cache_free(cache);
	free(jobs);
	free(owner);
	free(dir);
	return ret;
}

int el_sandbox_observed(el_sandbox_objects **out, const el_sandbox *sandbox, const char *cache_dir)
{
	const el_sandbox_plan *plan = el__sandbox_plan(sandbox);
	el_sandbox_objects *objs = NULL;
	el__observe_lines lines = { 0 };
	bool *used = NULL; /* with trace: per plan step, a link of the sandbox's that a kept file's path went through */
	char *text = NULL;
	size_t len;
	bool cut;
	int ret;

	*out = NULL;
	if (!plan->observe || el__sandbox_audit_fd(sandbox) < 0)
		return el__error(EL_EINVAL, "the sandbox did not observe the run");
	if (!el__sandbox_ended(sandbox))
		return el__error(EL_EINVAL, "the run has not ended");
	ret = read_lines(&text, &len, &cut, el__sandbox_audit_fd(sandbox));
	if (ret == EL_OK)
		ret = el__observe_parse(&lines, text, len);
	if (ret == EL_OK && !(objs = calloc(1, sizeof(*objs))))
		ret = el__error_oom();
	if (ret == EL_OK && !(objs->items = calloc(lines.count + 1, sizeof(*objs->items))))
		ret = el__error_oom();
	if (ret != EL_OK)
		goto done;
	objs->reported = lines.count;
	objs->refused = lines.refused;
	objs->too_many = lines.too_many || cut;
	if (plan->trace && !(used = calloc(plan->mount_count + 1, sizeof(*used)))) {
		ret = el__error_oom();
		goto done;
	}
	for (size_t i = 0; i < lines.count && ret == EL_OK; i++) {
		el__path_links met = { 0 };
		struct stat st;
		char *real = host_file(plan, lines.paths[i], &st, plan->trace ? &met : NULL);

		if (!real) {
			objs->skipped++;
		} else {
			objs->items[objs->count++].path = real;
			if (used)
				note_plan_links(used, plan, lines.paths[i]);
			if (!keep_links(objs, plan, &met))
				ret = el__error_oom();
		}
		el__path_links_free(&met);
	}
	/* Scripts run by the kernel's #!: their interpreters, which no call of theirs named. */
	if (ret == EL_OK && used)
		ret = add_interpreters(objs, plan, used);
	if (ret == EL_OK && used && !keep_plan_links(objs, plan, used))
		ret = el__error_oom();
	if (ret != EL_OK)
		goto done;
	sort_links(objs);
	/* Two names of one file (libblas.so.3 and what it links to) are one object. */
	qsort(objs->items, objs->count, sizeof(*objs->items), by_path);
	{
		size_t kept = 0;

		for (size_t i = 0; i < objs->count; i++) {
			if (kept && strcmp(objs->items[kept - 1].path, objs->items[i].path) == 0) {
				free(objs->items[i].path);
				continue;
			}
			objs->items[kept++] = objs->items[i];
		}
		objs->count = kept;
	}
	ret = hash_objects(objs, cache_dir);
done:
	free(used);
	free(lines.paths);
	free(text);
	if (ret != EL_OK) {
		el_sandbox_objects_free(objs);
		return ret;
	}
	*out = objs;
	return EL_OK;
}
