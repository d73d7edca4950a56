/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PEP 610 direct_url.json, read once for everyone who needs it: the
 * python probe records it in python.installs, the sandbox binds editable
 * sources. The file is under site-packages: whoever can write there
 * controls the interpreter anyway, but it is still read as untrusted
 * input (bounded, no symbolic link, types checked).
 */
#include "util/direct_url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#define DIRECT_URL_MAX (64u << 10)

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *el__file_url_path(const char *url)
{
	const char *p;
	char *out, *o;

	if (!url)
		return NULL;
	if (el__startswith(url, "file://localhost/"))
		p = url + strlen("file://localhost");
	else if (el__startswith(url, "file:///"))
		p = url + strlen("file://");
	else
		return NULL;
	out = o = malloc(strlen(p) + 1);
	if (!out)
		return NULL;
	for (; *p; p++) {
		if (*p == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
			*o++ = (char)(hex_value(p[1]) * 16 + hex_value(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	/* A NUL byte decoded, or a path with no name: nothing to name. */
	if (strlen(out) != (size_t)(o - out) || strcmp(out, "/") == 0) {
		free(out);
		return NULL;
	}
	return out;
}

int el__file_url(el__buf *out, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	el__buf_reset(out);
	el__buf_puts(out, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		/* What Python's pathlib.as_uri() leaves as it is: unreserved characters and '/'. */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p)) {
			el__buf_add(out, (const char *)p, 1);
		} else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			el__buf_add(out, esc, 3);
		}
	}
	return el__buf_failed(out) ? el__error_oom() : EL_OK;
}

/* A member that must be a string when present: a copy, NULL when absent. */
static int optional_string(char **out, const json_t *obj, const char *name, const char *display)
{
	const json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (!v)
		return EL_OK;
	if (!json_is_string(v))
		return el__error(EL_EINVAL, "%s: %s is not a string", display, name);
	*out = strdup(json_string_value(v));
	return *out ? EL_OK : el__error_oom();
}

static int parse(el__direct_url *out, const json_t *doc, const char *display)
{
	const json_t *vcs = json_object_get(doc, "vcs_info"), *dir = json_object_get(doc, "dir_info");
	int ret;

	if (!json_is_object(doc))
		return el__error(EL_EINVAL, "%s: not a JSON object", display);
	if (!json_is_string(json_object_get(doc, "url")))
		return el__error(EL_EINVAL, "%s: no \"url\" string", display);
	if ((vcs && !json_is_object(vcs)) || (dir && !json_is_object(dir)))
		return el__error(EL_EINVAL, "%s: %s is not an object", display, vcs && !json_is_object(vcs) ?
				 "vcs_info" : "dir_info");
	ret = optional_string(&out->url, doc, "url", display);
	if (ret == EL_OK)
		ret = optional_string(&out->vcs, vcs, "vcs", display);
	if (ret == EL_OK)
		ret = optional_string(&out->commit_id, vcs, "commit_id", display);
	out->dir_info = dir != NULL;
	out->editable = json_is_true(json_object_get(dir, "editable"));
	return ret;
}

int el__direct_url_read_at(el__direct_url *out, int dirfd, const char *dist, const char *display)
{
	char name[4096];
	el__buf text;
	json_error_t jerr;
	json_t *doc = NULL;
	struct stat st;
	int fd, ret = EL_OK;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(name, sizeof(name), "%s/direct_url.json", dist) >= sizeof(name))
		return el__error(EL_ENOTFOUND, "%s: name too long", display);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		return el__error(EL_EINVAL, "%s: a symbolic link, not followed", display);
	if (fd < 0)
		return el__error_errno(errno == ENOENT || errno == ENOTDIR ? EL_ENOTFOUND : EL_EINVAL, "%s", display);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return el__error(EL_EINVAL, "%s: not a regular file", display);
	}
	el__buf_init(&text);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		/* An error part way is not a shorter file: parsing what came would misreport it. */
		if (n < 0) {
			ret = el__error_errno(EL_EINVAL, "%s", display);
			break;
		}
		if (n == 0)
			break;
		if (text.len + (size_t)n > DIRECT_URL_MAX) {
			ret = el__error(EL_EINVAL, "%s: larger than %u KiB", display, DIRECT_URL_MAX >> 10);
			break;
		}
		el__buf_add(&text, chunk, (size_t)n);
	}
	close(fd);
	if (ret == EL_OK && el__buf_failed(&text))
		ret = el__error_oom();
	if (ret == EL_OK && !(doc = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES, &jerr)))
		ret = el__error(EL_EINVAL, "%s: line %d: %s", display, jerr.line, jerr.text);
	if (ret == EL_OK)
		ret = parse(out, doc, display);
	json_decref(doc);
	el__buf_free(&text);
	if (ret != EL_OK)
		el__direct_url_free(out);
	return ret;
}

void el__direct_url_free(el__direct_url *d)
{
	if (!d)
		return;
	free(d->url);
	free(d->vcs);
	free(d->commit_id);
	memset(d, 0, sizeof(*d));
}
