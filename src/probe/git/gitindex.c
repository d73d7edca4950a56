/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/git/gitindex.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#define INDEX_MAX (512u << 20)
#define STAT_FIELDS 40 /* ctime, mtime (s, ns), dev, ino, mode, uid, gid, size */

#define FLAG_EXTENDED 0x4000
#define FLAG_NAME_MASK 0x0fff
#define XFLAG_SKIP_WORKTREE 0x4000
#define XFLAG_INTENT_TO_ADD 0x2000

#define MODE_TYPE_MASK 0170000
#define MODE_GITLINK 0160000
#define MODE_DIR 0040000
#define MODE_SYMLINK 0120000

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

struct entry {
	unsigned ctime_s, ctime_ns, mtime_s, mtime_ns, ino, mode, uid, gid, size;
	unsigned flags, xflags;
	const unsigned char *oid; /* hash_size bytes, inside the image */
};

/* git's offset varint (v4 path prefix lengths); false on overflow or EOF. */
static bool read_varint(const unsigned char **p, const unsigned char *end, size_t *out)
{
	size_t val;
	unsigned char c;

	if (*p >= end)
		return false;
	c = *(*p)++;
	val = c & 127;
	while (c & 128) {
		if (*p >= end || val >= ((size_t)1 << (sizeof(size_t) * 8 - 8)))
			return false;
		c = *(*p)++;
		val = ((val + 1) << 7) | (c & 127);
	}
	*out = val;
	return true;
}

static int add_suspect(el__git_index_result *r, const char *path, const struct entry *e,
		       const struct stat *st, size_t hash_size)
{
	el__git_suspect *v, *sp;

	if (r->nsuspects % 16 == 0) {
		v = realloc(r->suspects, (r->nsuspects + 16) * sizeof(*v));
		if (!v)
			return el__error_oom();
		r->suspects = v;
	}
	sp = &r->suspects[r->nsuspects];
	memset(sp, 0, sizeof(*sp));
	if (!(sp->path = strdup(path)))
		return el__error_oom();
	memcpy(sp->oid, e->oid, hash_size);
	sp->mode = e->mode;
	sp->st = *st;
	r->nsuspects++;
	return EL_OK;
}

/*
 * Does the file on disk still match the entry? Matching stat data says
 * yes, as for git. Otherwise a vanished file, another file type, a flipped
 * executable bit or another size says no; what is left (same size, other
 * times or inode, or written in the index's own clock tick: "racily
 * clean") becomes a suspect whose content decides.
 */
static int compare_entry(el__git_index_result *r, const struct entry *e, int worktree, const char *path,
			 long long index_mtime_ns, size_t hash_size)
{
	struct stat st;
	long long entry_mtime_ns = (long long)e->mtime_s * 1000000000LL + e->mtime_ns;
	bool is_link = (e->mode & MODE_TYPE_MASK) == MODE_SYMLINK;

	if (fstatat(worktree, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return EL_GIT_STAT_CHANGED;
	if (is_link ? !S_ISLNK(st.st_mode)
		    : (!S_ISREG(st.st_mode) || ((e->mode & 0100) != 0) != ((st.st_mode & 0100) != 0)))
		return EL_GIT_STAT_CHANGED;
	if ((unsigned)st.st_size != e->size)
		return EL_GIT_STAT_CHANGED;
	if ((unsigned)st.st_mtim.tv_sec != e->mtime_s || (unsigned)st.st_ctim.tv_sec != e->ctime_s ||
	    /* git stores 0 nanoseconds when it was built without them. */
	    (e->mtime_ns && (unsigned)st.st_mtim.tv_nsec != e->mtime_ns) ||
	    (e->ctime_ns && (unsigned)st.st_ctim.tv_nsec != e->ctime_ns) ||
	    (unsigned)st.st_ino != e->ino || st.st_uid != e->uid || st.st_gid != e->gid ||
	    entry_mtime_ns >= index_mtime_ns)
		return add_suspect(r, path, e, &st, hash_size) == EL_OK ? EL_GIT_STAT_SUSPECT : EL_ENOMEM;
	return EL_GIT_STAT_CLEAN;
}

static int parse_entry(struct entry *e, const unsigned char **p, const unsigned char *end,
		       unsigned version, size_t hash_size, size_t index)
{
	const unsigned char *s = *p;
	size_t fixed = STAT_FIELDS + hash_size + 2;

	if ((size_t)(end - s) < fixed)
		return el__error(EL_EINVAL, "entry %zu is truncated", index);
	e->ctime_s = be32(s);
	e->ctime_ns = be32(s + 4);
	e->mtime_s = be32(s + 8);
	e->mtime_ns = be32(s + 12);
	e->ino = be32(s + 20);
	e->mode = be32(s + 24);
	e->uid = be32(s + 28);
	e->gid = be32(s + 32);
	e->size = be32(s + 36);
	e->oid = s + STAT_FIELDS;
	e->flags = be16(s + STAT_FIELDS + hash_size);
	e->xflags = 0;
	s += fixed;
	if (e->flags & FLAG_EXTENDED) {
		if (version < 3 || end - s < 2)
			return el__error(EL_EINVAL, "entry %zu has extended flags it cannot have", index);
		e->xflags = be16(s);
		s += 2;
	}
	*p = s;
	return EL_OK;
}

/* The path of the entry at *p, into path; *p moves past it and its padding. */
static int parse_path(el__buf *path, const unsigned char **p, const unsigned char *end,
		      const unsigned char *entry_start, unsigned version, size_t index)
{
	const unsigned char *s = *p, *nul;
	size_t strip = 0;

	if (version == 4) {
		if (!read_varint(&s, end, &strip) || strip > path->len)
			return el__error(EL_EINVAL, "entry %zu has a bad path prefix", index);
		path->len -= strip;
		path->data[path->len] = '\0';
	} else {
		el__buf_reset(path);
	}
	nul = memchr(s, '\0', (size_t)(end - s));
	if (!nul)
		return el__error(EL_EINVAL, "entry %zu has an unterminated path", index);
	el__buf_add(path, s, (size_t)(nul - s));
	s = nul + 1;
	if (version != 4) {
		/* v2/v3 entries are NUL-padded to a multiple of eight bytes. */
		size_t used = (size_t)(s - entry_start);
		size_t padded = (used + 7) & ~(size_t)7;

		if (padded > (size_t)(end - entry_start))
			return el__error(EL_EINVAL, "entry %zu is truncated", index);
		s = entry_start + padded;
	}
	*p = s;
	return el__buf_failed(path) ? el__error_oom() : EL_OK;
}

/* A split index keeps most entries elsewhere: only git can answer then. */
static bool has_split_index_link(const unsigned char *p, const unsigned char *end, size_t hash_size)
{
	while ((size_t)(end - p) >= 8 + hash_size) {
		unsigned size = be32(p + 4);

		if (memcmp(p, "link", 4) == 0)
			return true;
		if (size > (size_t)(end - p) - 8)
			break;
		p += 8 + size;
	}
	return false;
}

/* Merge one entry's verdict: CHANGED wins over UNKNOWN over SUSPECT over CLEAN. */
static void merge_state(int *state, int entry_state)
{
	if (entry_state > *state)
		*state = entry_state;
}

/*
 * git's verify_path, the part that matters here: an index entry names a
 * file inside the worktree. A crafted index must not make envlock look
 * above it or into .git.
 */
static bool valid_path(const char *path)
{
	const char *c = path;

	if (!*path || *path == '/')
		return false;
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') ||
		    (n == 4 && strncasecmp(c, ".git", 4) == 0))
			return false;
		if (!c[n])
			return true;
		c += n + 1;
	}
}

int el__git_index_check_image(el__git_index_result *result, const unsigned char *data, size_t len,
			      long long index_mtime_ns, const char *worktree, size_t hash_size)
{
	const unsigned char *p = data, *end;
	unsigned version, count;
	el__buf path;
	int wt, ret = EL_OK;
	int *state = &result->state;

	memset(result, 0, sizeof(*result));
	*state = EL_GIT_STAT_CLEAN;
	if (len < 12 + hash_size || memcmp(data, "DIRC", 4) != 0)
		return el__error(EL_EINVAL, "not a git index");
	version = be32(data + 4);
	count = be32(data + 8);
	if (version < 2 || version > 4) {
		*state = EL_GIT_STAT_UNKNOWN;
		return EL_OK;
	}
	end = data + len - hash_size; /* the trailing checksum */
	p += 12;
	/*
	 * Entries are looked up relative to the worktree, one path walk less
	 * each. A worktree that cannot be opened leaves wt -1: every lookup
	 * fails and every entry counts as changed, as with full paths.
	 */
	wt = open(worktree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	el__buf_init(&path);
	for (size_t i = 0; i < count && *state != EL_GIT_STAT_CHANGED; i++) {
		const unsigned char *entry_start = p;
		struct entry e = { 0 };
		int s;

		ret = parse_entry(&e, &p, end, version, hash_size, i);
		if (ret == EL_OK)
			ret = parse_path(&path, &p, end, entry_start, version, i);
		if (ret == EL_OK && !valid_path(path.data))
			ret = el__error(EL_EINVAL, "entry %zu names a path outside the worktree", i);
		if (ret != EL_OK)
			break;
		if ((e.mode & MODE_TYPE_MASK) == MODE_DIR || (e.xflags & XFLAG_SKIP_WORKTREE) ||
		    (e.mode & MODE_TYPE_MASK) == MODE_GITLINK)
			continue; /* a sparse-index directory, a file kept out of the worktree, a submodule */
		/* Unmerged stages (a conflict) and intent-to-add entries always differ from HEAD. */
		if ((e.flags >> 12 & 3) != 0 || (e.xflags & XFLAG_INTENT_TO_ADD))
			s = EL_GIT_STAT_CHANGED;
		else
			s = compare_entry(result, &e, wt, path.data, index_mtime_ns, hash_size);
		if (s == EL_ENOMEM) {
			ret = s;
			break;
		}
		merge_state(state, s);
	}
	/* Entries of a split index live in a shared file this reader does not open. */
	if (ret == EL_OK && *state != EL_GIT_STAT_CHANGED && has_split_index_link(p, end, hash_size))
		*state = EL_GIT_STAT_UNKNOWN;
	if (ret == EL_OK && el__buf_failed(&path))
		ret = el__error_oom();
	if (wt >= 0)
		close(wt);
	el__buf_free(&path);
	if (ret != EL_OK)
		el__git_index_result_free(result);
	return ret;
}

void el__git_index_result_free(el__git_index_result *result)
{
	for (size_t i = 0; i < result->nsuspects; i++)
		free(result->suspects[i].path);
	free(result->suspects);
	result->suspects = NULL;
	result->nsuspects = 0;
}

/*
 * Open path (checked by valid_path: no "..", no empty component) under the
 * worktree one component at a time, following no symbolic link: git counts
 * a file reached through a linked directory as deleted. (openat2's
 * RESOLVE_NO_SYMLINKS would do the same, but envlock's own seccomp filter
 * refuses openat2, and a capture may run inside envlock exec.)
 */
static int open_beneath(int worktree, const char *path)
{
	char part[PATH_MAX];
	int dir = worktree, fd;
	const char *c = path;

	for (;;) {
		size_t n = strcspn(c, "/");

		if (n >= sizeof(part)) {
			errno = ENAMETOOLONG;
			fd = -1;
			break;
		}
		memcpy(part, c, n);
		part[n] = '\0';
		if (!c[n]) {
			fd = openat(dir, part, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
			break;
		}
		fd = openat(dir, part, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dir != worktree)
			close(dir);
		if (fd < 0)
			return -1;
		dir = fd;
		c += n + 1;
	}
	if (dir != worktree)
		close(dir);
	return fd;
}

int el__git_blob_id(const char *worktree, const el__git_suspect *s, size_t hash_size,
		    unsigned char oid[EL_GIT_OID_MAX], bool *found)
{
	EVP_MD *md = EVP_MD_fetch(NULL, hash_size == 20 ? "SHA1" : "SHA2-256", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md_out[EVP_MAX_MD_SIZE], chunk[65536];
	char header[64], target[PATH_MAX];
	unsigned oid_len = 0;
	int wt = -1, fd = -1, ret = EL_OK;
	struct stat st;
	ssize_t n = 0;
	size_t left;

	*found = false;
	if (!md || !ctx || !EVP_DigestInit_ex(ctx, md, NULL)) {
		ret = el__error(EL_ERROR, "%s: cannot hash it", s->path);
		goto done;
	}
	wt = open(worktree, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (wt < 0)
		goto done; /* gone: not the blob */
	if ((s->mode & MODE_TYPE_MASK) == MODE_SYMLINK) {
		/* A symbolic link's blob is its target. */
		if ((n = readlinkat(wt, s->path, target, sizeof(target))) < 0 || (size_t)n >= sizeof(target))
			goto done;
		snprintf(header, sizeof(header), "blob %zd", n);
		EVP_DigestUpdate(ctx, header, strlen(header) + 1);
		EVP_DigestUpdate(ctx, target, (size_t)n);
	} else {
		fd = open_beneath(wt, s->path);
		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != s->st.st_size)
			goto done; /* replaced meanwhile, or reached through a link */
		snprintf(header, sizeof(header), "blob %lld", (long long)st.st_size);
		EVP_DigestUpdate(ctx, header, strlen(header) + 1);
		for (left = (size_t)st.st_size; left > 0; left -= (size_t)n) {
			n = read(fd, chunk, left < sizeof(chunk) ? left : sizeof(chunk));
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0)
				goto done; /* shrank under us */
			EVP_DigestUpdate(ctx, chunk, (size_t)n);
		}
	}
	if (!EVP_DigestFinal_ex(ctx, md_out, &oid_len) || oid_len != hash_size) {
		ret = el__error(EL_ERROR, "%s: cannot hash it", s->path);
		goto done;
	}
	memcpy(oid, md_out, hash_size);
	*found = true;
done:
	if (fd >= 0)
		close(fd);
	if (wt >= 0)
		close(wt);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ret;
}

int el__git_index_check(el__git_index_result *result, const char *index_path,
			const char *worktree, size_t hash_size)
{
	el__buf image;
	struct stat st;
	int ret;

	el__buf_init(&image);
	if (stat(index_path, &st) != 0) {
		/* A repository with nothing staged yet has no index. */
		memset(result, 0, sizeof(*result));
		result->state = errno == ENOENT ? EL_GIT_STAT_CLEAN : EL_GIT_STAT_UNKNOWN;
		return EL_OK;
	}
	ret = el__read_file(&image, index_path, INDEX_MAX, false);
	if (ret == EL_OK) {
		ret = el__git_index_check_image(result, (const unsigned char *)image.data, image.len,
						el__mtime_ns(&st), worktree, hash_size);
		if (ret == EL_EINVAL)
			el__error_prefix(index_path);
	}
	el__buf_free(&image);
	return ret;
}
