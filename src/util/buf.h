/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_BUF_H
#define EL_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A growable byte buffer, after git's strbuf.
 *
 * Rules: after el__buf_init(), data is never NULL and always NUL-terminated
 * (data[len] == '\0'), so it can be passed as a C string. An allocation
 * failure makes the buffer "failed": further appends are ignored and
 * el__buf_failed() says so, so that callers check once at the end.
 * el__buf_detach() hands the memory to the caller (free() it); el__buf_free()
 * releases it and leaves an empty, reusable buffer.
 */
typedef struct el__buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
} el__buf;

void el__buf_init(el__buf *b);
void el__buf_free(el__buf *b);
char *el__buf_detach(el__buf *b, size_t *len);
void el__buf_reset(el__buf *b);
/* Cut the content back to its first len bytes (a no-op when it is shorter). */
void el__buf_truncate(el__buf *b, size_t len);
void el__buf_add(el__buf *b, const void *data, size_t len);
void el__buf_puts(el__buf *b, const char *s);
void el__buf_putc(el__buf *b, char c);
/*
 * Read up to want bytes from fd straight onto the end of the buffer (no
 * bounce copy). Returns read(2)'s result, retried on EINTR; on -1 errno is
 * read's, or ENOMEM when the buffer could not grow.
 */
long el__buf_read(el__buf *b, int fd, size_t want);
void el__buf_printf(el__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool el__buf_failed(const el__buf *b);

/*
 * Fault in the pages of len bytes at p (fresh memory about to be written
 * whole, a few hundred kilobytes or more) with one system call rather than
 * a page fault per page, which costs about as much as a stat under
 * virtualization. Only an optimisation: nothing happens where the kernel
 * cannot (MADV_POPULATE_WRITE is Linux 5.14), or for less than 16 pages.
 */
void el__prefault(void *p, size_t len);

#endif
