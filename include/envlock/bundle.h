/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_BUNDLE_H
#define ENVLOCK_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envlock/api.h"
#include "envlock/data.h"

/*
 * Archives are hostile input: a bundle or an image layer comes from another
 * machine. What unpacking one may cost is bounded; 0 in a field means its
 * default.
 */
typedef struct el_unpack_limits {
	uint64_t max_bytes;   /* bytes of file data in all (default EL_UNPACK_MAX_BYTES) */
	uint64_t max_entries; /* entries, directories included (default EL_UNPACK_MAX_ENTRIES) */
	/*
	 * Bytes unpacked per byte of archive, once more than
	 * EL_UNPACK_RATIO_FLOOR bytes are out (default EL_UNPACK_MAX_RATIO):
	 * what stops a compression bomb long before max_bytes would.
	 */
	uint64_t max_ratio;
} el_unpack_limits;

#define EL_UNPACK_MAX_BYTES (64ULL << 30)
#define EL_UNPACK_MAX_ENTRIES 1000000ULL
#define EL_UNPACK_MAX_RATIO 200ULL
#define EL_UNPACK_RATIO_FLOOR (64ULL << 20)

/*
 * Unpack the tar archive at archive (plain, or compressed with zstd, gzip,
 * xz or bzip2) into the new directory dir. dir may not exist yet, or be an
 * empty directory; the tree is made in a new directory beside it and
 * renamed into place only when complete, so that on any failure dir is as
 * it was and nothing is left beside it.
 *
 * Regular files, directories, symbolic links and hard links to files
 * earlier in the archive are unpacked, with their permission bits and
 * modification times; owners are not (everything belongs to the caller).
 * Refused, with a message naming the entry: absolute names, '..'
 * components, a name that appears twice, a path through a link or a
 * file, a relative link target whose text climbs out of the tree (not
 * resolved through other links; an absolute
 * target is kept as it is: it names a path inside the tree once the tree
 * is a root), device nodes, FIFOs and sockets, set-user-ID and
 * set-group-ID files (not directories: there the bits give no privilege
 * and are kept), a size the data does not match. Nothing is ever
 * written through a symbolic link.
 *
 * EL_OK; EL_EINVAL for an archive refused or over a limit, or a dir that
 * is not empty; EL_ENOTFOUND when archive does not exist or libarchive is
 * not installed; EL_ERROR for a failure of the system (disk full).
 */
EL_API int el_unpack(const char *archive, const char *dir, const el_unpack_limits *limits);

typedef struct el_pack_options {
	const char *record; /* RUN.json, written by exec --record --trace */
	const char *output; /* the bundle; replaced atomically, never left half written */
	bool no_data;       /* leave the declared data out: its digests still travel, to be checked on arrival */
	const char *cache_dir; /* the stat cache; NULL: the default, "": none */
	/*
	 * Progress, or NULL: of hashing the data again ("hashing"), then of
	 * writing the store's files into the bundle ("packing": called once
	 * before, after each file, and at the end).
	 */
	el_data_progress_fn progress;
	void *progress_data;
} el_pack_options;

/*
 * Pack a traced run into one deterministic tar (zstd): the same run packed
 * twice gives the same bytes. Its members, in this order:
 *
 *   envlock/bundle.json          what the bundle holds (format 1)
 *   envlock/record.json[.sig]    the record as written, its signature
 *   envlock/env.lock[.sig]       the lock the record names, checked against
 *                                its fingerprint there
 *   envlock/profile              the profile, includes written in place
 *   code/...                     the files git tracks at the recorded commit
 *                                (no git: the files the run opened there)
 *   store/sha256/<hex>           each file the run used outside its working
 *                                directory, and each data file, once by content
 *   root/...                     those files at their absolute paths (hard
 *                                links into the store), the links on the way
 *                                to them, and every directory above
 *
 * Every entry has the record's start time, owner 0:0, mode 0755 (a
 * directory or executable) or 0644. Each file must still have the
 * content the record names. *sha256_hex: the bundle's SHA-256, its name.
 * EL_EINVAL: a record that was not traced or whose files changed since;
 * EL_ERROR: a failure of the system. On failure nothing is left at output.
 */
EL_API int el_pack(const el_pack_options *opts, char sha256_hex[65]);

typedef struct el_image_options {
	/* NULL: the user's cache, as env names it ($ENVLOCK_CACHE_DIR, $XDG_CACHE_HOME/envlock, ~/.cache/envlock). */
	const char *cache_dir;
	const char *const *env; /* where cache_dir is looked up; NULL: the process's environment */
	el_unpack_limits limits; /* bytes and entries for all the layers together; the ratio per layer */
} el_image_options;

/*
 * The root file system of an OCI image (exec --image): made once in the
 * cache, under images/<key>, and used again while the image is the same.
 * image is an OCI image layout directory, a tar of one (podman save
 * --format oci-archive, docker save since 25) or an older docker save tar.
 * The key is the SHA-256 of a layout's index.json (or manifest.json),
 * which names every blob by digest; of an archive's bytes (through the
 * stat cache, so an unchanged archive is not read again). Every blob is
 * checked against its digest when the tree is made; layers are applied
 * with whiteouts and opaque directories; hostile entries are refused as
 * el_unpack refuses them, set-id bits cleared. *root: the tree's path
 * (malloc'd). Errors as el_unpack's.
 */
EL_API int el_image_root(char **root, const char *image, const el_image_options *opts);

/* A declared data entry of a bundle's run. */
typedef struct el_bundle_data {
	char *path;         /* absolute, as the run had it */
	char *digest;       /* "sha256:<hex>" */
	bool carried;       /* in the bundle's root tree; false: packed with --no-data */
} el_bundle_data;

/* A bundle made ready to run (el_bundle_open). */
typedef struct el_bundle {
	char sha256[65];    /* the bundle file's SHA-256: its name, and its key in the cache */
	char *dir;          /* the unpacked bundle, in the cache */
	char *root;         /* its root tree: the sandbox's system directories */
	char *code;         /* its code/: what the working directory starts as */
	char *workdir;      /* where the run's working directory was, absolute: where the code goes */
	char *record;       /* its envlock/record.json */
	char *lock;         /* its envlock/env.lock; NULL when the run had none */
	char *profile;      /* its envlock/profile */
	char *profile_text; /* that file's text (includes written in place), NUL-terminated */
	size_t profile_len;
	el_bundle_data *data; /* the lock's declared data, as bundle.json lists it */
	size_t data_count;
} el_bundle;

/*
 * Unpack the bundle file once into the cache (bundles/<its SHA-256>, as
 * el_unpack would, under opts' limits) and read its envlock/bundle.json.
 * An unpacked bundle is used again while the file's SHA-256 is the same.
 * EL_EINVAL: not a bundle envlock can run (its message says why);
 * otherwise as el_image_root. *out is for el_bundle_free().
 */
EL_API int el_bundle_open(el_bundle **out, const char *file, const el_image_options *opts);
EL_API void el_bundle_free(el_bundle *bundle);

/*
 * Where the bundle's tree holds its carried data entry i: a host path
 * under bundle->root, its links resolved inside the tree (an absolute link
 * of the bundle's names a path of the tree, never one of this machine's).
 * For a bind at data[i].path, since the sandbox's /var/tmp and /tmp are its
 * own and would hide it. EL_ENOTFOUND when the tree lacks it.
 */
EL_API int el_bundle_data_source(char **source, const el_bundle *bundle, size_t i);

#endif
