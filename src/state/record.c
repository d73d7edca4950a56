/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state record's file: encoded, decoded, read and written.
 *
 *   "ELSTATE1"
 *   u32 key length, the key
 *   u32 warning count, each: u32 length, the text and a NUL
 *   u32 dependency count, each:
 *     u8 kind, i32 arg, i32 err, u32 name length, the name and a NUL,
 *     then when err is 0: an identity (stat kinds: dev, ino, size, mtime,
 *     ctime as u64, mode, uid, gid as u32) or a text (u32 length, the text,
 *     a NUL)
 *   u64 checksum of everything before it
 *
 * Names and texts keep their NUL so that a decoded dependency points into
 * the file's bytes: replaying one costs no copy.
 */
#include "state/record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/checksum.h"
#include "util/error.h"

#define MAGIC "ELSTATE1"
#define RECORD_MAX_BYTES (64 << 20)

struct el__record {
	char *bytes; /* owned when read from a file */
	char **warnings;
	size_t warning_count;
	el__dep *deps;
	size_t dep_count;
};

void el__record_name(char *name, size_t size, const el__buf *key)
{
	snprintf(name, size, "state-v1-%016llx", (unsigned long long)el__checksum64(key->data, key->len));
}

static bool has_ident(el__dep_kind kind)
{
	return kind == EL__DEP_STAT || kind == EL__DEP_LSTAT || kind == EL__DEP_NOLINKS;
}

static void put_u32(el__buf *b, uint32_t v)
{
	el__buf_add(b, &v, sizeof(v));
}

static void put_u64(el__buf *b, uint64_t v)
{
	el__buf_add(b, &v, sizeof(v));
}

static void put_text(el__buf *b, const char *s)
{
	size_t n = strlen(s);

	put_u32(b, (uint32_t)n);
	el__buf_add(b, s, n + 1);
}

int el__record_encode(el__buf *out, const el__buf *key, const el__watch *w)
{
	size_t dep_count, warning_count;
	const el__dep *deps = el__watch_deps(w, &dep_count);
	const char *const *warnings = el__watch_warnings(w, &warning_count);

	el__buf_reset(out);
	el__buf_add(out, MAGIC, 8);
	put_u32(out, (uint32_t)key->len);
	el__buf_add(out, key->data, key->len);
	put_u32(out, (uint32_t)warning_count);
	for (size_t i = 0; i < warning_count; i++)
		put_text(out, warnings[i]);
	put_u32(out, (uint32_t)dep_count);
	for (size_t i = 0; i < dep_count; i++) {
		const el__dep *d = &deps[i];
		unsigned char kind = (unsigned char)d->kind;

		el__buf_add(out, &kind, 1);
		put_u32(out, (uint32_t)d->arg);
		put_u32(out, (uint32_t)d->err);
		put_text(out, d->name);
		if (d->err == 0 && has_ident(d->kind)) {
			put_u64(out, d->id.dev);
			put_u64(out, d->id.ino);
			put_u64(out, d->id.size);
			put_u64(out, (uint64_t)d->id.mtime_ns);
			put_u64(out, (uint64_t)d->id.ctime_ns);
			put_u32(out, d->id.mode);
			put_u32(out, d->id.uid);
			put_u32(out, d->id.gid);
		} else if (d->err == 0) {
			put_text(out, d->text ? d->text : "");
		}
	}
	put_u64(out, el__checksum64(out->data, out->len));
	return el__buf_failed(out) ? el__error_oom() : EL_OK;
}

/* A bounded reader over the bytes. */
typedef struct reader {
	char *p, *end;
	bool bad;
} reader;

static bool take(reader *r, void *out, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return false;
	}
	memcpy(out, r->p, n);
	r->p += n;
	return true;
}

static uint32_t get_u32(reader *r)
{
	uint32_t v = 0;

	take(r, &v, sizeof(v));
	return v;
}

static uint64_t get_u64(reader *r)
{
	uint64_t v = 0;

	take(r, &v, sizeof(v));
	return v;
}

/* A text of the file, NUL included, in place. */
static char *get_text(reader *r)
{
	uint32_t n = get_u32(r);
	char *s = r->p;

	if (r->bad || (size_t)(r->end - r->p) <= n || s[n] != '\0' || memchr(s, '\0', n)) {
		r->bad = true;
		return NULL;
	}
	r->p += n + 1;
	return s;
}

int el__record_decode(el__record **out, char *data, size_t len, const el__buf *key)
{
	reader r = { data, data + len, false };
	el__record *rec = NULL;
	uint64_t sum;
	uint32_t n;

	*out = NULL;
	if (len < 8 + 4 + 8 || memcmp(data, MAGIC, 8) != 0)
		return EL_OK;
	memcpy(&sum, data + len - 8, 8);
	if (sum != el__checksum64(data, len - 8))
		return EL_OK;
	r.end = data + len - 8;
	r.p += 8;
	n = get_u32(&r);
	if (r.bad || n != key->len || (size_t)(r.end - r.p) < n || memcmp(r.p, key->data, n) != 0)
		return EL_OK;
	r.p += n;
	if (!(rec = calloc(1, sizeof(*rec))))
		return el__error_oom();
	n = get_u32(&r);
	if (n > (size_t)(r.end - r.p) / 5)
		goto bad;
	if (n && !(rec->warnings = calloc(n, sizeof(char *))))
		goto oom;
	for (rec->warning_count = 0; rec->warning_count < n; rec->warning_count++)
		if (!(rec->warnings[rec->warning_count] = get_text(&r)))
			goto bad;
	n = get_u32(&r);
	if (r.bad || n > (size_t)(r.end - r.p) / 14)
		goto bad;
	if (n && !(rec->deps = calloc(n, sizeof(el__dep))))
		goto oom;
	for (rec->dep_count = 0; rec->dep_count < n; rec->dep_count++) {
		el__dep *d = &rec->deps[rec->dep_count];
		unsigned char kind = EL__DEP_KINDS;

		take(&r, &kind, 1);
		d->kind = (el__dep_kind)kind;
		d->arg = (int)get_u32(&r);
		d->err = (int)get_u32(&r);
		d->name = get_text(&r);
		if (r.bad || kind >= EL__DEP_KINDS)
			goto bad;
		if (d->err == 0 && has_ident(d->kind)) {
			d->id.dev = get_u64(&r);
			d->id.ino = get_u64(&r);
			d->id.size = get_u64(&r);
			d->id.mtime_ns = (int64_t)get_u64(&r);
			d->id.ctime_ns = (int64_t)get_u64(&r);
			d->id.mode = get_u32(&r);
			d->id.uid = get_u32(&r);
			d->id.gid = get_u32(&r);
		} else if (d->err == 0) {
			d->text = get_text(&r);
		}
		if (r.bad)
			goto bad;
	}
	if (r.p != r.end)
		goto bad;
	*out = rec;
	return EL_OK;
bad:
	el__record_free(rec);
	return EL_OK;
oom:
	el__record_free(rec);
	return el__error_oom();
}

int el__record_load(el__record **out, int dirfd, const char *name, const el__buf *key)
{
	struct stat st;
	char *bytes;
	size_t got = 0;
	int ret, fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return EL_OK;
	/* As the stat cache's file: this user's alone, or no record. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    st.st_size > RECORD_MAX_BYTES || !(bytes = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return EL_OK;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, bytes + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	ret = got == (size_t)st.st_size ? el__record_decode(out, bytes, got, key) : EL_OK;
	if (*out)
		(*out)->bytes = bytes;
	else
		free(bytes);
	return ret;
}

void el__record_free(el__record *r)
{
	if (!r)
		return;
	free(r->bytes);
	free(r->warnings);
	free(r->deps);
	free(r);
}

bool el__record_holds(const el__record *r, const char *const *env)
{
	for (size_t i = 0; i < r->dep_count; i++)
		if (!el__dep_holds(&r->deps[i], env))
			return false;
	return true;
}

size_t el__record_warning_count(const el__record *r)
{
	return r->warning_count;
}

const char *el__record_warning(const el__record *r, size_t i)
{
	return r->warnings[i];
}

struct aged {
	char name[64];
	long long mtime_ns;
};

static int older_first(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

void el__record_prune(int dirfd, size_t keep)
{
	struct aged *all = NULL, *grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "state-v1-", 9) != 0 || strlen(de->d_name) >= sizeof(all->name) ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if (!(grown = realloc(all, cap * sizeof(*all))))
				break;
			all = grown;
		}
		snprintf(all[n].name, sizeof(all[n].name), "%s", de->d_name);
		all[n++].mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	}
	closedir(d);
	if (n > keep) {
		qsort(all, n, sizeof(*all), older_first);
		for (size_t i = 0; i < n - keep; i++)
			unlinkat(dirfd, all[i].name, 0);
	}
	free(all);
}

int el__record_save(int dirfd, const char *name, const el__buf *key, const el__watch *w)
{
	el__buf bytes;
	int ret;

	el__buf_init(&bytes);
	ret = el__record_encode(&bytes, key, w);
	if (ret == EL_OK)
		ret = el__atomic_write_at(dirfd, name, "state record", bytes.data, bytes.len, 0600);
	el__buf_free(&bytes);
	return ret;
}
