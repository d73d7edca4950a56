/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An LD_PRELOAD library for envlock itself, for the sandbox tests: it says
 * on standard error when the sandbox's command process, before its
 * execve, calls the allocator or a printf-family or strerror function.
 * That process shares the memory of the sandbox's PID 1 (setup.c), so it
 * must do neither. It is told apart as PID 2 in a PID namespace other
 * than the one envlock started in; nothing here allocates either.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static char first_ns[64];

static void pid_namespace(char out[64])
{
	long n = syscall(SYS_readlink, "/proc/self/ns/pid", out, 63);

	out[n > 0 ? n : 0] = '\0';
}

__attribute__((constructor)) static void start(void)
{
	pid_namespace(first_ns);
}

static void note(const char *call)
{
	static const char head[] = "el_child_calls: the command's process called ";
	char ns[64], line[128];
	size_t n = sizeof(head) - 1, k = strlen(call);

	if (syscall(SYS_getpid) != 2)
		return;
	pid_namespace(ns);
	if (strcmp(ns, first_ns) == 0)
		return;
	memcpy(line, head, n);
	memcpy(line + n, call, k);
	line[n + k] = '\n';
	syscall(SYS_write, 2, line, n + k + 1);
}

void *malloc(size_t n)
{
	note("malloc");
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	note("calloc");
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	note("realloc");
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (p)
		note("free");
	__libc_free(p);
}

char *strerror(int err)
{
	static char *(*next)(int);

	note("strerror");
	if (!next)
		next = (char *(*)(int))dlsym(RTLD_NEXT, "strerror");
	return next(err);
}

int vsnprintf(char *s, size_t size, const char *fmt, va_list ap)
{
	static int (*next)(char *, size_t, const char *, va_list);

	note("vsnprintf");
	if (!next)
		next = (int (*)(char *, size_t, const char *, va_list))dlsym(RTLD_NEXT, "vsnprintf");
	return next(s, size, fmt, ap);
}

int snprintf(char *s, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	note("snprintf");
	va_start(ap, fmt);
	n = vsnprintf(s, size, fmt, ap);
	va_end(ap);
	return n;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
	static int (*next)(int, const char *, va_list);

	note("vdprintf");
	if (!next)
		next = (int (*)(int, const char *, va_list))dlsym(RTLD_NEXT, "vdprintf");
	return next(fd, fmt, ap);
}

int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int n;

	note("dprintf");
	va_start(ap, fmt);
	n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

