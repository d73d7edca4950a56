/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe/libraries/ldcache.h"
#include "probe/python/python_locate.h"
#include "state/watch.h"
#include "util/env.h"
#include "util/error.h"
#include "util/fs.h"

void el__warn(el__probe_ctx *ctx, const char *section, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	if (!ctx->warn && !el__watch_on())
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/*
	 * One line, and nothing a terminal acts on, whatever a file or a
	 * program put into the message (a hostile direct_url.json's URL):
	 * line breaks become spaces, other control characters (C0, DEL, and
	 * C1 as UTF-8, such as U+009B, a CSI) '?'.
	 */
	for (unsigned char *p = (unsigned char *)message; *p; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = '?';
			p[1] = '?';
			p++;
		}
	}
	/* Kept by a watch (src/state/watch.h): a state record says it again when it stands for this capture. */
	el__watch_warning(section, message);
	if (ctx->warn)
		ctx->warn(ctx->warn_data, section, message);
}

const char *el__probe_getenv(const el__probe_ctx *ctx, const char *name)
{
	return el__env_get(ctx->env, name);
}

bool el__ctx_is_host(const el__probe_ctx *ctx)
{
	return !ctx->root || !*ctx->root || strcmp(ctx->root, "/") == 0;
}

int el__probe_which(el__probe_ctx *ctx, const char *program, el__buf *found)
{
	el__buf inside;
	int ret;

	el__buf_init(&inside);
	ret = el__which(&inside, ctx->root, el__probe_getenv(ctx, "PATH"), program, NULL);
	if (ret == EL_OK)
		el__root_path(found, ctx->root, inside.data);
	else if (ret == EL_ENOTFOUND)
		el__error(EL_ENOTFOUND, "%s: not found on PATH", program);
	el__buf_free(&inside);
	if (ret == EL_OK && el__buf_failed(found))
		ret = el__error_oom();
	return ret;
}

void el__probe_ctx_release(el__probe_ctx *ctx)
{
	el__ldcache_free(ctx->ldcache);
	ctx->ldcache = NULL;
	el__python_free(ctx->python_info);
	ctx->python_info = NULL;
}
