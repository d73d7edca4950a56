/* SPDX-License-Identifier: Apache-2.0 */
#include "util/cpus.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

/*
 * How many CPUs a run may use, which "threads auto" pins the thread pools
 * to. The affinity mask alone overcounts in a container: Docker's --cpus
 * and Kubernetes' CPU limits are a cgroup quota, and a pool as large as
 * the mask then spends its time throttled.
 */

#define FILE_MAX (64 << 10)
#define CPU_NUMBER_MAX (1u << 22) /* far above any kernel's NR_CPUS; keeps the sums small */

static bool is_host(const char *root)
{
	return !root || !*root || strcmp(root, "/") == 0;
}

/* sched_getaffinity() with a set large enough for this kernel's CPU numbers. */
static int host_mask_count(unsigned *out)
{
	for (int n = 1024; n <= (int)CPU_NUMBER_MAX; n *= 2) {
		cpu_set_t *set = CPU_ALLOC(n);
		size_t size = CPU_ALLOC_SIZE(n);
		int err;

		if (!set)
			return el__error_oom();
		if (sched_getaffinity(0, size, set) == 0) {
			*out = (unsigned)CPU_COUNT_S(size, set);
			CPU_FREE(set);
			return EL_OK;
		}
		err = errno;
		CPU_FREE(set);
		/* EINVAL: the kernel's mask is larger than the set. */
		if (err != EINVAL) {
			errno = err;
			return el__error_errno(EL_ERROR, "sched_getaffinity");
		}
	}
	return el__error(EL_ERROR, "sched_getaffinity: more than %u CPUs", CPU_NUMBER_MAX);
}

/* A decimal number at *s, at most max; *s moves past it. */
static bool number(const char **s, unsigned long long max, unsigned long long *out)
{
	const char *c = *s;

	*out = 0;
	if (*c < '0' || *c > '9')
		return false;
	for (; *c >= '0' && *c <= '9'; c++) {
		*out = *out * 10 + (unsigned long long)(*c - '0');
		if (*out > max)
			return false;
	}
	*s = c;
	return true;
}

/* The number of CPUs in a kernel CPU list, "0-3,8,10-11"; 0 when it is not one. */
static unsigned list_count(const char *s)
{
	unsigned long long total = 0, first, last;

	while (*s) {
		if (!number(&s, CPU_NUMBER_MAX, &first))
			return 0;
		last = first;
		if (*s == '-' && (++s, !number(&s, CPU_NUMBER_MAX, &last) || last < first))
			return 0;
		total += last - first + 1;
		if (*s == ',' && s[1])
			s++;
		else if (*s)
			return 0;
	}
	return total > CPU_NUMBER_MAX ? 0 : (unsigned)total;
}

/* A fixture's mask: the Cpus_allowed_list line of ROOT/proc/self/status. */
static int tree_mask_count(unsigned *out, const char *root)
{
	static const char key[] = "Cpus_allowed_list:";
	el__buf path, text;
	char *line, *save = NULL;
	int ret;

	el__buf_init(&path);
	el__buf_init(&text);
	el__root_path(&path, root, "/proc/self/status");
	ret = el__buf_failed(&path) ? el__error_oom() : el__read_file(&text, path.data, FILE_MAX, false);
	if (ret == EL_OK && el__buf_failed(&text))
		ret = el__error_oom();
	for (line = ret == EL_OK ? strtok_r(text.data, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (el__startswith(line, key))
			break;
	if (ret == EL_OK && !line)
		ret = el__error(EL_EINVAL, "%s: no Cpus_allowed_list line", path.data);
	else if (ret == EL_OK && !(*out = list_count(el__strtrim(line + sizeof(key) - 1))))
		ret = el__error(EL_EINVAL, "%s: Cpus_allowed_list is not a list of CPUs", path.data);
	el__buf_free(&path);
	el__buf_free(&text);
	return ret;
}

/*
 * One cpu.max: "max PERIOD" (no quota) or "QUOTA PERIOD" in microseconds;
 * a quota of 1.5 periods keeps two CPUs busy part of the time, so it
 * counts as two. *cpus is left alone when there is no quota.
 */
static int parse_quota(const char *path, const char *text, unsigned long long *cpus)
{
	const char *s = text;
	unsigned long long quota = 0, period;
	bool unlimited = el__startswith(s, "max ");

	if (unlimited)
		s += 3;
	else if (!number(&s, 1ull << 50, &quota) || quota == 0)
		s = "";
	if (*s != ' ' || (++s, !number(&s, 1ull << 50, &period)) || period == 0 || (*s && strcmp(s, "\n") != 0))
		return el__error(EL_EINVAL, "%s: not a CPU quota ('max PERIOD' or 'QUOTA PERIOD')", path);
	if (!unlimited)
		*cpus = (quota + period - 1) / period;
	return EL_OK;
}

/* An absolute path without "." or ".." components. */
static bool plain_path(const char *s)
{
	if (*s != '/')
		return false;
	for (const char *c = s; *c; c++)
		if (c[0] == '/' && c[1] == '.' && (c[2] == '/' || !c[2] || (c[2] == '.' && (c[3] == '/' || !c[3]))))
			return false;
	return true;
}

/*
 * The tightest cgroup v2 quota over the process's cgroup and its
 * ancestors (a limit set on a parent slice or pod binds the children):
 * *cpus stays 0 when there is none.
 */
static int quota_cpus(unsigned long long *cpus, const char *root)
{
	el__buf path, text, dir;
	char *line, *save = NULL, *cgroup = NULL;
	int ret;

	*cpus = 0;
	el__buf_init(&path);
	el__buf_init(&text);
	el__buf_init(&dir);
	el__root_path(&path, root, "/proc/self/cgroup");
	ret = el__buf_failed(&path) ? el__error_oom() : el__read_file(&text, path.data, FILE_MAX, false);
	if (ret == EL_OK && el__buf_failed(&text))
		ret = el__error_oom();
	if (ret == EL_ENOTFOUND)
		ret = EL_OK; /* no cgroups at all: nothing limits the run */
	for (line = ret == EL_OK && text.data ? strtok_r(text.data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (el__startswith(line, "0::")) {
			cgroup = line + 3;
			break;
		}
	/*
	 * No unified hierarchy (cgroup v1 alone), or a cgroup outside this
	 * namespace's view ("/../.."): no cpu.max of ours to read.
	 */
	if (!cgroup || !plain_path(cgroup))
		goto done;
	el__buf_puts(&dir, cgroup);
	while (ret == EL_OK) {
		unsigned long long here = 0;

		el__buf_reset(&path);
		el__root_path(&path, root, "/sys/fs/cgroup");
		el__buf_printf(&path, "%s/cpu.max", strcmp(dir.data, "/") == 0 ? "" : dir.data);
		ret = el__buf_failed(&path) || el__buf_failed(&dir) ? el__error_oom()
								     : el__read_file(&text, path.data, FILE_MAX, false);
		if (ret == EL_OK && el__buf_failed(&text))
			ret = el__error_oom();
		if (ret == EL_OK)
			ret = parse_quota(path.data, text.data, &here);
		else if (ret == EL_ENOTFOUND)
			ret = EL_OK; /* the root cgroup has none, nor has a cgroup without the cpu controller */
		if (here && (!*cpus || here < *cpus))
			*cpus = here;
		if (strcmp(dir.data, "/") == 0)
			break;
		el__path_parent(&dir);
	}
done:
	el__buf_free(&path);
	el__buf_free(&text);
	el__buf_free(&dir);
	return ret;
}

int el__cpus_usable(unsigned *out, const char *root, unsigned limit)
{
	unsigned long long quota = 0;
	unsigned count = 0;
	int ret;

	*out = 0;
	ret = is_host(root) ? host_mask_count(&count) : tree_mask_count(&count, root);
	if (ret == EL_OK)
		ret = quota_cpus(&quota, is_host(root) ? "" : root);
	if (ret != EL_OK)
		return ret;
	if (quota && quota < count)
		count = (unsigned)quota;
	if (limit && limit < count)
		count = limit;
	*out = count ? count : 1;
	return EL_OK;
}
