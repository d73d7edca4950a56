/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replay's working directory: the host's, read-only, as the lower layer of
 * an overlay whose upper layer is a tmpfs of the sandbox's own, so that
 * nothing the command writes there reaches the host, and envlock still
 * sees what it wrote (the merged mount goes to envlock, see setup.h).
 *
 * overlayfs takes its layers by path, and a detached mount is not a layer
 * every kernel accepts: both layers are attached for the moment in the
 * scratch root (PID 1's "/" during the set-up, beside /oldroot and
 * /newroot), which is detached with the host's root at the end; the
 * overlay holds private copies of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/setup.h"

#define LAYERS "/overlay"

/* The working directory the overlay goes on (the plan's overlay step; the command may start below it). */
static const char *overlay_dest(const el__setup *s)
{
	for (size_t i = 0; i < s->plan->mount_count; i++)
		if (s->plan->mounts[i].op == EL__MOUNT_OVERLAY)
			return s->plan->mounts[i].dest;
	return "?";
}

/* An error the kernel gives when it has no overlay for us (its log line too): the caller may copy instead. */
static int refused(el__setup *s, int fs, const char *what, int err)
{
	char log[256] = "";
	ssize_t n = fs >= 0 ? read(fs, log, sizeof(log) - 1) : -1;

	if (n > 2) {
		log[n] = '\0';
		log[strcspn(log, "\n")] = '\0';
	} else {
		log[0] = log[2] = '\0';
	}
	if (err == EPERM || err == EINVAL || err == ENODEV || err == EOPNOTSUPP)
		return el__setup_fail_as(s, 'O', "%s: %s%s%s", what, strerror(err), log[2] ? ": " : "", log + 2);
	return el__setup_fail(s, "overlay on %s: %s: %s%s%s", overlay_dest(s), what, strerror(err), log[2] ? ": " : "",
			      log + 2);
}

/* The upper layer: a new tmpfs attached at LAYERS/rw, with upper/ (mode: the lower root's) and work/. */
static int upper_layer(el__setup *s, mode_t mode)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC), mnt = -1, at = -1, ret = -1;

	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) != 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0 ||
	    (mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0 ||
	    mkdir(LAYERS "/rw", 0700) != 0 || (at = open(LAYERS "/rw", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    el__attach(mnt, at) != 0 || mkdir(LAYERS "/rw/upper", 0700) != 0 || chmod(LAYERS "/rw/upper", mode) != 0 ||
	    mkdir(LAYERS "/rw/work", 0700) != 0)
		el__setup_fail(s, "overlay on %s: its tmpfs: %s", overlay_dest(s), strerror(errno));
	else
		ret = 0;
	if (at >= 0)
		close(at);
	if (mnt >= 0)
		close(mnt);
	if (fs >= 0)
		close(fs);
	return ret;
}

static int lower_layer(el__setup *s, const struct el__mount_step *m, mode_t *mode)
{
	struct stat st;
	int tree = el__step_tree(s, m), at = -1, ret = -1;

	if (tree < 0)
		return -1;
	if (fstat(tree, &st) != 0 || mkdir(LAYERS, 0700) != 0 || mkdir(LAYERS "/lower", 0700) != 0 ||
	    (at = open(LAYERS "/lower", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || el__attach(tree, at) != 0) {
		el__setup_fail(s, "overlay on %s: its lower layer: %s", m->dest, strerror(errno));
	} else {
		*mode = st.st_mode & 07777;
		ret = 0;
	}
	if (at >= 0)
		close(at);
	close(tree);
	return ret;
}

int el__overlay_step(el__setup *s, const struct el__mount_step *m)
{
	/* userxattr: its own bookkeeping in user.* attributes, which a user namespace may write. */
	static const char *const options[] = { "lowerdir", LAYERS "/lower", "upperdir", LAYERS "/rw/upper",
					       "workdir", LAYERS "/rw/work", "userxattr", NULL, NULL };
	int fs, mnt = -1, dest = -1;
	mode_t mode = 0755;

	if (lower_layer(s, m, &mode) != 0 || upper_layer(s, mode) != 0)
		return -1;
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return refused(s, -1, "fsopen", errno);
	for (const char *const *o = options; o[0]; o += 2)
		if (fsconfig(fs, o[1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o[0], o[1], 0) != 0) {
			refused(s, fs, "fsconfig", errno);
			close(fs);
			return -1;
		}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
		refused(s, fs, "fsconfig", errno);
		close(fs);
		return -1;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	close(fs);
	if (mnt < 0 || (dest = el__make_dirs(s->newfd, m->dest)) < 0 || el__attach(mnt, dest) != 0) {
		int err = errno;

		if (dest >= 0)
			close(dest);
		if (mnt >= 0)
			close(mnt);
		return el__setup_fail(s, "overlay on %s: %s", m->dest, strerror(err));
	}
	close(dest);
	el__setup_send(s, mnt);
	return 0;
}
