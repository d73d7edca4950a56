/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unpacking an archive that may be hostile (envlock/bundle.h). libarchive
 * reads and decompresses; the writing is envlock's own, through
 * descriptors: libarchive's disk writer works on paths from the process's
 * working directory, which a library must not change, and its secure
 * flags would still leave the tree's shape to be checked here. Every name
 * is checked before anything is made for it; each directory on its path
 * is opened below the previous one with O_NOFOLLOW, so no link, planted
 * or unpacked, is ever followed; files are created with O_EXCL.
 */
#include "bundle/unpack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/archive_lib.h"
#include "bundle/dest.h"
#include "bundle/unpack_names.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/tree.h"

#define DATA_BLOCK (256 * 1024)
/*
 * The deepest a name may go, in directories: what el__tree_remove removes
 * (a partial tree must be removable), and what keeps reopening each
 * directory from the top cheap.
 */
#define MAX_DEPTH 256

static size_t depth_of(const char *name);

/* A directory made during the unpack, whose mode and time are set last. */
struct made_dir {
	char *name; /* "" for the top */
	mode_t mode;
	struct timespec mtime; /* UTIME_OMIT: none given */
};

typedef struct unpacker {
	const struct el__archive_lib *al;
	struct archive *a;
	const char *archive_name;
	int top; /* the directory being filled */
	el__unpack_options opts;
	uint64_t archive_size; /* on disk, 0 when unknown (a pipe) */
	uint64_t entries, bytes;
	el__name_set names;
	/* The last entry's directory, kept open: entries come grouped by directory. */
	char *cached_dir;
	int cached_fd;
	struct made_dir *dirs;
	size_t dir_count, dir_cap;
	unsigned char *block;
} unpacker;

/* An entry refused: its name quoted printable, so that it cannot break the line. */
static int refuse(const unpacker *u, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(const unpacker *u, const char *name, const char *fmt, ...)
{
	char shown[256], reason[600];
	va_list ap;

	va_start(ap, fmt);
	el__entry_refusal(shown, reason, name, fmt, ap);
	va_end(ap);
	return el__error(EL_EINVAL, "%s: entry '%s': %s", u->archive_name, shown, reason);
}

/* A failure of the system on an entry (errno), its name quoted printable; after is NULL or what failed. */
static int failed(const unpacker *u, const char *name, const char *after)
{
	char shown[256];
	int err = errno;

	el__printable_copy(shown, sizeof(shown), name, strlen(name));
	errno = err;
	return el__error_errno(EL_ERROR, "%s: entry '%s'%s%s", u->archive_name, shown, after ? ": " : "",
			       after ? after : "");
}

static int archive_failed(const unpacker *u, const char *what)
{
	const char *msg = u->al->archive_error_string(u->a);
	char shown[400];

	el__printable_copy(shown, sizeof(shown), msg ? msg : "unknown error", strlen(msg ? msg : "unknown error"));
	return el__error(EL_EINVAL, "%s: %s: %s", u->archive_name, what, shown);
}

static int remember_dir(unpacker *u, const char *name, mode_t mode, const struct timespec *mtime)
{
	struct made_dir *d;

	if (u->dir_count == u->dir_cap) {
		size_t cap = u->dir_cap ? u->dir_cap * 2 : 64;
		struct made_dir *grown = realloc(u->dirs, cap * sizeof(*grown));

		if (!grown)
			return el__error_oom();
		u->dirs = grown;
		u->dir_cap = cap;
	}
	d = &u->dirs[u->dir_count];
	if (!(d->name = strdup(name)))
		return el__error_oom();
	d->mode = mode;
	d->mtime = *mtime;
	u->dir_count++;
	return EL_OK;
}

/*
 * An explicit entry for a directory met earlier as a parent: its mode and
 * time after all (in a layer, also for one the layers below made).
 */
static int update_dir(unpacker *u, const char *name, mode_t mode, const struct timespec *mtime)
{
	for (size_t i = u->dir_count; i-- > 0;) {
		if (strcmp(u->dirs[i].name, name) == 0) {
			u->dirs[i].mode = mode;
			u->dirs[i].mtime = *mtime;
			return EL_OK;
		}
	}
	return remember_dir(u, name, mode, mtime);
}

/* name (a prefix of an entry's path) is a directory this layer, or this archive, puts something in. */
static int touch_dir(unpacker *u, const char *name, size_t len, bool made)
{
	static const struct timespec none = { 0, UTIME_OMIT };
	char *prefix = strndup(name, len);
	int ret = EL_OK;

	if (!prefix)
		return el__error_oom();
	/* A directory made as a parent is an entry too: a few names must not make millions of them. */
	if (made && ++u->entries > u->opts.limits.max_entries) {
		free(prefix);
		return el__error(EL_EINVAL, "%s: more than %llu entries (--max-entries %llu)", u->archive_name,
				 (unsigned long long)u->opts.limits.max_entries,
				 (unsigned long long)u->opts.limits.max_entries);
	}
	if (el__name_find(&u->names, prefix) == EL__NAME_NONE)
		ret = el__name_add(&u->names, prefix, EL__NAME_IMPLIED_DIR);
	if (ret == EL_OK && made)
		ret = remember_dir(u, prefix, 0755, &none);
	free(prefix);
	return ret;
}

/*
 * The directory dir (a checked relative name, "" for the top) opened
 * below the top, one component at a time with O_NOFOLLOW. With make,
 * missing ones are made (0700 until the end) and each is noted as a
 * directory of this archive (touch_dir). Returns a descriptor to close,
 * or -1 with the error set (EL_EINVAL naming entry when a component is
 * not a directory); without make, a missing component sets *absent
 * (when given) and no error.
 */
static int open_dir(unpacker *u, const char *entry, const char *dir, bool make, bool *absent)
{
	char part[PATH_MAX];
	const char *p = dir;
	int fd = dup(u->top);

	if (absent)
		*absent = false;
	if (fd < 0) {
		el__error_errno(EL_ERROR, "%s", u->archive_name);
		return -1;
	}
	while (*p) {
		size_t n = strcspn(p, "/");
		bool made = false;
		int next;

		memcpy(part, p, n);
		part[n] = '\0';
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && make) {
			if (mkdirat(fd, part, 0700) != 0 && errno != EEXIST) {
				failed(u, entry, NULL);
				close(fd);
				return -1;
			}
			made = true;
			next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int err = errno;

			close(fd);
			if (err == ENOENT && !make && absent) {
				*absent = true;
				return -1;
			}
			if (err == ENOTDIR || err == ELOOP) {
				char *prefix = strndup(dir, (size_t)(p - dir) + n);

				refuse(u, entry, "'%s' on its path is not a directory", prefix ? prefix : dir);
				free(prefix);
				return -1;
			}
			errno = err;
			failed(u, entry, NULL);
			return -1;
		}
		close(fd);
		fd = next;
		/* A layer's directories, new or not: an opaque marker keeps what this layer puts in them. */
		if (make && (made || u->opts.layer) && touch_dir(u, dir, (size_t)(p - dir) + n, made) != EL_OK) {
			close(fd);
			return -1;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return fd;
}

/* The parent of the entry's name, through the one kept open when it is the same. */
static int parent_of(unpacker *u, const char *entry, const char *dir)
{
	int fd;

	if (u->cached_dir && strcmp(u->cached_dir, dir) == 0)
		return u->cached_fd;
	fd = open_dir(u, entry, dir, true, NULL);
	if (fd < 0)
		return -1;
	if (u->cached_dir)
		close(u->cached_fd);
	free(u->cached_dir);
	u->cached_dir = strdup(dir);
	u->cached_fd = fd;
	if (!u->cached_dir) {
		close(fd);
		el__error_oom();
		return -1;
	}
	return fd;
}

static struct timespec entry_mtime(const unpacker *u, struct archive_entry *e)
{
	struct timespec t = { 0, UTIME_OMIT };

	if (u->al->archive_entry_mtime_is_set(e)) {
		t.tv_sec = u->al->archive_entry_mtime(e);
		t.tv_nsec = u->al->archive_entry_mtime_nsec(e);
	}
	return t;
}

/* The limits on what comes out, checked as it comes. */
static int check_growth(unpacker *u, uint64_t more)
{
	uint64_t base = u->archive_size;

	if (more > u->opts.limits.max_bytes - u->bytes)
		return el__error(EL_EINVAL, "%s: more than %llu bytes unpacked (--max-bytes %llu)", u->archive_name,
				 (unsigned long long)u->opts.limits.max_bytes,
				 (unsigned long long)u->opts.limits.max_bytes);
	u->bytes += more;
	if (!base) /* a stream: what has been read of it so far */
		base = (uint64_t)u->al->archive_filter_bytes(u->a, -1);
	/* More than max_ratio times base; a base so large that the product overflows cannot be passed. */
	if (u->bytes > EL_UNPACK_RATIO_FLOOR && base && base <= UINT64_MAX / u->opts.limits.max_ratio &&
	    u->bytes > base * u->opts.limits.max_ratio)
		return el__error(EL_EINVAL, "%s: unpacks to more than %llu times its own size (--max-ratio %llu)",
				 u->archive_name, (unsigned long long)u->opts.limits.max_ratio,
				 (unsigned long long)u->opts.limits.max_ratio);
	return EL_OK;
}

/*
 * A layer's entry takes the place of what the layers below left at its
 * name (a file, a link, or a directory and all in it). Duplicates within
 * the layer were refused before: whatever is there is from below.
 */
static bool make_room(unpacker *u, int dirfd, const char *base)
{
	return u->opts.layer && errno == EEXIST && el__tree_remove(dirfd, base) == EL_OK;
}

static int unpack_file(unpacker *u, struct archive_entry *e, const char *name, int dirfd, const char *base,
		       mode_t perm)
{
	const int64_t declared = u->al->archive_entry_size_is_set(e) ? u->al->archive_entry_size(e) : -1;
	struct timespec times[2] = { { 0, UTIME_OMIT }, entry_mtime(u, e) };
	uint64_t got = 0;
	int ret = EL_OK;
	int fd;

	if (declared > 0 && (uint64_t)declared > u->opts.limits.max_bytes - u->bytes)
		return check_growth(u, (uint64_t)declared);
	fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && make_room(u, dirfd, base))
		fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? refuse(u, name, "appears twice")
				       : failed(u, name, NULL);
	for (;;) {
		la_ssize_t n = u->al->archive_read_data(u->a, u->block, DATA_BLOCK);

		if (n == 0)
			break;
		if (n < 0) {
			ret = archive_failed(u, "truncated or corrupt");
			break;
		}
		if ((ret = check_growth(u, (uint64_t)n)) != EL_OK)
			break;
		if (el__write_all(fd, u->block, (size_t)n) != 0) {
			ret = failed(u, name, "write failed");
			break;
		}
		got += (uint64_t)n;
	}
	if (ret == EL_OK && declared >= 0 && got != (uint64_t)declared)
		ret = refuse(u, name, "declares %lld bytes but holds %llu", (long long)declared, (unsigned long long)got);
	if (ret == EL_OK && (fchmod(fd, perm) != 0 || futimens(fd, times) != 0))
		ret = failed(u, name, NULL);
	if (close(fd) != 0 && ret == EL_OK)
		ret = failed(u, name, "write failed");
	return ret;
}

static int unpack_link(unpacker *u, struct archive_entry *e, const char *name, int dirfd, const char *base)
{
	const char *target = u->al->archive_entry_symlink(e);
	struct timespec times[2] = { { 0, UTIME_OMIT }, entry_mtime(u, e) };

	if (!target || !*target)
		return refuse(u, name, "a symbolic link to nothing");
	if (!el__link_stays_inside(name, target))
		return refuse(u, name, "a symbolic link to '%s' leads out of the directory", target);
	if (symlinkat(target, dirfd, base) != 0 && !(make_room(u, dirfd, base) && symlinkat(target, dirfd, base) == 0))
		return errno == EEXIST ? refuse(u, name, "appears twice")
				       : failed(u, name, NULL);
	/* Not every file system keeps a link's own time; the link is what matters. */
	utimensat(dirfd, base, times, AT_SYMLINK_NOFOLLOW);
	return EL_OK;
}

/*
 * A hard link's target: a regular file earlier in the archive; in a layer,
 * one the layers below left too (looked at where it is, never followed).
 */
static bool hardlink_target_ok(unpacker *u, const char *target)
{
	el__name_kind kind = el__name_find(&u->names, target);
	char *dir = NULL;
	const char *base;
	struct stat st;
	bool absent, ok;
	int fd;

	if (kind != EL__NAME_NONE || !u->opts.layer)
		return kind == EL__NAME_FILE;
	base = el__name_split(target, &dir);
	fd = dir ? open_dir(u, target, dir, false, &absent) : -1;
	ok = fd >= 0 && fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
	if (fd >= 0)
		close(fd);
	free(dir);
	el_error_clear();
	return ok;
}

static int unpack_hardlink(unpacker *u, const char *name, const char *raw_target, int dirfd, const char *base)
{
	char *target = NULL, *target_dir = NULL;
	const char *target_base;
	int tfd, ret;

	if (el__name_normalize(&target, raw_target) != EL__NAME_OK || !hardlink_target_ok(u, target)) {
		free(target);
		return refuse(u, name, "a hard link to '%s', which is not a regular file earlier in the archive",
			      raw_target);
	}
	target_base = el__name_split(target, &target_dir);
	if (!target_dir) {
		free(target);
		return el__error_oom();
	}
	tfd = open_dir(u, name, target_dir, false, NULL);
	ret = tfd < 0 ? el_error_last_code() : EL_OK;
	if (ret == EL_OK && linkat(tfd, target_base, dirfd, base, 0) != 0 &&
	    !(make_room(u, dirfd, base) && linkat(tfd, target_base, dirfd, base, 0) == 0))
		ret = errno == EEXIST ? refuse(u, name, "appears twice")
				      : failed(u, name, NULL);
	if (tfd >= 0)
		close(tfd);
	free(target_dir);
	free(target);
	return ret;
}

/* raw: the entry's name as stored, for messages; name: as unpacked. */
static int unpack_dir(unpacker *u, struct archive_entry *e, const char *raw, const char *name, int dirfd,
		      const char *base, mode_t perm, bool implied)
{
	struct timespec mtime = entry_mtime(u, e);

	if (implied)
		return update_dir(u, name, perm, &mtime);
	if (mkdirat(dirfd, base, 0700) != 0) {
		struct stat st;

		/* A layer's directory over one from below: what is in it stays. */
		if (u->opts.layer && errno == EEXIST && fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode))
			return remember_dir(u, name, perm, &mtime);
		if (!(make_room(u, dirfd, base) && mkdirat(dirfd, base, 0700) == 0))
			return errno == EEXIST ? refuse(u, raw, "appears twice")
					       : failed(u, raw, NULL);
	}
	return remember_dir(u, name, perm, &mtime);
}

/*
 * Below the directory dfd (whose name is dir), everything that no entry of
 * this layer put there: an opaque directory shows the layer's own entries
 * only, however deep, whatever their order in the layer.
 */
static int clear_below(unpacker *u, int dfd, const char *dir)
{
	int copy = dup(dfd), ret = EL_OK;
	DIR *d = copy >= 0 ? fdopendir(copy) : NULL;
	struct dirent *e;

	if (!d) {
		if (copy >= 0)
			close(copy);
		return failed(u, dir, NULL);
	}
	while (ret == EL_OK && (e = readdir(d))) {
		char *full;
		el__name_kind kind;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&full, "%s%s%s", dir, *dir ? "/" : "", e->d_name) < 0) {
			ret = el__error_oom();
			break;
		}
		kind = el__name_find(&u->names, full);
		if (kind == EL__NAME_NONE) {
			if (el__tree_remove(dfd, e->d_name) != EL_OK)
				ret = failed(u, full, "cannot remove it");
		} else if (kind == EL__NAME_DIR || kind == EL__NAME_IMPLIED_DIR) {
			int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			ret = sub < 0 ? failed(u, full, NULL) : clear_below(u, sub, full);
			if (sub >= 0)
				close(sub);
		}
		free(full);
	}
	closedir(d);
	return ret;
}

/*
 * A layer's whiteout, named name (normalized) whose last component is
 * base: ".wh.NAME" removes NAME as the layers below left it; the opaque
 * marker ".wh..wh..opq" what they left in its directory. A directory that
 * is not there has nothing to remove.
 */
static int apply_whiteout(unpacker *u, const char *raw, const char *name, const char *base)
{
	const char *victim = base + 4;
	char *dir = NULL, *full = NULL;
	bool absent;
	int dfd, ret = EL_OK;

	el__name_split(name, &dir);
	if (!dir)
		return el__error_oom();
	dfd = open_dir(u, raw, dir, false, &absent);
	if (dfd < 0) {
		free(dir);
		return absent ? EL_OK : el_error_last_code();
	}
	if (strcmp(base, ".wh..wh..opq") == 0) {
		ret = clear_below(u, dfd, dir);
	} else if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0) {
		ret = refuse(u, raw, "a whiteout of no name");
	} else if (asprintf(&full, "%s%s%s", dir, *dir ? "/" : "", victim) < 0) {
		ret = el__error_oom();
	} else {
		el__name_kind kind = el__name_find(&u->names, full);

		if (kind == EL__NAME_NONE) {
			/* What this layer put there itself stays: the whiteout is of the layers below. */
			if (el__tree_remove(dfd, victim) != EL_OK)
				ret = failed(u, full, "cannot remove it");
		} else if (kind == EL__NAME_DIR || kind == EL__NAME_IMPLIED_DIR) {
			/* A directory this layer writes in too: what the layers below left in it goes, whatever the order. */
			int sub = openat(dfd, victim, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			ret = sub < 0 ? failed(u, full, NULL) : clear_below(u, sub, full);
			if (sub >= 0)
				close(sub);
		}
	}
	close(dfd);
	free(full);
	free(dir);
	return ret;
}

/* What a type of entry that is never unpacked is called. */
static const char *refused_type(mode_t type)
{
	switch (type) {
	case AE_IFBLK: return "a block device";
	case AE_IFCHR: return "a character device";
	case AE_IFIFO: return "a FIFO";
	case AE_IFSOCK: return "a socket";
	default: return NULL;
	}
}

static int unpack_entry(unpacker *u, struct archive_entry *e)
{
	const char *raw = u->al->archive_entry_pathname(e);
	const char *hardlink = u->al->archive_entry_hardlink(e);
	const mode_t type = (mode_t)u->al->archive_entry_filetype(e);
	mode_t perm = (mode_t)u->al->archive_entry_perm(e) & 07777;
	char *name = NULL, *dir = NULL;
	const char *base;
	el__name_kind kind, seen;
	int dirfd, ret;

	if (++u->entries > u->opts.limits.max_entries)
		return el__error(EL_EINVAL, "%s: more than %llu entries (--max-entries %llu)", u->archive_name,
				 (unsigned long long)u->opts.limits.max_entries,
				 (unsigned long long)u->opts.limits.max_entries);
	if (!raw)
		return el__error(EL_EINVAL, "%s: an entry's name cannot be read", u->archive_name);
	switch (el__name_normalize(&name, raw)) {
	case EL__NAME_OK: break;
	case EL__NAME_TOP:
		/* "./": the top directory itself, which only takes the entry's mode and time. */
		if (type != AE_IFDIR || hardlink)
			return refuse(u, raw, "an empty name");
		u->dirs[0].mode = perm;
		u->dirs[0].mtime = entry_mtime(u, e);
		return EL_OK;
	case EL__NAME_EMPTY: return refuse(u, raw, "an empty name");
	case EL__NAME_ABSOLUTE: return refuse(u, raw, "an absolute path");
	case EL__NAME_DOTDOT: return refuse(u, raw, "a '..' component leaves the directory");
	case EL__NAME_TOO_LONG: return refuse(u, raw, "a name longer than %d bytes", PATH_MAX - 1);
	case EL__NAME_NOMEM: return el__error_oom();
	}
	if (u->opts.layer) {
		const char *last = strrchr(name, '/');

		last = last ? last + 1 : name;
		if (strncmp(last, ".wh.", 4) == 0) {
			ret = apply_whiteout(u, raw, name, last);
			goto done;
		}
	}
	if (depth_of(name) > MAX_DEPTH) {
		ret = refuse(u, raw, "deeper than %d directories", MAX_DEPTH);
		goto done;
	}
	if (!hardlink && refused_type(type)) {
		ret = refuse(u, raw, "%s", refused_type(type));
		goto done;
	}
	if (!hardlink && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
		ret = refuse(u, raw, "an entry of a type envlock does not unpack");
		goto done;
	}
	if (type != AE_IFDIR && (perm & (S_ISUID | S_ISGID))) {
		if (!u->opts.strip_setid) {
			ret = refuse(u, raw, "set-user-ID or set-group-ID bits");
			goto done;
		}
	}
	/*
	 * On a directory they give no privilege (set-group-ID only chooses the
	 * group of what is made in it) and are kept; a file's are refused
	 * above or cleared here, with its sticky bit.
	 */
	if (type != AE_IFDIR)
		perm &= 0777;
	kind = hardlink || type == AE_IFREG ? EL__NAME_FILE : type == AE_IFDIR ? EL__NAME_DIR : EL__NAME_LINK;
	seen = el__name_find(&u->names, name);
	if (seen != EL__NAME_NONE && !(seen == EL__NAME_IMPLIED_DIR && kind == EL__NAME_DIR)) {
		ret = refuse(u, raw, "appears twice");
		goto done;
	}
	base = el__name_split(name, &dir);
	if (!dir) {
		ret = el__error_oom();
		goto done;
	}
	dirfd = parent_of(u, raw, dir);
	if (dirfd < 0) {
		ret = el_error_last_code();
		goto done;
	}
	if (hardlink)
		ret = unpack_hardlink(u, raw, hardlink, dirfd, base);
	else if (type == AE_IFREG)
		ret = unpack_file(u, e, raw, dirfd, base, perm);
	else if (type == AE_IFLNK)
		ret = unpack_link(u, e, raw, dirfd, base);
	else
		ret = unpack_dir(u, e, raw, name, dirfd, base, perm, seen == EL__NAME_IMPLIED_DIR);
	if (ret == EL_OK && seen == EL__NAME_NONE)
		ret = el__name_add(&u->names, name, kind);
done:
	free(dir);
	free(name);
	return ret;
}

static size_t depth_of(const char *name)
{
	size_t n = *name != '\0';

	for (; *name; name++)
		n += *name == '/';
	return n;
}

/* Deepest first: a parent's mode (0555, 0000) must not stop the way to its children. */
static int deeper_first(const void *a, const void *b)
{
	size_t da = depth_of(((const struct made_dir *)a)->name), db = depth_of(((const struct made_dir *)b)->name);

	return da < db ? 1 : da > db ? -1 : 0;
}

/* Directories' modes and times, deepest first. */
static int finish_dirs(unpacker *u)
{
	qsort(u->dirs, u->dir_count, sizeof(*u->dirs), deeper_first);
	for (size_t i = 0; i < u->dir_count; i++) {
		const struct made_dir *d = &u->dirs[i];
		struct timespec times[2] = { { 0, UTIME_OMIT }, d->mtime };
		int fd = open_dir(u, d->name, d->name, false, NULL);
		/* A layer's directories stay writable by their owner: the layers above may write in them. */
		mode_t mode = u->opts.layer ? d->mode | S_IRWXU : d->mode;

		if (fd < 0)
			return el_error_last_code();
		if (fchmod(fd, mode) != 0 || futimens(fd, times) != 0) {
			int ret = failed(u, d->name, NULL);

			close(fd);
			return ret;
		}
		close(fd);
	}
	return EL_OK;
}

static int read_all(unpacker *u)
{
	struct archive_entry *e;
	int rc, ret = EL_OK;

	while (ret == EL_OK && (rc = u->al->archive_read_next_header(u->a, &e)) != ARCHIVE_EOF) {
		if (rc == ARCHIVE_FATAL || rc == ARCHIVE_RETRY)
			/* The first header is where a file that is no archive shows. */
			return archive_failed(u, u->entries == 0 && u->al->archive_filter_bytes(u->a, -1) == 0
							 ? "not an archive envlock can read"
							 : "truncated or corrupt");
		/* ARCHIVE_WARN: the header was read (a name in another charset, say); the checks decide. */
		ret = unpack_entry(u, e);
	}
	return ret == EL_OK ? finish_dirs(u) : ret;
}

int el__unpack_into(const char *archive_name, int archive_fd, int top, const el__unpack_options *opts)
{
	static const struct timespec none = { 0, UTIME_OMIT };
	unpacker u = { .archive_name = archive_name, .top = top, .cached_fd = -1, .opts = *opts };
	struct stat st;
	int ret;

	if (!(u.al = el__archive_lib()))
		return el_error_last_code();
	if (!u.opts.limits.max_bytes)
		u.opts.limits.max_bytes = EL_UNPACK_MAX_BYTES;
	if (!u.opts.limits.max_entries)
		u.opts.limits.max_entries = EL_UNPACK_MAX_ENTRIES;
	if (!u.opts.limits.max_ratio)
		u.opts.limits.max_ratio = EL_UNPACK_MAX_RATIO;
	if (fstat(archive_fd, &st) == 0 && S_ISREG(st.st_mode))
		u.archive_size = (uint64_t)st.st_size;
	/* The top first: its mode comes from a "./" entry, if there is one. */
	if (remember_dir(&u, "", 0755, &none) != EL_OK || !(u.block = malloc(DATA_BLOCK)) ||
	    !(u.a = u.al->archive_read_new())) {
		ret = el__error_oom();
		goto done;
	}
	/*
	 * The four compressions libarchive decodes itself, and no other:
	 * filter_all would also run external programs (lrzip, lzop, grzip)
	 * found on PATH over hostile bytes. ARCHIVE_WARN from one of these
	 * means libarchive was built without it and would run a program too.
	 */
	if (u.al->archive_read_support_filter_gzip(u.a) != ARCHIVE_OK ||
	    u.al->archive_read_support_filter_bzip2(u.a) != ARCHIVE_OK ||
	    u.al->archive_read_support_filter_xz(u.a) != ARCHIVE_OK ||
	    u.al->archive_read_support_filter_zstd(u.a) != ARCHIVE_OK ||
	    u.al->archive_read_support_format_tar(u.a) != ARCHIVE_OK) {
		ret = el__error(EL_ERROR, "%s: this libarchive cannot decode gzip, bzip2, xz and zstd by itself",
				archive_name);
		goto done;
	}
	if (u.al->archive_read_open_fd(u.a, archive_fd, DATA_BLOCK) != ARCHIVE_OK) {
		ret = archive_failed(&u, "not an archive envlock can read");
		goto done;
	}
	ret = read_all(&u);
	if (opts->entries_out)
		*opts->entries_out = u.entries;
	if (opts->bytes_out)
		*opts->bytes_out = u.bytes;
done:
	if (u.a)
		u.al->archive_read_free(u.a);
	if (u.cached_dir)
		close(u.cached_fd);
	free(u.cached_dir);
	for (size_t i = 0; i < u.dir_count; i++)
		free(u.dirs[i].name);
	free(u.dirs);
	free(u.block);
	el__name_set_free(&u.names);
	return ret;
}

int el_unpack(const char *archive, const char *dir, const el_unpack_limits *limits)
{
	el__unpack_options opts = { 0 };
	el__dest dest;
	int afd, ret;

	el_error_clear();
	if (limits)
		opts.limits = *limits;
	afd = open(archive, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (afd < 0)
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", archive);
	ret = el__dest_open(&dest, dir);
	if (ret == EL_OK)
		ret = el__dest_close(&dest, el__unpack_into(archive, afd, dest.top, &opts));
	close(afd);
	return ret;
}
