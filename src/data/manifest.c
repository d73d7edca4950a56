/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manifest of a directory tree as text, read back, and compared. The
 * format is in include/envlock/data.h.
 */
#include "envlock/data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/manifest.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/text.h"

#define MODE_LEN 10

/* "-rw-r--r--", as ls -l writes it: type, then rwx three times with s/S and t/T. */
static void mode_text(char out[MODE_LEN + 1], mode_t mode)
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISLNK(mode) ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		out[3] = (mode & S_IXUSR) ? 's' : 'S';
	if (mode & S_ISGID)
		out[6] = (mode & S_IXGRP) ? 's' : 'S';
	if (mode & S_ISVTX)
		out[9] = (mode & S_IXOTH) ? 't' : 'T';
	out[MODE_LEN] = '\0';
}

/* The inverse of mode_text; false when text is not one it writes. */
static bool parse_mode(const char *text, mode_t *mode)
{
	static const char rwx[] = "rwxrwxrwx";
	mode_t m;

	if (text[0] == 'l')
		m = S_IFLNK;
	else if (text[0] == '-')
		m = S_IFREG;
	else
		return false;
	for (int i = 0; i < 9; i++) {
		const char c = text[1 + i];
		const bool exec = i % 3 == 2;
		const char special = i == 8 ? 't' : 's';
		const mode_t bit = 0400u >> i, special_bit = i == 2 ? S_ISUID : i == 5 ? S_ISGID : S_ISVTX;

		if (c == rwx[i])
			m |= bit;
		else if (exec && c == special)
			m |= bit | special_bit;
		else if (exec && c == special - 'a' + 'A')
			m |= special_bit;
		else if (c != '-')
			return false;
	}
	*mode = m;
	return true;
}

/*
 * Where lines go: a text, or straight into SHA-256 through a buffer, so
 * that the address of a tree of a million files needs no copy of its
 * hundred-megabyte manifest.
 */
typedef struct sink {
	el__buf *text;        /* appended to, or */
	el__sha256_ctx *sha;  /* hashed */
	size_t len;
	char buf[64 * 1024];
} sink;

static void put(sink *s, const char *p, size_t n)
{
	if (s->text) {
		el__buf_add(s->text, p, n);
		return;
	}
	if (n > sizeof(s->buf) - s->len) {
		el__sha256_add(s->sha, s->buf, s->len);
		s->len = 0;
		if (n > sizeof(s->buf)) {
			el__sha256_add(s->sha, p, n);
			return;
		}
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/*
 * One line, built with memcpy: a re-check of a tree of a million files
 * writes a million lines, and a printf per line would cost more than the
 * stats that found them.
 */
static void put_line(sink *s, const el_data_entry *e)
{
	char head[64 + 1 + EL_U64_DEC + 1 + MODE_LEN + 1], *p = head;
	const char *path = e->path;
	size_t run;

	memcpy(p, e->sha256, 64);
	p[64] = ' ';
	p += 65;
	p += el__u64_dec(p, e->size);
	*p++ = ' ';
	mode_text(p, e->mode);
	p[MODE_LEN] = ' ';
	p += MODE_LEN + 1;
	put(s, head, (size_t)(p - head));
	/* A backslash is written "\\" and a newline "\n": nothing else is escaped. */
	while (path[run = strcspn(path, "\\\n")]) {
		put(s, path, run);
		put(s, path[run] == '\n' ? "\\n" : "\\\\", 2);
		path += run + 1;
	}
	put(s, path, run);
	put(s, "\n", 1);
}

int el_data_manifest(char **text, size_t *len, const el_data_tree *tree)
{
	el__buf b;
	sink s = { .text = &b };

	el__buf_init(&b);
	for (size_t i = 0; i < tree->count; i++)
		put_line(&s, &tree->entries[i]);
	if (el__buf_failed(&b)) {
		el__buf_free(&b);
		return el__error_oom();
	}
	/* An empty manifest is "", not NULL. */
	*text = el__buf_detach(&b, len);
	return EL_OK;
}

int el__data_manifest_digest(char hex[EL_SHA256_HEX], const el_data_tree *tree)
{
	sink *s = malloc(sizeof(*s));
	el__sha256_ctx *sha;

	if (!s)
		return el__error_oom();
	s->text = NULL;
	s->len = 0;
	if (!(s->sha = el__sha256_begin())) {
		free(s);
		return EL_ERROR;
	}
	for (size_t i = 0; i < tree->count; i++)
		put_line(s, &tree->entries[i]);
	el__sha256_add(s->sha, s->buf, s->len);
	sha = s->sha;
	free(s);
	return el__sha256_end(sha, hex);
}

/* A decimal size without a sign or leading zero, then a space; its end, or NULL. */
static const char *parse_size(const char *s, unsigned long long *size)
{
	char *end;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != ' '))
		return NULL;
	errno = 0;
	*size = strtoull(s, &end, 10);
	return errno || *end != ' ' ? NULL : end + 1;
}

/* The escaped path of a line (up to its newline) into a new string, or NULL. */
static char *parse_path(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '\\' || s[i + 1] == 'n')) {
			*o++ = s[++i] == 'n' ? '\n' : '\\';
		} else if (s[i] == '\\' || s[i] == '\0') {
			free(out);
			return NULL;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static int parse_line(el_data_entry *e, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	char mode[MODE_LEN + 1];

	if (len < 65 + 2 + MODE_LEN + 2 || !el__lower_hex(p, 64) || p[64] != ' ')
		return -1;
	memcpy(e->sha256, p, 64);
	e->sha256[64] = '\0';
	p = parse_size(p + 65, &e->size);
	if (!p || end - p < MODE_LEN + 2 || p[MODE_LEN] != ' ')
		return -1;
	memcpy(mode, p, MODE_LEN);
	mode[MODE_LEN] = '\0';
	if (!parse_mode(mode, &e->mode))
		return -1;
	p += MODE_LEN + 1;
	e->path = parse_path(p, (size_t)(end - p));
	return e->path && *e->path ? 0 : -1;
}

int el_data_manifest_parse(el_data_tree **out, const char *text, size_t len, const char *display)
{
	el_data_tree *t = calloc(1, sizeof(*t));
	size_t cap = 0, line = 0;
	const char *p = text, *end = text + len;

	*out = NULL;
	if (!t)
		return el__error_oom();
	t->directory = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		line++;
		if (!nl) {
			el_data_tree_free(t);
			return el__error(EL_EINVAL, "%s:%zu: the last line has no newline (truncated?)", display, line);
		}
		if (t->count == cap) {
			el_data_entry *grown = realloc(t->entries, (cap = cap ? cap * 2 : 64) * sizeof(*grown));

			if (!grown) {
				el_data_tree_free(t);
				return el__error_oom();
			}
			t->entries = grown;
		}
		memset(&t->entries[t->count], 0, sizeof(t->entries[0]));
		if (parse_line(&t->entries[t->count], p, (size_t)(nl - p)) != 0) {
			free(t->entries[t->count].path);
			el_data_tree_free(t);
			return el__error(EL_EINVAL, "%s:%zu: not a manifest line (SHA256 SIZE MODE PATH)", display, line);
		}
		t->count++;
		if (t->count > 1 && strcmp(t->entries[t->count - 2].path, t->entries[t->count - 1].path) >= 0) {
			el_data_tree_free(t);
			return el__error(EL_EINVAL, "%s:%zu: paths out of order or repeated", display, line);
		}
		p = nl + 1;
	}
	*out = t;
	return EL_OK;
}

static bool same_entry(const el_data_entry *a, const el_data_entry *b)
{
	return a->mode == b->mode && a->size == b->size && strcmp(a->sha256, b->sha256) == 0;
}

int el_data_compare(el_data_change **changes, size_t *count, const el_data_tree *old, const el_data_tree *now)
{
	el_data_change *out = malloc((old->count + now->count + 1) * sizeof(*out));
	size_t i = 0, j = 0, n = 0;

	*changes = NULL;
	*count = 0;
	if (!out)
		return el__error_oom();
	while (i < old->count || j < now->count) {
		int cmp = i == old->count ? 1 : j == now->count ? -1 : strcmp(old->entries[i].path, now->entries[j].path);

		if (cmp < 0) {
			out[n++] = (el_data_change){ EL_DATA_REMOVED, old->entries[i++].path };
		} else if (cmp > 0) {
			out[n++] = (el_data_change){ EL_DATA_ADDED, now->entries[j++].path };
		} else {
			if (!same_entry(&old->entries[i], &now->entries[j]))
				out[n++] = (el_data_change){ EL_DATA_CHANGED, now->entries[j].path };
			i++;
			j++;
		}
	}
	*changes = out;
	*count = n;
	return EL_OK;
}
