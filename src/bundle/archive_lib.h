/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_ARCHIVE_LIB_H
#define EL_BUNDLE_ARCHIVE_LIB_H

#include <archive.h>
#include <archive_entry.h>

/*
 * libarchive, loaded when a command first needs it. Linked as a DT_NEEDED
 * library it would load libxml2, ICU and libstdc++ into every envlock
 * process (about 2 ms at each start here, against a 10 ms budget for a
 * warm capture), although only pack, unpack and the bundle and image runs
 * use it. The calls envlock makes, reading archives and writing bundles
 * (pack_write.c), go through this table, typed by libarchive's own
 * headers.
 */
#define EL__ARCHIVE_CALLS(X)                                                                                  \
	X(archive_error_string) X(archive_errno) X(archive_filter_bytes)                                       \
	X(archive_read_new) X(archive_read_support_filter_gzip) X(archive_read_support_filter_bzip2)          \
	X(archive_read_support_filter_xz) X(archive_read_support_filter_zstd) X(archive_read_support_format_tar)              \
	X(archive_read_open_fd) X(archive_read_next_header) X(archive_read_data) X(archive_read_free)          \
	X(archive_entry_pathname) X(archive_entry_filetype) X(archive_entry_perm) X(archive_entry_mode)        \
	X(archive_entry_size) X(archive_entry_size_is_set) X(archive_entry_symlink) X(archive_entry_hardlink)  \
	X(archive_entry_mtime) X(archive_entry_mtime_nsec) X(archive_entry_mtime_is_set)                      \
	X(archive_write_new) X(archive_write_set_format_pax_restricted) X(archive_write_set_bytes_per_block)  \
	X(archive_write_add_filter_zstd) X(archive_write_set_filter_option) X(archive_write_open)             \
	X(archive_write_header) X(archive_write_data) X(archive_write_close) X(archive_write_free)            \
	X(archive_entry_new) X(archive_entry_free) X(archive_entry_set_pathname) X(archive_entry_set_filetype) \
	X(archive_entry_set_perm) X(archive_entry_set_size) X(archive_entry_set_mtime) X(archive_entry_set_uid) \
	X(archive_entry_set_gid) X(archive_entry_set_symlink) X(archive_entry_set_hardlink)

struct el__archive_lib {
#define EL__ARCHIVE_MEMBER(name) __typeof__(name) *name;
	EL__ARCHIVE_CALLS(EL__ARCHIVE_MEMBER)
#undef EL__ARCHIVE_MEMBER
};

/*
 * The loaded table, or NULL with the error set (EL_ENOTFOUND: libarchive
 * is not installed; EL_ERROR: it lacks a call). Loaded once; the result,
 * failure included, is kept for the process.
 */
const struct el__archive_lib *el__archive_lib(void);

#endif
