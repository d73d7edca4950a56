/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An OCI image's root file system, without a daemon or a registry
 * (bundle/oci.h): the layout's JSON read with jansson, each blob checked
 * against its digest before it is used, the layers applied by the
 * unpacker in layer mode.
 */
#include "bundle/oci.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/dest.h"
#include "bundle/unpack.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/random.h"
#include "util/sha256.h"
#include "util/text.h"
#include "util/tree.h"

/* Index, manifest and config documents are small; a larger one is not one of them. */
#define JSON_MAX (4u << 20)
/* Indexes pointing to indexes: how deep before it is a loop. */
#define INDEX_DEPTH 4
/* Descriptors looked at in all the indexes: how many before it is a bomb of them (fan-out). */
#define INDEX_DESCRIPTORS 256
/* Layers of one image (Docker's own limit is 127). */
#define MAX_LAYERS 128


typedef struct oci {
	const char *image; /* as the caller named it, for messages */
	int layout;        /* the layout directory */
	int top;           /* the root file system being made */
	el__unpack_options opts;
	el_unpack_limits budget; /* what all the layers together may still unpack */
	unsigned descriptors;    /* looked at in the indexes so far */
	const char *index_sha256; /* index.json must hash to this (the key the caller chose by), or NULL */
} oci;

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.oci.image.layer.nondistributable.v1.tar",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
	"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	NULL,
};

static bool is_index_type(const char *type)
{
	return type && (strcmp(type, "application/vnd.oci.image.index.v1+json") == 0 ||
			strcmp(type, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* The 64 hex digits of "sha256:<hex>", or NULL when digest is not that. */
static const char *sha256_hex(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || !el__lower_hex_str(digest + 7, 64))
		return NULL;
	return digest + 7;
}

static int not_a_digest(const oci *o, const char *digest)
{
	char shown[200];

	el__printable_copy(shown, sizeof(shown), digest ? digest : "", digest ? strlen(digest) : 0);
	return el__error(EL_EINVAL, "%s: '%s' is not a sha256 digest", o->image, shown);
}

/*
 * path (relative, from the layout or a manifest.json) opened below the
 * layout, one component at a time, following no link: an unpacked image
 * tar may hold links (blobs -> /) that would lead out of it. A regular
 * file only, or EL_EINVAL; what names it in messages.
 */
static int open_beneath(const oci *o, const char *path, const char *what, int *fd_out)
{
	char part[PATH_MAX];
	struct stat st;
	int fd = dup(o->layout);

	*fd_out = -1;
	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s: %s", o->image, what);
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		bool last = p[n] == '\0';
		int next;

		if (n >= sizeof(part)) {
			close(fd);
			return el__error(EL_EINVAL, "%s: %s: a name too long", o->image, what);
		}
		memcpy(part, p, n);
		part[n] = '\0';
		next = openat(fd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (last ? 0 : O_DIRECTORY));
		close(fd);
		if (next < 0)
			return el__error_errno(errno == ENOENT || errno == ELOOP || errno == ENOTDIR ? EL_EINVAL : EL_ERROR,
					       "%s: %s", o->image, what);
		fd = next;
		p += n;
		while (*p == '/')
			p++;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return el__error(EL_EINVAL, "%s: %s: not a regular file", o->image, what);
	}
	*fd_out = fd;
	return EL_OK;
}

/*
 * The file at path (below the layout) checked against hex, the SHA-256 its
 * descriptor gives, and against size when that is not negative; *fd_out
 * is left at its start. what names it in messages ("blob sha256:...").
 */
static int open_checked(const oci *o, const char *path, const char *hex, json_int_t size, int *fd_out)
{
	char got[EL_SHA256_HEX], what[80];
	struct stat st;
	int fd, ret;

	snprintf(what, sizeof(what), "blob sha256:%s", hex);
	if ((ret = open_beneath(o, path, what, &fd)) != EL_OK)
		return ret;
	*fd_out = -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return el__error_errno(EL_ERROR, "%s: blob sha256:%s", o->image, hex);
	}
	if (size >= 0 && st.st_size != size) {
		close(fd);
		return el__error(EL_EINVAL, "%s: blob sha256:%s: %lld bytes, the descriptor says %lld", o->image, hex,
				 (long long)st.st_size, (long long)size);
	}
	if (el__sha256_fd(got, fd, path) != EL_OK) {
		close(fd);
		return el_error_last_code();
	}
	if (strcmp(got, hex) != 0) {
		close(fd);
		return el__error(EL_EINVAL, "%s: blob sha256:%s: its content does not match its digest", o->image, hex);
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return el__error_errno(EL_ERROR, "%s: blob sha256:%s", o->image, hex);
	}
	*fd_out = fd;
	return EL_OK;
}

/* The blob a descriptor ({"digest", "size"}) names, checked; its digest's hex into hex when given. */
static int open_blob(const oci *o, json_t *descriptor, int *fd, char hex[EL_SHA256_HEX])
{
	const char *digest = json_string_value(json_object_get(descriptor, "digest"));
	json_t *size = json_object_get(descriptor, "size");
	const char *h = sha256_hex(digest);
	char path[100];

	*fd = -1;
	if (!h)
		return not_a_digest(o, digest);
	if (size && !json_is_integer(size))
		return el__error(EL_EINVAL, "%s: blob sha256:%s: its descriptor's size is not a number", o->image, h);
	if (hex)
		snprintf(hex, EL_SHA256_HEX, "%s", h);
	snprintf(path, sizeof(path), "blobs/sha256/%s", h);
	return open_checked(o, path, h, size ? json_integer_value(size) : -1, fd);
}

/* A JSON document from fd (closed), at most JSON_MAX bytes; what names it in messages. */
static int read_json_hashed(const oci *o, int fd, const char *what, json_t **out, char hex[EL_SHA256_HEX]);

static int read_json(const oci *o, int fd, const char *what, json_t **out)
{
	return read_json_hashed(o, fd, what, out, NULL);
}

/* The same, with the SHA-256 of the very bytes parsed into hex (when given). */
static int read_json_hashed(const oci *o, int fd, const char *what, json_t **out, char hex[EL_SHA256_HEX])
{
	el__buf text;
	json_error_t jerr;
	char chunk[65536];
	ssize_t n;

	*out = NULL;
	el__buf_init(&text);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && text.len + (size_t)n <= JSON_MAX)
		el__buf_add(&text, chunk, (size_t)n);
	close(fd);
	if (n < 0 || el__buf_failed(&text)) {
		el__buf_free(&text);
		return n < 0 ? el__error_errno(EL_ERROR, "%s: %s", o->image, what) : el__error_oom();
	}
	if (n > 0) {
		el__buf_free(&text);
		return el__error(EL_EINVAL, "%s: %s: larger than %u bytes", o->image, what, JSON_MAX);
	}
	if (hex && el__sha256_hex(hex, text.data ? text.data : "", text.len) != EL_OK) {
		el__buf_free(&text);
		return el_error_last_code();
	}
	*out = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES, &jerr);
	el__buf_free(&text);
	if (!*out) {
		el__printable(jerr.text, strlen(jerr.text));
		return el__error(EL_EINVAL, "%s: %s: invalid JSON: %s", o->image, what, jerr.text);
	}
	return EL_OK;
}

static int read_json_blob(const oci *o, json_t *descriptor, json_t **out, char hex[EL_SHA256_HEX])
{
	char what[100];
	int fd, ret = open_blob(o, descriptor, &fd, hex);

	if (ret != EL_OK)
		return ret;
	snprintf(what, sizeof(what), "blob sha256:%s", hex);
	return read_json(o, fd, what, out);
}

/* A descriptor's platform, if it has one, is this machine's. */
static bool platform_matches(json_t *descriptor)
{
	json_t *platform = json_object_get(descriptor, "platform");
	const char *os, *arch;

	if (!platform)
		return true;
	os = json_string_value(json_object_get(platform, "os"));
	arch = json_string_value(json_object_get(platform, "architecture"));
	return os && arch && strcmp(os, "linux") == 0 && strcmp(arch, EL__OCI_ARCH) == 0;
}

/* From an index, the manifest for this machine (*manifest, its digest's hex); EL_ENOTFOUND, no message, when none. */
static int pick_manifest(oci *o, json_t *index, int depth, json_t **manifest, char hex[EL_SHA256_HEX])
{
	json_t *list = json_object_get(index, "manifests"), *d;
	size_t i;

	*manifest = NULL;
	if (!json_is_array(list))
		return el__error(EL_EINVAL, "%s: an index without a manifests list", o->image);
	json_array_foreach(list, i, d) {
		const char *type = json_string_value(json_object_get(d, "mediaType"));
		json_t *doc;
		int ret;

		if (++o->descriptors > INDEX_DESCRIPTORS)
			return el__error(EL_EINVAL, "%s: its indexes list more than %d manifests", o->image, INDEX_DESCRIPTORS);
		if (!json_is_object(d) || !platform_matches(d))
			continue;
		if (is_index_type(type)) {
			if (depth >= INDEX_DEPTH)
				return el__error(EL_EINVAL, "%s: indexes nested more than %d deep", o->image, INDEX_DEPTH);
			if ((ret = read_json_blob(o, d, &doc, hex)) != EL_OK)
				return ret;
			ret = pick_manifest(o, doc, depth + 1, manifest, hex);
			json_decref(doc);
			if (ret != EL_ENOTFOUND)
				return ret;
			continue;
		}
		return read_json_blob(o, d, manifest, hex);
	}
	return EL_ENOTFOUND;
}

static bool is_layer_type(const char *type)
{
	for (const char *const *t = layer_types; *t; t++)
		if (type && strcmp(type, *t) == 0)
			return true;
	return false;
}

/*
 * One layer's tar (fd, closed), applied; hex names it in messages. The
 * limits on bytes and entries hold for all the layers together: a layer
 * gets what the ones before left of them.
 */
static int apply_layer(oci *o, int fd, const char *hex)
{
	el__unpack_options opts = o->opts;
	uint64_t entries = 0, bytes = 0;
	char name[4200];
	int ret;

	snprintf(name, sizeof(name), "%s: layer sha256:%s", o->image, hex);
	opts.limits.max_bytes = o->budget.max_bytes;
	opts.limits.max_entries = o->budget.max_entries;
	opts.entries_out = &entries;
	opts.bytes_out = &bytes;
	ret = el__unpack_into(name, fd, o->top, &opts);
	close(fd);
	/* Never down to 0, which el__unpack_into reads as "the default": 1 left refuses the next layer's first byte. */
	o->budget.max_bytes -= bytes < o->budget.max_bytes ? bytes : o->budget.max_bytes - 1;
	o->budget.max_entries -= entries < o->budget.max_entries ? entries : o->budget.max_entries - 1;
	return ret;
}

static int apply_manifest(oci *o, json_t *manifest)
{
	json_t *layers = json_object_get(manifest, "layers"), *d;
	size_t i;

	if (!json_is_array(layers))
		return el__error(EL_EINVAL, "%s: a manifest without a layers list", o->image);
	if (json_array_size(layers) > MAX_LAYERS)
		return el__error(EL_EINVAL, "%s: more than %d layers", o->image, MAX_LAYERS);
	json_array_foreach(layers, i, d) {
		const char *type = json_string_value(json_object_get(d, "mediaType"));
		const char *h = sha256_hex(json_string_value(json_object_get(d, "digest")));
		char hex[EL_SHA256_HEX], shown[200];
		int fd, ret;

		if (!h)
			return not_a_digest(o, json_string_value(json_object_get(d, "digest")));
		if (!is_layer_type(type)) {
			el__printable_copy(shown, sizeof(shown), type ? type : "", type ? strlen(type) : 0);
			return el__error(EL_EINVAL, "%s: layer sha256:%s: media type '%s' is not a layer envlock can apply",
					 o->image, h, shown);
		}
		if ((ret = open_blob(o, d, &fd, hex)) != EL_OK || (ret = apply_layer(o, fd, hex)) != EL_OK)
			return ret;
	}
	return EL_OK;
}

static int from_index(oci *o, char digest_out[EL__OCI_DIGEST_SIZE])
{
	json_t *index = NULL, *manifest = NULL;
	char hex[EL_SHA256_HEX];
	int fd, ret;

	if ((ret = open_beneath(o, "index.json", "index.json", &fd)) != EL_OK)
		return ret;
	if ((ret = read_json_hashed(o, fd, "index.json", &index, hex)) != EL_OK)
		return ret;
	if (o->index_sha256 && strcmp(hex, o->index_sha256) != 0) {
		json_decref(index);
		return el__error(EL_EINVAL, "%s: index.json changed while it was read", o->image);
	}
	ret = pick_manifest(o, index, 0, &manifest, hex);
	if (ret == EL_ENOTFOUND)
		ret = el__error(EL_EINVAL, "%s: no manifest for linux/%s", o->image, EL__OCI_ARCH);
	if (ret == EL_OK && digest_out)
		snprintf(digest_out, EL__OCI_DIGEST_SIZE, "sha256:%s", hex);
	if (ret == EL_OK)
		ret = apply_manifest(o, manifest);
	json_decref(manifest);
	json_decref(index);
	return ret;
}

/* A path manifest.json gives (a config, a layer): below the layout, checked against hex. */
static int open_docker_file(const oci *o, json_t *path, const char *hex, int *fd)
{
	const char *p = json_string_value(path);
	char shown[300];

	*fd = -1;
	if (!p || !el__path_stays_below(p)) {
		el__printable_copy(shown, sizeof(shown), p ? p : "", p ? strlen(p) : 0);
		return el__error(EL_EINVAL, "%s: manifest.json: '%s' is not a path inside the archive", o->image, shown);
	}
	return open_checked(o, p, hex, -1, fd);
}

/*
 * An older docker save: manifest.json names the config and the layer
 * files, which have no digests of their own; the config's
 * rootfs.diff_ids are the layers' (uncompressed, as saved) SHA-256, and
 * the config's own is the image's id.
 */
static int from_docker_save(oci *o, char digest_out[EL__OCI_DIGEST_SIZE])
{
	json_t *manifest = NULL, *config = NULL, *image, *layers, *diff_ids, *layer;
	char config_hex[EL_SHA256_HEX], config_shown[300];
	const char *config_path;
	size_t i;
	int fd, ret;

	if ((ret = open_beneath(o, "manifest.json", "manifest.json", &fd)) != EL_OK)
		return ret;
	if ((ret = read_json(o, fd, "manifest.json", &manifest)) != EL_OK)
		return ret;
	image = json_array_get(manifest, 0);
	layers = json_object_get(image, "Layers");
	config_path = json_string_value(json_object_get(image, "Config"));
	if (!config_path || !json_is_array(layers) || !el__path_stays_below(config_path)) {
		ret = el__error(EL_EINVAL, "%s: manifest.json: no Config and Layers of an image", o->image);
		goto done;
	}
	/* The config's file is named by its digest ("<hex>.json", or blobs/sha256/<hex> since docker 25). */
	/* Quoted printable: the name is the archive's. */
	el__printable_copy(config_shown, sizeof(config_shown), config_path, strlen(config_path));
	if ((ret = open_beneath(o, config_path, config_shown, &fd)) != EL_OK)
		goto done;
	if ((ret = el__sha256_fd(config_hex, fd, config_shown)) != EL_OK || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		ret = ret != EL_OK ? ret : el__error_errno(EL_ERROR, "%s: %s", o->image, config_shown);
		goto done;
	}
	if ((ret = read_json(o, fd, config_shown, &config)) != EL_OK)
		goto done;
	diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (json_array_size(layers) > MAX_LAYERS) {
		ret = el__error(EL_EINVAL, "%s: more than %d layers", o->image, MAX_LAYERS);
		goto done;
	}
	if (!json_is_array(diff_ids) || json_array_size(diff_ids) != json_array_size(layers)) {
		ret = el__error(EL_EINVAL, "%s: %s: rootfs.diff_ids does not list one digest per layer", o->image,
				config_shown);
		goto done;
	}
	if (digest_out)
		snprintf(digest_out, EL__OCI_DIGEST_SIZE, "sha256:%s", config_hex);
	json_array_foreach(layers, i, layer) {
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		const char *h = sha256_hex(diff_id);

		if (!h) {
			ret = not_a_digest(o, diff_id);
			break;
		}
		if ((ret = open_docker_file(o, layer, h, &fd)) != EL_OK || (ret = apply_layer(o, fd, h)) != EL_OK)
			break;
	}
done:
	json_decref(config);
	json_decref(manifest);
	return ret;
}

/*
 * A tar of a layout (or of a docker save), unpacked under the usual rules
 * into a directory beside dir's temporary one; its name into tmp.
 */
static int unpack_archive(oci *o, const el__dest *dest, int image_fd, char tmp[300])
{
	el__unpack_options plain = { .limits = o->opts.limits };
	char hex[17];
	int ret = el__random_hex(hex, 8);

	tmp[0] = '\0';
	if (ret != EL_OK)
		return ret;
	/* From the start, whatever read it before (its digest). */
	if (lseek(image_fd, 0, SEEK_SET) != 0)
		return el__error_errno(EL_ERROR, "%s", o->image);
	snprintf(tmp, 300, ".%.200s.image-%s", dest->base, hex);
	if (mkdirat(dest->parent, tmp, 0700) != 0) {
		tmp[0] = '\0';
		return el__error_errno(EL_ERROR, "%s: cannot make a directory beside it", dest->dir);
	}
	o->layout = openat(dest->parent, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (o->layout < 0)
		return el__error_errno(EL_ERROR, "%s: cannot make a directory beside it", dest->dir);
	return el__unpack_into(o->image, image_fd, o->layout, &plain);
}

int el__oci_unpack(const char *image, const char *dir, const el_unpack_limits *limits,
		   char digest_out[EL__OCI_DIGEST_SIZE])
{
	el__oci_source source = { .image = image };
	struct stat st;
	int ret;

	el_error_clear();
	source.fd = open(image, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (source.fd < 0)
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", image);
	if (fstat(source.fd, &st) != 0) {
		ret = el__error_errno(EL_ERROR, "%s", image);
		close(source.fd);
		return ret;
	}
	source.st = &st;
	ret = el__oci_unpack_source(&source, dir, limits, digest_out);
	close(source.fd);
	return ret;
}

/* The file the archive was read from is the one that was known (by its SHA-256) before. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int el__oci_unpack_source(const el__oci_source *source, const char *dir, const el_unpack_limits *limits,
			  char digest_out[EL__OCI_DIGEST_SIZE])
{
	const char *image = source->image;
	oci o = { .image = image, .layout = -1, .opts = { .strip_setid = true, .layer = true },
		  .index_sha256 = source->index_sha256 };
	char tmp[300] = "";
	struct stat after;
	el__dest dest;
	int ret;

	if (limits)
		o.opts.limits = *limits;
	o.budget.max_bytes = o.opts.limits.max_bytes ? o.opts.limits.max_bytes : EL_UNPACK_MAX_BYTES;
	o.budget.max_entries = o.opts.limits.max_entries ? o.opts.limits.max_entries : EL_UNPACK_MAX_ENTRIES;
	if ((ret = el__dest_open(&dest, dir)) != EL_OK)
		return ret;
	o.top = dest.top;
	if (S_ISDIR(source->st->st_mode)) {
		o.layout = dup(source->fd);
		if (o.layout < 0)
			ret = el__error_errno(EL_ERROR, "%s", image);
	} else if (!S_ISREG(source->st->st_mode)) {
		ret = el__error(EL_EINVAL, "%s: neither a directory nor a regular file", image);
	} else if ((ret = unpack_archive(&o, &dest, source->fd, tmp)) == EL_OK &&
		   (fstat(source->fd, &after) != 0 || !same_file(source->st, &after))) {
		/* Read twice (its digest, then its entries): the two must be of the same bytes. */
		ret = el__error(EL_EINVAL, "%s: changed while it was read", image);
	}
	if (ret == EL_OK) {
		if (faccessat(o.layout, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			ret = from_index(&o, digest_out);
		else if (faccessat(o.layout, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			ret = from_docker_save(&o, digest_out);
		else
			ret = el__error(EL_EINVAL,
					"%s: not an OCI image layout or docker save archive (no index.json or manifest.json)",
					image);
	}
	if (o.layout >= 0)
		close(o.layout);
	if (tmp[0]) {
		/* The unpacked layout goes, keeping the message of a failure and saying what stayed. */
		char why[1024], left[512];

		snprintf(why, sizeof(why), "%s", el_error_last());
		if (el__tree_remove(dest.parent, tmp) != EL_OK) {
			snprintf(left, sizeof(left), "%s", el_error_last());
			if (ret == EL_OK)
				ret = el__error(EL_ERROR, "%s: %s is left beside it: %s", dir, tmp, left);
			else
				el__error(ret, "%s (and %s is left beside it: %s)", why, tmp, left);
		} else if (ret != EL_OK) {
			el__error(ret, "%s", why);
		}
	}
	return el__dest_close(&dest, ret);
}
