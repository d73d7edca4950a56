/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/python/python_locate.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "envlock/capture.h"
#include "probe/python/pyenv.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/run.h"
#include "util/sha256.h"

#define RUN_TIMEOUT_MS 10000
/* Bump when the cached value changes shape. */
#define CACHE_KEY_VERSION "3"

/*
 * What the interpreter is asked, in a form Python 2.7 understands too. The
 * site directories, the user's and sys.prefix are only watched (see
 * watch_list); an old virtualenv's site module may lack the functions.
 * "build" (the full sys.version, sysconfig's CC and CONFIG_ARGS) is the
 * interpreter's build, python.build: learnt in this same run and cached
 * with the rest, so a warm capture still starts no process. An entry
 * cached before it was asked has another key (CACHE_KEY_VERSION).
 */
/*
 * For -c, sys.path[0] is the current directory (unless PYTHONSAFEPATH is
 * set): it goes before anything is imported, or a json.py in a hostile working directory would run (as root,
 * when root captures). sys is built in and found without a path search.
 */
static char script[] =
	"import sys\n"
	"if not getattr(sys.flags, 'safe_path', False):\n"
	"    del sys.path[0]\n"
	"else:\n"
	"    import os\n"
	"    if sys.path and sys.path[0] in ('', os.getcwd()):\n"
	"        del sys.path[0]\n"
	"import json\n"
	"try:\n"
	"    import site\n"
	"    u = site.ENABLE_USER_SITE and site.getusersitepackages() or None\n"
	"except Exception:\n"
	"    u = None\n"
	"try:\n"
	"    s = site.getsitepackages()\n"
	"except Exception:\n"
	"    s = None\n"
	"b = {'version': sys.version}\n"
	"try:\n"
	"    import sysconfig\n"
	"    b['cc'] = sysconfig.get_config_var('CC')\n"
	"    b['config_args'] = sysconfig.get_config_var('CONFIG_ARGS')\n"
	"except Exception:\n"
	"    pass\n"
	"print(json.dumps({'version': sys.version.split()[0], 'executable': sys.executable,\n"
	"                  'path': sys.path, 'prefix': sys.prefix, 'usersite': u, 'sitedirs': s,\n"
	"                  'build': b}))\n";

/* The variables that change sys.path for the same interpreter. */
static const char *const path_vars[] = {
	"PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONSAFEPATH",
	"PYTHONPLATLIBDIR", "HOME", "VIRTUAL_ENV", "PYENV_VERSION", NULL
};

/* The interpreter asked for, as an absolute path inside the root. */
static int asked_path(el__buf *out, el__probe_ctx *ctx)
{
	char cwd[4096];

	el__buf_reset(out);
	if (!strchr(ctx->python, '/')) {
		if (el__which(out, ctx->root, el__probe_getenv(ctx, "PATH"), ctx->python, NULL) == EL_OK)
			return EL_OK;
		return el__error(EL_ENOTFOUND, "%s: not found on PATH", ctx->python);
	}
	if (ctx->python[0] != '/') {
		/* Relative to the current directory on this machine, to the root in a fixture. */
		if (el__ctx_is_host(ctx) && getcwd(cwd, sizeof(cwd)))
			el__buf_puts(out, strcmp(cwd, "/") ? cwd : "");
		el__buf_putc(out, '/');
	}
	el__buf_puts(out, ctx->python);
	return EL_OK;
}

/* The interpreter a run would start: asked for, else python3 or python on PATH. */
static int find_interpreter(el__buf *out, el__probe_ctx *ctx)
{
	el__buf resolved, host;
	bool shim;
	int ret;

	if (ctx->python && *ctx->python)
		ret = asked_path(out, ctx);
	else if ((ret = el__which(out, ctx->root, el__probe_getenv(ctx, "PATH"), "python3", NULL)) == EL_ENOTFOUND)
		ret = el__which(out, ctx->root, el__probe_getenv(ctx, "PATH"), "python", NULL);
	if (ret == EL_ENOTFOUND && !(ctx->python && *ctx->python))
		return EL__PROBE_ABSENT;
	if (ret != EL_OK)
		return ret;
	el__buf_init(&resolved);
	el__buf_init(&host);
	el__root_path(&host, ctx->root, out->data);
	if (!el__is_executable(host.data)) {
		ret = el__error(EL_ENOTFOUND, "%s: no such executable file", out->data);
	} else {
		ret = el__pyenv_resolve(&resolved, &shim, ctx->root, out->data, ctx->workdir, ctx->env);
		if (ret == EL_OK && shim) {
			el__buf_reset(out);
			el__buf_add(out, resolved.data, resolved.len);
		}
	}
	if (ret == EL_OK && el__buf_failed(out))
		ret = el__error_oom();
	el__buf_free(&resolved);
	el__buf_free(&host);
	return ret;
}

int el_python_find(char **out, const char *python, const char *workdir, const char *const *env)
{
	el__probe_ctx ctx = { .root = "", .python = python, .workdir = workdir, .env = env };
	el__buf found;
	int ret;

	*out = NULL;
	el__buf_init(&found);
	ret = find_interpreter(&found, &ctx);
	if (ret == EL__PROBE_ABSENT)
		ret = el__error(EL_ENOTFOUND, "no python3 or python on PATH");
	if (ret == EL_OK)
		*out = el__buf_detach(&found, NULL);
	el__buf_free(&found);
	return ret;
}

/* The cache key: the interpreter (host path) and a digest of the variables. */
static int cache_key(el__buf *key, const el__probe_ctx *ctx, const char *host)
{
	char hex[EL_SHA256_HEX];
	el__buf env;
	int ret;

	el__buf_init(&env);
	for (const char *const *v = path_vars; *v; v++) {
		const char *value = el__probe_getenv(ctx, *v);

		/* '\0' cannot occur in names or values: the encoding is unambiguous. */
		el__buf_printf(&env, "%s%c%s", *v, value ? '=' : '!', value ? value : "");
		el__buf_putc(&env, '\0');
	}
	ret = el__buf_failed(&env) ? el__error_oom() : el__sha256_hex(hex, env.data, env.len);
	el__buf_free(&env);
	if (ret != EL_OK)
		return ret;
	el__buf_reset(key);
	el__buf_printf(key, CACHE_KEY_VERSION "\t%s\t%s", host, hex);
	return el__buf_failed(key) ? el__error_oom() : EL_OK;
}

/* mtime of path inside root, or -1 when it does not exist. */
static long long watched_mtime(const char *root, const char *path, el__buf *host)
{
	struct stat st;

	el__root_path(host, root, path);
	return stat(host->data, &st) == 0 ? el__mtime_ns(&st) : -1;
}

static void watch(json_t *list, const char *root, const char *path, el__buf *host, bool *racy)
{
	long long mtime;

	if (!path || path[0] != '/')
		return;
	mtime = watched_mtime(root, path, host);
	if (el__cache_too_recent(mtime))
		*racy = true;
	json_array_append_new(list, json_pack("[sI]", path, (json_int_t)mtime));
}

/* The .pth files of dir, which site.py reads to extend sys.path. */
static void watch_pth(json_t *list, const char *root, const char *dir, el__buf *host, bool *racy)
{
	el__buf path;
	struct dirent *de;
	DIR *d;

	el__root_path(host, root, dir);
	d = opendir(host->data);
	if (!d)
		return;
	el__buf_init(&path);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n <= 4 || strcmp(de->d_name + n - 4, ".pth") != 0)
			continue;
		el__buf_reset(&path);
		el__buf_printf(&path, "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name);
		watch(list, root, path.data, host, racy);
	}
	closedir(d);
	el__buf_free(&path);
}

static void watch_site_dir(json_t *list, const char *root, const char *dir, el__buf *host, bool *racy)
{
	if (!dir || dir[0] != '/')
		return;
	watch(list, root, dir, host, racy);
	watch_pth(list, root, dir, host, racy);
}

/*
 * What sys.path depends on besides the variables in the key: the site
 * directories, which site.py adds when they exist and whose .pth files it
 * follows (installing a package may add one, which changes the directory's
 * mtime), those .pth files, the user site directory that appears when first
 * used, and pyvenv.cfg. Other entries (PYTHONPATH, the standard library)
 * are fixed by the key: a project directory on PYTHONPATH that a run writes
 * into must not make every capture start the interpreter again. Without
 * site.getsitepackages() (old virtualenvs) every entry is watched. The
 * mtimes, taken after the interpreter ran, are checked on every warm
 * capture; *racy is set when one is too recent to tell a later change
 * apart.
 */
static json_t *watch_list(const char *root, const json_t *answer, bool *racy)
{
	json_t *list = json_array(), *dirs = json_object_get(answer, "sitedirs"), *p;
	el__buf host, cfg;
	size_t i;

	*racy = false;
	if (!list)
		return NULL;
	el__buf_init(&host);
	el__buf_init(&cfg);
	if (!json_is_array(dirs))
		dirs = json_object_get(answer, "path");
	json_array_foreach(dirs, i, p)
		watch_site_dir(list, root, json_string_value(p), &host, racy);
	watch_site_dir(list, root, json_string_value(json_object_get(answer, "usersite")), &host, racy);
	if (json_is_string(json_object_get(answer, "prefix"))) {
		el__buf_printf(&cfg, "%s/pyvenv.cfg", json_string_value(json_object_get(answer, "prefix")));
		watch(list, root, cfg.data, &host, racy);
	}
	el__buf_free(&host);
	el__buf_free(&cfg);
	return list;
}

static bool watch_unchanged(const char *root, const json_t *list)
{
	el__buf host;
	json_t *w;
	size_t i;
	bool same = json_is_array(list);

	el__buf_init(&host);
	json_array_foreach(list, i, w) {
		const char *path = json_string_value(json_array_get(w, 0));

		if (!path || !json_is_integer(json_array_get(w, 1)) ||
		    watched_mtime(root, path, &host) != json_integer_value(json_array_get(w, 1))) {
			same = false;
			break;
		}
	}
	el__buf_free(&host);
	return same;
}

static bool answer_valid(const json_t *v)
{
	const char *version = json_string_value(json_object_get(v, "version"));
	json_t *path = json_object_get(v, "path"), *p;
	size_t i;

	if (!version || !*version || !json_is_array(path))
		return false;
	json_array_foreach(path, i, p) {
		if (!json_is_string(p))
			return false;
	}
	return true;
}

/* Run the interpreter once, in the capture's environment: its version, sys.executable and sys.path. */
static int ask(json_t **out, const el__probe_ctx *ctx, el__buf *host, const char *display)
{
	static char *const no_env[] = { NULL };
	char *const *envp = no_env;
	static char dash_c[] = "-c";
	char *argv[] = { host->data, dash_c, script, NULL };
	el__buf text;
	int status, ret;

	*out = NULL;
	el__buf_init(&text);
	/* execve's envp predates const; the strings are only read. A copy of the pointer, not a cast away of const. */
	if (ctx->env)
		memcpy(&envp, &ctx->env, sizeof(envp));
	ret = el__run_capture(&text, &status, argv, envp, RUN_TIMEOUT_MS);
	if (ret != EL_OK)
		goto done;
	if (WIFSIGNALED(status)) {
		ret = el__error(EL_ERROR, "%s: killed by signal %d", display, WTERMSIG(status));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ret = el__error(EL_ERROR, "%s: exited with status %d", display, WEXITSTATUS(status));
	} else {
		*out = json_loadb(text.data, text.len, 0, NULL);
		if (!answer_valid(*out)) {
			json_decref(*out);
			*out = NULL;
			ret = el__error(EL_EINVAL, "%s: did not print its version and sys.path", display);
		}
	}
done:
	el__buf_free(&text);
	return ret;
}

/* The cached answer for this interpreter, or a fresh one (then cached). */
static int answer(json_t **out, el__probe_ctx *ctx, const char *found)
{
	el__buf host, key;
	struct stat st;
	json_t *v;
	bool racy;
	int ret;

	*out = NULL;
	el__buf_init(&host);
	el__buf_init(&key);
	el__root_path(&host, ctx->root, found);
	if (stat(host.data, &st) != 0) {
		ret = el__error_errno(EL_ENOTFOUND, "%s", found);
		goto done;
	}
	if ((ret = cache_key(&key, ctx, host.data)) != EL_OK)
		goto done;
	v = el__cache_get(ctx->cache, "python", key.data, &st);
	if (answer_valid(v) && watch_unchanged(ctx->root, json_object_get(v, "watch"))) {
		*out = json_incref(v);
		goto done;
	}
	if (!ctx->may_run) {
		/*
		 * Not a failure: the section is left out. But --python names this
		 * interpreter, and capture says why it is not there (as not found).
		 */
		el__error(EL_ENOTFOUND, "%s: not run: the probed tree is not trusted", found);
		ret = EL__PROBE_ABSENT;
		goto done;
	}
	if ((ret = ask(&v, ctx, &host, found)) != EL_OK)
		goto done;
	json_object_set_new(v, "watch", watch_list(ctx->root, v, &racy));
	json_object_del(v, "prefix");
	json_object_del(v, "usersite");
	json_object_del(v, "sitedirs");
	if (!racy)
		el__cache_put(ctx->cache, "python", key.data, &st, json_incref(v));
	*out = v;
done:
	el__buf_free(&host);
	el__buf_free(&key);
	return ret;
}

/*
 * sys.path as `python -m pip` sees it: without its first entry (the
 * working directory, which pip's __main__ removes and which the script
 * already dropped). Any other '' or relative entry stands for a directory
 * relative to the working directory.
 */
static int search_path(el__python *py, const json_t *path, const char *workdir)
{
	size_t n = json_array_size(path), i = 0;
	const char *first = json_string_value(json_array_get(path, 0));
	el__buf b;

	py->paths = calloc(n + 1, sizeof(*py->paths));
	if (!py->paths)
		return el__error_oom();
	/* The script drops sys.path[0] itself; an interpreter that did not is
	 * still read right, since pip's own __main__ drops it too. */
	if (first && !*first)
		i = 1;
	el__buf_init(&b);
	for (; i < n; i++) {
		const char *p = json_string_value(json_array_get(path, i));

		el__buf_reset(&b);
		if (p[0] != '/')
			el__buf_printf(&b, "%s%s%s", workdir, *p ? "/" : "", p);
		else
			el__buf_puts(&b, p);
		if (el__buf_failed(&b) || !(py->paths[py->npaths] = strdup(b.data))) {
			el__buf_free(&b);
			return el__error_oom();
		}
		py->npaths++;
	}
	el__buf_free(&b);
	return EL_OK;
}

/* A string member of the build facts, copied; NULL when absent, not a string or empty. */
static int build_fact(char **out, const json_t *build, const char *name)
{
	const char *v = json_string_value(json_object_get(build, name));

	*out = NULL;
	if (!v || !v[strspn(v, " \t\r\n")])
		return EL_OK;
	*out = strdup(v);
	return *out ? EL_OK : el__error_oom();
}

/* The compiler sys.version names in its last "[...]" ("GCC 12.2.0"), else CC ("gcc -pthread"). */
static int build_compiler(el__python *py, const json_t *build)
{
	const char *open = py->build_version ? strrchr(py->build_version, '[') : NULL;
	const char *close = open ? strchr(open, ']') : NULL;

	if (open && close && close > open + 1 && !close[1 + strspn(close + 1, " \t\r\n")]) {
		py->build_compiler = strndup(open + 1, (size_t)(close - open - 1));
		return py->build_compiler ? EL_OK : el__error_oom();
	}
	return build_fact(&py->build_compiler, build, "cc");
}

static int describe_build(el__python *py, const json_t *v)
{
	const json_t *build = json_object_get(v, "build");
	int ret;

	if (!json_is_object(build))
		return EL_OK;
	ret = build_fact(&py->build_version, build, "version");
	if (ret == EL_OK)
		ret = build_compiler(py, build);
	if (ret == EL_OK)
		ret = build_fact(&py->config_args, build, "config_args");
	return ret;
}

static int describe(el__python *py, el__probe_ctx *ctx, const json_t *v, const char *found)
{
	const char *exe = json_string_value(json_object_get(v, "executable"));
	const char *workdir = ctx->workdir && ctx->workdir[0] == '/' ? ctx->workdir : "/";
	el__buf real;

	el__buf_init(&real);
	if (el__resolve_in_root(&real, ctx->root, found) != EL_OK) {
		el__buf_reset(&real);
		el__buf_puts(&real, found);
	}
	py->version = strdup(json_string_value(json_object_get(v, "version")));
	py->executable = strdup(exe && *exe ? exe : found);
	py->real_path = el__buf_failed(&real) ? NULL : el__buf_detach(&real, NULL);
	el__buf_free(&real);
	if (!py->version || !py->executable || !py->real_path)
		return el__error_oom();
	if (describe_build(py, v) != EL_OK)
		return EL_ENOMEM;
	return search_path(py, json_object_get(v, "path"), workdir);
}

static int locate(el__probe_ctx *ctx, el__python *py)
{
	el__buf found;
	json_t *v = NULL;
	int ret;

	el__buf_init(&found);
	ret = find_interpreter(&found, ctx);
	if (ret == EL_OK)
		ret = answer(&v, ctx, found.data);
	if (ret == EL_OK)
		ret = describe(py, ctx, v, found.data);
	json_decref(v);
	el__buf_free(&found);
	return ret;
}

int el__probe_python_locate(el__probe_ctx *ctx, const el__python **out)
{
	*out = NULL;
	if (!ctx->python_tried) {
		ctx->python_tried = true;
		ctx->python_info = calloc(1, sizeof(*ctx->python_info));
		if (!ctx->python_info)
			return ctx->python_rc = el__error_oom();
		ctx->python_rc = locate(ctx, ctx->python_info);
		/* Kept for the next caller: el_error_last() will have moved on by then. */
		if (ctx->python_rc < 0)
			ctx->python_info->error = strdup(el_error_last());
	} else if (ctx->python_rc < 0) {
		el__error(ctx->python_rc, "%s", ctx->python_info && ctx->python_info->error ?
			  ctx->python_info->error : "python: out of memory");
	}
	if (ctx->python_rc == EL_OK)
		*out = ctx->python_info;
	return ctx->python_rc;
}

void el__python_free(el__python *py)
{
	if (!py)
		return;
	free(py->executable);
	free(py->real_path);
	free(py->version);
	free(py->build_version);
	free(py->build_compiler);
	free(py->config_args);
	for (size_t i = 0; i < py->npaths; i++)
		free(py->paths[i]);
	free(py->paths);
	free(py->error);
	free(py);
}
