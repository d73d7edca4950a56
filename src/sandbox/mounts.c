/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building the sandbox's root, in its own mount namespace, the way
 * bubblewrap does: a private tmpfs becomes the root for a moment, the
 * host's root is put aside under it as /oldroot, the new root is assembled
 * under /newroot from the plan's steps, and finally becomes "/" with the
 * host's root detached.
 *
 * Every path is opened with openat2(RESOLVE_IN_ROOT): a host path under
 * /oldroot, a sandbox path under /newroot. A symbolic link, planted or
 * not, resolves as it would inside that tree and never leads out of it.
 * Mounts are made with the new mount API (open_tree, fsopen, fsmount,
 * mount_setattr, move_mount) on those file descriptors, so no path is
 * looked up twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/setup.h"

#define BASE "/tmp"
#define RESOLVE_FLAGS (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int open_in(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_FLAGS };

	/* Relative to the root fd: "/usr" is "usr" under it. */
	path += strspn(path, "/");
	if (*path == '\0')
		path = ".";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Split "/a/b/c" into a parent "/a/b" (in buf) and the last name. */
static const char *split_parent(const char *path, char *parent, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = (size_t)(slash - path);

	if (n >= size)
		n = size - 1;
	memcpy(parent, path, n);
	parent[n] = '\0';
	return slash + 1;
}

int el__make_dirs(int rootfd, const char *path)
{
	char prefix[4096];
	size_t len = 0;
	int fd = open_in(rootfd, "/", O_PATH | O_DIRECTORY);
	const char *p = path;

	while (fd >= 0 && *p) {
		size_t n;
		int next;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (len + n + 2 > sizeof(prefix)) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		prefix[len++] = '/';
		memcpy(prefix + len, p, n);
		len += n;
		prefix[len] = '\0';
		p += n;
		next = open_in(rootfd, prefix, O_PATH | O_DIRECTORY);
		if (next < 0 && errno == ENOENT) {
			char name[256];

			snprintf(name, sizeof(name), "%.*s", (int)n, p - n);
			if (mkdirat(fd, name, 0755) != 0 && errno != EEXIST) {
				close(fd);
				return -1;
			}
			next = open_in(rootfd, prefix, O_PATH | O_DIRECTORY);
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* An empty file to mount a file on, its parents made; the open file, or -1. */
static int make_file(int rootfd, const char *path, unsigned mode, int flags)
{
	char parent[4096];
	const char *name = split_parent(path, parent, sizeof(parent));
	int dirfd = el__make_dirs(rootfd, parent), fd;

	if (dirfd < 0)
		return -1;
	/* The parent was opened O_PATH: reopen it to create in it. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(dirfd);
	if (fd < 0)
		return -1;
	dirfd = fd;
	/* O_NONBLOCK: a FIFO left where a file goes must not stall the setup. */
	fd = openat(dirfd, name, flags | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
	close(dirfd);
	if (fd >= 0) {
		struct stat st;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
	}
	return fd;
}

/* Where a mount goes: made (a directory, or a file when the source is one) and opened. */
static int mount_point(int newfd, const char *dest, bool directory)
{
	int fd;

	if (directory)
		return el__make_dirs(newfd, dest);
	/* Read-only: the file may be there already, and not writable (a lock bound on itself). */
	fd = make_file(newfd, dest, 0644, O_RDONLY);
	if (fd < 0 && errno == EISDIR)
		errno = ENOTDIR;
	if (fd < 0)
		return -1;
	close(fd);
	return open_in(newfd, dest, O_PATH);
}

int el__attach(int mntfd, int destfd)
{
	return move_mount(mntfd, "", destfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

int el__bind_tree(int rootfd, const char *source, el__mount_op op, int idmap_userns)
{
	/*
	 * Private: a mount made on the host later must not show up inside,
	 * with its own (writable) flags, under a read-only bind.
	 */
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_NOSUID | el__bind_attrs(op) | (idmap_userns >= 0 ? MOUNT_ATTR_IDMAP : 0),
		.propagation = MS_PRIVATE,
		.userns_fd = idmap_userns >= 0 ? (unsigned long long)idmap_userns : 0,
	};
	/* The plan resolved every source: a link on the way now was planted since. */
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS };
	const char *path = source;
	int src, tree, err;

	if (rootfd != AT_FDCWD) {
		how.resolve |= RESOLVE_FLAGS;
		path += strspn(path, "/");
		if (!*path)
			path = ".";
	}
	src = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (src < 0)
		return -1;
	/* Recursive: a mount below the source (a locked one, too) comes along. */
	tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	err = errno;
	close(src);
	if (tree >= 0 && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) != 0) {
		err = errno;
		close(tree);
		tree = -1;
	}
	errno = err;
	return tree;
}

const char *el__bind_reason(int err)
{
	return err == ELOOP ? "a symbolic link appeared on its path after the plan was made" : strerror(err);
}

int el__step_tree(el__setup *s, const struct el__mount_step *m)
{
	int *premade = s->idmap_fds ? &s->idmap_fds[m - s->plan->mounts] : NULL;
	int tree;

	if (premade && *premade >= 0) {
		/* Made by envlock outside (see idmap.h): only attached here. */
		tree = *premade;
		*premade = -1;
		return tree;
	}
	tree = el__bind_tree(s->oldfd, m->source, m->op, -1);
	if (tree < 0)
		return el__setup_fail(s, "bind %s: %s", m->source, el__bind_reason(errno));
	return tree;
}

static int bind_step(el__setup *s, const struct el__mount_step *m)
{
	struct stat st;
	int tree = el__step_tree(s, m), dest;

	if (tree < 0)
		return -1;
	if (fstat(tree, &st) != 0) {
		close(tree);
		return el__setup_fail(s, "bind %s: %s", m->source, strerror(errno));
	}
	dest = mount_point(s->newfd, m->dest, S_ISDIR(st.st_mode));
	if (dest < 0 || el__attach(tree, dest) != 0) {
		int err = errno;

		if (dest >= 0)
			close(dest);
		close(tree);
		return el__setup_fail(s, "bind %s on %s: %s", m->source, m->dest, strerror(err));
	}
	close(dest);
	close(tree);
	return 0;
}

unsigned long long el__bind_attrs(el__mount_op op)
{
	/* An overlay's lower layer is read-only: the writes go to its upper tmpfs. */
	if (op == EL__MOUNT_RO_BIND || op == EL__MOUNT_OVERLAY)
		return MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV;
	if (op == EL__MOUNT_BIND)
		return MOUNT_ATTR_NODEV;
	return MOUNT_ATTR_NOEXEC; /* a device node */
}

/* Keep fd for envlock (see setup.h: sent_fds); it is closed here once sent. */
void el__setup_send(el__setup *s, int fd)
{
	s->sent_fds[s->sent_count++] = fd;
}

/*
 * A new file system (tmpfs, proc, devpts) with options, mounted at dest;
 * with sent, its mount is kept for envlock.
 */
static int new_fs_step(el__setup *s, const char *type, const char *dest, const char *const *options,
		       unsigned attrs, bool sent)
{
	int fs, mnt = -1, fd = -1, ret = -1;

	fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return el__setup_fail(s, "%s on %s: %s", type, dest, strerror(errno));
	for (const char *const *o = options; o && o[0]; o += 2) {
		if (fsconfig(fs, o[1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o[0], o[1], 0) != 0) {
			el__setup_fail(s, "%s on %s: option %s: %s", type, dest, o[0], strerror(errno));
			goto done;
		}
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0 ||
	    (mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs)) < 0 || (fd = el__make_dirs(s->newfd, dest)) < 0 ||
	    el__attach(mnt, fd) != 0) {
		el__setup_fail(s, "%s on %s: %s", type, dest, strerror(errno));
		goto done;
	}
	ret = 0;
	if (sent) {
		el__setup_send(s, mnt);
		mnt = -1;
	}
done:
	if (fd >= 0)
		close(fd);
	if (mnt >= 0)
		close(mnt);
	close(fs);
	return ret;
}

/*
 * The kernel-wide knobs under the new /proc made read-only, as bubblewrap
 * does: when root runs envlock, the sandbox's user is root on the host,
 * and /proc/sys checks the uid (kernel.core_pattern runs a program as
 * root on the next crash).
 */
static int proc_readonly(el__setup *s, const char *proc)
{
	static const char *const knobs[] = { "sys", "sysrq-trigger", "irq", "bus", NULL };
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };

	for (const char *const *k = knobs; *k; k++) {
		char path[4096];
		int fd, tree;

		snprintf(path, sizeof(path), "%s/%s", proc, *k);
		fd = open_in(s->newfd, path, O_PATH);
		if (fd < 0 && errno == ENOENT)
			continue;
		tree = fd < 0 ? -1 : open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) != 0 ||
		    el__attach(tree, fd) != 0) {
			int err = errno;

			if (tree >= 0)
				close(tree);
			if (fd >= 0)
				close(fd);
			return el__setup_fail(s, "read-only %s: %s", path, strerror(err));
		}
		close(tree);
		close(fd);
	}
	return 0;
}

static int tmpfs_step(el__setup *s, const char *dest, unsigned mode, bool sent)
{
	char text[16];
	const char *options[] = { "mode", text, NULL, NULL };

	snprintf(text, sizeof(text), "%04o", mode);
	return new_fs_step(s, "tmpfs", dest, options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, sent);
}

static int symlink_step(el__setup *s, const struct el__mount_step *m)
{
	char parent[4096];
	const char *name = split_parent(m->dest, parent, sizeof(parent));
	int dirfd = el__make_dirs(s->newfd, parent), fd = -1;

	if (dirfd >= 0) {
		fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(dirfd);
	}
	if (fd < 0 || symlinkat(m->source, fd, name) != 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return el__setup_fail(s, "symlink %s: %s", m->dest, strerror(err));
	}
	close(fd);
	return 0;
}

static int file_step(el__setup *s, const struct el__mount_step *m)
{
	int fd = make_file(s->newfd, m->dest, m->mode, O_WRONLY | O_EXCL);
	size_t done = 0;

	if (fd < 0)
		return el__setup_fail(s, "file %s: %s", m->dest, strerror(errno));
	while (done < m->content_len) {
		ssize_t n = write(fd, m->content + done, m->content_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return el__setup_fail(s, "file %s: %s", m->dest, strerror(errno));
		}
		done += (size_t)n;
	}
	/* The plan's mode, whatever umask envlock was started with. */
	if (fchmod(fd, m->mode) != 0) {
		int err = errno;

		close(fd);
		return el__setup_fail(s, "file %s: %s", m->dest, strerror(err));
	}
	close(fd);
	return 0;
}

static int readonly_step(el__setup *s, const struct el__mount_step *m)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	int fd = open_in(s->newfd, m->dest, O_PATH | O_DIRECTORY);

	if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) != 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return el__setup_fail(s, "read-only %s: %s", m->dest, strerror(err));
	}
	close(fd);
	return 0;
}

static int run_step(el__setup *s, const struct el__mount_step *m)
{
	static const char *const devpts_options[] = { "newinstance", NULL, "ptmxmode", "0666", "mode", "0620", NULL, NULL };

	switch (m->op) {
	case EL__MOUNT_RO_BIND:
	case EL__MOUNT_BIND:
	case EL__MOUNT_DEV:
		return bind_step(s, m);
	case EL__MOUNT_TMPFS:
		return tmpfs_step(s, m->dest, m->mode, m->scratch);
	case EL__MOUNT_PROC:
		if (new_fs_step(s, "proc", m->dest, NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
				false) != 0)
			return -1;
		return proc_readonly(s, m->dest);
	case EL__MOUNT_DEVPTS:
		return new_fs_step(s, "devpts", m->dest, devpts_options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false);
	case EL__MOUNT_OVERLAY:
		return el__overlay_step(s, m);
	case EL__MOUNT_SYMLINK:
		return symlink_step(s, m);
	case EL__MOUNT_FILE:
		return file_step(s, m);
	case EL__MOUNT_READONLY:
		return readonly_step(s, m);
	}
	return el__setup_fail(s, "unknown mount step %d", (int)m->op);
}

int el__setup_mounts(el__setup *s)
{
	const el_sandbox_plan *plan = s->plan;

	/* Nothing done here may propagate back to the host's mounts. */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) != 0)
		return el__setup_fail(s, "making the mounts private: %s", strerror(errno));
	/* The scratch root: a tmpfs visible only in this namespace. */
	if (mount("tmpfs", BASE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0)
		return el__setup_fail(s, "tmpfs on " BASE ": %s", strerror(errno));
	if (chdir(BASE) != 0 || mkdir("newroot", 0755) != 0 || mkdir("oldroot", 0755) != 0)
		return el__setup_fail(s, "preparing " BASE ": %s", strerror(errno));
	if (syscall(SYS_pivot_root, BASE, BASE "/oldroot") != 0 || chdir("/") != 0)
		return el__setup_fail(s, "pivot_root: %s", strerror(errno));
	/* The sandbox's root tmpfs, mounted on /newroot of the scratch root. */
	s->newfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->newfd < 0)
		return el__setup_fail(s, "opening the scratch root: %s", strerror(errno));
	if (!(s->sent_fds = calloc(plan->mount_count, sizeof(*s->sent_fds))))
		return el__setup_fail(s, "out of memory");
	if (tmpfs_step(s, "/newroot", 0755, false) != 0)
		return -1;
	close(s->newfd);
	s->oldfd = open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
	s->newfd = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->oldfd < 0 || s->newfd < 0)
		return el__setup_fail(s, "opening the roots: %s", strerror(errno));
	for (size_t i = 0; i < plan->mount_count; i++)
		if (run_step(s, &plan->mounts[i]) != 0)
			return -1;
	/* The host's root goes; the new root becomes "/". */
	if (umount2("/oldroot", MNT_DETACH) != 0)
		return el__setup_fail(s, "detaching the host's root: %s", strerror(errno));
	if (fchdir(s->newfd) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 ||
	    chdir("/") != 0)
		return el__setup_fail(s, "entering the new root: %s", strerror(errno));
	close(s->oldfd);
	close(s->newfd);
	s->oldfd = s->newfd = -1;
	if (chdir(plan->cwd) != 0)
		return el__setup_fail(s, "working directory %s: %s", plan->cwd, strerror(errno));
	return 0;
}
