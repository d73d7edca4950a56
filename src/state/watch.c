/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The recorder: one watch active at a time, fed by the libc wrappers from
 * every thread of the capture (the parallel hashing of libraries too).
 */
#include "state/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/fs.h"

#define MAX_DEPS 200000 /* a tree walk of 20,000 files, and then some; past it, not worth keeping */
#define MAX_DEVS 64

struct el__watch {
	el__dep *deps;
	size_t count, cap;
	size_t *slots; /* open addressing: index + 1 into deps, 0 empty */
	size_t slot_count;
	char **warnings;
	size_t warning_count;
	char *skip[2]; /* the cache directory as given, and its real path */
	const char *unusable;
	struct {
		uint64_t dev;
		bool kernel;
	} devs[MAX_DEVS];
	size_t dev_count;
};

static _Atomic(el__watch *) active;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Set while this thread records: the recorder's own calls are not the capture's. */
static _Thread_local bool recording;

static void refuse_locked(el__watch *w, const char *why);

int el__watch_new(el__watch **out, const char *skip_dir)
{
	el__watch *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return el__error_oom();
	if (skip_dir && *skip_dir) {
		w->skip[0] = strdup(skip_dir);
		w->skip[1] = realpath(skip_dir, NULL);
		if (!w->skip[0]) {
			el__watch_free(w);
			return el__error_oom();
		}
	}
	*out = w;
	return EL_OK;
}

void el__watch_free(el__watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->count; i++) {
		free(w->deps[i].name);
		free(w->deps[i].text);
	}
	for (size_t i = 0; i < w->warning_count; i++)
		free(w->warnings[i]);
	free(w->warnings);
	free(w->deps);
	free(w->slots);
	free(w->skip[0]);
	free(w->skip[1]);
	free(w);
}

void el__watch_begin(el__watch *w)
{
	el__watch *none = NULL;

	/*
	 * One at a time: a second capture watched at the same time (two
	 * threads of a program using the library) would have its calls go into
	 * the first one's watch, and its own would miss them.
	 */
	if (!atomic_compare_exchange_strong(&active, &none, w)) {
		pthread_mutex_lock(&lock);
		refuse_locked(w, "another capture was watched at the same time");
		if (none)
			refuse_locked(none, "another capture was watched at the same time");
		pthread_mutex_unlock(&lock);
	}
}

void el__watch_end(el__watch *w)
{
	el__watch *mine = w;

	/* Taken and given back: a wrapper still recording in another thread finishes first. */
	pthread_mutex_lock(&lock);
	atomic_compare_exchange_strong(&active, &mine, NULL);
	pthread_mutex_unlock(&lock);
}

bool el__watch_on(void)
{
	return atomic_load_explicit(&active, memory_order_relaxed) != NULL && !recording;
}

const el__dep *el__watch_deps(const el__watch *w, size_t *count)
{
	*count = w->count;
	return w->deps;
}

const char *const *el__watch_warnings(const el__watch *w, size_t *count)
{
	*count = w->warning_count;
	return (const char *const *)w->warnings;
}

const char *el__watch_unusable(const el__watch *w)
{
	if (w->unusable)
		return w->unusable;
	/* A capture always looks at files: none seen means the calls went around the wrappers. */
	if (w->count == 0)
		return "it saw no call (envlock linked without its wrappers?)";
	for (size_t i = 0; i < w->count; i++) {
		const el__dep *d = &w->deps[i];

		/* A shape is compared by value: no clock tick can hide a change of it. */
		if (d->err == 0 && (d->kind == EL__DEP_STAT || d->kind == EL__DEP_LSTAT || d->kind == EL__DEP_NOLINKS) &&
		    d->arg != EL__DEP_SHAPE &&
		    (el__cache_too_recent(d->id.mtime_ns) || el__cache_too_recent(d->id.ctime_ns)))
			return "a file it read changed in the last two seconds";
	}
	return NULL;
}

void el__ident_of(el__ident *id, const struct stat *st)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_ns = el__mtime_ns(st);
	id->ctime_ns = el__ctime_ns(st);
	id->mode = (uint32_t)st->st_mode;
	id->uid = (uint32_t)st->st_uid;
	id->gid = (uint32_t)st->st_gid;
}

bool el__ident_same(int arg, const el__ident *a, const el__ident *b)
{
	if (a->dev != b->dev || a->ino != b->ino || a->mode != b->mode || a->uid != b->uid || a->gid != b->gid)
		return false;
	return arg == EL__DEP_SHAPE || (a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns);
}

/* Under the lock from here on. */

static void refuse_locked(el__watch *w, const char *why)
{
	if (!w->unusable)
		w->unusable = why;
}

static uint64_t hash_key(el__dep_kind kind, int arg, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ ((uint64_t)kind * 31 + (uint64_t)(unsigned)arg);

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static bool grow_slots(el__watch *w)
{
	size_t count = w->slot_count ? w->slot_count * 2 : 1024;
	size_t *slots = calloc(count, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < w->count; i++) {
		size_t s = hash_key(w->deps[i].kind, w->deps[i].arg, w->deps[i].name) & (count - 1);

		while (slots[s])
			s = (s + 1) & (count - 1);
		slots[s] = i + 1;
	}
	free(w->slots);
	w->slots = slots;
	w->slot_count = count;
	return true;
}

/* The entry for (kind, arg, name): found, or a new one in *fresh. NULL when out of room. */
static el__dep *entry(el__watch *w, el__dep_kind kind, int arg, const char *name, bool *fresh)
{
	size_t s;

	*fresh = false;
	if ((w->count + 1) * 2 > w->slot_count && !grow_slots(w))
		return NULL;
	for (s = hash_key(kind, arg, name) & (w->slot_count - 1); w->slots[s]; s = (s + 1) & (w->slot_count - 1)) {
		el__dep *d = &w->deps[w->slots[s] - 1];

		if (d->kind == kind && d->arg == arg && strcmp(d->name, name) == 0)
			return d;
	}
	if (w->count >= MAX_DEPS)
		return NULL;
	if (w->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		el__dep *deps = realloc(w->deps, cap * sizeof(*deps));

		if (!deps)
			return NULL;
		w->deps = deps;
		w->cap = cap;
	}
	memset(&w->deps[w->count], 0, sizeof(el__dep));
	if (!(w->deps[w->count].name = strdup(name)))
		return NULL;
	w->deps[w->count].kind = kind;
	w->deps[w->count].arg = arg;
	w->slots[s] = ++w->count;
	*fresh = true;
	return &w->deps[w->count - 1];
}

static bool under(const char *path, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	return n && strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/*
 * The path a call named: as given when absolute or relative to the working
 * directory (which the record's key holds), else below what dirfd is, as
 * the kernel names it. False when that cannot be known.
 */
static bool full_path(el__buf *out, int dirfd, const char *path)
{
	char link[64], target[4096];
	ssize_t n;

	if (path[0] == '/' || dirfd == AT_FDCWD) {
		el__buf_puts(out, path);
		return !el__buf_failed(out);
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || (size_t)n >= sizeof(target) - 1 || target[0] != '/')
		return false;
	target[n] = '\0';
	/* An unlinked directory's name says so: nothing names it any more. */
	if (n > 10 && strcmp(target + n - 10, " (deleted)") == 0)
		return false;
	el__buf_puts(out, target);
	if (*path && strcmp(path, ".") != 0) {
		if (strcmp(target, "/") != 0)
			el__buf_putc(out, '/');
		el__buf_puts(out, path);
	}
	return !el__buf_failed(out);
}

/* The kernel's own file systems: their files' identities say nothing of their content. */
static bool kernel_fs(long type)
{
	static const long types[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC,
		TRACEFS_MAGIC, SECURITYFS_MAGIC, BPF_FS_MAGIC, DEVPTS_SUPER_MAGIC, EFIVARFS_MAGIC,
		PSTOREFS_MAGIC, BINFMTFS_MAGIC, NSFS_MAGIC, SELINUX_MAGIC, SMACK_MAGIC, 0x62656570 /* configfs */,
		0x65735543 /* fusectl */, 0x19800202 /* mqueue */,
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (type == types[i])
			return true;
	return false;
}

/* Whether id lives on one of them; fd (or -1) or path tells which file system it is. */
static bool on_kernel_fs(el__watch *w, const el__ident *id, int fd, const char *path, bool nofollow)
{
	struct statfs fs;
	int rc;

	for (size_t i = 0; i < w->dev_count; i++)
		if (w->devs[i].dev == id->dev)
			return w->devs[i].kernel;
	if (fd >= 0) {
		rc = fstatfs(fd, &fs);
	} else if (nofollow || S_ISLNK(id->mode)) {
		/* statfs follows links: a link's file system is its directory's. */
		el__buf dir;

		el__buf_init(&dir);
		el__buf_puts(&dir, path[0] == '/' ? "" : "./");
		el__buf_puts(&dir, path);
		el__path_parent(&dir);
		rc = el__buf_failed(&dir) ? -1 : statfs(dir.data, &fs);
		el__buf_free(&dir);
	} else {
		rc = statfs(path, &fs);
	}
	if (rc != 0)
		return true; /* not known: not trusted */
	if (w->dev_count < MAX_DEVS) {
		w->devs[w->dev_count].dev = id->dev;
		w->devs[w->dev_count++].kernel = kernel_fs((long)fs.f_type);
	}
	return kernel_fs((long)fs.f_type);
}

/* Begin recording a call on path: the watch (locked), and the full path in *name; NULL to skip it. */
static el__watch *begin(int dirfd, const char *path, el__buf *name)
{
	el__watch *w;

	el__buf_init(name);
	recording = true;
	pthread_mutex_lock(&lock);
	w = atomic_load(&active);
	if (!w)
		goto skip;
	if (!full_path(name, dirfd, path)) {
		refuse_locked(w, "a path relative to a directory whose name is not known");
		goto skip;
	}
	if (under(name->data, w->skip[0]) || under(name->data, w->skip[1]))
		goto skip;
	return w;
skip:
	pthread_mutex_unlock(&lock);
	recording = false;
	el__buf_free(name);
	return NULL;
}

static void end(el__buf *name)
{
	pthread_mutex_unlock(&lock);
	recording = false;
	el__buf_free(name);
}

/* Keep what kind/name found; a second, different answer means it changed while the capture ran. */
static void note(el__watch *w, el__dep_kind kind, int arg, const char *name, int err, const el__ident *id,
		 const char *text)
{
	bool fresh;
	el__dep *d = entry(w, kind, arg, name, &fresh);

	if (!d) {
		refuse_locked(w, "out of memory, or too many files");
		return;
	}
	if (fresh) {
		d->err = err;
		if (id)
			d->id = *id;
		if (text && !(d->text = strdup(text)))
			refuse_locked(w, "out of memory");
		return;
	}
	if (d->err != err || (id && err == 0 && !el__ident_same(arg, &d->id, id)) ||
	    (text && err == 0 && (!d->text || strcmp(d->text, text) != 0)))
		refuse_locked(w, "a file changed while the capture read it");
}

void el__watch_stat(el__dep_kind kind, int dirfd, const char *path, int err, const struct stat *st)
{
	el__buf name;
	int arg = el__fs_shape_walk() ? EL__DEP_SHAPE : 0;
	el__watch *w = begin(dirfd, path, &name);
	el__ident id;

	if (!w)
		return;
	/* A shape of the kernel's file systems is as good as any: only their content is not in the identity. */
	if (err == 0) {
		el__ident_of(&id, st);
		if (arg != EL__DEP_SHAPE && on_kernel_fs(w, &id, -1, name.data, kind == EL__DEP_LSTAT))
			refuse_locked(w, "a file of /proc, /sys or another kernel file system");
	}
	note(w, kind, arg, name.data, err, err == 0 ? &id : NULL, NULL);
	end(&name);
}

void el__watch_opened(el__dep_kind kind, int dirfd, const char *path, int fd)
{
	el__buf name;
	el__watch *w = begin(dirfd, path, &name);
	struct stat st;
	el__ident id;

	if (!w)
		return;
	if (fstat(fd, &st) != 0) {
		refuse_locked(w, "an opened file that cannot be looked at");
	} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* A device's or a FIFO's bytes are not in its identity. */
		refuse_locked(w, "a device, socket or FIFO opened");
	} else {
		el__ident_of(&id, &st);
		if (on_kernel_fs(w, &id, fd, name.data, false))
			refuse_locked(w, "a file of /proc, /sys or another kernel file system");
		note(w, kind, 0, name.data, 0, &id, NULL);
	}
	end(&name);
}

void el__watch_failed(el__dep_kind kind, int dirfd, const char *path, int err)
{
	el__buf name;
	el__watch *w = begin(dirfd, path, &name);

	if (!w)
		return;
	/*
	 * Missing is what a stat of the same path says again; any other
	 * refusal (permissions, a link where none may be) is the call's own.
	 */
	if (err == ENOENT || err == ENOTDIR)
		note(w, kind, 0, name.data, err, NULL, NULL);
	else
		refuse_locked(w, "a file that could not be opened");
	end(&name);
}

void el__watch_text(el__dep_kind kind, int arg, int dirfd, const char *path, int err, const char *text)
{
	el__buf name;
	el__watch *w = begin(dirfd, path, &name);

	if (!w)
		return;
	note(w, kind, arg, name.data, err, NULL, err == 0 ? text : NULL);
	end(&name);
}

void el__watch_env(el__dep_kind kind, const char *name, const char *value)
{
	el__watch *w;

	recording = true;
	pthread_mutex_lock(&lock);
	if ((w = atomic_load(&active)))
		note(w, kind, 0, name, value ? 0 : ENOENT, NULL, value);
	pthread_mutex_unlock(&lock);
	recording = false;
}

void el__watch_warning(const char *section, const char *message)
{
	el__watch *w;
	char **grown, *line = NULL;

	recording = true;
	pthread_mutex_lock(&lock);
	if ((w = atomic_load(&active))) {
		grown = realloc(w->warnings, (w->warning_count + 1) * sizeof(*grown));
		if (grown)
			w->warnings = grown;
		if (!grown || asprintf(&line, "%s\t%s", section, message) < 0)
			refuse_locked(w, "out of memory");
		else
			w->warnings[w->warning_count++] = line;
	}
	pthread_mutex_unlock(&lock);
	recording = false;
}

void el__watch_refuse(const char *why)
{
	el__watch *w;

	recording = true;
	pthread_mutex_lock(&lock);
	if ((w = atomic_load(&active)))
		refuse_locked(w, why);
	pthread_mutex_unlock(&lock);
	recording = false;
}
