/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/python/pymetadata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/text.h"

/* Most METADATA files put Name and Version in their first lines. */
#define FIRST_READ 16384

typedef struct line {
	const char *s;
	size_t len; /* without the line end */
	bool ended; /* a line end followed (the email parser keeps it in the value) */
} line;

enum field { F_NONE, F_NAME, F_VERSION, F_OTHER };

typedef struct parser {
	el__pymeta *out;
	enum field pending; /* the header whose continuation lines may follow */
	el__buf value;
} parser;

/*
 * The next line of text at *pos. Returns 1 with *l set, 0 at the end of
 * text, -1 when text stops in the middle of a line (or between "\r" and a
 * possible "\n") and more text may follow.
 */
static int next_line(const char *text, size_t len, size_t *pos, bool complete, line *l)
{
	size_t i = *pos;

	if (i >= len)
		return complete ? 0 : -1;
	while (i < len && text[i] != '\n' && text[i] != '\r')
		i++;
	*l = (line){ text + *pos, i - *pos, i < len };
	if (i == len) {
		if (!complete)
			return -1;
		*pos = len;
	} else if (text[i] == '\r' && i + 1 == len && !complete) {
		return -1;
	} else {
		*pos = i + 1 + (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n');
	}
	return 1;
}

/* The email parser's headerRE: ^(From |[\041-\071\073-\176]*:|[\t ]) */
static bool header_like(const line *l)
{
	if (l->len == 0)
		return false;
	if (l->s[0] == ' ' || l->s[0] == '\t')
		return true;
	if (l->len >= 5 && memcmp(l->s, "From ", 5) == 0)
		return true;
	for (size_t i = 0; i < l->len; i++) {
		unsigned char c = (unsigned char)l->s[i];

		if (c == ':')
			return true;
		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return false;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* Length of the longest common prefix of a and b. */
static size_t common(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0;

	while (i < alen && i < blen && a[i] == b[i])
		i++;
	return i;
}

/*
 * textwrap.dedent(" " * 8 + value), which importlib applies to every value
 * that spans lines: lines of only blanks become empty, then the leading
 * blanks all other lines share are removed.
 */
static char *redent(const char *value)
{
	el__buf text, out;
	const char *margin = NULL;
	size_t mlen = 0;
	char *ret;

	el__buf_init(&text);
	el__buf_init(&out);
	el__buf_puts(&text, "        ");
	el__buf_puts(&text, value);
	for (const char *p = text.data; p <= text.data + text.len;) {
		size_t len = strcspn(p, "\n"), ind = strspn(p, " \t");

		if (ind < len) {
			if (!margin)
				margin = p, mlen = ind;
			else
				mlen = common(margin, mlen, p, ind);
		}
		p += len + 1;
	}
	for (const char *p = text.data; p <= text.data + text.len;) {
		size_t len = strcspn(p, "\n");

		if (p != text.data)
			el__buf_putc(&out, '\n');
		if (!blank(p, len)) {
			/* Every such line starts with the margin: it is their common prefix. */
			el__buf_add(&out, p + mlen, len - mlen);
		}
		p += len + 1;
	}
	ret = el__buf_failed(&text) || el__buf_failed(&out) ? NULL : el__buf_detach(&out, NULL);
	el__buf_free(&text);
	el__buf_free(&out);
	return ret;
}

/* compat32's header_source_parse, then importlib's re-indenting. */
static int commit(parser *p)
{
	char **slot = p->pending == F_NAME ? &p->out->name :
		      p->pending == F_VERSION ? &p->out->version : NULL;
	el__buf *v = &p->value;

	p->pending = F_NONE;
	if (!slot || *slot)
		return EL_OK;
	while (v->len && (v->data[v->len - 1] == '\n' || v->data[v->len - 1] == '\r'))
		v->data[--v->len] = '\0';
	if (el__buf_failed(v))
		return el__error_oom();
	*slot = strchr(v->data, '\n') ? redent(v->data) : strdup(v->data);
	return *slot ? EL_OK : el__error_oom();
}

static void start_header(parser *p, const line *l)
{
	const char *colon = memchr(l->s, ':', l->len), *v = colon + 1, *end = l->s + l->len;
	size_t nlen = (size_t)(colon - l->s);

	if (nlen == 4 && strncasecmp(l->s, "name", 4) == 0)
		p->pending = F_NAME;
	else if (nlen == 7 && strncasecmp(l->s, "version", 7) == 0)
		p->pending = F_VERSION;
	else
		p->pending = F_OTHER;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	el__buf_reset(&p->value);
	el__buf_add(&p->value, v, (size_t)(end - v));
	if (l->ended)
		el__buf_putc(&p->value, '\n');
}

/* One line of the header block, as email.feedparser's _parse_headers takes it. */
static int header_line(parser *p, const line *l)
{
	int ret;

	if (l->s[0] == ' ' || l->s[0] == '\t') {
		/* A continuation with no header before it is dropped. */
		if (p->pending != F_NONE) {
			el__buf_add(&p->value, l->s, l->len);
			if (l->ended)
				el__buf_putc(&p->value, '\n');
		}
		return EL_OK;
	}
	if ((ret = commit(p)) != EL_OK)
		return ret;
	/* "From " lines (a Unix mbox envelope) and ":value" lines are no headers. */
	if (l->s[0] == ':' || (l->len >= 5 && memcmp(l->s, "From ", 5) == 0))
		return EL_OK;
	start_header(p, l);
	return EL_OK;
}

int el__pymeta_parse(el__pymeta *out, const char *text, size_t len, bool complete)
{
	parser p = { .out = out, .pending = F_NONE };
	size_t pos = 0;
	line l;
	int r, ret = EL_OK;

	memset(out, 0, sizeof(*out));
	el__buf_init(&p.value);
	while (!(out->name && out->version)) {
		r = next_line(text, len, &pos, complete, &l);
		if (r < 0) {
			/* A line that does not start with a blank closes the header before it. */
			if (pos < len && text[pos] != ' ' && text[pos] != '\t' && (ret = commit(&p)) != EL_OK)
				break;
			ret = out->name && out->version ? EL_OK : EL__PYMETA_MORE;
			break;
		}
		if (r == 0 || !header_like(&l)) {
			ret = commit(&p);
			break;
		}
		if (memchr(l.s, '\0', l.len)) {
			ret = el__error(EL_EINVAL, "a header line holds a NUL byte");
			break;
		}
		if (!el__utf8_valid(l.s, l.len)) {
			ret = el__error(EL_EINVAL, "not valid UTF-8");
			break;
		}
		if ((ret = header_line(&p, &l)) != EL_OK)
			break;
	}
	el__buf_free(&p.value);
	if (ret != EL_OK)
		el__pymeta_free(out);
	return ret;
}

static ssize_t read_some(int fd, el__buf *b, size_t want)
{
	return el__buf_read(b, fd, want < FIRST_READ ? want : FIRST_READ);
}

/* Read from fd until the headers are known, the file ends or the cap is hit. */
static int read_and_parse(el__pymeta *out, int fd, const char *display)
{
	el__buf b;
	ssize_t n;
	bool eof;
	int ret = EL__PYMETA_MORE;

	el__buf_init(&b);
	while (ret == EL__PYMETA_MORE) {
		if (b.len >= EL_PYMETA_MAX_BYTES) {
			ret = el__error(EL_EINVAL, "%s: header block larger than %d bytes", display,
					EL_PYMETA_MAX_BYTES);
			break;
		}
		n = read_some(fd, &b, EL_PYMETA_MAX_BYTES - b.len);
		if (n < 0 && el__buf_failed(&b)) {
			ret = el__error_oom();
			break;
		}
		if (n < 0) {
			ret = el__error_errno(EL_ERROR, "%s", display);
			break;
		}
		eof = n == 0;
		if (eof && b.len == 0) {
			ret = EL_ENOTFOUND; /* empty: importlib tries the next file */
			break;
		}
		if (el__buf_failed(&b)) {
			ret = el__error_oom();
			break;
		}
		ret = el__pymeta_parse(out, b.data, b.len, eof);
		/* Name the file: the parser's message cannot. */
		if (ret == EL_EINVAL)
			el__error_prefix(display);
	}
	el__buf_free(&b);
	return ret;
}

int el__pymeta_read_at(el__pymeta *out, int dirfd, const char *path, const char *display)
{
	struct stat st;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	/* O_NONBLOCK: a FIFO planted as METADATA must not hang the capture. */
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return EL_ENOTFOUND;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return EL_ENOTFOUND;
	}
	ret = read_and_parse(out, fd, display);
	close(fd);
	return ret;
}

void el__pymeta_free(el__pymeta *m)
{
	if (!m)
		return;
	free(m->name);
	free(m->version);
	m->name = NULL;
	m->version = NULL;
}
