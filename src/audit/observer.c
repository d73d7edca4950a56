/*
 * envlock's LD_AUDIT observer: the dynamic loader calls la_objopen for
 * every object it maps (the program, its DT_NEEDED libraries, dlopen'd
 * ones), in every process that inherits LD_AUDIT; each becomes one line
 * "PATH\n" on the descriptor ENVLOCK_AUDIT_FD names, an anonymous file
 * envlock reads after the run (sandbox/observe.c).
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

/* fd as text, for /proc/self/fd/N. */
static void fd_path(char out[32], int fd)
{
	char digits[12];
	size_t n = 0, len = sizeof("/proc/self/fd/") - 1;

	memcpy(out, "/proc/self/fd/", len);
	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	while (n > 0)
		out[len++] = digits[--n];
	out[len] = '\0';
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
	char path[32], target[64];
	ssize_t n;
	long fd = 0;
	int high;

	if (!text || !*text)
		return -1;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || fd > 65535)
			return -1;
		fd = fd * 10 + (*p - '0');
	}
	fd_path(path, (int)fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < (ssize_t)(sizeof(MEMFD_NAME) - 1))
		return -1;
	target[n] = '\0';
	if (strncmp(target, MEMFD_NAME, sizeof(MEMFD_NAME) - 1) != 0)
		return -1;
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
