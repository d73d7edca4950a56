/* SPDX-License-Identifier: Apache-2.0 */
#include "util/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char empty_string[1];

void el__buf_init(el__buf *b)
{
	b->data = empty_string;
	b->len = 0;
	b->cap = 0;
	b->failed = false;
}

void el__buf_free(el__buf *b)
{
	if (b->cap)
		free(b->data);
	el__buf_init(b);
}

char *el__buf_detach(el__buf *b, size_t *len)
{
	char *out = b->cap ? b->data : strdup("");

	if (len)
		*len = b->len;
	el__buf_init(b);
	return out;
}

void el__buf_reset(el__buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
	b->failed = false;
}

static bool grow(el__buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return false;
	if (extra > (size_t)-1 / 2 - b->len)
		goto fail;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = b->cap ? realloc(b->data, cap) : malloc(cap);
	if (!p)
		goto fail;
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return true;
fail:
	b->failed = true;
	return false;
}

void el__buf_truncate(el__buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

void el__buf_add(el__buf *b, const void *data, size_t len)
{
	if (!grow(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

long el__buf_read(el__buf *b, int fd, size_t want)
{
	ssize_t n;

	if (!grow(b, want)) {
		errno = ENOMEM;
		return -1;
	}
	do
		n = read(fd, b->data + b->len, want);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		b->len += (size_t)n;
	b->data[b->len] = '\0';
	return n;
}

void el__buf_puts(el__buf *b, const char *s)
{
	el__buf_add(b, s, strlen(s));
}

void el__buf_putc(el__buf *b, char c)
{
	el__buf_add(b, &c, 1);
}

void el__buf_printf(el__buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

bool el__buf_failed(const el__buf *b)
{
	return b->failed;
}

void el__prefault(void *p, size_t len)
{
	static long page;
	uintptr_t start, end;

	if (!page)
		page = sysconf(_SC_PAGESIZE);
	if (page <= 0 || len < 16 * (size_t)page)
		return;
	start = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	end = ((uintptr_t)p + len) & ~((uintptr_t)page - 1);
	/* Before Linux 5.14 (EINVAL) the pages fault one by one, as they would have. */
	if (end > start)
		madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}
