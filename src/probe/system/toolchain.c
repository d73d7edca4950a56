/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/probe.h"
#include "probe/python/python_locate.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/run.h"
#include "util/text.h"

#define VERSION_TIMEOUT_MS 10000

/*
 * Compilers found on PATH, each described by the line of its --version
 * output that names the version. Running them is the only way to ask, so
 * the answer is cached by the binary's identity: a warm capture starts no
 * process.
 */
static const struct tool {
	const char *key;         /* lock key, also the program looked up */
	const char *fallback;    /* absolute path tried when not on PATH */
	const char *line_prefix; /* the line to keep; NULL keeps the first */
} tools[] = {
	{ "cc", NULL, NULL },
	{ "c++", NULL, NULL },
	{ "gcc", NULL, NULL },
	{ "g++", NULL, NULL },
	{ "clang", NULL, NULL },
	/* PyTorch's C++ extensions look for nvcc here when it is not on PATH. */
	{ "nvcc", "/usr/local/cuda/bin/nvcc", "Cuda compilation tools" },
};

/* The line of text to keep, copied into out; false when there is none. */
static bool pick_line(const char *text, const char *prefix, el__buf *out)
{
	const char *line = text;

	while (*line) {
		size_t len = strcspn(line, "\n");
		const char *trimmed;

		el__buf_reset(out);
		el__buf_add(out, line, len);
		/* el__strtrim moves the start: keep what it returns, not out->data. */
		trimmed = el__strtrim(out->data);
		out->len = strlen(trimmed);
		memmove(out->data, trimmed, out->len + 1);
		if (out->len && (!prefix || el__startswith(out->data, prefix)))
			return true;
		line += len + (line[len] == '\n');
	}
	return false;
}

static json_t *ask_version(el__probe_ctx *ctx, const struct tool *tool, char *path)
{
	char flag[] = "--version", locale[] = "LC_ALL=C", path_var[4096];
	char *argv[] = { path, flag, NULL };
	char *envp[] = { locale, path_var, NULL };
	el__buf out, line;
	json_t *version = NULL;
	int status;

	/* LC_ALL=C: a translated --version would make locks differ by locale. */
	snprintf(path_var, sizeof(path_var), "PATH=%s",
		 el__probe_getenv(ctx, "PATH") ? el__probe_getenv(ctx, "PATH") : "/usr/bin:/bin");
	el__buf_init(&out);
	el__buf_init(&line);
	if (el__run_capture(&out, &status, argv, envp, VERSION_TIMEOUT_MS) != EL_OK)
		el__warn(ctx, "toolchain", "%s left out: %s", tool->key, el_error_last());
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		el__warn(ctx, "toolchain", "%s left out: '%s --version' failed", tool->key, path);
	else if (!pick_line(out.data, tool->line_prefix, &line))
		el__warn(ctx, "toolchain", "%s left out: '%s --version' printed no version", tool->key, path);
	else if (!el__utf8_valid(line.data, line.len))
		el__warn(ctx, "toolchain", "%s left out: '%s --version' printed no UTF-8 text", tool->key, path);
	else
		version = json_string(line.data);
	el__buf_free(&out);
	el__buf_free(&line);
	return version;
}

/*
 * Whether the answer belongs to the file itself. A compiler binary's
 * version changes only with the binary, but a wrapper (a shell script, a
 * ccache or distcc masquerade link) answers for whatever compiler it runs,
 * which can change under an unchanged wrapper: such answers are not cached.
 */
static bool answer_is_the_file_s(const char *path)
{
	static const char *const wrappers[] = { "ccache", "sccache", "distcc", "icecc", NULL };
	char real[PATH_MAX], magic[4];
	bool elf;
	int fd;

	if (!realpath(path, real))
		return false;
	for (const char *const *w = wrappers; *w; w++)
		if (strcmp(el__basename(real), *w) == 0)
			return false;
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	elf = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) && memcmp(magic, "\x7f" "ELF", 4) == 0;
	close(fd);
	return elf;
}

/*
 * The program a trivial exec wrapper runs, or NULL. Installers put such
 * scripts on PATH (CUDA's "/usr/local/bin/nvcc" is often just
 * `exec /usr/local/cuda-X/bin/nvcc "$@"`): the wrapper answers exactly as its
 * target does, so the target is what to ask and to cache by. Only a script
 * of one shebang, comments, blank lines and one `exec /ABS/PATH "$@"` line
 * qualifies; anything that could make the answer depend on more than the
 * target (variables, arguments, other commands) keeps it a wrapper.
 */
static char *exec_wrapper_target(const char *path)
{
	char text[2048], *line, *save = NULL, *target = NULL;
	bool shebang = true;
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len < 2 || len == (ssize_t)sizeof(text) - 1 || memcmp(text, "#!", 2) != 0 ||
	    memchr(text, '\0', (size_t)len))
		return NULL;
	text[len] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), shebang = false) {
		char *word = line + strspn(line, " \t"), *end;

		if (shebang || *word == '\0' || *word == '#')
			continue;
		if (target || strncmp(word, "exec", 4) != 0 || !strchr(" \t", word[4]) || !word[4])
			goto not_trivial;
		word += 4 + strspn(word + 4, " \t");
		end = word + strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-");
		if (*word != '/' || end == word || !strchr(" \t", *end) || !*end)
			goto not_trivial;
		*end = '\0';
		end++;
		end += strspn(end, " \t");
		if (strncmp(end, "\"$@\"", 4) != 0 || end[4 + strspn(end + 4, " \t")] != '\0')
			goto not_trivial;
		target = word;
	}
	return target ? strdup(target) : NULL;
not_trivial:
	return NULL;
}

static void probe_tool(el__probe_ctx *ctx, const struct tool *tool, json_t *section)
{
	el__buf path;
	struct stat st;
	json_t *version;
	char *target;

	el__buf_init(&path);
	if (el__probe_which(ctx, tool->key, &path) != EL_OK) {
		if (!tool->fallback)
			goto done;
		el__root_path(&path, ctx->root, tool->fallback);
	}
	/* A chain of wrappers is followed a few steps, as a kernel follows #! lines. */
	for (int hops = 0; hops < 4 && (target = exec_wrapper_target(path.data)); hops++) {
		el__buf_reset(&path);
		el__buf_add(&path, target, strlen(target));
		free(target);
	}
	/* stat follows the alternatives symlinks: the identity is the real binary. */
	if (stat(path.data, &st) != 0 || !S_ISREG(st.st_mode))
		goto done;
	version = el__cache_get(ctx->cache, "toolchain", path.data, &st);
	if (version) {
		json_object_set(section, tool->key, version);
		goto done;
	}
	if (!ctx->may_run)
		goto done;
	version = ask_version(ctx, tool, path.data);
	if (version) {
		json_object_set(section, tool->key, version);
		if (answer_is_the_file_s(path.data))
			el__cache_put(ctx->cache, "toolchain", path.data, &st, version);
		else
			json_decref(version);
	}
done:
	el__buf_free(&path);
}

int el__probe_toolchain(el__probe_ctx *ctx, json_t **section)
{
	const el__python *py = NULL;
	json_t *toolchain = json_object();
	char text[128];

	if (!toolchain)
		return el__error_oom();
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		probe_tool(ctx, &tools[i], toolchain);
	/* The interpreter the python section describes, found without running it again. */
	if (el__probe_python_locate(ctx, &py) == EL_OK && py->version) {
		snprintf(text, sizeof(text), "Python %s", py->version);
		json_object_set_new(toolchain, "python", json_string(text));
	}
	if (json_object_size(toolchain) == 0) {
		json_decref(toolchain);
		return EL__PROBE_ABSENT;
	}
	*section = toolchain;
	return EL_OK;
}
