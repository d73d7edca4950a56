#include "probe/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/ldcache.h"
#include "probe/python_locate.h"
#include "util/error.h"
#include "util/fs.h"

void el__warn(el__probe_ctx *ctx, const char *section, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	if (!ctx->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	/* One line, whatever a file or a program put into the message. */
	for (char *p = message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	ctx->warn(ctx->warn_data, section, message);
}

bool el__ctx_is_host(const el__probe_ctx *ctx)
{
	return !ctx->root || !*ctx->root || strcmp(ctx->root, "/") == 0;
}

int el__probe_which(el__probe_ctx *ctx, const char *program, el__buf *found)
{
	const char *path = getenv("PATH");
	el__buf dir;
	int ret = EL_ENOTFOUND;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	el__buf_init(&dir);
	while (*path) {
		size_t len = strcspn(path, ":");
		struct stat st;

		if (len && path[0] == '/') {
			el__buf_reset(&dir);
			el__buf_add(&dir, path, len);
			el__buf_printf(&dir, "/%s", program);
			el__root_path(found, ctx->root, dir.data);
			if (stat(found->data, &st) == 0 && S_ISREG(st.st_mode) && access(found->data, X_OK) == 0) {
				ret = EL_OK;
				break;
			}
		}
		path += len + (path[len] == ':');
	}
	el__buf_free(&dir);
	if (ret == EL_OK && el__buf_failed(found))
		ret = el__error_oom();
	if (ret == EL_ENOTFOUND)
		el__error(EL_ENOTFOUND, "%s: not found on PATH", program);
	return ret;
}

void el__probe_ctx_release(el__probe_ctx *ctx)
{
	el__ldcache_free(ctx->ldcache);
	ctx->ldcache = NULL;
	el__python_free(ctx->python_info);
	ctx->python_info = NULL;
}
