/* SPDX-License-Identifier: Apache-2.0 */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

#include "envlock/error.h"
#include "util/cache.h"

char *el_test_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (asprintf(&path, "%s/envlock-test-XXXXXX", tmp) < 0)
		abort();
	if (!mkdtemp(path))
		abort();
	return path;
}

int el_test_setup_tmpdir(void **state)
{
	*state = el_test_mkdtemp();
	el_error_clear();
	return 0;
}

int el_test_teardown_tmpdir(void **state)
{
	el_test_rmtree(*state);
	free(*state);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void el_test_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_parents(const char *path)
{
	char *copy = strdup(path);

	for (char *p = copy + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(copy, 0755);
			*p = '/';
		}
	}
	free(copy);
}

void el_test_write_bytes(const char *dir, const char *rel, const void *data, size_t len)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		abort();
	make_parents(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	free(path);
}

void el_test_write(const char *dir, const char *rel, const char *content)
{
	el_test_write_bytes(dir, rel, content, strlen(content));
}

void el_test_symlink(const char *dir, const char *rel, const char *target)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		abort();
	make_parents(path);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
	free(path);
}

void el_test_script(const char *dir, const char *rel, const char *body)
{
	char *path, *text;

	if (asprintf(&text, "#!/bin/sh\n%s\n", body) < 0 || asprintf(&path, "%s/%s", dir, rel) < 0)
		abort();
	el_test_write(dir, rel, text);
	assert_int_equal(chmod(path, 0755), 0);
	free(text);
	free(path);
}

struct warnings {
	el__buf text;
};

static void collect(void *data, const char *section, const char *message)
{
	struct warnings *w = data;

	el__buf_printf(&w->text, "%s: %s\n", section, message);
}

const char *const *el_test_environ(void)
{
	return (const char *const *)environ;
}

void el_test_ctx_init(el__probe_ctx *ctx, const char *root)
{
	struct warnings *w = calloc(1, sizeof(*w));
	const char *why;

	memset(ctx, 0, sizeof(*ctx));
	el__buf_init(&w->text);
	ctx->root = root;
	ctx->workdir = root && *root ? root : "/";
	assert_int_equal(el__cache_open(&ctx->cache, NULL, &why), 0);
	ctx->may_run = true; /* fixture trees are the tests' own */
	ctx->warn = collect;
	ctx->warn_data = w;
	ctx->meta = json_object();
	/* The tests' own environment, which they set up (PATH to their stand-in interpreters...). */
	ctx->env = el_test_environ();
}

void el_test_ctx_release(el__probe_ctx *ctx)
{
	struct warnings *w = ctx->warn_data;

	el__probe_ctx_release(ctx);
	el__cache_free(ctx->cache);
	json_decref(ctx->meta);
	el__buf_free(&w->text);
	free(w);
	memset(ctx, 0, sizeof(*ctx));
}

const char *el_test_warnings(el__probe_ctx *ctx)
{
	return ((struct warnings *)ctx->warn_data)->text.data;
}

const char *el_test_json(const json_t *v)
{
	static char buf[65536];
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	free(s);
	return buf;
}

static int skips;

static bool strict(void)
{
	const char *v = getenv("ENVLOCK_TEST_STRICT");

	return v && *v && strcmp(v, "0") != 0;
}

/* Under strict mode: the reason, said as a failure. */
static void say_strict_failure(const char *reason)
{
	print_error("FAIL: not run: %s (ENVLOCK_TEST_STRICT=%s: a skip here is a failure)\n", reason,
		    getenv("ENVLOCK_TEST_STRICT"));
}

void el_test_skip(const char *reason)
{
	if (strict()) {
		say_strict_failure(reason);
		exit(1);
	}
	printf("SKIP: %s\n", reason);
	fflush(stdout);
	exit(77);
}

/*
 * el_test_skip_case's and el_test_skip_part's common part. Under strict
 * mode a failure of the case, which jumps back into cmocka's runner; else
 * the reason said and counted, and with whole_case the rest of the case
 * skipped (a jump too). The reason comes formatted, the caller's va_list
 * ended: nothing is left open across the jump.
 */
static void skip_in_case(const char *file, int line, const char *reason, bool whole_case)
{
	if (strict()) {
		say_strict_failure(reason);
		_fail(file, line);
	} else {
		print_message("SKIP: %s%s\n", reason, whole_case ? "" : " (the rest of the case goes on)");
		skips++;
		if (whole_case)
			_skip(file, line);
	}
}

void el__test_skip_case(const char *file, int line, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	skip_in_case(file, line, reason, true);
	abort(); /* both jump back into cmocka's runner */
}

void el__test_skip_part(const char *file, int line, const char *fmt, ...)
{
	char reason[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	skip_in_case(file, line, reason, false);
}

int el_test_result(int failed)
{
	if (failed != 0)
		return 1;
	if (skips > 0) {
		print_message("SKIP: %d not run (the SKIP lines above say why)\n", skips);
		return 77;
	}
	return 0;
}

char *el_test_path(const char *dir, const char *rel)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		abort();
	return path;
}

char *el_test_read(const char *dir, const char *rel, size_t *len)
{
	char *path = rel ? el_test_path(dir, rel) : strdup(dir);
	char *data = NULL;
	size_t n = 0, cap = 0;
	FILE *f = fopen(path, "rb");

	free(path);
	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		size_t got = fread(data + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

int el_test_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

const char *el_test_fmt(const char *fmt, ...)
{
	static char bufs[8][8192];
	static int next;
	char *b = bufs[next++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

void el_test_assert_error(int rc, int code, const char *message)
{
	assert_int_equal(rc, code);
	assert_int_equal(el_error_last_code(), code);
	assert_string_equal(el_error_last(), message);
}
