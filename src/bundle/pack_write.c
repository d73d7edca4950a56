/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing a bundle, byte for byte the same for the same members
 * (bundle/pack_write.h). libarchive formats and compresses; what would
 * make two runs differ is fixed here: every field of every header comes
 * from the member's kind and the caller's time, the order is the
 * caller's, the pieces handed to libarchive have sizes that depend on
 * the data alone, and its text conversions run in a locale of our own.
 */
#include "bundle/pack_write.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/archive_lib.h"
#include "bundle/unpack_names.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

/*
 * What libarchive is given of a file at a time, from memory or from a
 * descriptor alike. zstd 1.5 gathers whole blocks of its own before it
 * compresses, so the pieces do not show in its output; nothing promises
 * that, so their sizes depend on the data alone, never on how much one
 * read returned.
 */
#define DATA_CHUNK (1024 * 1024)
#define MAX_NAME 4095 /* el_unpack's limit: PATH_MAX - 1 */
#define ZSTD_LEVEL "3"

struct el__pack_writer {
	const struct el__archive_lib *al;
	struct archive *a;
	int fd;
	time_t mtime;
	el__sha256_ctx *sha;
	unsigned long long bytes;
	int write_errno;  /* the output's failure, which libarchive reports without errno */
	bool discard;     /* freed unfinished: libarchive's closing bytes go nowhere */
	bool broken;      /* a failure left the archive unfinished */
	bool finished;
	/*
	 * libarchive converts names from the locale's character set to the
	 * UTF-8 of pax headers, and where that fails (any name not in ASCII
	 * under LANG=C) writes raw bytes marked hdrcharset=BINARY instead, which
	 * GNU tar warns about: the same name would give other bytes under
	 * another LANG. Every header is written in C.UTF-8, this thread only.
	 * Where the C library has no C.UTF-8, in "C", and names must be ASCII,
	 * which every locale converts alike.
	 */
	locale_t locale;
	bool ascii_only;
	el__name_set names;       /* every member and its parent directories, as el_unpack will see them */
	el__name_set executables; /* the files of mode 0755, for the hard links to them */
	unsigned char *chunk;     /* DATA_CHUNK bytes, for el__pack_add_file */
};

/* A member refused: nothing was written. */
static int refuse(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(const char *name, const char *fmt, ...)
{
	char shown[256], reason[600];
	va_list ap;

	va_start(ap, fmt);
	el__entry_refusal(shown, reason, name, fmt, ap);
	va_end(ap);
	return el__error(EL_EINVAL, "member '%s': %s", shown, reason);
}

/*
 * A failure after something of the member (NULL: of the archive's end)
 * was written: the bundle stays unfinished.
 */
static int broke(el__pack_writer *w, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int broke(el__pack_writer *w, const char *name, const char *fmt, ...)
{
	char shown[256], reason[600];
	va_list ap;

	w->broken = true;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	el__printable(reason, strlen(reason));
	if (!name)
		return el__error(EL_ERROR, "the bundle's end: %s", reason);
	el__printable_copy(shown, sizeof(shown), name, strlen(name));
	return el__error(EL_ERROR, "member '%s': %s", shown, reason);
}

/* libarchive failed on name (NULL: the archive's end); the output's errno when the output failed. */
static int archive_failed(el__pack_writer *w, const char *name)
{
	const char *msg = w->al->archive_error_string(w->a);

	if (w->write_errno)
		return broke(w, name, "write failed: %s", strerror(w->write_errno));
	return broke(w, name, "%s", msg ? msg : "libarchive failed");
}

/* libarchive's write callback: every byte of the bundle passes here, once. */
static la_ssize_t put(struct archive *a, void *data, const void *buf, size_t len)
{
	el__pack_writer *w = data;

	(void)a;
	if (w->discard)
		return (la_ssize_t)len;
	if (el__write_all(w->fd, buf, len) != 0) {
		w->write_errno = errno;
		return -1;
	}
	el__sha256_add(w->sha, buf, len);
	w->bytes += len;
	return (la_ssize_t)len;
}

/* A C1 control character (U+0080 to U+009F) starts at s, in UTF-8. */
static bool c1_control(const unsigned char *s, size_t left)
{
	return left >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f;
}

/* Why text (a name, a link's target) cannot be written, or NULL. */
static const char *text_problem(const el__pack_writer *w, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text);

	if (len == 0)
		return "an empty name";
	if (len > MAX_NAME)
		return "longer than 4095 bytes";
	if (!el__utf8_valid(text, len))
		return "not UTF-8";
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f || c1_control(s + i, len - i))
			return "a control character";
		if (s[i] >= 0x80 && w->ascii_only)
			return "not ASCII, which this C library (no C.UTF-8 locale) cannot write the same everywhere";
	}
	return NULL;
}

/* Why name cannot be a member's name, or NULL. */
static const char *name_problem(const el__pack_writer *w, const char *name)
{
	const char *why = text_problem(w, name), *p = name;

	if (why)
		return why;
	if (*name == '/')
		return "an absolute name";
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0)
			return "an empty component";
		if (n == 1 && p[0] == '.')
			return "a '.' component";
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "a '..' component";
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/*
 * name (checked) may be added as kind: its parents are not files or
 * links, and it is new (a directory may follow members in it). Sets
 * the error.
 */
static int check_place(el__pack_writer *w, const char *name, el__name_kind kind)
{
	char *copy = strdup(name);
	el__name_kind seen;
	int ret = EL_OK;

	if (!copy)
		return el__error_oom();
	for (char *slash = strchr(copy, '/'); slash && ret == EL_OK; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		seen = el__name_find(&w->names, copy);
		if (seen != EL__NAME_NONE && seen != EL__NAME_DIR && seen != EL__NAME_IMPLIED_DIR)
			ret = refuse(name, "'%s' on its path is not a directory", copy);
		*slash = '/';
	}
	free(copy);
	seen = el__name_find(&w->names, name);
	if (ret == EL_OK && seen != EL__NAME_NONE && !(seen == EL__NAME_IMPLIED_DIR && kind == EL__NAME_DIR))
		ret = refuse(name, "appears twice");
	return ret;
}

/* name was written as kind: it and its parents are in the set. */
static int remember(el__pack_writer *w, const char *name, el__name_kind kind, bool executable)
{
	char *copy = strdup(name);
	int ret = EL_OK;

	if (!copy)
		return el__error_oom();
	for (char *slash = strchr(copy, '/'); slash && ret == EL_OK; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (el__name_find(&w->names, copy) == EL__NAME_NONE)
			ret = el__name_add(&w->names, copy, EL__NAME_IMPLIED_DIR);
		*slash = '/';
	}
	free(copy);
	if (ret == EL_OK)
		ret = el__name_add(&w->names, name, kind);
	if (ret == EL_OK && executable)
		ret = el__name_add(&w->executables, name, EL__NAME_FILE);
	/* A member the set lacks would let a later one through that el_unpack refuses. */
	if (ret != EL_OK)
		w->broken = true;
	return ret;
}

/* Whether the writer may take a member, or finish; sets the error when not. */
static int usable(const el__pack_writer *w)
{
	if (w->broken)
		return el__error(EL_ERROR, "the bundle was left unfinished by an earlier failure");
	if (w->finished)
		return el__error(EL_ERROR, "the bundle is finished");
	return EL_OK;
}

/* Checks common to every member: the writer, the name, its place. */
static int check_member(el__pack_writer *w, const char *name, el__name_kind kind)
{
	const char *why;
	int ret = usable(w);

	if (ret != EL_OK)
		return ret;
	if ((why = name_problem(w, name)))
		return refuse(name, "%s", why);
	return check_place(w, name, kind);
}

/*
 * The member's header, every field set here: a new entry holds no time,
 * owner or name of the process's. target: a symbolic link's, or a hard
 * link's member, or NULL.
 */
static int write_header(el__pack_writer *w, const char *name, mode_t type, mode_t perm,
			unsigned long long size, const char *target, bool hard)
{
	const struct el__archive_lib *al = w->al;
	struct archive_entry *e = al->archive_entry_new();
	locale_t prev;
	int rc;

	if (!e)
		return el__error_oom();
	al->archive_entry_set_pathname(e, name);
	al->archive_entry_set_filetype(e, type);
	al->archive_entry_set_perm(e, perm);
	al->archive_entry_set_size(e, (la_int64_t)size);
	al->archive_entry_set_mtime(e, w->mtime, 0);
	al->archive_entry_set_uid(e, 0);
	al->archive_entry_set_gid(e, 0);
	if (target && hard)
		al->archive_entry_set_hardlink(e, target);
	else if (target)
		al->archive_entry_set_symlink(e, target);
	prev = uselocale(w->locale);
	rc = al->archive_write_header(w->a, e);
	uselocale(prev);
	al->archive_entry_free(e);
	/* ARCHIVE_WARN too: a header written otherwise than asked (a name as raw bytes) is not this format. */
	return rc == ARCHIVE_OK ? EL_OK : archive_failed(w, name);
}

/* len bytes of the member's data, in DATA_CHUNK pieces. */
static int write_data(el__pack_writer *w, const char *name, const unsigned char *data, size_t len)
{
	while (len > 0) {
		size_t n = len < DATA_CHUNK ? len : DATA_CHUNK;
		la_ssize_t done = w->al->archive_write_data(w->a, data, n);

		if (done < 0 || (size_t)done != n)
			return archive_failed(w, name);
		data += n;
		len -= n;
	}
	return EL_OK;
}

static int configure(el__pack_writer *w)
{
	const struct el__archive_lib *al = w->al;
	const char *msg;

	/* Blocks of 0: no 10 KiB padding after the zstd frame, which zstd itself would read as garbage. */
	if (al->archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    al->archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK)
		goto failed;
	/* ARCHIVE_WARN: libarchive was built without libzstd and would run the zstd program instead. */
	if (al->archive_write_add_filter_zstd(w->a) != ARCHIVE_OK) {
		msg = al->archive_error_string(w->a);
		return el__error(EL_ERROR, "this libarchive cannot compress with zstd by itself: %s",
				 msg ? msg : "no reason given");
	}
	if (al->archive_write_set_filter_option(w->a, "zstd", "compression-level", ZSTD_LEVEL) != ARCHIVE_OK)
		goto failed;
	/*
	 * One thread: zstd's frames differ with the number of workers. 0 is
	 * the default; libarchive before 3.6, which lacks the option, uses
	 * one thread anyway.
	 */
	al->archive_write_set_filter_option(w->a, "zstd", "threads", "0");
	if (al->archive_write_open(w->a, w, NULL, put, NULL) != ARCHIVE_OK)
		goto failed;
	return EL_OK;
failed:
	msg = al->archive_error_string(w->a);
	return el__error(EL_ERROR, "cannot start a bundle: %s", msg ? msg : "libarchive failed");
}

int el__pack_writer_open(el__pack_writer **out, int fd, long long mtime)
{
	el__pack_writer *w;
	int ret;

	*out = NULL;
	if (mtime < 0)
		return el__error(EL_EINVAL, "a bundle's time %lld is before 1970", mtime);
	if (!(w = calloc(1, sizeof(*w))))
		return el__error_oom();
	w->fd = fd;
	w->mtime = (time_t)mtime;
	if (!(w->al = el__archive_lib())) {
		ret = el_error_last_code();
		goto failed;
	}
	if (!(w->locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0))) {
		w->ascii_only = true;
		w->locale = newlocale(LC_CTYPE_MASK, "C", (locale_t)0);
	}
	if (!w->locale || !(w->a = w->al->archive_write_new())) {
		ret = el__error_oom();
		goto failed;
	}
	if (!(w->sha = el__sha256_begin())) {
		ret = el_error_last_code();
		goto failed;
	}
	if ((ret = configure(w)) != EL_OK)
		goto failed;
	*out = w;
	return EL_OK;
failed:
	el__pack_writer_free(w);
	return ret;
}

int el__pack_add_dir(el__pack_writer *w, const char *name)
{
	size_t len = strlen(name);
	char *bare = len > 1 && name[len - 1] == '/' ? strndup(name, len - 1) : NULL;
	const char *n = bare ? bare : name;
	int ret;

	if (len > 1 && name[len - 1] == '/' && !bare)
		return el__error_oom();
	ret = check_member(w, n, EL__NAME_DIR);
	if (ret == EL_OK)
		ret = write_header(w, n, AE_IFDIR, 0755, 0, NULL, false);
	if (ret == EL_OK)
		ret = remember(w, n, EL__NAME_DIR, false);
	free(bare);
	return ret;
}

int el__pack_add_bytes(el__pack_writer *w, const char *name, bool executable, const void *data, size_t len)
{
	int ret = check_member(w, name, EL__NAME_FILE);

	if (ret == EL_OK)
		ret = write_header(w, name, AE_IFREG, executable ? 0755 : 0644, len, NULL, false);
	if (ret == EL_OK)
		ret = write_data(w, name, data, len);
	if (ret == EL_OK)
		ret = remember(w, name, EL__NAME_FILE, executable);
	return ret;
}

/* Up to want bytes from fd at offset into w->chunk, however many reads that takes; fewer only at the end. */
static ssize_t read_chunk(el__pack_writer *w, int fd, unsigned long long offset, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = pread(fd, w->chunk + got, want - got, (off_t)(offset + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* size bytes from fd into the member, then none more. */
static int copy_file(el__pack_writer *w, const char *name, int fd, unsigned long long size)
{
	unsigned long long done = 0;
	ssize_t n;
	int ret;

	while (done < size) {
		size_t want = size - done < DATA_CHUNK ? (size_t)(size - done) : DATA_CHUNK;

		if ((n = read_chunk(w, fd, done, want)) < 0)
			return broke(w, name, "read failed: %s", strerror(errno));
		if ((size_t)n < want)
			return broke(w, name, "holds %llu bytes, not %llu: it changed while it was packed",
				     done + (unsigned long long)n, size);
		if ((ret = write_data(w, name, w->chunk, want)) != EL_OK)
			return ret;
		done += want;
	}
	if ((n = read_chunk(w, fd, size, 1)) < 0)
		return broke(w, name, "read failed: %s", strerror(errno));
	if (n > 0)
		return broke(w, name, "holds more than %llu bytes: it changed while it was packed", size);
	return EL_OK;
}

int el__pack_add_file(el__pack_writer *w, const char *name, bool executable, int fd, unsigned long long size)
{
	int ret = check_member(w, name, EL__NAME_FILE);

	if (ret != EL_OK)
		return ret;
	if (size > (unsigned long long)INT64_MAX)
		return refuse(name, "a size of %llu bytes, more than a tar member holds", size);
	if (!w->chunk && !(w->chunk = malloc(DATA_CHUNK)))
		return el__error_oom();
	ret = write_header(w, name, AE_IFREG, executable ? 0755 : 0644, size, NULL, false);
	if (ret == EL_OK)
		ret = copy_file(w, name, fd, size);
	if (ret == EL_OK)
		ret = remember(w, name, EL__NAME_FILE, executable);
	return ret;
}

int el__pack_add_symlink(el__pack_writer *w, const char *name, const char *target)
{
	const char *why;
	int ret = check_member(w, name, EL__NAME_LINK);

	if (ret != EL_OK)
		return ret;
	if (!*target)
		return refuse(name, "a symbolic link to nothing");
	if ((why = text_problem(w, target)))
		return refuse(name, "a symbolic link's target: %s", why);
	if (!el__link_stays_inside(name, target))
		return refuse(name, "a symbolic link to '%s' leads out of the directory", target);
	ret = write_header(w, name, AE_IFLNK, 0777, 0, target, false);
	if (ret == EL_OK)
		ret = remember(w, name, EL__NAME_LINK, false);
	return ret;
}

int el__pack_add_hardlink(el__pack_writer *w, const char *name, const char *earlier_member)
{
	bool executable;
	int ret = check_member(w, name, EL__NAME_FILE);

	if (ret != EL_OK)
		return ret;
	if (el__name_find(&w->names, earlier_member) != EL__NAME_FILE)
		return refuse(name, "a hard link to '%s', which is not a regular file added before", earlier_member);
	executable = el__name_find(&w->executables, earlier_member) != EL__NAME_NONE;
	/* Restricted pax writes no data for a hard link: size 0 says so to every reader. */
	ret = write_header(w, name, AE_IFREG, executable ? 0755 : 0644, 0, earlier_member, true);
	if (ret == EL_OK)
		ret = remember(w, name, EL__NAME_FILE, executable);
	return ret;
}

int el__pack_writer_finish(el__pack_writer *w, char sha256_hex[EL_SHA256_HEX], unsigned long long *bytes)
{
	el__sha256_ctx *sha;
	int ret = usable(w);

	if (ret != EL_OK)
		return ret;
	if (w->al->archive_write_close(w->a) != ARCHIVE_OK)
		return archive_failed(w, NULL);
	w->finished = true;
	sha = w->sha;
	w->sha = NULL;
	ret = el__sha256_end(sha, sha256_hex);
	if (ret == EL_OK)
		*bytes = w->bytes;
	return ret;
}

void el__pack_writer_free(el__pack_writer *w)
{
	if (!w)
		return;
	if (w->a) {
		/* Freeing an open archive closes it first: nothing of an unfinished bundle's end reaches fd. */
		w->discard = true;
		w->al->archive_write_free(w->a);
	}
	el__sha256_free(w->sha);
	if (w->locale)
		freelocale(w->locale);
	el__name_set_free(&w->names);
	el__name_set_free(&w->executables);
	free(w->chunk);
	free(w);
}
