/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envlock pack: a traced run's record, lock, profile, code, data and the
 * files it used, in one deterministic tar (zstd). The layout is in
 * bundle.h; the same run packed twice gives the same bytes, since every
 * member's order, metadata and content come from the record and the files
 * it names, never from the clock or the packing machine's accounts.
 */
#include "envlock/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/pack_code.h"
#include "bundle/pack_tree.h"
#include "bundle/pack_write.h"
#include "envlock/data.h"
#include "envlock/error.h"
#include "envlock/lock.h"
#include "envlock/profile.h"
#include "envlock/record.h"
#include "util/buf.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/resolve.h"
#include "util/sha256.h"

typedef struct packer {
	const el_pack_options *opts;
	el_record *record;
	char *record_text;       /* the record's bytes, as read */
	size_t record_len;
	el__pack_tree tree;
	json_t *data_index;      /* bundle.json's "data" */
	el__cache *cache;        /* the stat cache: a file hashed after the run is not read twice */
	char **data_real;        /* each declared data path, its links resolved: the closure leaves them to add_data */
	size_t data_count;
} packer;

/* Whether path is dir or below it. */
static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0' || (n == 1 && dir[0] == '/'));
}

/*
 * The file at path still has the content the record names; refused with
 * a message that says what to do when it does not (the bundle would carry
 * something the run did not use).
 */
static int check_file(packer *p, const char *path, const char *want_hex, bool *executable)
{
	char hex[EL_SHA256_HEX];
	struct stat st;
	json_t *hit = lstat(path, &st) == 0 ? el__cache_get(p->cache, "sha256", path, &st) : NULL;

	if (json_is_string(hit)) {
		snprintf(hex, sizeof(hex), "%s", json_string_value(hit));
	} else if (el__sha256_file(hex, &st, path) != EL_OK) {
		return el__error_reraise(EL_EINVAL, "a file the run used: ");
	} else {
		el__cache_put(p->cache, "sha256", path, &st, json_string(hex));
	}
	if (strcmp(hex, want_hex) != 0)
		return el__error(EL_EINVAL, "%s: changed since the run (its SHA-256 is %.12s..., the record's %.12s...); "
				 "run again with --trace to pack what runs now", path, hex, want_hex);
	*executable = (st.st_mode & 0111) != 0;
	return EL_OK;
}

/* Whether path is the run's code or declared data, which go in as such (or, with --no-data, not at all). */
static bool code_or_data(const packer *p, const char *path)
{
	if (below(path, p->record->workdir))
		return true;
	for (size_t i = 0; i < p->data_count; i++)
		if (below(path, p->data_real[i]))
			return true;
	return false;
}

/* The files and links the trace found outside the working directory and the data. */
static int add_closure(packer *p)
{
	const el_record *r = p->record;
	int ret = EL_OK;

	for (size_t i = 0; i < r->observed_count && ret == EL_OK; i++) {
		const char *path = r->observed[i].name, *hex = r->observed[i].value + strlen("sha256:");
		bool exec = false;

		if (code_or_data(p, path))
			continue;
		ret = check_file(p, path, hex, &exec);
		if (ret == EL_OK)
			ret = el__pack_tree_add(&p->tree, path, EL__PACK_FILE, NULL, hex, exec);
	}
	for (size_t i = 0; i < r->link_count && ret == EL_OK; i++) {
		char text[PATH_MAX];
		ssize_t n;

		if (code_or_data(p, r->links[i].name))
			continue;
		n = readlink(r->links[i].name, text, sizeof(text) - 1);
		if (n < 0 || (text[n] = '\0', strcmp(text, r->links[i].value) != 0))
			ret = el__error(EL_EINVAL, "%s: no longer the link the run went through (-> %s); run again with --trace",
					r->links[i].name, r->links[i].value);
		else
			ret = el__pack_tree_add(&p->tree, r->links[i].name, EL__PACK_LINK, r->links[i].value, NULL, false);
	}
	/* The working directory's own directory: the sandbox binds the code there. */
	if (ret == EL_OK && strcmp(r->workdir, "/") != 0)
		ret = el__pack_tree_add(&p->tree, r->workdir, EL__PACK_DIR, NULL, NULL, false);
	return ret;
}

/*
 * A declared data path of the lock, absolute and without "." or "..": a
 * relative one is the lock's directory's (../data beside the repository),
 * as the run's sandbox bound it.
 */
static char *data_path(const el_record *r, const char *name)
{
	const char *slash = r->lock_path ? strrchr(r->lock_path, '/') : NULL;
	el__buf b, clean;
	char *out = NULL;

	el__buf_init(&b);
	el__buf_init(&clean);
	if (name[0] == '/')
		el__buf_puts(&b, name);
	else if (slash)
		el__buf_printf(&b, "%.*s/%s", (int)(slash - r->lock_path), r->lock_path, name);
	if (!el__buf_failed(&b) && b.len && el__path_lexical(&clean, b.data) == EL_OK)
		out = el__buf_detach(&clean, NULL);
	el__buf_free(&b);
	el__buf_free(&clean);
	return out;
}

/* One data entry: hashed again and checked against the record; carried unless --no-data. */
static int add_data_entry(packer *p, const char *name, const char *want)
{
	el_data_options dopts = { .cache_dir = p->opts->cache_dir, .progress = p->opts->progress,
				  .progress_data = p->opts->progress_data };
	el__path_links links = { 0 };
	el_data_tree *tree = NULL;
	char *given = data_path(p->record, name), *real = NULL;
	int ret;

	if (!given || !(real = el__path_resolve(given, &links))) {
		ret = !given ? el__error_oom() : el__error_errno(EL_EINVAL, "data %s", given ? given : name);
		goto done;
	}
	p->data_real[p->data_count++] = strdup(real);
	if (!p->data_real[p->data_count - 1]) {
		ret = el__error_oom();
		goto done;
	}
	ret = el_data_hash(&tree, real, &dopts);
	if (ret == EL_OK && strcmp(tree->digest, want) != 0)
		ret = el__error(EL_EINVAL, "data %s: changed since the run (its digest is %.19s..., the record's %.19s...); "
				"run again with --trace to pack what runs now", given, tree->digest, want);
	if (ret == EL_OK) {
		json_t *entry = json_pack("{s:s, s:s, s:b}", "path", given, "digest", want, "carried", !p->opts->no_data);

		/* json_array_append_new takes the entry, also when it fails. */
		if (!entry || json_array_append_new(p->data_index, entry) != 0)
			ret = el__error_oom();
	}
	/* The links on the way to it are how the run named it: they go with it. */
	for (size_t i = 0; i < links.count && ret == EL_OK && !p->opts->no_data; i++)
		ret = el__pack_tree_add(&p->tree, links.items[i].path, EL__PACK_LINK, links.items[i].target, NULL, false);
	for (size_t i = 0; ret == EL_OK && !p->opts->no_data && i < tree->count; i++) {
		const el_data_entry *e = &tree->entries[i];
		el__buf at;

		el__buf_init(&at);
		el__buf_printf(&at, "%s%s%s", real, tree->directory ? "/" : "", e->path);
		if (el__buf_failed(&at)) {
			ret = el__error_oom();
		} else if (S_ISLNK(e->mode)) {
			char text[PATH_MAX];
			ssize_t n = readlink(at.data, text, sizeof(text) - 1);

			if (n < 0)
				ret = el__error_errno(EL_EINVAL, "data %s", at.data);
			else {
				text[n] = '\0';
				ret = el__pack_tree_add(&p->tree, at.data, EL__PACK_LINK, text, NULL, false);
			}
		} else {
			ret = el__pack_tree_add(&p->tree, at.data, EL__PACK_FILE, NULL, e->sha256, (e->mode & 0111) != 0);
		}
		el__buf_free(&at);
	}
done:
	el_data_tree_free(tree);
	el__path_links_free(&links);
	free(given);
	free(real);
	return ret;
}

static int add_data(packer *p)
{
	int ret = EL_OK;

	if (!(p->data_real = calloc(p->record->data_count + 1, sizeof(*p->data_real))))
		return el__error_oom();
	for (size_t i = 0; i < p->record->data_count && ret == EL_OK; i++)
		ret = add_data_entry(p, p->record->data[i].name, p->record->data[i].value);
	return ret;
}

/* A file beside the record or the lock (a signature), when there is one: its bytes into the bundle. */
static int add_optional_file(el__pack_writer *w, const char *member, const char *path)
{
	el__buf text;
	int ret;

	el__buf_init(&text);
	ret = el__read_file(&text, path, 1 << 20, true);
	if (ret == EL_OK)
		ret = el__pack_add_bytes(w, member, false, text.data, text.len);
	else if (ret == EL_ENOTFOUND)
		ret = EL_OK;
	el__buf_free(&text);
	return ret;
}

/* The lock the record names, checked against its fingerprint there. */
static int add_lock(packer *p, el__pack_writer *w)
{
	const el_record *r = p->record;
	el_lock *lock = NULL;
	el__buf sig;
	int ret;

	if (!r->lock_path)
		return EL_OK;
	ret = el_lock_read_file(&lock, r->lock_path);
	if (ret == EL_OK && strcmp(el_lock_stored_fingerprint(lock), r->lock_fingerprint) != 0)
		ret = el__error(EL_EINVAL, "%s: not the lock the run used (its fingerprint changed since)", r->lock_path);
	if (ret == EL_OK) {
		size_t len;
		const char *text = el_lock_text(lock, &len);

		ret = el__pack_add_bytes(w, "envlock/env.lock", false, text, len);
	}
	el__buf_init(&sig);
	el__buf_printf(&sig, "%s.sig", r->lock_path);
	if (ret == EL_OK)
		ret = el__buf_failed(&sig) ? el__error_oom() : add_optional_file(w, "envlock/env.lock.sig", sig.data);
	el__buf_free(&sig);
	el_lock_free(lock);
	return ret;
}

static int add_profile(packer *p, el__pack_writer *w)
{
	el_profile *profile = NULL;
	int ret = el_profile_load(&profile, p->record->profile);

	if (ret == EL_OK)
		ret = el__pack_add_bytes(w, "envlock/profile", false, profile->resolved_text,
					 strlen(profile->resolved_text));
	el_profile_free(profile);
	return ret;
}

/* envlock/bundle.json: what a bundle holds, for exec --bundle and for a reader with tar. */
static int add_index(packer *p, el__pack_writer *w)
{
	const el_record *r = p->record;
	json_t *index = json_pack("{s:i, s:s, s:s*, s:s, s:s, s:O, s:s}", "envlockBundle", 1, "record",
				  "envlock/record.json", "lock", r->lock_path ? "envlock/env.lock" : NULL, "profile",
				  "envlock/profile", "workdir", r->workdir, "data", p->data_index, "root", "root");
	json_t *code = r->git_commit ? json_pack("{s:s}", "gitCommit", r->git_commit) : json_pack("{s:b}", "traced", true);
	char *text = NULL;
	int ret;

	if (!index || !code || json_object_set_new(index, "code", code) != 0) {
		json_decref(index);
		return el__error_oom();
	}
	text = json_dumps(index, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(index);
	if (!text)
		return el__error_oom();
	ret = el__pack_add_bytes(w, "envlock/bundle.json", false, text, strlen(text));
	free(text);
	return ret;
}

/* The store's work before it starts: each content once, files[] sorted by digest; the first call. */
static void store_progress_start(const packer *p, const el__pack_node **files, size_t n, el_data_progress *progress)
{
	struct stat st;

	progress->doing = "packing";
	progress->path = p->opts->output;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(files[i - 1]->sha256, files[i]->sha256) == 0)
			continue;
		progress->files_total++;
		if (stat(files[i]->path, &st) == 0)
			progress->bytes_total += (unsigned long long)st.st_size;
	}
	p->opts->progress(p->opts->progress_data, progress);
}

/* store/sha256/<hex>: each content once, in order of digest, read from the first path that has it. */
static int add_store(packer *p, el__pack_writer *w)
{
	const el__pack_tree *t = &p->tree;
	const el__pack_node **files = calloc(t->count + 1, sizeof(*files));
	el_data_progress progress = { 0 };
	size_t n = 0;
	int ret = EL_OK;

	if (!files)
		return el__error_oom();
	for (size_t i = 0; i < t->count; i++)
		if (t->nodes[i].kind == EL__PACK_FILE)
			files[n++] = &t->nodes[i];
	ret = el__pack_add_dir(w, "store");
	if (ret == EL_OK)
		ret = el__pack_add_dir(w, "store/sha256");
	/* Sorted by digest (then path, so the first path of a content is always the same one). */
	for (size_t i = 1; i < n; i++) {
		const el__pack_node *f = files[i];
		size_t j = i;

		for (; j > 0; j--) {
			int c = strcmp(files[j - 1]->sha256, f->sha256);

			if (c < 0 || (c == 0 && strcmp(files[j - 1]->path, f->path) < 0))
				break;
			files[j] = files[j - 1];
		}
		files[j] = f;
	}
	if (p->opts->progress)
		store_progress_start(p, files, n, &progress);
	for (size_t i = 0; i < n && ret == EL_OK; i++) {
		char member[80];
		struct stat st;
		bool exec = false;
		int fd;

		if (i > 0 && strcmp(files[i - 1]->sha256, files[i]->sha256) == 0)
			continue;
		/* The tree's names of it are hard links, which share its mode: executable when any of them was. */
		for (size_t j = i; j < n && strcmp(files[j]->sha256, files[i]->sha256) == 0; j++)
			exec = exec || files[j]->executable;
		snprintf(member, sizeof(member), "store/sha256/%s", files[i]->sha256);
		fd = open(files[i]->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0) {
			ret = el__error_errno(EL_EINVAL, "%s", files[i]->path);
		} else {
			ret = el__pack_add_file(w, member, exec, fd, (unsigned long long)st.st_size);
		}
		if (fd >= 0)
			close(fd);
		if (ret == EL_OK && p->opts->progress) {
			progress.bytes_done += (unsigned long long)st.st_size;
			progress.files_done++;
			p->opts->progress(p->opts->progress_data, &progress);
		}
	}
	free(files);
	return ret;
}

/* root/: directories, links, and hard links to the store, in path order. */
static int add_root(packer *p, el__pack_writer *w)
{
	int ret = el__pack_add_dir(w, "root");

	for (size_t i = 0; i < p->tree.count && ret == EL_OK; i++) {
		const el__pack_node *n = &p->tree.nodes[i];
		el__buf member;
		char store[80];

		el__buf_init(&member);
		el__buf_printf(&member, "root%s", n->path);
		if (el__buf_failed(&member)) {
			el__buf_free(&member);
			return el__error_oom();
		}
		switch (n->kind) {
		case EL__PACK_DIR: ret = el__pack_add_dir(w, member.data); break;
		case EL__PACK_LINK: ret = el__pack_add_symlink(w, member.data, n->target); break;
		case EL__PACK_FILE:
			snprintf(store, sizeof(store), "store/sha256/%s", n->sha256);
			ret = el__pack_add_hardlink(w, member.data, store);
			break;
		}
		el__buf_free(&member);
	}
	return ret;
}

static int add_members(packer *p, el__pack_writer *w)
{
	el__buf sig;
	int ret = el__pack_add_dir(w, "envlock");

	if (ret == EL_OK)
		ret = add_index(p, w);
	el__buf_init(&sig);
	el__buf_printf(&sig, "%s.sig", p->opts->record);
	if (ret == EL_OK)
		ret = el__pack_add_bytes(w, "envlock/record.json", false, p->record_text, p->record_len);
	if (ret == EL_OK)
		ret = el__buf_failed(&sig) ? el__error_oom() : add_optional_file(w, "envlock/record.json.sig", sig.data);
	el__buf_free(&sig);
	if (ret == EL_OK)
		ret = add_lock(p, w);
	if (ret == EL_OK)
		ret = add_profile(p, w);
	if (ret == EL_OK)
		ret = el__pack_code(w, p->record);
	if (ret == EL_OK)
		ret = add_store(p, w);
	if (ret == EL_OK)
		ret = add_root(p, w);
	return ret;
}

/* The archive into a new file beside output, renamed over it once complete. */
static int write_bundle(packer *p, char sha256_hex[EL_SHA256_HEX])
{
	el__buf tmp;
	el__pack_writer *w = NULL;
	unsigned long long bytes = 0;
	int fd, ret;

	el__buf_init(&tmp);
	el__buf_printf(&tmp, "%s.XXXXXX", p->opts->output);
	if (el__buf_failed(&tmp))
		return el__error_oom();
	fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		ret = el__error_errno(EL_ERROR, "%s", p->opts->output);
		el__buf_free(&tmp);
		return ret;
	}
	ret = el__pack_writer_open(&w, fd, (long long)p->record->started.tv_sec);
	if (ret == EL_OK)
		ret = add_members(p, w);
	if (ret == EL_OK)
		ret = el__pack_writer_finish(w, sha256_hex, &bytes);
	el__pack_writer_free(w);
	if (ret == EL_OK && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
		ret = el__error_errno(EL_ERROR, "%s", p->opts->output);
	close(fd);
	if (ret == EL_OK && rename(tmp.data, p->opts->output) != 0)
		ret = el__error_errno(EL_ERROR, "%s", p->opts->output);
	if (ret != EL_OK)
		unlink(tmp.data);
	el__buf_free(&tmp);
	return ret;
}

int el_pack(const el_pack_options *opts, char sha256_hex[EL_SHA256_HEX])
{
	packer p = { .opts = opts };
	el__buf text;
	const char *why = NULL;
	char *cache_dir = opts->cache_dir ? strdup(opts->cache_dir) : el__cache_default_dir();
	int ret;

	el__buf_init(&text);
	ret = el__read_file(&text, opts->record, 64 << 20, false);
	if (ret == EL_OK)
		ret = el_record_parse(&p.record, text.data, text.len, opts->record);
	if (ret == EL_OK && !p.record->traced)
		ret = el__error(EL_EINVAL, "%s: the run was not traced: a bundle needs to know every file it opened "
				"(run it with exec --record --trace)", opts->record);
	if (ret == EL_OK && p.record->git_dirty == 1)
		ret = el__error(EL_EINVAL, "%s: the run's working tree had uncommitted changes: commit %.12s is not "
				"what ran (commit them, then run again)", opts->record, p.record->git_commit);
	if (ret == EL_OK && !(p.data_index = json_array()))
		ret = el__error_oom();
	if (ret == EL_OK)
		ret = el__cache_open(&p.cache, cache_dir ? cache_dir : "", &why);
	p.record_text = text.data;
	p.record_len = text.len;
	if (ret == EL_OK)
		ret = add_data(&p);
	if (ret == EL_OK)
		ret = add_closure(&p);
	if (ret == EL_OK)
		ret = el__pack_tree_finish(&p.tree);
	if (ret == EL_OK)
		ret = write_bundle(&p, sha256_hex);
	if (p.cache)
		el__cache_save(p.cache);
	el__cache_free(p.cache);
	el__pack_tree_free(&p.tree);
	for (size_t i = 0; i < p.data_count; i++)
		free(p.data_real[i]);
	free(p.data_real);
	json_decref(p.data_index);
	el_record_free(p.record);
	el__buf_free(&text);
	free(cache_dir);
	return ret;
}
