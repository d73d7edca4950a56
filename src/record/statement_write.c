/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A record onto disk, durably and atomically: serialized, written to a
 * temporary file in the target directory, fsync'd, then renamed into
 * place and the directory fsync'd. A new file in a directory never
 * replaces one that is there; a named file is replaced whole.
 */
#include "record/record_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "envlock/sign.h"

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/random.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int el__link_noreplace(int dirfd, const char *from, const char *to)
{
	if (linkat(dirfd, from, dirfd, to, 0) != 0)
		return -1;
	unlinkat(dirfd, from, 0);
	return 0;
}

int el__rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (syscall(SYS_renameat2, dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	return el__link_noreplace(dirfd, from, to);
}

/* The temporary file, written and fsync'd; its name in tmp. */
static int write_temp(int dirfd, const char *text, size_t len, char *tmp, size_t size, const char *display)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		char hex[17];
		int fd;

		if (el__random_hex(hex, 8) != EL_OK)
			return el_error_last_code();
		snprintf(tmp, size, ".run-record.%s.tmp", hex);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return el__error_errno(EL_ERROR, "%s: cannot create a temporary file", display);
		if (el__write_all(fd, text, len) != 0 || fsync(fd) != 0 || close(fd) != 0) {
			int ret = el__error_errno(EL_ERROR, "%s: write failed", display);

			unlinkat(dirfd, tmp, 0);
			return ret;
		}
		return EL_OK;
	}
	return el__error(EL_ERROR, "%s: cannot create a temporary file", display);
}

/*
 * A new run-<start>-<random>.json in dirfd, never over an existing file;
 * its name into chosen. The directory is fsync'd by the caller.
 */
static int write_new(int dirfd, const el_record *r, const char *text, size_t len, const char *display, char **written,
		     char chosen[64])
{
	char tmp[64], name[64], hex[9], when[EL__RECORD_TIME_SIZE];
	int ret = el__record_time_format(when, &r->started);

	if (ret != EL_OK)
		return ret;
	ret = write_temp(dirfd, text, len, tmp, sizeof(tmp), display);
	if (ret != EL_OK)
		return ret;
	for (int attempt = 0; attempt < 16; attempt++) {
		/* "2024-05-06T07:08:09.1...Z" -> "20240506T070809Z" */
		if ((ret = el__random_hex(hex, 4)) != EL_OK)
			break;
		snprintf(name, sizeof(name), "run-%.4s%.2s%.2sT%.2s%.2s%.2sZ-%s.json", when, when + 5, when + 8, when + 11,
			 when + 14, when + 17, hex);
		if (el__rename_noreplace(dirfd, tmp, name) == 0) {
			snprintf(chosen, 64, "%s", name);
			if (written && asprintf(written, "%s%s%s", display,
						display[strlen(display) - 1] == '/' ? "" : "/", name) < 0)
				*written = NULL;
			return EL_OK;
		}
		if (errno != EEXIST) {
			ret = el__error_errno(EL_ERROR, "%s", display);
			break;
		}
		ret = el__error(EL_ERROR, "%s: no free name for a new record", display);
	}
	unlinkat(dirfd, tmp, 0);
	return ret;
}

/* The file named in dirfd, replaced whole; the directory is fsync'd by the caller. */
static int write_named(int dirfd, const char *name, const char *text, size_t len, const char *display)
{
	char tmp[64];
	int ret = write_temp(dirfd, text, len, tmp, sizeof(tmp), display);

	if (ret == EL_OK && renameat(dirfd, tmp, dirfd, name) != 0) {
		ret = el__error_errno(EL_ERROR, "%s", display);
		unlinkat(dirfd, tmp, 0);
	}
	return ret;
}

/*
 * The record, and with a key its signature: the envelope is made from the
 * very bytes written and put in place after the record (a record without
 * its signature reads as unsigned, never the other way round), and one
 * fsync of the directory makes both renames durable.
 */
static int write_at(const el_record *record, const el_key *key, int dirfd, const char *name, const char *display,
		    char **written)
{
	char *text = NULL, *envelope = NULL, *sig_name = NULL, sig_tmp[64], chosen[64];
	size_t len = 0, envelope_len = 0;
	int ret;

	if (written)
		*written = NULL;
	ret = el_record_serialize(&text, &len, record);
	if (ret == EL_OK && key)
		ret = el_dsse_sign(&envelope, &envelope_len, key, EL_DSSE_TYPE_RECORD, text, len);
	if (ret == EL_OK && key)
		ret = write_temp(dirfd, envelope, envelope_len, sig_tmp, sizeof(sig_tmp), display);
	if (ret != EL_OK)
		goto done;
	if (name) {
		/*
		 * The signature of the record this one replaces signs other
		 * content: gone first, so that whatever fails next, the new record
		 * reads as unsigned, never as badly signed.
		 */
		if (asprintf(&sig_name, "%s.sig", name) < 0)
			ret = el__error_oom();
		else if (unlinkat(dirfd, sig_name, 0) != 0 && errno != ENOENT)
			ret = el__error_errno(EL_ERROR, "%s.sig: cannot remove the signature of the record it replaces",
					      display);
		free(sig_name);
		sig_name = NULL;
		if (ret == EL_OK)
			ret = write_named(dirfd, name, text, len, display);
		if (ret == EL_OK && written && !(*written = strdup(display)))
			ret = el__error_oom();
	} else {
		ret = write_new(dirfd, record, text, len, display, written, chosen);
	}
	if (ret == EL_OK && key) {
		if (asprintf(&sig_name, "%s.sig", name ? name : chosen) < 0)
			ret = el__error_oom();
		else if (renameat(dirfd, sig_tmp, dirfd, sig_name) != 0)
			ret = el__error_errno(EL_ERROR, "%s.sig", display);
	}
	if (ret != EL_OK && key)
		unlinkat(dirfd, sig_tmp, 0);
	fsync(dirfd);
done:
	free(sig_name);
	free(envelope);
	free(text);
	return ret;
}

int el_record_write_at(const el_record *record, int dirfd, const char *name, const char *display, char **written)
{
	return write_at(record, NULL, dirfd, name, display, written);
}

int el_record_write_signed_at(const el_record *record, const el_key *key, int dirfd, const char *name,
			      const char *display, char **written)
{
	return write_at(record, key, dirfd, name, display, written);
}

int el_record_write(const el_record *record, const char *path, char **written)
{
	struct stat st;
	const char *base = el__basename(path);
	char *dir;
	int dirfd, ret;

	if (written)
		*written = NULL;
	/* An existing directory (never through a final link, unless written "DIR/"): a new file in it. */
	if ((*base == '\0' ? stat(path, &st) : lstat(path, &st)) == 0 && S_ISDIR(st.st_mode)) {
		dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (*base ? O_NOFOLLOW : 0));
		if (dirfd < 0)
			return el__error_errno(EL_ERROR, "%s", path);
		ret = el_record_write_at(record, dirfd, NULL, path, written);
		close(dirfd);
		return ret;
	}
	if (*base == '\0')
		return el__error(EL_ERROR, "%s: not a directory", path);
	dir = base == path ? strdup(".") : strndup(path, (size_t)(base - path));
	if (!dir)
		return el__error_oom();
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dirfd < 0)
		return el__error_errno(EL_ERROR, "%s: cannot open its directory", path);
	ret = el_record_write_at(record, dirfd, base, path, written);
	close(dirfd);
	return ret;
}
