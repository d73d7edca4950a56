/* SPDX-License-Identifier: Apache-2.0 */
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_message[1024];
static _Thread_local int last_code;

/* Only a failure's code is recorded: see el__error() in error.h. */
static int failure(int code)
{
	return code < EL_OK ? code : EL_ERROR;
}

__attribute__((format(printf, 3, 0)))
static int set_message(int code, const char *suffix, const char *fmt, va_list ap)
{
	int n = vsnprintf(last_message, sizeof(last_message), fmt, ap);

	if (suffix && n >= 0 && (size_t)n < sizeof(last_message))
		snprintf(last_message + n, sizeof(last_message) - (size_t)n, ": %s", suffix);
	last_code = failure(code);
	return last_code;
}

int el__error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = set_message(code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int el__error_errno(int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	code = set_message(code, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
	return code;
}

/* The last message with before and sep in front, cut to fit, as code. */
static int rewrite(int code, const char *before, const char *sep)
{
	char copy[sizeof(last_message)];
	size_t n;

	memcpy(copy, last_message, sizeof(copy));
	n = (size_t)snprintf(last_message, sizeof(last_message), "%s%s", before, sep);
	if (n < sizeof(last_message))
		snprintf(last_message + n, sizeof(last_message) - n, "%s", copy);
	last_code = failure(code);
	return last_code;
}

int el__error_prefix(const char *prefix)
{
	return rewrite(last_code, prefix, ": ");
}

int el__error_reraise(int code, const char *before)
{
	return rewrite(code, before ? before : "", "");
}

int el__error_oom(void)
{
	return el__error(EL_ENOMEM, "out of memory");
}

const char *el_error_last(void)
{
	return last_code ? last_message : "no error";
}

int el_error_last_code(void)
{
	return last_code;
}

void el_error_clear(void)
{
	last_code = EL_OK;
	last_message[0] = '\0';
}
