/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_OCI_H
#define EL_BUNDLE_OCI_H

#include <sys/stat.h>

#include "envlock/bundle.h"

/* The OCI name of this machine's architecture, as an image's platform gives it. */
#if defined(__x86_64__)
#define EL__OCI_ARCH "amd64"
#elif defined(__aarch64__)
#define EL__OCI_ARCH "arm64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EL__OCI_ARCH "ppc64le"
#elif defined(__s390x__)
#define EL__OCI_ARCH "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define EL__OCI_ARCH "riscv64"
#else
#define EL__OCI_ARCH "unknown"
#endif

/* "sha256:" and 64 hex digits, and a NUL. */
#define EL__OCI_DIGEST_SIZE 72

/*
 * The root file system of an OCI image, made in the new directory dir
 * (dir may not exist, or be empty; on failure it is as it was and nothing
 * is left beside it). image: an OCI image layout directory (oci-layout,
 * index.json, blobs/sha256/...), or a tar of one (podman save --format
 * oci-archive; docker save since 25), or a tar from an older docker save
 * (manifest.json naming the config and the layers' files).
 *
 * From an index, the manifest for linux and this machine's architecture
 * is taken (one without a platform matches any); an index may point to
 * another. Every blob is checked against its descriptor's digest and size
 * before it is used; an old docker save's layers against the config's
 * diff_ids. Layers (OCI tar, tar+gzip, tar+zstd; docker's rootfs.diff.tar
 * and .tar.gzip) are applied in order, whiteouts and opaque directories
 * as the OCI image specification says, each layer under el_unpack's rules
 * except that set-id bits are cleared (the sandbox's no_new_privs voids
 * them anyway), that an entry replaces what the layers below left, and
 * that directories keep their owner's rwx bits (a layer above may write in
 * a 0550 /root; the tree is bound read-only).
 * limits: bytes and entries for all the layers together (at most 128
 * layers, 256 descriptors in the indexes), the ratio per layer.
 *
 * digest_out (may be NULL): the manifest's digest; for an old docker save,
 * the config's (docker's image id). EL_OK; EL_EINVAL for an image refused
 * (the message names the blob, and the entry where it is one); EL_ENOTFOUND
 * when image does not exist; EL_ERROR for a failure of the system.
 */
int el__oci_unpack(const char *image, const char *dir, const el_unpack_limits *limits,
		   char digest_out[EL__OCI_DIGEST_SIZE]);

/*
 * The same from an image already open, for a caller that chose what to do
 * by what it read (the cache, by a digest): fd is read from (never
 * reopened), and the tree is refused when what it reads is not what was
 * known: an archive whose identity (st) changed meanwhile, or a layout
 * whose index.json does not hash to index_sha256 (when not NULL).
 */
typedef struct el__oci_source {
	const char *image; /* for messages */
	int fd;
	const struct stat *st; /* fd's, taken when it was first read */
	const char *index_sha256;
} el__oci_source;

int el__oci_unpack_source(const el__oci_source *source, const char *dir, const el_unpack_limits *limits,
			  char digest_out[EL__OCI_DIGEST_SIZE]);

#endif
