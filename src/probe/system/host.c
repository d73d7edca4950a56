/* SPDX-License-Identifier: Apache-2.0 */
#include <gnu/libc-version.h>
#include <string.h>
#include <sys/utsname.h>

#include "probe/probe.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

#define OS_RELEASE_MAX (64 * 1024)

/*
 * The value of key in an os-release file (os-release(5): shell-style
 * assignments, values optionally quoted, backslash escapes inside quotes).
 * Writes into out; returns false when the key is absent.
 */
static bool os_release_value(const char *text, const char *key, char *out, size_t outsize)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		const char *eol = strchr(line, '\n');

		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			char quote = (*v == '"' || *v == '\'') ? *v++ : 0;
			size_t n = 0;

			for (; *v && *v != '\n' && n + 1 < outsize; v++) {
				if (quote && *v == quote)
					break;
				if (quote == '"' && *v == '\\' && v[1] && v[1] != '\n')
					v++;
				out[n++] = *v;
			}
			out[n] = '\0';
			return n > 0;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

static void probe_os(el__probe_ctx *ctx, json_t *section)
{
	static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
	char id[128], version[128], text[300];
	el__buf path, resolved, content;
	int rc = EL_ENOTFOUND;

	el__buf_init(&path);
	el__buf_init(&resolved);
	el__buf_init(&content);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && rc == EL_ENOTFOUND; i++) {
		/*
		 * /etc/os-release is usually a link to /usr/lib/os-release: resolve
		 * it inside the root, or a fixture tree would describe this host.
		 */
		rc = el__resolve_in_root(&resolved, ctx->root, paths[i]);
		if (rc == EL_OK) {
			el__root_path(&path, ctx->root, resolved.data);
			rc = el__read_file(&content, path.data, OS_RELEASE_MAX, false);
		}
	}
	if (rc == EL_ENOTFOUND) {
		el__root_path(&path, ctx->root, "");
		el__warn(ctx, "host", "os left out: %s has neither /etc/os-release nor /usr/lib/os-release",
			 *ctx->root ? path.data : "/");
	} else if (rc != EL_OK) {
		el__warn(ctx, "host", "os left out: %s", el_error_last());
	} else if (!os_release_value(content.data, "ID", id, sizeof(id))) {
		el__warn(ctx, "host", "os left out: %s has no ID", path.data);
	} else {
		/* A rolling release has no VERSION_ID: the ID alone says it. */
		if (os_release_value(content.data, "VERSION_ID", version, sizeof(version)))
			snprintf(text, sizeof(text), "%s %s", id, version);
		else
			snprintf(text, sizeof(text), "%s", id);
		if (el__json_set_text(section, "os", text) == EL_EINVAL)
			el__warn(ctx, "host", "os left out: %s is not UTF-8", path.data);
	}
	el__buf_free(&path);
	el__buf_free(&resolved);
	el__buf_free(&content);
}

static void probe_kernel(el__probe_ctx *ctx, json_t *section)
{
	el__buf path, content;
	char *release;

	el__buf_init(&path);
	el__buf_init(&content);
	el__root_path(&path, ctx->root, "/proc/sys/kernel/osrelease");
	if (el__read_file(&content, path.data, 4096, false) != EL_OK) {
		el__warn(ctx, "host", "kernel left out: %s", el_error_last());
	} else {
		release = el__strtrim(content.data);
		if (!*release || strchr(release, '\n'))
			el__warn(ctx, "host", "kernel left out: %s is not one line", path.data);
		else if (el__json_set_text(section, "kernel", release) == EL_EINVAL)
			el__warn(ctx, "host", "kernel left out: %s is not UTF-8", path.data);
	}
	el__buf_free(&path);
	el__buf_free(&content);
}

int el__probe_host(el__probe_ctx *ctx, json_t **section)
{
	struct utsname uts;
	json_t *host = json_object();

	if (!host)
		return el__error_oom();
	/* The architecture is the running one: a fixture tree cannot change it. */
	if (uname(&uts) == 0)
		json_object_set_new(host, "arch", json_string(uts.machine));
	probe_os(ctx, host);
	probe_kernel(ctx, host);
	/* glibc reports its own version; only meaningful for this machine. */
	if (el__ctx_is_host(ctx))
		json_object_set_new(host, "glibc", json_string(gnu_get_libc_version()));
	*section = host;
	return EL_OK;
}
