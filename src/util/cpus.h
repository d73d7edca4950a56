/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_CPUS_H
#define EL_UTIL_CPUS_H

/*
 * The number of CPUs a process started here may keep busy at once: the
 * CPUs of its affinity mask, fewer when a cgroup v2 CPU quota on its
 * cgroup or an ancestor allows less (ceil(quota / period) of the
 * tightest), and at most limit when limit is not 0 (a profile's "cpus N":
 * the sandbox runs on the first N).
 *
 * root "" (or "/") is this machine, whose mask sched_getaffinity() gives;
 * any other root is a fixture tree, whose ROOT/proc/self/status line
 * Cpus_allowed_list stands for the mask. Either way the cgroup comes from
 * ROOT/proc/self/cgroup ("0::PATH") and its quotas from
 * ROOT/sys/fs/cgroup/PATH/cpu.max and the same file in each directory
 * above it. No unified cgroup, or no cpu.max, is no quota.
 *
 * EL_OK with *out >= 1. Otherwise a message that names the file:
 * EL_ENOTFOUND when a fixture has no proc/self/status, EL_EINVAL when it
 * or a cpu.max is garbled, EL_ERROR when a file or the kernel's mask
 * cannot be read.
 */
int el__cpus_usable(unsigned *out, const char *root, unsigned limit);

#endif
