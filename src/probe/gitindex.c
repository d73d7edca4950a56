#include "probe/gitindex.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

#define INDEX_MAX (512u << 20)
#define STAT_FIELDS 40 /* ctime, mtime (s, ns), dev, ino, mode, uid, gid, size */

#define FLAG_EXTENDED 0x4000
#define FLAG_NAME_MASK 0x0fff
#define XFLAG_SKIP_WORKTREE 0x4000
#define XFLAG_INTENT_TO_ADD 0x2000

#define MODE_TYPE_MASK 0170000
#define MODE_GITLINK 0160000
#define MODE_DIR 0040000

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

/* Remember a changed entry: its path and what lstat says now. */
static void note_change(el__buf *changes, long long *newest, const char *path, const struct stat *st)
{
	if (!st) {
		el__buf_printf(changes, "%s%cmissing\n", path, 0);
		return;
	}
	el__buf_printf(changes, "%s%c%llu %llu %lld %lld %lld %o\n", path, 0,
		       (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		       (long long)st->st_size, el__mtime_ns(st), el__ctime_ns(st), (unsigned)st->st_mode);
	if (el__mtime_ns(st) > *newest)
		*newest = el__mtime_ns(st);
	if (el__ctime_ns(st) > *newest)
		*newest = el__ctime_ns(st);
}

/* Does the file on disk still carry the stat data the index recorded? */
static int compare_entry(const struct entry *e, int worktree, const char *path,
			 long long index_mtime_ns, el__buf *changes, long long *newest)
{
	struct stat st;
	int state = EL_GIT_STAT_CLEAN;
	long long entry_mtime_ns = (long long)e->mtime_s * 1000000000LL + e->mtime_ns;

	if (fstatat(worktree, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		note_change(changes, newest, path, NULL);
		return EL_GIT_STAT_CHANGED;
	}
	if ((unsigned)st.st_mtim.tv_sec != e->mtime_s || (unsigned)st.st_ctim.tv_sec != e->ctime_s ||
	    /* git stores 0 nanoseconds when it was built without them. */
	    (e->mtime_ns && (unsigned)st.st_mtim.tv_nsec != e->mtime_ns) ||
	    (e->ctime_ns && (unsigned)st.st_ctim.tv_nsec != e->ctime_ns) ||
	    (unsigned)st.st_ino != e->ino || st.st_uid != e->uid || st.st_gid != e->gid ||
	    (unsigned)st.st_size != e->size)
		state = EL_GIT_STAT_CHANGED;
	else if ((e->mode & MODE_TYPE_MASK) == 0120000 ? !S_ISLNK(st.st_mode)
		 : (!S_ISREG(st.st_mode) || ((e->mode & 0100) != 0) != ((st.st_mode & 0100) != 0)))
		state = EL_GIT_STAT_CHANGED;
	/*
	 * Written in the same tick as the index ("racily clean"): the content
	 * may differ unseen, so git must look. It is counted as changed, so that
	 * its answer can be cached under this entry's stat data: git run with
	 * --no-optional-locks never rewrites the index to clear the condition.
	 */
	else if (entry_mtime_ns >= index_mtime_ns)
		state = EL_GIT_STAT_CHANGED;
	if (state == EL_GIT_STAT_CHANGED)
		note_change(changes, newest, path, &st);
	return state;
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

/* Merge one entry's verdict: CHANGED wins over UNKNOWN over CLEAN. */
static void merge_state(int *state, int entry_state)
{
	if (entry_state == EL_GIT_STAT_CHANGED || (entry_state == EL_GIT_STAT_UNKNOWN && *state == EL_GIT_STAT_CLEAN))
		*state = entry_state;
}

int el__git_index_check_image(el__git_index_result *result, const unsigned char *data, size_t len,
			      long long index_mtime_ns, const char *worktree, size_t hash_size)
{
	const unsigned char *p = data, *end;
	unsigned version, count;
	el__buf path, changes;
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
	el__buf_init(&changes);
	for (size_t i = 0; i < count; i++) {
		const unsigned char *entry_start = p;
		struct entry e = { 0 };
		int s;

		ret = parse_entry(&e, &p, end, version, hash_size, i);
		if (ret == EL_OK)
			ret = parse_path(&path, &p, end, entry_start, version, i);
		if (ret != EL_OK)
			break;
		if ((e.flags >> 12 & 3) != 0 || (e.mode & MODE_TYPE_MASK) == MODE_DIR) {
			/* Unmerged stages or a sparse-index directory: let git decide. */
			merge_state(state, EL_GIT_STAT_UNKNOWN);
			continue;
		}
		if ((e.xflags & XFLAG_SKIP_WORKTREE) || (e.mode & MODE_TYPE_MASK) == MODE_GITLINK)
			continue;
		/* An intent-to-add entry always differs from HEAD. */
		s = (e.xflags & XFLAG_INTENT_TO_ADD) ? EL_GIT_STAT_CHANGED
			: compare_entry(&e, wt, path.data, index_mtime_ns, &changes, &result->newest_change_ns);
		if (e.xflags & XFLAG_INTENT_TO_ADD)
			el__buf_printf(&changes, "%s%cintent-to-add\n", path.data, 0);
		merge_state(state, s);
	}
	/* Entries of a split index live in a shared file this digest does not cover. */
	if (ret == EL_OK && has_split_index_link(p, end, hash_size))
		*state = EL_GIT_STAT_UNKNOWN;
	if (ret == EL_OK && el__buf_failed(&changes))
		ret = el__error_oom();
	if (ret == EL_OK && *state == EL_GIT_STAT_CHANGED)
		ret = el__sha256_hex(result->changed_digest, changes.data, changes.len);
	if (wt >= 0)
		close(wt);
	el__buf_free(&path);
	el__buf_free(&changes);
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
