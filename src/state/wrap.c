/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libc boundary of the state record. The binary is linked with
 * --wrap=NAME for each function here (CMakeLists.txt, EL_WATCHED_CALLS),
 * so every call envlock makes to them, from any file, comes through
 * __wrap_NAME first and reaches libc as __real_NAME. With no watch active
 * a wrapper only passes the call on; with one, it tells the watch what the
 * call looked at and found.
 *
 * Why at the boundary and not in the probes: a record that missed one file
 * a probe read would hide drift in it. A probe written tomorrow that calls
 * stat() is watched without knowing it; tests/integration/watch_calls.sh
 * fails when the library calls a function of libc that reads the machine
 * and is not wrapped here or said to be harmless there.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sched.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "state/watch.h"

/* Declared here only: the linker provides __real_NAME, and envlock calls NAME. */
#define EL_WRAPPED(ret, name, ...) \
	ret __real_##name(__VA_ARGS__); \
	ret __wrap_##name(__VA_ARGS__)

EL_WRAPPED(int, open, const char *path, int flags, ...);
EL_WRAPPED(int, openat, int dirfd, const char *path, int flags, ...);
EL_WRAPPED(int, __open_2, const char *path, int flags);
EL_WRAPPED(int, __openat_2, int dirfd, const char *path, int flags);
EL_WRAPPED(int, stat, const char *path, struct stat *st);
EL_WRAPPED(int, lstat, const char *path, struct stat *st);
EL_WRAPPED(int, fstatat, int dirfd, const char *path, struct stat *st, int flags);
EL_WRAPPED(int, access, const char *path, int mode);
EL_WRAPPED(int, faccessat, int dirfd, const char *path, int mode, int flags);
EL_WRAPPED(DIR *, opendir, const char *path);
EL_WRAPPED(int, scandir, const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
	   int (*compare)(const struct dirent **, const struct dirent **));
EL_WRAPPED(ssize_t, readlink, const char *path, char *buf, size_t size);
EL_WRAPPED(ssize_t, readlinkat, int dirfd, const char *path, char *buf, size_t size);
EL_WRAPPED(ssize_t, __readlink_chk, const char *path, char *buf, size_t size, size_t buflen);
EL_WRAPPED(ssize_t, __readlinkat_chk, int dirfd, const char *path, char *buf, size_t size, size_t buflen);
EL_WRAPPED(char *, realpath, const char *path, char *resolved);
EL_WRAPPED(char *, __realpath_chk, const char *path, char *resolved, size_t resolvedlen);
EL_WRAPPED(char *, getenv, const char *name);
EL_WRAPPED(char *, secure_getenv, const char *name);
EL_WRAPPED(long, syscall, long number, ...);
EL_WRAPPED(void *, dlopen, const char *file, int mode);
EL_WRAPPED(pid_t, fork, void);
EL_WRAPPED(int, posix_spawn, pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
	   const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
EL_WRAPPED(int, posix_spawnp, pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
	   const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
EL_WRAPPED(int, uname, struct utsname *buf);
EL_WRAPPED(int, gethostname, char *name, size_t len);
EL_WRAPPED(struct passwd *, getpwuid, uid_t uid);
EL_WRAPPED(int, sched_getaffinity, pid_t pid, size_t size, cpu_set_t *set);

/* A call's result on path: what it found, errno as the call left it. */
static void watch_stat(el__dep_kind kind, int dirfd, const char *path, int rc, const struct stat *st)
{
	int err = errno;

	el__watch_stat(kind, dirfd, path, rc == 0 ? 0 : err, st);
	errno = err;
}

static void watch_open(el__dep_kind kind, int dirfd, const char *path, int fd)
{
	int err = errno;

	if (fd >= 0)
		el__watch_opened(kind, dirfd, path, fd);
	else
		el__watch_failed(kind, dirfd, path, err);
	errno = err;
}

static void watch_text(el__dep_kind kind, int arg, int dirfd, const char *path, const char *text)
{
	int err = errno;

	el__watch_text(kind, arg, dirfd, path, text ? 0 : err, text);
	errno = err;
}

/* What a program run, a library loaded or the system's identity say: nothing a file's identity stands for. */
static void refuse(const char *why)
{
	int err = errno;

	el__watch_refuse(why);
	errno = err;
}

static el__dep_kind open_kind(int flags)
{
	return flags & O_NOFOLLOW ? EL__DEP_LSTAT : EL__DEP_STAT;
}

/* The mode argument is there only with O_CREAT or O_TMPFILE (open(2)). */
static bool takes_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	if (takes_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = __real_open(path, flags, mode);

	if (el__watch_on())
		watch_open(open_kind(flags), AT_FDCWD, path, fd);
	return fd;
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	int fd;

	if (takes_mode(flags)) {
		va_list ap;

		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	fd = __real_openat(dirfd, path, flags, mode);

	if (el__watch_on())
		watch_open(open_kind(flags), dirfd, path, fd);
	return fd;
}

int __wrap___open_2(const char *path, int flags)
{
	int fd = __real___open_2(path, flags);

	if (el__watch_on())
		watch_open(open_kind(flags), AT_FDCWD, path, fd);
	return fd;
}

int __wrap___openat_2(int dirfd, const char *path, int flags)
{
	int fd = __real___openat_2(dirfd, path, flags);

	if (el__watch_on())
		watch_open(open_kind(flags), dirfd, path, fd);
	return fd;
}

int __wrap_stat(const char *path, struct stat *st)
{
	int rc = __real_stat(path, st);

	if (el__watch_on())
		watch_stat(EL__DEP_STAT, AT_FDCWD, path, rc, st);
	return rc;
}

int __wrap_lstat(const char *path, struct stat *st)
{
	int rc = __real_lstat(path, st);

	if (el__watch_on())
		watch_stat(EL__DEP_LSTAT, AT_FDCWD, path, rc, st);
	return rc;
}

int __wrap_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	int rc = __real_fstatat(dirfd, path, st, flags);

	/* fstatat(fd, "", AT_EMPTY_PATH) is fstat: the descriptor's file was watched when opened. */
	if (el__watch_on() && !((flags & AT_EMPTY_PATH) && !*path))
		watch_stat(flags & AT_SYMLINK_NOFOLLOW ? EL__DEP_LSTAT : EL__DEP_STAT, dirfd, path, rc, st);
	return rc;
}

int __wrap_access(const char *path, int mode)
{
	int rc = __real_access(path, mode);

	if (el__watch_on())
		watch_text(EL__DEP_ACCESS, mode, AT_FDCWD, path, rc == 0 ? "" : NULL);
	return rc;
}

/* The flags go into arg with the mode (they do not overlap): the same call is made again. */
int __wrap_faccessat(int dirfd, const char *path, int mode, int flags)
{
	int rc = __real_faccessat(dirfd, path, mode, flags);

	if (el__watch_on()) {
		if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS))
			refuse("faccessat with flags it does not know");
		else
			watch_text(EL__DEP_ACCESS, mode | flags, dirfd, path, rc == 0 ? "" : NULL);
	}
	return rc;
}

DIR *__wrap_opendir(const char *path)
{
	DIR *d = __real_opendir(path);

	if (el__watch_on())
		watch_open(EL__DEP_STAT, AT_FDCWD, path, d ? dirfd(d) : -1);
	return d;
}

/*
 * scandir opens, reads and closes the directory inside libc: its identity
 * is taken first (a stat, itself watched), so that a change while it is
 * read moves the identity kept.
 */
int __wrap_scandir(const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
		   int (*compare)(const struct dirent **, const struct dirent **))
{
	struct stat st;
	bool on = el__watch_on();
	int found = on ? stat(path, &st) : -1;
	int n = __real_scandir(path, list, filter, compare);

	if (on && n < 0 && found == 0)
		refuse("a directory that could not be listed");
	return n;
}

static void watch_link(int dirfd, const char *path, char *buf, size_t size, ssize_t n)
{
	int err = errno;
	char *text = NULL;

	if (size > 65536) {
		refuse("a link read into a very large buffer");
	} else if (n >= 0 && !(text = strndup(buf, (size_t)n))) {
		refuse("out of memory");
	} else {
		errno = err;
		watch_text(EL__DEP_READLINK, (int)size, dirfd, path, text);
	}
	free(text);
	errno = err;
}

ssize_t __wrap_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = __real_readlink(path, buf, size);

	if (el__watch_on())
		watch_link(AT_FDCWD, path, buf, size, n);
	return n;
}

ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n = __real_readlinkat(dirfd, path, buf, size);

	if (el__watch_on())
		watch_link(dirfd, path, buf, size, n);
	return n;
}

ssize_t __wrap___readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	ssize_t n = __real___readlink_chk(path, buf, size, buflen);

	if (el__watch_on())
		watch_link(AT_FDCWD, path, buf, size, n);
	return n;
}

ssize_t __wrap___readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen)
{
	ssize_t n = __real___readlinkat_chk(dirfd, path, buf, size, buflen);

	if (el__watch_on())
		watch_link(dirfd, path, buf, size, n);
	return n;
}

char *__wrap_realpath(const char *path, char *resolved)
{
	char *real = __real_realpath(path, resolved);

	if (el__watch_on())
		watch_text(EL__DEP_REALPATH, 0, AT_FDCWD, path, real);
	return real;
}

char *__wrap___realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	char *real = __real___realpath_chk(path, resolved, resolvedlen);

	if (el__watch_on())
		watch_text(EL__DEP_REALPATH, 0, AT_FDCWD, path, real);
	return real;
}

char *__wrap_getenv(const char *name)
{
	char *value = __real_getenv(name);

	if (el__watch_on())
		el__watch_env(EL__DEP_GETENV, name, value);
	return value;
}

char *__wrap_secure_getenv(const char *name)
{
	char *value = __real_secure_getenv(name);

	if (el__watch_on())
		el__watch_env(EL__DEP_GETENV, name, value);
	return value;
}

/*
 * The kernel takes at most six arguments, in registers: reading six is
 * what libc's own syscall() does. openat2 is watched like openat; any other
 * system call made during a watch is one the watch cannot judge.
 */
long __wrap_syscall(long number, ...)
{
	long a[6];
	va_list ap;
	long rc;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	rc = __real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (!el__watch_on())
		return rc;
	if (number == SYS_getrandom || number == SYS_gettid)
		return rc; /* nothing of the machine's */
	if (number == SYS_openat2) {
		const struct open_how *how = (const struct open_how *)a[2];
		el__dep_kind kind = how->resolve & RESOLVE_NO_SYMLINKS ? EL__DEP_NOLINKS : open_kind((int)how->flags);

		/* Without openat2 (ENOSYS, or a filter's EPERM) the caller opens name by name, and that is watched. */
		if (rc >= 0 || (errno != ENOSYS && errno != EPERM))
			watch_open(kind, (int)a[0], (const char *)a[1], (int)rc);
	} else {
		refuse("a system call made directly");
	}
	return rc;
}

void *__wrap_dlopen(const char *file, int mode)
{
	if (el__watch_on())
		refuse("a library loaded");
	return __real_dlopen(file, mode);
}

pid_t __wrap_fork(void)
{
	if (el__watch_on())
		refuse("a process started");
	return __real_fork();
}

int __wrap_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (el__watch_on())
		refuse("a program run");
	return __real_posix_spawn(pid, path, actions, attr, argv, envp);
}

int __wrap_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	if (el__watch_on())
		refuse("a program run");
	return __real_posix_spawnp(pid, file, actions, attr, argv, envp);
}

int __wrap_uname(struct utsname *buf)
{
	if (el__watch_on())
		refuse("the kernel's identity asked");
	return __real_uname(buf);
}

int __wrap_gethostname(char *name, size_t len)
{
	if (el__watch_on())
		refuse("the host name asked");
	return __real_gethostname(name, len);
}

struct passwd *__wrap_getpwuid(uid_t uid)
{
	if (el__watch_on())
		refuse("the user database read");
	return __real_getpwuid(uid);
}

int __wrap_sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set)
{
	if (el__watch_on())
		refuse("the CPUs asked");
	return __real_sched_getaffinity(pid, size, set);
}
