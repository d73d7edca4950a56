/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envlock's LD_AUDIT observer: the dynamic loader calls la_objopen for
 * every object it maps (the program, its DT_NEEDED libraries, dlopen'd
 * ones), in every process that inherits LD_AUDIT; each becomes one line
 * "PATH\n" on the descriptor ENVLOCK_AUDIT_FD names, an anonymous file
 * envlock reads after the run (sandbox/observe.c), or, in a process that
 * was started without it, the same file reopened through an ancestor's.
 *
 * It runs inside the loader, before and beside the program: no stdio, no
 * malloc, only system calls, and one write(2) per line on a descriptor
 * opened O_APPEND, so that lines from several processes never interleave.
 * What it writes is untrusted all the same: the job can write anything to
 * the descriptor, and envlock validates every line and hashes every file
 * itself, from the host.
 *
 * Built as a shared object of its own, with no dependency on libenvlock,
 * and embedded into envlock as bytes (packaging/embed_binary.cmake).
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The longest line envlock accepts is PATH_MAX bytes with its newline. */
#define LINE_MAX_BYTES 4096
/* What the descriptor must be: the anonymous file envlock made. */
#define MEMFD_NAME "/memfd:envlock-observed"

static int report_fd = -1;

/* n in decimal at out; the end. No printf inside the loader. */
static char *put_number(char *out, unsigned long n)
{
	char digits[24];
	size_t k = 0;

	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	while (k > 0)
		*out++ = digits[--k];
	return out;
}

/* "/proc/PID/fd/FD", or /proc/self/fd/FD for pid 0. */
static void fd_path(char out[64], unsigned long pid, int fd)
{
	char *p = out;

	memcpy(p, "/proc/", 6);
	p += 6;
	if (pid) {
		p = put_number(p, pid);
	} else {
		memcpy(p, "self", 4);
		p += 4;
	}
	memcpy(p, "/fd/", 4);
	p = put_number(p + 4, (unsigned long)fd);
	*p = '\0';
}

/* Whether the descriptor path names is envlock's anonymous file. */
static int is_report_file(const char *path)
{
	char target[64];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < (ssize_t)(sizeof(MEMFD_NAME) - 1))
		return 0;
	target[n] = '\0';
	return strncmp(target, MEMFD_NAME, sizeof(MEMFD_NAME) - 1) == 0;
}

/* The parent of pid, from the fourth field of /proc/PID/stat; 0 when unknown. */
static unsigned long parent_of(unsigned long pid)
{
	char path[64], text[512], *close_paren = NULL, *p;
	unsigned long ppid = 0;
	ssize_t n;
	int fd;

	memcpy(path, "/proc/", 6);
	memcpy(put_number(path + 6, pid), "/stat", 6);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	/* The command name may hold anything, ')' included: the last one ends it. */
	for (p = text; *p; p++)
		if (*p == ')')
			close_paren = p;
	if (!close_paren || close_paren[1] != ' ' || !close_paren[2] || close_paren[3] != ' ')
		return 0;
	for (p = close_paren + 4; *p >= '0' && *p <= '9'; p++)
		ppid = ppid * 10 + (unsigned long)(*p - '0');
	return ppid;
}

/*
 * The file through the first ancestor that still holds it at fd: a process
 * started with its descriptors closed (subprocess's close_fds, the spawn
 * and forkserver start methods, torchrun's workers) reaches it by path.
 * Not PID 1, envlock's own, which no job process may read. What is opened
 * is checked again once open: the ancestor may have changed it meanwhile.
 */
static int open_from_ancestor(int fd)
{
	unsigned long pid = (unsigned long)getppid();

	for (int depth = 0; depth < 64 && pid > 1; depth++, pid = parent_of(pid)) {
		char path[64];
		int opened;

		fd_path(path, pid, fd);
		if (!is_report_file(path))
			continue;
		opened = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
		if (opened < 0)
			continue;
		fd_path(path, 0, opened);
		if (is_report_file(path))
			return opened;
		close(opened);
	}
	return -1;
}

/*
 * The descriptor, when it is still envlock's file: a program that closed
 * it (subprocess with close_fds) may have another file at that number,
 * which must not get our lines. Kept above the low numbers as well, so
 * that a program reusing the number later does not get them either.
 */
static int open_report_fd(void)
{
	const char *text = getenv("ENVLOCK_AUDIT_FD");
	char path[64];
	long fd = 0;
	int high;

	if (!text || !*text)
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || fd > 65535)
			return -1;
		fd = fd * 10 + (*p - '0');
	}
	fd_path(path, 0, (int)fd);
	if (!is_report_file(path)) {
		int opened = open_from_ancestor((int)fd);

		if (opened < 0)
			return -1;
		high = fcntl(opened, F_DUPFD_CLOEXEC, 200);
		if (high < 0)
			return opened;
		close(opened);
		return high;
	}
	high = fcntl((int)fd, F_DUPFD_CLOEXEC, 200);
	return high >= 0 ? high : (int)fd;
}

unsigned int la_version(unsigned int version)
{
	(void)version;
	report_fd = open_report_fd();
	return LAV_CURRENT;
}

unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie)
{
	char line[LINE_MAX_BYTES + 1];
	const char *name = map->l_name;
	size_t len;
	ssize_t n;

	(void)lmid;
	(void)cookie;
	if (report_fd < 0)
		return 0;
	if (!name || !*name) {
		/* The program itself has no name in its link map. */
		n = readlink("/proc/self/exe", line, LINE_MAX_BYTES);
		if (n <= 0 || n >= LINE_MAX_BYTES)
			return 0;
		len = (size_t)n;
	} else if (name[0] == '/') {
		len = strlen(name);
		if (len >= LINE_MAX_BYTES)
			return 0;
		memcpy(line, name, len);
	} else if (strchr(name, '/')) {
		/* dlopen("./libx.so"): relative to the directory it was opened from, which is now's. */
		size_t name_len = strlen(name);

		if (!getcwd(line, LINE_MAX_BYTES) || line[0] != '/')
			return 0;
		len = strlen(line);
		if (len + 1 + name_len >= LINE_MAX_BYTES)
			return 0;
		line[len++] = '/';
		memcpy(line + len, name, name_len);
		len += name_len;
	} else {
		/* The vDSO ("linux-vdso.so.1"): no file behind it. */
		return 0;
	}
	line[len++] = '\n';
	do
		n = write(report_fd, line, len);
	while (n < 0 && errno == EINTR);
	/* Neither symbol bindings to audit nor anything to say to the loader. */
	return 0;
}
