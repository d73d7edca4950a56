/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/libraries/dlversion.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/run.h"
#include "util/sha256.h"

/* The first byte a child sends: the library loaded, or dlerror() follows. */
#define SAID_LOADED 'L'
#define SAID_DLERROR 'D'
#define DLERROR_MAX 512

static int timeout_override;

void el__dl_set_timeout(int ms)
{
	timeout_override = ms > 0 ? ms : 0;
}

/*
 * Every handler is the parent's: one that catches SIGSEGV to clean up or
 * longjmp (a test runner does) would, in here, make a crashed library look
 * like a live parent. Defaults for all, nothing blocked.
 */
static void reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* stdin, stdout and stderr on /dev/null; fd is moved out of their way first. */
static int quiet_stdio(int fd)
{
	int null;

	if (fd <= STDERR_FILENO)
		fd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	return fd;
}

/*
 * The child. The fork is the point: whatever the library does while it
 * loads or answers (crash, abort, hang, print) stays in here. Between fork()
 * and _exit() only async-signal-safe calls would be strictly correct;
 * dlopen() and the library's own code are not, which is safe in practice
 * because capture is single-threaded when it probes. _exit() rather than
 * exit(): the parent's stdio buffers must not be flushed twice, and a CUDA
 * library's destructors are slow and have nothing to clean up here.
 */
static void __attribute__((noreturn)) child(int fd, pid_t parent, const char *host_path, el__dl_child_fn fn,
					     void *arg, char *answer, size_t max)
{
	char said = SAID_LOADED;
	void *lib;
	size_t n;

	/* Die with envlock, even if it is killed before it can reap us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(126);
	reset_signals();
	fd = quiet_stdio(fd);
	/*
	 * Under a fixture root the library's own dependencies still come from
	 * this machine's loader; short of a chroot there is no other way, and
	 * the libraries asked here need little more than libc.
	 */
	lib = dlopen(host_path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();

		said = SAID_DLERROR;
		(void)el__write_all(fd, &said, 1);
		if (why)
			(void)el__write_all(fd, why, strnlen(why, DLERROR_MAX));
		_exit(0);
	}
	n = fn(lib, answer, max, arg);
	(void)el__write_all(fd, &said, 1);
	(void)el__write_all(fd, answer, n < max ? n : max);
	_exit(0);
}

/* Read what the child says until it closes the pipe, cap bytes, or the deadline. */
static void collect(el__buf *out, int fd, long long deadline, size_t cap, bool *timed_out)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - el__monotonic_ms();
		char chunk[4096];
		ssize_t n;
		int pr;

		if (left <= 0) {
			*timed_out = true;
			return;
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr <= 0)
			continue; /* EINTR, or the deadline: checked above */
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || out->len + (size_t)n > cap)
			return;
		el__buf_add(out, chunk, (size_t)n);
	}
}

/*
 * Wait for the child until the deadline, then kill it. The pipe closes when
 * the child exits, so this rarely waits; a child that closed the pipe and
 * lingers is polled every millisecond.
 */
static void reap(pid_t pid, long long deadline, int *status, bool *timed_out)
{
	const struct timespec tick = { 0, 1000000 };

	for (;;) {
		pid_t r = waitpid(pid, status, *timed_out ? 0 : WNOHANG);

		if (r == pid)
			return;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* ECHILD: SIGCHLD is ignored and the kernel reaped it. */
			*status = 0;
			return;
		}
		if (!*timed_out && el__monotonic_ms() >= deadline) {
			*timed_out = true;
			kill(pid, SIGKILL);
			continue;
		}
		nanosleep(&tick, NULL);
	}
}

/*
 * Turn what the child did into a result; on success out holds fn's bytes
 * alone. A time-out or a SIGKILL (the OOM killer) may not happen again:
 * *transient says so, and such an answer is not worth remembering.
 */
static int verdict(el__buf *out, const char *name, const char *what, int status, bool timed_out, int timeout_ms,
		   bool *transient)
{
	*transient = timed_out || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (timed_out)
		return el__error(EL_ERROR, "%s: %s timed out after %g s", name, what, timeout_ms / 1000.0);
	if (WIFSIGNALED(status))
		return el__error(EL_ERROR, "%s: %s crashed (signal %d)", name, what, WTERMSIG(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return el__error(EL_ERROR, "%s: %s exited with status %d before answering", name, what,
				 WEXITSTATUS(status));
	if (el__buf_failed(out))
		return el__error_oom();
	if (out->len == 0)
		return el__error(EL_ERROR, "%s: %s exited before answering", name, what);
	if (out->data[0] == SAID_DLERROR) {
		const char *why = out->len > 1 ? out->data + 1 : "?";

		/*
		 * A dependency that is not there, or lacks a symbol, stays so until
		 * the loader's state moves; "failed to map segment" and the like
		 * depend on the memory limits of the moment.
		 */
		*transient = !strstr(why, "cannot open shared object file") && !strstr(why, "undefined symbol") &&
			     !strstr(why, "invalid ELF header") && !strstr(why, "wrong ELF class");
		return el__error(EL_ERROR, "%s: cannot be loaded: %s", name, why);
	}
	memmove(out->data, out->data + 1, out->len);
	out->len--;
	return EL_OK;
}

int el__dl_run(el__buf *out, const char *host_path, const char *what, el__dl_child_fn fn, void *arg,
	       size_t max, int timeout_ms, bool *transient)
{
	const char *name = el__basename(host_path);
	bool timed_out = false, unused;
	long long deadline;
	int pipefd[2], status = 0;
	char *answer;
	pid_t pid, parent = getpid();

	if (!transient)
		transient = &unused;
	*transient = true; /* until the child has had its say */
	el__buf_reset(out);
	if (timeout_override)
		timeout_ms = timeout_override;
	/* Allocated before the fork, so that the child need not call malloc. */
	answer = calloc(1, max ? max : 1);
	if (!answer)
		return el__error_oom();
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		free(answer);
		return el__error_errno(EL_ERROR, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		free(answer);
		close(pipefd[0]);
		close(pipefd[1]);
		return el__error_errno(EL_ERROR, "%s: fork", name);
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(pipefd[1], parent, host_path, fn, arg, answer, max);
	}
	free(answer);
	close(pipefd[1]);
	deadline = el__monotonic_ms() + timeout_ms;
	collect(out, pipefd[0], deadline, 1 + (max > DLERROR_MAX ? max : DLERROR_MAX), &timed_out);
	close(pipefd[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	reap(pid, deadline, &status, &timed_out);
	return verdict(out, name, what, status, timed_out, timeout_ms, transient);
}

/* The child's answer to a version query. */
enum { ANSWER_OK, ANSWER_NO_SYMBOL, ANSWER_FAILED };

struct answer {
	int status;
	int code;      /* the library's error code, ANSWER_FAILED */
	int v[3];      /* the numbers it gave */
	char text[96]; /* or the string (nvmlSystemGetDriverVersion) */
};

static const struct query {
	const char *name;   /* in the cache kind */
	const char *symbol; /* the entry point asked */
} queries[] = {
	[EL_DL_CUDART] = { "cudart", "cudaRuntimeGetVersion" },
	[EL_DL_CUDA_DRIVER] = { "cuda-driver", "cuDriverGetVersion" },
	[EL_DL_CUDNN] = { "cudnn", "cudnnGetVersion" },
	[EL_DL_NCCL] = { "nccl", "ncclGetVersion" },
	[EL_DL_CUBLAS] = { "cublas", "cublasGetProperty" },
	[EL_DL_CUBLASLT] = { "cublaslt", "cublasLtGetVersion" },
	[EL_DL_NVML_DRIVER] = { "nvml-driver", "nvmlSystemGetDriverVersion" },
};

/*
 * The entry points, declared here because nothing from CUDA is needed at
 * build time. Every return type is an enum whose success value is 0.
 */
typedef int (*int_out_fn)(int *);          /* cudaRuntimeGetVersion, cuDriverGetVersion, ncclGetVersion */
typedef size_t (*size_version_fn)(void);   /* cudnnGetVersion, cublasLtGetVersion */
typedef int (*cublas_property_fn)(int, int *); /* libraryPropertyType MAJOR_VERSION = 0, MINOR = 1, PATCH = 2 */
typedef int (*nvml_void_fn)(void);         /* nvmlInit_v2, nvmlShutdown */
typedef int (*nvml_text_fn)(char *, unsigned int);

static void ask_int_out(void *lib, const char *symbol, struct answer *a)
{
	int_out_fn fn = (int_out_fn)dlsym(lib, symbol);

	if (!fn) {
		a->status = ANSWER_NO_SYMBOL;
		return;
	}
	a->code = fn(&a->v[0]);
	a->status = a->code ? ANSWER_FAILED : ANSWER_OK;
}

static void ask_size_version(void *lib, const char *symbol, struct answer *a)
{
	size_version_fn fn = (size_version_fn)dlsym(lib, symbol);

	if (!fn) {
		a->status = ANSWER_NO_SYMBOL;
		return;
	}
	a->v[0] = (int)fn();
	a->status = ANSWER_OK;
}

static void ask_cublas(void *lib, struct answer *a)
{
	cublas_property_fn fn = (cublas_property_fn)dlsym(lib, "cublasGetProperty");

	if (!fn) {
		a->status = ANSWER_NO_SYMBOL;
		return;
	}
	a->status = ANSWER_OK;
	for (int i = 0; i < 3 && a->status == ANSWER_OK; i++) {
		a->code = fn(i, &a->v[i]);
		if (a->code)
			a->status = ANSWER_FAILED;
	}
}

/* NVML answers nothing before nvmlInit_v2, which needs the kernel driver. */
static void ask_nvml_driver(void *lib, struct answer *a)
{
	nvml_void_fn init = (nvml_void_fn)dlsym(lib, "nvmlInit_v2");
	nvml_void_fn shutdown = (nvml_void_fn)dlsym(lib, "nvmlShutdown");
	nvml_text_fn fn = (nvml_text_fn)dlsym(lib, "nvmlSystemGetDriverVersion");

	if (!init || !shutdown || !fn) {
		a->status = ANSWER_NO_SYMBOL;
		return;
	}
	a->code = init();
	if (a->code == 0) {
		a->code = fn(a->text, sizeof(a->text));
		shutdown();
	}
	a->text[sizeof(a->text) - 1] = '\0';
	a->status = a->code ? ANSWER_FAILED : ANSWER_OK;
}

static size_t ask(void *lib, void *buf, size_t max, void *arg)
{
	const el__dl_query *query = arg;
	struct answer *a = buf;

	switch (*query) {
	case EL_DL_CUDART:
	case EL_DL_CUDA_DRIVER:
	case EL_DL_NCCL:
		ask_int_out(lib, queries[*query].symbol, a);
		break;
	case EL_DL_CUDNN:
	case EL_DL_CUBLASLT:
		ask_size_version(lib, queries[*query].symbol, a);
		break;
	case EL_DL_CUBLAS:
		ask_cublas(lib, a);
		break;
	case EL_DL_NVML_DRIVER:
		ask_nvml_driver(lib, a);
		break;
	}
	return sizeof(*a);
}

/* A driver version as NVML prints it: digits and dots, "550.54.15". */
static bool plausible_text(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
	return true;
}

static int format_answer(const struct answer *a, el__dl_query query, const char *name, char *out, size_t outsize)
{
	const char *symbol = queries[query].symbol;

	if (a->status == ANSWER_NO_SYMBOL)
		return el__error(EL_ENOTFOUND, "%s: no %s", name, symbol);
	if (a->status != ANSWER_OK)
		return el__error(EL_ERROR, "%s: %s failed (error %d)", name, symbol, a->code);
	if (query == EL_DL_NVML_DRIVER) {
		if (!plausible_text(a->text))
			return el__error(EL_ERROR, "%s: %s gave an unexpected version", name, symbol);
		snprintf(out, outsize, "%s", a->text);
		return EL_OK;
	}
	if (a->v[0] <= 0 || a->v[1] < 0 || a->v[2] < 0)
		return el__error(EL_ERROR, "%s: %s gave an invalid version (%d)", name, symbol, a->v[0]);
	switch (query) {
	case EL_DL_CUDART:
	case EL_DL_CUDA_DRIVER:
		el__decode_cuda_version(a->v[0], out, outsize);
		break;
	case EL_DL_CUDNN:
		el__decode_cudnn_version(a->v[0], out, outsize);
		break;
	case EL_DL_NCCL:
		el__decode_nccl_version(a->v[0], out, outsize);
		break;
	case EL_DL_CUBLASLT:
		snprintf(out, outsize, "%d.%d.%d", a->v[0] / 10000, a->v[0] / 100 % 100, a->v[0] % 100);
		break;
	default:
		snprintf(out, outsize, "%d.%d.%d", a->v[0], a->v[1], a->v[2]);
		break;
	}
	return EL_OK;
}

/*
 * Ask the library; EL_OK, or EL_ENOTFOUND for a missing entry point, which
 * is worth caching too. *transient as el__dl_run() sets it.
 */
static int ask_library(const char *host, el__dl_query query, char *out, size_t outsize, bool *transient)
{
	struct answer a;
	el__buf said;
	int ret;

	el__buf_init(&said);
	ret = el__dl_run(&said, host, "version call", ask, &query, sizeof(a), EL_DL_TIMEOUT_MS, transient);
	if (ret == EL_OK && said.len != sizeof(a))
		ret = el__error(EL_ERROR, "%s: version call gave a truncated answer", el__basename(host));
	if (ret == EL_OK) {
		memcpy(&a, said.data, sizeof(a));
		ret = format_answer(&a, query, el__basename(host), out, outsize);
	}
	el__buf_free(&said);
	return ret;
}

/*
 * What decides whether a library loads, besides the file itself: where the
 * loader finds its dependencies. A failure to load is remembered with this
 * and retried once it changes (ldconfig ran, the variables differ).
 */
static void loader_state(el__buf *out)
{
	struct stat st;
	const char *vars[] = { "LD_LIBRARY_PATH", "LD_PRELOAD" };
	char hex[EL_SHA256_HEX];
	el__buf state;

	el__buf_init(&state);
	if (stat("/etc/ld.so.cache", &st) == 0)
		el__buf_printf(&state, "%ju:%ju:%jd:%lld", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
			       (intmax_t)st.st_size, el__mtime_ns(&st));
	/*
	 * The process's own, not the capture's environment: the loader read
	 * them when this process started, and the forked child's dlopen
	 * follows what it read.
	 */
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		el__buf_printf(&state, "\t%s=%s", vars[i], getenv(vars[i]) ? getenv(vars[i]) : "");
	/* Stored as a digest: the cache file need not spell out the user's variables. */
	if (!el__buf_failed(&state) && el__sha256_hex(hex, state.data, state.len) == EL_OK)
		el__buf_puts(out, hex);
	else
		el__buf_puts(out, "?");
	el__buf_free(&state);
}

/*
 * A cached answer: a version, null for "no such entry point", or a lasting
 * failure {"error": message, "loader": state} that holds while the loader's
 * state is the one it was seen under. EL__PROBE_ABSENT when there is nothing
 * usable and the library must be asked.
 */
static int cached_answer(json_t *hit, const char *loader, const char *name, const char *symbol,
			 char *out, size_t outsize)
{
	const char *error = json_string_value(json_object_get(hit, "error"));
	const char *seen = json_string_value(json_object_get(hit, "loader"));

	if (json_is_string(hit)) {
		snprintf(out, outsize, "%s", json_string_value(hit));
		return EL_OK;
	}
	if (json_is_null(hit))
		return el__error(EL_ENOTFOUND, "%s: no %s", name, symbol);
	if (error && seen && strcmp(seen, loader) == 0)
		return el__error(EL_ERROR, "%s", error);
	return EL__PROBE_ABSENT;
}

int el__dl_version(el__probe_ctx *ctx, const char *path, el__dl_query query, char *out, size_t outsize)
{
	el__buf host, kind, loader;
	struct stat st;
	bool transient = true;
	int ret;

	if ((unsigned)query >= sizeof(queries) / sizeof(queries[0]))
		return el__error(EL_EINVAL, "unknown version query %d", (int)query);
	el__buf_init(&host);
	el__buf_init(&kind);
	el__buf_init(&loader);
	el__root_path(&host, ctx->root, path);
	el__buf_printf(&kind, "dlversion:%s", queries[query].name);
	loader_state(&loader);
	if (el__buf_failed(&host) || el__buf_failed(&kind) || el__buf_failed(&loader)) {
		ret = el__error_oom();
		goto done;
	}
	if (stat(host.data, &st) != 0) {
		ret = el__error_errno(errno == ENOENT || errno == ENOTDIR ? EL_ENOTFOUND : EL_ERROR, "%s", path);
		goto done;
	}
	/* The answer is a fact about the file: same identity, same answer, no fork. */
	ret = cached_answer(el__cache_get(ctx->cache, kind.data, host.data, &st), loader.data,
			    el__basename(path), queries[query].symbol, out, outsize);
	if (ret != EL__PROBE_ABSENT)
		goto done;
	if (!ctx->may_run) {
		/* Not cached: a trusted capture of the same tree may ask. */
		ret = el__error(EL_ENOTFOUND, "%s: not loaded: the probed tree is not trusted", el__basename(path));
		goto done;
	}
	ret = ask_library(host.data, query, out, outsize, &transient);
	if (ret == EL_OK)
		el__cache_put(ctx->cache, kind.data, host.data, &st, json_string(out));
	else if (ret == EL_ENOTFOUND)
		el__cache_put(ctx->cache, kind.data, host.data, &st, json_null());
	else if (ret == EL_ERROR && !transient)
		/* A missing dependency or a crash comes back every time: ask again when the loader's state moves. */
		el__cache_put(ctx->cache, kind.data, host.data, &st,
			      json_pack("{s:s,s:s}", "error", el_error_last(), "loader", loader.data));
done:
	el__buf_free(&host);
	el__buf_free(&kind);
	el__buf_free(&loader);
	return ret;
}

void el__decode_cuda_version(int v, char *out, size_t outsize)
{
	snprintf(out, outsize, "%d.%d", v / 1000, v % 1000 / 10);
}

/* cuDNN 9 made room for two-digit minors: 8.9.7 was 8907, 9.19.0 is 91900. */
void el__decode_cudnn_version(int v, char *out, size_t outsize)
{
	if (v >= 10000)
		snprintf(out, outsize, "%d.%d.%d", v / 10000, v % 10000 / 100, v % 100);
	else
		snprintf(out, outsize, "%d.%d.%d", v / 1000, v % 1000 / 100, v % 100);
}

/* NCCL did the same at 2.9: 2.8.4 was 2804, 2.9.6 is 20906. */
void el__decode_nccl_version(int v, char *out, size_t outsize)
{
	el__decode_cudnn_version(v, out, outsize);
}
