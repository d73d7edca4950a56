/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/probe/python/python.c, python_locate.c and pyenv.c on fixture roots built in
 * temporary directories. Fake interpreters are shell scripts that print the
 * answer envlock asks for; the expected package lists were checked with
 * `python3 -m pip list --format=json --path DIR...` (pip 23.2.1) on the same
 * trees.
 */
#include "helpers.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "envlock/data.h"
#include "envlock/error.h"
#include "probe/python/python_locate.h"
#include "util/sha256.h"

#define FAKE_PYTHON EL_FIXTURES "/python/fake-python"

static const char *const env_names[] = {
	"PATH", "HOME", "PYENV_VERSION", "PYENV_ROOT", "PYENV_DIR", "PYTHONPATH", "PYTHONHOME",
	"PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONPLATLIBDIR", "VIRTUAL_ENV",
	"EL_TEST_PY_ANSWER", "EL_TEST_PY_COUNTER", NULL
};

typedef struct fx {
	char *root;    /* the fixture root */
	char *aux;     /* outside the root: the fake interpreter's answer and run counter */
	char *answer;
	char *counter;
	char *cache;   /* the data digest cache (editable sources' trees) */
	char *saved[sizeof(env_names) / sizeof(*env_names)];
	char json[8192];     /* the last section */
	char warnings[4096]; /* the last warnings */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	f->root = el_test_mkdtemp();
	f->aux = el_test_mkdtemp();
	if (asprintf(&f->answer, "%s/answer.json", f->aux) < 0 || asprintf(&f->counter, "%s/runs", f->aux) < 0 ||
	    asprintf(&f->cache, "%s/cache", f->aux) < 0)
		abort();
	for (size_t i = 0; env_names[i]; i++) {
		const char *v = getenv(env_names[i]);

		f->saved[i] = v ? strdup(v) : NULL;
		unsetenv(env_names[i]);
	}
	/* Inside the root, like every path the probe reads. */
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("HOME", "/home/u", 1);
	setenv("EL_TEST_PY_ANSWER", f->answer, 1);
	setenv("EL_TEST_PY_COUNTER", f->counter, 1);
	el_error_clear();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	for (size_t i = 0; env_names[i]; i++) {
		if (f->saved[i])
			setenv(env_names[i], f->saved[i], 1);
		else
			unsetenv(env_names[i]);
		free(f->saved[i]);
	}
	el_test_rmtree(f->root);
	el_test_rmtree(f->aux);
	free(f->root);
	free(f->aux);
	free(f->answer);
	free(f->counter);
	free(f->cache);
	free(f);
	return 0;
}

/* rel becomes the shared fake interpreter, answering with sys.path = paths (JSON items). */
static void fake_python(fx *f, const char *rel, const char *paths)
{
	char text[4096];

	el_test_symlink(f->root, rel, FAKE_PYTHON);
	snprintf(text, sizeof(text),
		 "{\"version\": \"3.11.7\", \"executable\": \"/%s\", \"path\": [%s], "
		 "\"prefix\": \"/usr\", \"usersite\": \"/home/u/.local/lib/python3.11/site-packages\", "
		 "\"sitedirs\": [\"/usr/local/lib/python3.11/dist-packages\", \"/usr/lib/python3/dist-packages\"]}\n",
		 rel, paths);
	el_test_write(f->aux, "answer.json", text);
}

/*
 * An interpreter of its own, printing its version and, as sys.executable,
 * the path it was started by (a venv's symlink stays a symlink).
 */
static void script_python(fx *f, const char *rel, const char *version)
{
	char body[4096];

	snprintf(body, sizeof(body),
		 "echo '{\"version\": \"%s\", \"executable\": \"'\"${0#%s}\"'\", \"path\": [\"\"]}'",
		 version, f->root);
	el_test_script(f->root, rel, body);
}

static int runs(fx *f)
{
	FILE *in = fopen(f->counter, "r");
	int n = 0, c;

	if (!in)
		return 0;
	while ((c = fgetc(in)) != EOF)
		n += c == '\n';
	fclose(in);
	return n;
}

/* Run the probe with ctx on f's root; the section goes to f->json ("" when none). */
static int run_ctx(fx *f, el__probe_ctx *ctx)
{
	json_t *section = NULL;
	int ret = el__probe_python(ctx, &section);

	snprintf(f->json, sizeof(f->json), "%s", section ? el_test_json(section) : "");
	snprintf(f->warnings, sizeof(f->warnings), "%s", el_test_warnings(ctx));
	json_decref(section);
	return ret;
}

static int run_probe(fx *f, const char *python)
{
	el__probe_ctx ctx;
	int ret;

	el_test_ctx_init(&ctx, f->root);
	ctx.workdir = "/work";
	ctx.python = python;
	ctx.cache_dir = f->cache;
	ret = run_ctx(f, &ctx);
	el_test_ctx_release(&ctx);
	return ret;
}

#define D "usr/lib/python3/dist-packages/"

/*
 * A capture reads the environment it is given, never the process's: PATH
 * picks the interpreter, and the interpreter runs with that environment.
 */
static void test_environment_is_an_input(void **state)
{
	static const char *const env_a[] = { "PATH=/a/bin", "MARK=3.13.0", NULL };
	static const char *const env_b[] = { "PATH=/b/bin", NULL };
	fx *f = *state;
	el__probe_ctx ctx;
	char *found = NULL;

	el_test_script(f->root, "a/bin/python3",
		       "echo '{\"version\": \"'\"$MARK\"'\", \"executable\": \"/a/bin/python3\", \"path\": [\"\"]}'");
	script_python(f, "b/bin/python3", "3.12.2");
	/* What the process has would pick b and mark another version, were it read. */
	setenv("PATH", el_test_fmt("%s/b/bin", f->root), 1);
	setenv("MARK", "9.9.9", 1);
	el_test_ctx_init(&ctx, f->root);
	ctx.workdir = "/work";
	ctx.env = env_a;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	el_test_ctx_release(&ctx);
	assert_string_equal(f->json, "{\"executable\":\"/a/bin/python3\",\"packages\":{},\"version\":\"3.13.0\"}");
	el_test_ctx_init(&ctx, f->root);
	ctx.workdir = "/work";
	ctx.env = env_b;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	el_test_ctx_release(&ctx);
	assert_string_equal(f->json, "{\"executable\":\"/b/bin/python3\",\"packages\":{},\"version\":\"3.12.2\"}");
	/* An empty environment: no PATH, so the default one, which has no python3 in this root. */
	el_test_ctx_init(&ctx, f->root);
	ctx.workdir = "/work";
	ctx.env = NULL;
	assert_int_equal(run_ctx(f, &ctx), EL__PROBE_ABSENT);
	el_test_ctx_release(&ctx);
	unsetenv("MARK");
	/* The public lookup takes the same environment (on this machine: its own /usr/bin). */
	assert_int_equal(el_python_find(&found, "python3", NULL, (const char *const[]){ "PATH=/nonexistent", NULL }),
			 EL_ENOTFOUND);
	assert_null(found);
	if (access("/usr/bin/python3", X_OK) == 0) {
		assert_int_equal(el_python_find(&found, "python3", NULL, (const char *const[]){ "PATH=/usr/bin", NULL }),
				 EL_OK);
		assert_string_equal(found, "/usr/bin/python3");
		free(found);
	}
}

static void test_packages(void **state)
{
	fx *f = *state;

	el_test_write(f->root, D "numpy-1.26.4.dist-info/METADATA",
		      "Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\n\nbody\n");
	el_test_write(f->root, D "Foo.Bar-1.0.dist-info/METADATA", "Name: Foo.Bar\nVersion: 1.0.0-beta1\n");
	el_test_write(f->root, D "six-1.16.0.egg-info/PKG-INFO", "Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n");
	el_test_write(f->root, D "crcmod-1.7.egg-info", "Metadata-Version: 1.1\nName: crcmod\nVersion: 1.7\n");
	el_test_write(f->root, D "legacy-1.0.dist-info/METADATA", "Name: legacy\nVersion: 2004d\n");
	el_test_write(f->root, D "pkginfo_only-1.0.dist-info/PKG-INFO", "Name: pkginfo-only\nVersion: 1.0\n");
	el_test_write(f->root, D "emptymeta-1.0.dist-info/METADATA", "");
	el_test_write(f->root, D "emptymeta-1.0.dist-info/PKG-INFO", "Name: emptymeta\nVersion: 0.5\n");
	el_test_write(f->root, D "not-a-dist/METADATA", "Name: nope\nVersion: 1\n");
	el_test_write(f->root, "usr/lib/python3.11/wsgiref-0.1.egg-info", "Name: wsgiref\nVersion: 0.1\n");
	el_test_write(f->root, "opt/extra/numpy-2.0.0.dist-info/METADATA", "Name: numpy\nVersion: 2.0.0\n");
	el_test_write(f->root, "opt/extra/extra_only-3.dist-info/METADATA", "Name: extra_only\nVersion: 3\n");
	/* The working directory is on sys.path for -c, but pip's __main__ takes it off. */
	el_test_write(f->root, "work/inwork-1.0.dist-info/METADATA", "Name: inwork\nVersion: 1.0\n");
	fake_python(f, "usr/bin/python3",
		    "\"\", \"/usr/lib/python311.zip\", \"/usr/lib/python3.11\", "
		    "\"/usr/lib/python3/dist-packages\", \"/opt/extra\"");

	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_string_equal(f->json, "{\"executable\":\"/usr/bin/python3\",\"packages\":{"
				     "\"crcmod\":\"1.7\",\"emptymeta\":\"0.5\",\"extra-only\":\"3\","
				     "\"foo-bar\":\"1.0.0b1\",\"legacy\":\"2004d\",\"numpy\":\"1.26.4\","
				     "\"pkginfo-only\":\"1.0\",\"six\":\"1.16.0\"},\"version\":\"3.11.7\"}");
	assert_string_equal(f->warnings, "");
}

static const el__python *locate(el__probe_ctx *ctx, fx *f, const char *workdir)
{
	const el__python *py;

	el_test_ctx_init(ctx, f->root);
	ctx->workdir = workdir;
	assert_int_equal(el__probe_python_locate(ctx, &py), EL_OK);
	return py;
}

static void test_search_path(void **state)
{
	fx *f = *state;
	el__probe_ctx ctx;
	const el__python *py;

	/* '' first is dropped; a later '' or relative entry is the working directory's. */
	fake_python(f, "usr/bin/python3", "\"\", \"/usr/lib/python3.11\", \"/work\", \"\", \"rel\"");
	py = locate(&ctx, f, "/work");
	assert_int_equal(py->npaths, 4);
	assert_string_equal(py->paths[0], "/usr/lib/python3.11");
	assert_string_equal(py->paths[1], "/work");
	assert_string_equal(py->paths[2], "/work");
	assert_string_equal(py->paths[3], "/work/rel");
	assert_null(py->paths[4]);
	assert_string_equal(py->version, "3.11.7");
	el_test_ctx_release(&ctx);

	/*
	 * The interpreter drops pip's first entry itself (see the script):
	 * what it prints is kept, the working directory included.
	 */
	fake_python(f, "usr/bin/python3", "\"/work/\", \"/usr/lib/python3.11\"");
	py = locate(&ctx, f, "/work");
	assert_int_equal(py->npaths, 2);
	assert_string_equal(py->paths[0], "/work/");
	assert_string_equal(py->paths[1], "/usr/lib/python3.11");
	el_test_ctx_release(&ctx);

	/* A venv's interpreter is a symlink: run as found, the binary resolved. */
	script_python(f, "usr/bin/python3.11", "3.11.2");
	/* Relative: an absolute link would leave the fixture root on this machine. */
	el_test_symlink(f->root, "work/venv/bin/python3", "../../../usr/bin/python3.11");
	setenv("PATH", "/work/venv/bin:/usr/bin", 1);
	py = locate(&ctx, f, "/work");
	assert_string_equal(py->executable, "/work/venv/bin/python3");
	assert_string_equal(py->real_path, "/usr/bin/python3.11");
	assert_string_equal(py->version, "3.11.2");
	el_test_ctx_release(&ctx);
}

static void test_skipped_names(void **state)
{
	fx *f = *state;

	/* pip skips by the directory's name, and lists by the Name header. */
	el_test_write(f->root, "opt/skip/python-1.0.dist-info/METADATA", "Name: xx\nVersion: 1.0\n");
	el_test_write(f->root, "opt/skip/b-1.0.dist-info/METADATA", "Name: python\nVersion: 2.0\n");
	el_test_write(f->root, "opt/skip/argparse-1.4.dist-info/METADATA", "Name: argparse\nVersion: 1.4\n");
	el_test_write(f->root, "opt/skip/wsgiref.egg-info", "Name: wsgiref\nVersion: 0.1.2\n");
	fake_python(f, "usr/bin/python3", "\"\", \"/opt/skip\"");
	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_string_equal(f->json, "{\"executable\":\"/usr/bin/python3\",\"packages\":{\"python\":\"2.0\"},"
				     "\"version\":\"3.11.7\"}");
	assert_string_equal(f->warnings, "");
}

static void manifest_line(char *out, size_t cap, const char *content, const char *path);
static const char *address(const char *manifest);

static void test_eggs(void **state)
{
	fx *f = *state;
	char devpkg[256] = "";

	el_test_write(f->root, "opt/eggs/Old_Pkg-2.0_beta-py3.11.egg/EGG-INFO/PKG-INFO", "Name: Old-Pkg\nVersion: 9\n");
	el_test_write(f->root, "opt/eggs/NoVer.egg/EGG-INFO/PKG-INFO", "Name: NoVer\nVersion: 4.0-1\n");
	el_test_write(f->root, "opt/eggs/NotAnEgg.egg/README", "");
	el_test_write(f->root, "opt/eggs/Zipped-1.0-py3.11.egg", "PK\003\004");
	el_test_write(f->root, "opt/eggs/NotZip-1.0-py3.11.egg", "text");
	el_test_write(f->root, "opt/eggs/devpkg.egg-link", "\n  /src/devpkg  \n.\n");
	el_test_write(f->root, "opt/eggs/relpkg.egg-link", "../../src/relpkg\n");
	el_test_write(f->root, "opt/eggs/.egg-link", "/src/hidden\n");
	el_test_write(f->root, "src/devpkg/DevPkg.egg-info/PKG-INFO", "Name: DevPkg\nVersion: 0.1.dev0\n");
	el_test_write(f->root, "src/devpkg/devpkg.py", "D = 1\n");
	el_test_write(f->root, "src/relpkg/relpkg.egg-info/PKG-INFO", "Name: relpkg\nVersion: 0.2\n");
	el_test_write(f->root, "src/hidden/hidden.egg-info/PKG-INFO", "Name: hidden\nVersion: 1\n");
	/* An unpacked egg put on sys.path by easy-install.pth. */
	el_test_write(f->root, "opt/Eggy-3.0-py3.11.egg/EGG-INFO/PKG-INFO", "Name: Eggy\nVersion: 3.0\n");
	fake_python(f, "usr/bin/python3", "\"\", \"/opt/eggs\", \"/opt/Eggy-3.0-py3.11.egg\"");

	assert_int_equal(run_probe(f, NULL), EL_OK);
	/* The .egg-link ones are legacy editable installs: their source directories' trees. */
	manifest_line(devpkg, sizeof(devpkg), "D = 1\n", "devpkg.py");
	assert_string_equal(f->json, el_test_fmt("{\"executable\":\"/usr/bin/python3\",\"installs\":{"
				     "\"devpkg\":{\"editable\":true,\"tree\":\"%s\",\"url\":\"file:///src/devpkg\"},"
				     "\"relpkg\":{\"editable\":true,\"tree\":\"%s\",\"url\":\"file:///src/relpkg\"}},"
				     "\"packages\":{"
				     "\"devpkg\":\"0.1.dev0\",\"eggy\":\"3.0\",\"nover\":\"4.0.post1\","
				     "\"old-pkg\":\"2.0b0\",\"relpkg\":\"0.2\"},\"version\":\"3.11.7\"}",
				     address(devpkg), address("")));
	assert_string_equal(f->warnings, "python: /opt/eggs/Zipped-1.0-py3.11.egg: zipped egg not read, skipped\n");
}

static void test_duplicates(void **state)
{
	fx *f = *state;

	/* Side by side, pip's choice follows readdir order: envlock keeps the first by name. */
	el_test_write(f->root, "opt/dup/a-1.0.dist-info/METADATA", "Name: a\nVersion: 1.0\n");
	el_test_write(f->root, "opt/dup/A-2.0.dist-info/METADATA", "Name: A\nVersion: 2.0\n");
	/* The same version twice (Debian ships some packages so) is no news. */
	el_test_write(f->root, "opt/dup/c-1.0.dist-info/METADATA", "Name: c\nVersion: 1.0\n");
	el_test_write(f->root, "opt/dup/c.egg-info/PKG-INFO", "Name: c\nVersion: 1.0\n");
	/* Across the search path the first directory wins, silently. */
	el_test_write(f->root, "opt/later/c-9.dist-info/METADATA", "Name: C\nVersion: 9\n");
	fake_python(f, "usr/bin/python3", "\"\", \"/opt/dup\", \"/opt/later\"");

	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_string_equal(f->json, "{\"executable\":\"/usr/bin/python3\",\"packages\":{"
				     "\"a\":\"2.0\",\"c\":\"1.0\"},\"version\":\"3.11.7\"}");
	assert_string_equal(f->warnings, "python: /opt/dup: A-2.0.dist-info and a-1.0.dist-info both provide "
					 "\"a\" (2.0, 1.0); keeping A-2.0.dist-info\n");
}

static void test_broken_metadata(void **state)
{
	fx *f = *state;
	char *big = malloc(2 << 20);

	el_test_write(f->root, "opt/broken/nometa-1.0.dist-info/RECORD", "");
	el_test_write(f->root, "opt/broken/noname-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nVersion: 1.0\n");
	el_test_write_bytes(f->root, "opt/broken/binary-1.0.dist-info/METADATA", "\177ELF\002\001\001\0\0\0\0", 11);
	el_test_write(f->root, "opt/broken/latin1-1.0.dist-info/METADATA", "Name: caf\xe9\nVersion: 1\n");
	el_test_write(f->root, "opt/broken/noversion-1.0.dist-info/METADATA", "Name: noversion\n");
	el_test_write(f->root, "opt/broken/emptyname-1.0.dist-info/METADATA", "Name:\nVersion: 1\n");
	el_test_write(f->root, "opt/broken/~ok-1.0.dist-info/METADATA", "Name: ok\nVersion: 1\n");
	el_test_write(f->root, "opt/broken/good-1.0.dist-info/METADATA", "Name: good\r\nVersion: 1.0\r\n");
	for (size_t i = 0; i < (2 << 20); i += 8)
		memcpy(big + i, "X-A: b\n ", 8);
	el_test_write_bytes(f->root, "opt/broken/huge-1.0.dist-info/METADATA", big, 2 << 20);
	free(big);
	fake_python(f, "usr/bin/python3", "\"\", \"/opt/broken\"");

	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_string_equal(f->json, "{\"executable\":\"/usr/bin/python3\",\"packages\":{\"good\":\"1.0\"},"
				     "\"version\":\"3.11.7\"}");
	assert_string_equal(f->warnings,
			    "python: /opt/broken/binary-1.0.dist-info: no Name in its metadata, skipped\n"
			    "python: /opt/broken/emptyname-1.0.dist-info: empty Name in its metadata, skipped\n"
			    "python: /opt/broken/huge-1.0.dist-info/METADATA: header block larger than "
			    "1048576 bytes, skipped\n"
			    "python: /opt/broken/latin1-1.0.dist-info/METADATA: not valid UTF-8, skipped\n"
			    "python: /opt/broken/nometa-1.0.dist-info: no METADATA or PKG-INFO, skipped\n"
			    "python: /opt/broken/noname-1.0.dist-info: no Name in its metadata, skipped\n"
			    "python: /opt/broken/noversion-1.0.dist-info: no Version in its metadata, skipped\n"
			    "python: /opt/broken/~ok-1.0.dist-info: invalid distribution name \"~ok\", "
			    "skipped as pip does\n");
}

/* A pyenv root with a few versions, its shim first on PATH and a system python3. */
static void make_pyenv(fx *f)
{
	el_test_script(f->root, "root/.pyenv/shims/python3",
		       "export PYENV_ROOT=\"/root/.pyenv\"\n"
		       "echo 'the shim runs pyenv exec: envlock must not run it' >&2\n"
		       "exit 99");
	script_python(f, "root/.pyenv/versions/3.11.7/bin/python3", "3.11.7");
	script_python(f, "root/.pyenv/versions/3.12.1/bin/python3", "3.12.1");
	script_python(f, "root/.pyenv/versions/3.12.10/bin/python3", "3.12.10");
	script_python(f, "root/.pyenv/versions/3.12.9/bin/python3", "3.12.9");
	script_python(f, "root/.pyenv/versions/3.12.11rc1/bin/python3", "3.12.11rc1");
	script_python(f, "root/.pyenv/versions/2.7.18/bin/python2", "2.7.18");
	el_test_symlink(f->root, "root/.pyenv/versions/myenv", "3.12.1");
	script_python(f, "usr/bin/python3", "3.11.2");
	setenv("PATH", "/root/.pyenv/plugins/pyenv-virtualenv/shims:/root/.pyenv/shims:/usr/bin", 1);
}

/* The executable the probe picks with PYENV_VERSION=version ("" when it fails). */
static const char *picked(fx *f, const char *version, const char *workdir)
{
	static char exe[4096];
	el__probe_ctx ctx;
	const el__python *py;

	if (version)
		setenv("PYENV_VERSION", version, 1);
	else
		unsetenv("PYENV_VERSION");
	el_test_ctx_init(&ctx, f->root);
	ctx.workdir = workdir;
	snprintf(exe, sizeof(exe), "%s", el__probe_python_locate(&ctx, &py) == EL_OK ? py->executable : "");
	el_test_ctx_release(&ctx);
	return exe;
}

static void test_pyenv_version_variable(void **state)
{
	fx *f = *state;

	make_pyenv(f);
	assert_string_equal(picked(f, "3.12.1", "/work"), "/root/.pyenv/versions/3.12.1/bin/python3");
	/* A prefix is the latest installed release (3.12.11rc1 is a pre-release). */
	assert_string_equal(picked(f, "3.12", "/work"), "/root/.pyenv/versions/3.12.10/bin/python3");
	assert_string_equal(picked(f, "python-3.11.7", "/work"), "/root/.pyenv/versions/3.11.7/bin/python3");
	assert_string_equal(picked(f, "3.9:3.11.7", "/work"), "/root/.pyenv/versions/3.11.7/bin/python3");
	assert_string_equal(picked(f, "myenv", "/work"), "/root/.pyenv/versions/myenv/bin/python3");
	/* A version without the command, an unknown one, "system": the python3 after the shims. */
	assert_string_equal(picked(f, "2.7.18", "/work"), "/usr/bin/python3");
	assert_string_equal(picked(f, "nonesuch", "/work"), "/usr/bin/python3");
	assert_string_equal(picked(f, "system", "/work"), "/usr/bin/python3");
	assert_int_equal(runs(f), 0);
}

static void test_pyenv_version_files(void **state)
{
	fx *f = *state;

	make_pyenv(f);
	el_test_write(f->root, "root/.pyenv/version", "3.12.9\n");
	assert_string_equal(picked(f, NULL, "/home/u/proj/sub"), "/root/.pyenv/versions/3.12.9/bin/python3");
	/* The first .python-version from the working directory up; its first installed name. */
	el_test_write(f->root, "home/u/proj/.python-version", "# pinned\n\n  3.10.1 ignored words\r\n3.11.7\n");
	assert_string_equal(picked(f, NULL, "/home/u/proj/sub"), "/root/.pyenv/versions/3.11.7/bin/python3");
	/* Names that leave versions/ are refused, as pyenv refuses them. */
	el_test_write(f->root, "home/u/proj/.python-version", "../../../usr\n3.12.1\n");
	assert_string_equal(picked(f, NULL, "/home/u/proj/sub"), "/root/.pyenv/versions/3.12.1/bin/python3");
	/* PYENV_DIR is searched first; PYENV_VERSION beats every file. */
	el_test_write(f->root, "elsewhere/.python-version", "3.12.10");
	setenv("PYENV_DIR", "/elsewhere", 1);
	assert_string_equal(picked(f, NULL, "/home/u/proj/sub"), "/root/.pyenv/versions/3.12.10/bin/python3");
	assert_string_equal(picked(f, "3.11.7", "/home/u/proj/sub"), "/root/.pyenv/versions/3.11.7/bin/python3");
	unsetenv("PYENV_DIR");
	/* An empty local file selects "system"; it does not fall back to the global one. */
	el_test_write(f->root, "home/u/proj/.python-version", "");
	assert_string_equal(picked(f, NULL, "/home/u/proj/sub"), "/usr/bin/python3");
	assert_int_equal(runs(f), 0);
}

static void test_pyenv_global_and_system(void **state)
{
	fx *f = *state;
	el__probe_ctx ctx;
	const el__python *py;

	make_pyenv(f);
	assert_string_equal(picked(f, NULL, "/work"), "/usr/bin/python3"); /* no version file */
	el_test_write(f->root, "root/.pyenv/version", "system\n");
	assert_string_equal(picked(f, NULL, "/work"), "/usr/bin/python3");
	el_test_write(f->root, "root/.pyenv/version", "3.12.1\n");
	assert_string_equal(picked(f, NULL, "/work"), "/root/.pyenv/versions/3.12.1/bin/python3");

	/* Nothing provides python3: pyenv exec would fail, so does the probe. */
	el_test_write(f->root, "root/.pyenv/version", "2.7.18\n");
	setenv("PATH", "/root/.pyenv/shims", 1);
	el_test_ctx_init(&ctx, f->root);
	ctx.workdir = "/work";
	assert_int_equal(el__probe_python_locate(&ctx, &py), EL_ENOTFOUND);
	assert_string_equal(el_error_last(), "/root/.pyenv/shims/python3: pyenv shim: no version selected by "
					     "/root/.pyenv/version provides python3");
	el_test_ctx_release(&ctx);

	/* A shim that does not say where pyenv lives: $PYENV_ROOT, else ~/.pyenv. */
	el_test_script(f->root, "home/u/.pyenv/shims/python3", "exec pyenv exec python3 \"$@\"");
	script_python(f, "home/u/.pyenv/versions/3.13.0/bin/python3", "3.13.0");
	el_test_write(f->root, "home/u/.pyenv/version", "3.13.0\n");
	setenv("PATH", "/home/u/.pyenv/shims", 1);
	assert_string_equal(picked(f, NULL, "/work"), "/home/u/.pyenv/versions/3.13.0/bin/python3");
	setenv("PYENV_ROOT", "/root/.pyenv", 1);
	assert_string_equal(picked(f, "3.12.9", "/work"), "/root/.pyenv/versions/3.12.9/bin/python3");
	assert_int_equal(runs(f), 0);
}

static int backdate_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct timespec times[2] = { { time(NULL) - 100, 0 }, { time(NULL) - 100, 0 } };

	return utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
}

/* Move every mtime under dir back, out of the cache's two-second racy window. */
static void backdate(const char *dir)
{
	assert_int_equal(nftw(dir, backdate_one, 16, FTW_PHYS), 0);
}

/* The stat cache keeps nothing about a file changed in the last two seconds. */
static void wait_until_fake_python_settles(void)
{
	struct stat st;

	assert_int_equal(stat(FAKE_PYTHON, &st), 0);
	while (time(NULL) < st.st_ctim.tv_sec + 3)
		sleep(1);
}

static void test_cache(void **state)
{
	fx *f = *state;
	el__probe_ctx ctx;
	char dir[4096];
	struct timespec times[2] = { { time(NULL) - 50, 0 }, { time(NULL) - 50, 0 } };

	wait_until_fake_python_settles();
	el_test_write(f->root, D "numpy-1.26.4.dist-info/METADATA", "Name: numpy\nVersion: 1.26.4\n");
	el_test_write(f->root, "work/project/train.py", "");
	fake_python(f, "usr/bin/python3",
		    "\"\", \"/work/project\", \"/usr/lib/python3.11\", \"/usr/lib/python3/dist-packages\"");
	backdate(f->root);
	el_test_ctx_init(&ctx, f->root);
	ctx.workdir = "/work";

	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 1);
	/* A later capture with the same cache starts no process. */
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 1);
	assert_string_equal(f->json, "{\"executable\":\"/usr/bin/python3\",\"packages\":{\"numpy\":\"1.26.4\"},"
				     "\"version\":\"3.11.7\"}");

	/* A project directory on PYTHONPATH that a run writes into changes no sys.path. */
	el_test_write(f->root, "work/project/checkpoint.pt", "");
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 1);

	/* A site directory on sys.path changed (pip added a .pth file): ask again. */
	snprintf(dir, sizeof(dir), "%s/usr/lib/python3/dist-packages", f->root);
	assert_int_equal(utimensat(AT_FDCWD, dir, times, 0), 0);
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 2);
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 2);

	/* The user site directory appeared. */
	el_test_write(f->root, "home/u/.local/lib/python3.11/site-packages/x.pth", "");
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 3);
	/* ...just now: too recent to cache, so the next capture asks again. */
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 4);

	/* Another PYTHONPATH is another sys.path. */
	backdate(f->root);
	setenv("PYTHONPATH", "/opt/more", 1);
	/* setenv may have moved the array: the capture's environment is taken anew. */
	ctx.env = el_test_environ();
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 5);
	el_test_ctx_release(&ctx);
}

static void test_failures(void **state)
{
	fx *f = *state;
	el__probe_ctx ctx;

	/* No interpreter at all: the section is left out, without a warning. */
	assert_int_equal(run_probe(f, NULL), EL__PROBE_ABSENT);
	assert_string_equal(f->json, "");
	assert_string_equal(f->warnings, "");

	assert_int_equal(run_probe(f, "python3.99"), EL_ENOTFOUND);
	assert_string_equal(el_error_last(), "python3.99: not found on PATH");
	assert_int_equal(run_probe(f, "/opt/none/python"), EL_ENOTFOUND);
	assert_string_equal(el_error_last(), "/opt/none/python: no such executable file");

	el_test_script(f->root, "usr/bin/python3", "exit 3");
	assert_int_equal(run_probe(f, NULL), EL_ERROR);
	assert_string_equal(el_error_last(), "/usr/bin/python3: exited with status 3");

	el_test_script(f->root, "usr/bin/python3", "echo 'Python 3.11.7'");
	assert_int_equal(run_probe(f, NULL), EL_EINVAL);
	assert_string_equal(el_error_last(), "/usr/bin/python3: did not print its version and sys.path");
	el_test_script(f->root, "usr/bin/python3", "echo '{\"version\": \"3.11.7\", \"path\": [\"\", 7]}'");
	assert_int_equal(run_probe(f, NULL), EL_EINVAL);

	/* The toolchain probe asks first: the python probe gets the same answer, message included. */
	el_test_script(f->root, "usr/bin/python3", "exit 3");
	el_test_ctx_init(&ctx, f->root);
	assert_int_equal(run_ctx(f, &ctx), EL_ERROR);
	el_error_clear();
	assert_int_equal(run_ctx(f, &ctx), EL_ERROR);
	assert_string_equal(el_error_last(), "/usr/bin/python3: exited with status 3");
	el_test_ctx_release(&ctx);
}

#define S "venv/lib/python3.11/site-packages/"
#define S_ABS "/" S

/* A distribution in the venv's site-packages, with direct_url.json (NULL: none). */
static void dist(fx *f, const char *name, const char *direct_url)
{
	char rel[512];

	snprintf(rel, sizeof(rel), S "%s-1.0.dist-info/METADATA", name);
	el_test_write(f->root, rel, el_test_fmt("Name: %s\nVersion: 1.0\n", name));
	if (direct_url) {
		snprintf(rel, sizeof(rel), S "%s-1.0.dist-info/direct_url.json", name);
		el_test_write(f->root, rel, direct_url);
	}
}

/* One manifest line of a file el_test_write made (0644 under the tests' umask). */
static void manifest_line(char *out, size_t cap, const char *content, const char *path)
{
	char hex[EL_SHA256_HEX];
	size_t n = strlen(out);

	assert_int_equal(el__sha256_hex(hex, content, strlen(content)), EL_OK);
	snprintf(out + n, cap - n, "%s %zu -rw-r--r-- %s\n", hex, strlen(content), path);
}

static const char *address(const char *manifest)
{
	char hex[EL_SHA256_HEX];

	assert_int_equal(el__sha256_hex(hex, manifest, strlen(manifest)), EL_OK);
	return el_test_fmt("sha256:%s", hex);
}

/* The source of an editable install, with what building and running it left there. */
static void editable_source(fx *f, const char *dir)
{
	const char *files[][2] = {
		{ "pyproject.toml", "[project]\nname = \"mylib\"\n" },
		{ "mylib/__init__.py", "X = 1\n" },
		{ "mylib/__pycache__/__init__.cpython-311.pyc", "bytecode" },
		{ "mylib/stale.pyc", "bytecode" },
		{ "mylib.egg-info/PKG-INFO", "Name: mylib\n" },
		{ "src/other.egg-info/PKG-INFO", "Name: other\n" },
		{ "build/lib/mylib/__init__.py", "X = 1\n" },
		{ "dist/mylib-1.0.tar.gz", "archive" },
		{ ".git/HEAD", "ref: refs/heads/main\n" },
		{ ".venv/pyvenv.cfg", "home = /usr/bin\n" },
		{ ".venv/lib/python3.11/site-packages/x.py", "" },
		{ ".tox/py311/x", "" },
		/* Below the top, "build" is a package's own name: kept. */
		{ "mylib/build/rules.py", "R = 2\n" },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		el_test_write(f->root, el_test_fmt("%s/%s", dir, files[i][0]), files[i][1]);
}

static const char *editable_address(void)
{
	char m[4096] = "";

	/* A venv inside the source is hashed like any files: skipping it would hide what a job puts there. */
	manifest_line(m, sizeof(m), "", ".venv/lib/python3.11/site-packages/x.py");
	manifest_line(m, sizeof(m), "home = /usr/bin\n", ".venv/pyvenv.cfg");
	manifest_line(m, sizeof(m), "X = 1\n", "mylib/__init__.py");
	manifest_line(m, sizeof(m), "R = 2\n", "mylib/build/rules.py");
	manifest_line(m, sizeof(m), "[project]\nname = \"mylib\"\n", "pyproject.toml");
	return address(m);
}

static void venv_python(fx *f)
{
	fake_python(f, "venv/bin/python", "\"\", \"/usr/lib/python3.11\", \"/venv/lib/python3.11/site-packages\"");
}

static void test_installs(void **state)
{
	fx *f = *state;
	static char big[70000];
	char localdir[512] = "", *localdir_address;

	venv_python(f);
	dist(f, "plain", NULL);
	dist(f, "gitpkg", "{\"url\": \"https://github.com/org/gitpkg.git\", \"vcs_info\": {\"vcs\": \"git\", "
			  "\"commit_id\": \"0123456789abcdef0123456789abcdef01234567\", \"requested_revision\": \"main\"}}");
	dist(f, "mylib", "{\"url\": \"file:///src/my%6Cib\", \"dir_info\": {\"editable\": true}}");
	editable_source(f, "src/mylib");
	dist(f, "localdir", "{\"url\": \"file://localhost/opt/localdir\", \"dir_info\": {}}");
	el_test_write(f->root, "opt/localdir/localdir.py", "Y = 2\n");
	dist(f, "archive", "{\"url\": \"https://files.example.org/archive-1.0.tar.gz\", "
			   "\"archive_info\": {\"hashes\": {\"sha256\": \"00\"}}}");
	dist(f, "gone", "{\"url\": \"file:///src/gone\", \"dir_info\": {\"editable\": true}}");
	dist(f, "broken", "{\"url\": \"file:///src/mylib\", ");
	dist(f, "nourl", "{\"dir_info\": {\"editable\": true}}");
	dist(f, "badvcs", "{\"url\": \"https://x.example/r.git\", \"vcs_info\": \"git\"}");
	dist(f, "secret", "{\"url\": \"https://user:hunter2@git.example/r.git\", "
			  "\"vcs_info\": {\"vcs\": \"git\", \"commit_id\": \"abc\"}}");
	dist(f, "sshgit", "{\"url\": \"ssh://git@git.example/r.git\", \"vcs_info\": {\"vcs\": \"git\", \"commit_id\": \"abc\"}}");
	/* A directory source a URL elsewhere names: never fetched, never hashed. */
	dist(f, "remote", "{\"url\": \"http://example.org/src\", \"dir_info\": {\"editable\": true}}");
	dist(f, "relative", "{\"url\": \"file:src/mylib\", \"dir_info\": {}}");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	dist(f, "huge", big);
	dist(f, "linked", NULL);
	el_test_symlink(f->root, S "linked-1.0.dist-info/direct_url.json", "../gitpkg-1.0.dist-info/direct_url.json");
	/* The project itself installed editable: the code, meta.code's business. */
	dist(f, "project", "{\"url\": \"file:///work\", \"dir_info\": {\"editable\": true}}");
	el_test_write(f->root, "work/train.py", "");

	manifest_line(localdir, sizeof(localdir), "Y = 2\n", "localdir.py");
	localdir_address = strdup(address(localdir));
	assert_int_equal(run_probe(f, "/venv/bin/python"), EL_OK);
	assert_string_equal(f->json, el_test_fmt(
		"{\"executable\":\"/venv/bin/python\",\"installs\":{"
		"\"archive\":{\"url\":\"https://files.example.org/archive-1.0.tar.gz\"},"
		"\"gitpkg\":{\"commit_id\":\"0123456789abcdef0123456789abcdef01234567\","
		"\"url\":\"https://github.com/org/gitpkg.git\",\"vcs\":\"git\"},"
		"\"gone\":{\"editable\":true,\"url\":\"file:///src/gone\"},"
		"\"localdir\":{\"tree\":\"%s\",\"url\":\"file://localhost/opt/localdir\"},"
		"\"mylib\":{\"editable\":true,\"tree\":\"%s\",\"url\":\"file:///src/my%%6Cib\"},"
		"\"project\":{\"editable\":true,\"url\":\"file:///work\"},"
		"\"relative\":{\"url\":\"file:src/mylib\"},"
		"\"remote\":{\"editable\":true,\"url\":\"http://example.org/src\"},"
		"\"secret\":{\"commit_id\":\"abc\",\"url\":\"https://git.example/r.git\",\"vcs\":\"git\"},"
		"\"sshgit\":{\"commit_id\":\"abc\",\"url\":\"ssh://git@git.example/r.git\",\"vcs\":\"git\"}},"
		"\"packages\":{\"archive\":\"1.0\",\"badvcs\":\"1.0\",\"broken\":\"1.0\",\"gitpkg\":\"1.0\","
		"\"gone\":\"1.0\",\"huge\":\"1.0\",\"linked\":\"1.0\",\"localdir\":\"1.0\",\"mylib\":\"1.0\","
		"\"nourl\":\"1.0\",\"plain\":\"1.0\",\"project\":\"1.0\",\"relative\":\"1.0\",\"remote\":\"1.0\","
		"\"secret\":\"1.0\",\"sshgit\":\"1.0\"},\"version\":\"3.11.7\"}",
		localdir_address, editable_address()));
	assert_string_equal(f->warnings,
		"python: " S_ABS "badvcs-1.0.dist-info/direct_url.json: vcs_info is not an object; left out of python.installs\n"
		"python: " S_ABS "broken-1.0.dist-info/direct_url.json: line 1: string or '}' expected near end of file; left out of python.installs\n"
		"python: " S_ABS "gone-1.0.dist-info/direct_url.json: its source /src/gone does not exist any more, so it has no tree\n"
		"python: " S_ABS "huge-1.0.dist-info/direct_url.json: larger than 64 KiB; left out of python.installs\n"
		"python: " S_ABS "linked-1.0.dist-info/direct_url.json: a symbolic link, not followed; left out of python.installs\n"
		"python: " S_ABS "nourl-1.0.dist-info/direct_url.json: no \"url\" string; left out of python.installs\n"
		"python: " S_ABS "relative-1.0.dist-info/direct_url.json: file:src/mylib is no local file:// URL, so its source has no tree\n"
		"python: " S_ABS "remote-1.0.dist-info/direct_url.json: http://example.org/src is no local file:// URL, so its source has no tree\n"
		"python: " S_ABS "secret-1.0.dist-info/direct_url.json: credentials in its url, left out of the lock\n");
	free(localdir_address);
}

/* Editing an editable install's source is drift; what a run or a build leaves there is not. */
static void test_install_tree(void **state)
{
	fx *f = *state;
	char *before;
	el_data_options opts = { .cache_dir = "", .python_source = true, .max_entries = 3 };
	el_data_tree *tree = NULL;
	char *top;

	venv_python(f);
	dist(f, "mylib", "{\"url\": \"file:///src/mylib\", \"dir_info\": {\"editable\": true}}");
	editable_source(f, "src/mylib");
	assert_int_equal(run_probe(f, "/venv/bin/python"), EL_OK);
	before = strdup(f->json);
	assert_non_null(strstr(before, editable_address()));

	/* Bytecode, an egg-info rebuilt, a build directory: the same address. */
	el_test_write(f->root, "src/mylib/mylib/__pycache__/x.cpython-311.pyc", "more bytecode");
	el_test_write(f->root, "src/mylib/mylib/sub/y.pyc", "");
	el_test_write(f->root, "src/mylib/mylib.egg-info/SOURCES.txt", "mylib/__init__.py\n");
	el_test_write(f->root, "src/mylib/build/bdist.linux-x86_64/x", "");
	assert_int_equal(run_probe(f, "/venv/bin/python"), EL_OK);
	assert_string_equal(f->json, before);
	assert_string_equal(f->warnings, "");

	/* An edit of the source: another address. */
	el_test_write(f->root, "src/mylib/mylib/__init__.py", "X = 2\n");
	assert_int_equal(run_probe(f, "/venv/bin/python"), EL_OK);
	assert_string_not_equal(f->json, before);
	el_test_write(f->root, "src/mylib/mylib/__init__.py", "X = 1\n");
	assert_int_equal(run_probe(f, "/venv/bin/python"), EL_OK);
	assert_string_equal(f->json, before);
	/* A new module too. */
	el_test_write(f->root, "src/mylib/mylib/extra.py", "");
	assert_int_equal(run_probe(f, "/venv/bin/python"), EL_OK);
	assert_string_not_equal(f->json, before);

	/* A source that went away: no tree, a warning, the rest kept. */
	top = el_test_path(f->root, "src/mylib");
	el_test_rmtree(top);
	assert_int_equal(run_probe(f, "/venv/bin/python"), EL_OK);
	assert_string_equal(f->json, "{\"executable\":\"/venv/bin/python\",\"installs\":{\"mylib\":"
				     "{\"editable\":true,\"url\":\"file:///src/mylib\"}},"
				     "\"packages\":{\"mylib\":\"1.0\"},\"version\":\"3.11.7\"}");
	assert_string_equal(f->warnings, "python: " S_ABS "mylib-1.0.dist-info/direct_url.json: its source "
					 "/src/mylib does not exist any more, so it has no tree\n");

	/* The bound on a tree's size: beyond it, nothing is hashed. */
	el_test_write(f->root, "src/mylib/a", "");
	el_test_write(f->root, "src/mylib/b", "");
	el_test_write(f->root, "src/mylib/c", "");
	el_test_write(f->root, "src/mylib/__pycache__/d.pyc", "");
	assert_int_equal(el_data_hash(&tree, top, &opts), EL_OK);
	assert_int_equal(tree->count, 3);
	el_data_tree_free(tree);
	el_test_write(f->root, "src/mylib/e/f", "");
	el_test_assert_error(el_data_hash(&tree, top, &opts), EL_ERROR,
			     el_test_fmt("%s: more than 3 files, not hashed", top));
	assert_null(tree);
	free(top);
	free(before);
}

/* python.build: from the one run that learns sys.path, cached with it. */
static void test_build(void **state)
{
	fx *f = *state;
	char text[4096], expected[8192];
	el__probe_ctx ctx;

	el_test_symlink(f->root, "usr/bin/python3", FAKE_PYTHON);
	snprintf(text, sizeof(text),
		 "{\"version\": \"3.11.2\", \"executable\": \"/usr/bin/python3\", \"path\": [\"\"], "
		 "\"build\": {\"version\": \"3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]\", "
		 "\"cc\": \"x86_64-linux-gnu-gcc\", \"config_args\": \"'--enable-shared' '--prefix=/usr'\"}}\n");
	el_test_write(f->aux, "answer.json", text);
	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_string_equal(f->json, "{\"build\":{\"compiler\":\"GCC 12.2.0\",\"config_args\":\"'--enable-shared' "
				     "'--prefix=/usr'\",\"version\":\"3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]\"},"
				     "\"executable\":\"/usr/bin/python3\",\"packages\":{},\"version\":\"3.11.2\"}");
	snprintf(expected, sizeof(expected), "%s", f->json);

	/* Cached with sys.path: a warm capture starts no process and still has the build. */
	wait_until_fake_python_settles();
	backdate(f->root);
	el_test_ctx_init(&ctx, f->root);
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 2);
	el__probe_ctx_release(&ctx);
	ctx.python_tried = false;
	assert_int_equal(run_ctx(f, &ctx), EL_OK);
	assert_int_equal(runs(f), 2);
	assert_string_equal(f->json, expected);
	el_test_ctx_release(&ctx);

	/* No compiler in sys.version (an odd build): sysconfig's CC; no CONFIG_ARGS: left out. */
	snprintf(text, sizeof(text),
		 "{\"version\": \"3.12.1\", \"executable\": \"/usr/bin/python3\", \"path\": [\"\"], "
		 "\"build\": {\"version\": \"3.12.1 (main, Jan 1 2024)\", \"cc\": \"clang -pthread\", "
		 "\"config_args\": null}}\n");
	el_test_write(f->aux, "answer.json", text);
	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_string_equal(f->json, "{\"build\":{\"compiler\":\"clang -pthread\",\"version\":\"3.12.1 (main, Jan 1 2024)\"},"
				     "\"executable\":\"/usr/bin/python3\",\"packages\":{},\"version\":\"3.12.1\"}");

	/* Python 2 splits sys.version over two lines; hostile types are left out. */
	snprintf(text, sizeof(text),
		 "{\"version\": \"2.7.18\", \"executable\": \"/usr/bin/python3\", \"path\": [\"\"], "
		 "\"build\": {\"version\": \"2.7.18 (default, Jul 1 2022, 12:27:04) \\n[GCC 9.4.0]\", "
		 "\"cc\": 7, \"config_args\": [\"--x\"]}}\n");
	el_test_write(f->aux, "answer.json", text);
	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_string_equal(f->json, "{\"build\":{\"compiler\":\"GCC 9.4.0\",\"version\":\"2.7.18 (default, Jul 1 2022, "
				     "12:27:04) \\n[GCC 9.4.0]\"},\"executable\":\"/usr/bin/python3\",\"packages\":{},"
				     "\"version\":\"2.7.18\"}");

	/* An interpreter that says nothing of its build: no python.build. */
	fake_python(f, "usr/bin/python3", "\"\"");
	assert_int_equal(run_probe(f, NULL), EL_OK);
	assert_null(strstr(f->json, "build"));
	assert_string_equal(f->warnings, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_packages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eggs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pyenv_version_variable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pyenv_version_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pyenv_global_and_system, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_installs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment_is_an_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
