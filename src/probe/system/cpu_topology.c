/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cpu.topology: how the logical CPUs are laid out, from sysfs. Sockets,
 * cores and threads per core decide how thread pools and NUMA placement
 * split the work (and so the order floating-point sums are taken in);
 * cache sizes decide the blocking BLAS libraries choose. Only facts that
 * do not change while the machine runs: present CPUs (not online ones,
 * which hotplug and cgroups move), no frequencies.
 */
#include "probe/probe.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/fs.h"

#define SYS_CPU "/sys/devices/system/cpu"
#define SYS_NODE "/sys/devices/system/node"
/* sysfs values are a line; a CPU list of a very large machine is longer. */
#define SYSFS_MAX 65536
/* The kernel's largest NR_CPUS: a list asking for more is not believed. */
#define CPUS_MAX 8192

/* The first line of a sysfs file under the root, or NULL (absent, unreadable). */
static char *sysfs_line(const el__probe_ctx *ctx, const char *path)
{
	el__buf full, text;
	char *line = NULL;

	el__buf_init(&full);
	el__buf_init(&text);
	el__root_path(&full, ctx->root, path);
	if (!el__buf_failed(&full) && el__read_file(&text, full.data, SYSFS_MAX, false) == EL_OK &&
	    !memchr(text.data, '\0', text.len)) {
		text.data[strcspn(text.data, "\n")] = '\0';
		line = el__buf_detach(&text, NULL);
	}
	el_error_clear();
	el__buf_free(&full);
	el__buf_free(&text);
	return line;
}

/*
 * The decimal number text starts with, *end just past it; -1 when it
 * starts with none (no sign or space: sysfs writes neither) or the number
 * overflows.
 */
static long leading_number(const char *text, char **end)
{
	long v;

	if (!text || !isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	v = strtol(text, end, 10);
	return errno ? -1 : v;
}

/* A non-negative decimal number, whole; -1 for anything else. */
static long number(const char *text)
{
	char *end;
	long v = leading_number(text, &end);

	return v < 0 || *end ? -1 : v;
}

/*
 * A kernel CPU list ("0-3,8,10-11") into a set of flags, cpus[i] for i <
 * CPUS_MAX. False for anything that is not one.
 */
static bool parse_cpu_list(const char *text, unsigned char *cpus)
{
	const char *p = text;

	if (!*p)
		return false;
	while (*p) {
		char *end;
		long lo, hi;

		if (!isdigit((unsigned char)*p))
			return false;
		lo = hi = strtol(p, &end, 10);
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)*++p))
				return false;
			hi = strtol(p, &end, 10);
			p = end;
		}
		if (lo < 0 || hi < lo || hi >= CPUS_MAX)
			return false;
		memset(cpus + lo, 1, (size_t)(hi - lo + 1));
		if (*p == ',')
			p++;
		else if (*p)
			return false;
	}
	return true;
}

/* The CPUs a sysfs list file of cpu names (0 or more), into set; false when absent or not a list. */
static bool read_list(const el__probe_ctx *ctx, long cpu, const char *name, const char *old_name, unsigned char *set)
{
	char path[128], *text;
	bool ok;

	snprintf(path, sizeof(path), SYS_CPU "/cpu%ld/topology/%s", cpu, name);
	text = sysfs_line(ctx, path);
	/* Kernels before 5.17 have only the older names. */
	if (!text) {
		snprintf(path, sizeof(path), SYS_CPU "/cpu%ld/topology/%s", cpu, old_name);
		text = sysfs_line(ctx, path);
	}
	memset(set, 0, CPUS_MAX);
	ok = text && parse_cpu_list(text, set);
	free(text);
	return ok;
}

/*
 * Sockets, cores per socket and threads per core of the present CPUs, from
 * each core's and each package's CPU list: a file per core and one per
 * socket, not several per CPU (a 224-thread node stays cheap). Left out
 * when the layout is not uniform or a present CPU has no topology
 * (offline).
 */
static void add_layout(const el__probe_ctx *ctx, json_t *topology)
{
	char *present_text = sysfs_line(ctx, SYS_CPU "/present");
	unsigned char *present = calloc(CPUS_MAX, 1), *core_done = calloc(CPUS_MAX, 1);
	unsigned char *socket_done = calloc(CPUS_MAX, 1), *set = calloc(CPUS_MAX, 1);
	long cores = 0, sockets = 0, threads = -1, top = CPUS_MAX;

	if (!present_text || !present || !core_done || !socket_done || !set || !parse_cpu_list(present_text, present))
		goto done;
	while (top > 0 && !present[top - 1])
		top--;
	for (long i = 0; i < top; i++) {
		long in_core = 0;

		if (!present[i] || core_done[i])
			continue;
		if (!read_list(ctx, i, "core_cpus_list", "thread_siblings_list", set))
			goto done;
		for (long k = 0; k < top; k++)
			if (set[k] && present[k] && !core_done[k]) {
				core_done[k] = 1;
				in_core++;
			}
		/* A list that leaves out the CPU it describes is no list of its core. */
		if (!set[i] || (threads >= 0 && in_core != threads))
			goto done;
		threads = in_core;
		cores++;
		if (socket_done[i])
			continue;
		if (!read_list(ctx, i, "package_cpus_list", "core_siblings_list", set) || !set[i])
			goto done;
		for (long k = 0; k < top; k++)
			if (set[k] && present[k])
				socket_done[k] = 1;
		sockets++;
	}
	if (sockets == 0 || cores % sockets != 0)
		goto done;
	json_object_set_new(topology, "sockets", json_integer(sockets));
	json_object_set_new(topology, "cores_per_socket", json_integer(cores / sockets));
	json_object_set_new(topology, "threads_per_core", json_integer(threads));
done:
	free(present_text);
	free(present);
	free(core_done);
	free(socket_done);
	free(set);
}

/* "32K", "1M", "1024" (bytes) as KiB; -1 for anything else. */
static long kib(const char *text)
{
	char *end;
	long v = leading_number(text, &end);

	if (v < 0)
		return -1;
	if (strcmp(end, "K") == 0)
		return v;
	if (strcmp(end, "M") == 0)
		return v <= 1L << 40 ? v * 1024 : -1;
	if (strcmp(end, "G") == 0)
		return v <= 1L << 30 ? v * 1024 * 1024 : -1;
	return *end ? -1 : v / 1024;
}

/* cpu0's caches: "L1d", "L1i", "L2", "L3" -> size in KiB. */
static void add_caches(const el__probe_ctx *ctx, json_t *topology)
{
	json_t *caches = json_object();
	char path[128], name[16];

	for (int i = 0; caches && i < 16; i++) {
		char *level, *type, *size;
		long lv, sz;

		snprintf(path, sizeof(path), SYS_CPU "/cpu0/cache/index%d/level", i);
		if (!(level = sysfs_line(ctx, path)))
			break;
		snprintf(path, sizeof(path), SYS_CPU "/cpu0/cache/index%d/type", i);
		type = sysfs_line(ctx, path);
		snprintf(path, sizeof(path), SYS_CPU "/cpu0/cache/index%d/size", i);
		size = sysfs_line(ctx, path);
		lv = number(level);
		sz = kib(size);
		if (lv >= 1 && lv <= 9 && sz > 0 && type) {
			snprintf(name, sizeof(name), "L%ld%s", lv,
				 strcmp(type, "Data") == 0 ? "d" : strcmp(type, "Instruction") == 0 ? "i" : "");
			json_object_set_new(caches, name, json_integer(sz));
		}
		free(level);
		free(type);
		free(size);
	}
	if (json_object_size(caches))
		json_object_set_new(topology, "cache_kib", caches);
	else
		json_decref(caches);
}

/* NUMA nodes: node0, node1... under /sys/devices/system/node. */
static void add_numa(const el__probe_ctx *ctx, json_t *topology)
{
	el__buf path;
	DIR *dir;
	struct dirent *e;
	long nodes = 0;

	el__buf_init(&path);
	el__root_path(&path, ctx->root, SYS_NODE);
	dir = el__buf_failed(&path) ? NULL : opendir(path.data);
	while (dir && (e = readdir(dir)))
		if (strncmp(e->d_name, "node", 4) == 0 && number(e->d_name + 4) >= 0)
			nodes++;
	if (dir)
		closedir(dir);
	if (nodes > 0)
		json_object_set_new(topology, "numa_nodes", json_integer(nodes));
	el__buf_free(&path);
}

json_t *el__cpu_topology(const el__probe_ctx *ctx)
{
	json_t *topology = json_object();

	if (!topology)
		return NULL;
	add_layout(ctx, topology);
	add_numa(ctx, topology);
	add_caches(ctx, topology);
	if (json_object_size(topology))
		return topology;
	json_decref(topology);
	return NULL;
}
