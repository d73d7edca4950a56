/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/state: the watch of what a capture reads, the record that stands for
 * it, and the record's key. Each kind of change a capture's inputs can go
 * through must make the record fail.
 */
#include "helpers.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "envlock/version.h"
#include "lock/lock_internal.h"
#include "state/capture_state.h"
#include "state/record.h"
#include "state/watch.h"
#include "util/env.h"
#include "util/error.h"

#define VAR "EL_TEST_STATE_VAR"

/* Past the kernel's timestamp tick: a change made now gets another ctime than one made before. */
static void next_tick(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static bool all_hold(const el__watch *w)
{
	size_t n;
	const el__dep *deps = el__watch_deps(w, &n);

	for (size_t i = 0; i < n; i++)
		if (!el__dep_holds(&deps[i], (const char *const *)environ))
			return false;
	return true;
}

/* A watch of fn(dir), held in *out: what it saw holds right after. */
static el__watch *watch(const char *dir, void (*fn)(const char *dir))
{
	el__watch *w;

	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	fn(dir);
	el__watch_end(w);
	assert_true(all_hold(w));
	next_tick();
	return w;
}

static void read_file(const char *dir)
{
	char *path = el_test_path(dir, "f"), buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	close(fd);
	free(path);
}

static void stat_file(const char *dir)
{
	char *path = el_test_path(dir, "f");
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	free(path);
}

static int setup(void **state)
{
	int rc = el_test_setup_tmpdir(state);

	el_test_write(*state, "f", "version 1.0.0\n");
	unsetenv(VAR);
	return rc;
}

static void test_recorded_calls_and_outcomes(void **state)
{
	const char *dir = *state;
	char *f = el_test_path(dir, "f"), *missing = el_test_path(dir, "missing"), *link = el_test_path(dir, "l");
	char target[16];
	struct stat st;
	el__watch *w;
	const el__dep *deps;
	size_t n;

	el_test_symlink(dir, "l", "f");
	setenv(VAR, "one", 1);
	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(stat(f, &st), 0); /* once is enough */
	assert_true(open(missing, O_RDONLY) < 0);
	assert_int_equal(readlink(link, target, sizeof(target)), 1);
	assert_int_equal(access(f, R_OK), 0);
	assert_string_equal(getenv(VAR), "one");
	assert_null(getenv(VAR "_UNSET"));
	el__watch_end(w);
	/* Not watched any more. */
	assert_int_equal(lstat(f, &st), 0);

	deps = el__watch_deps(w, &n);
	assert_int_equal(n, 6);
	assert_int_equal(deps[0].kind, EL__DEP_STAT);
	assert_string_equal(deps[0].name, f);
	assert_int_equal(deps[0].err, 0);
	assert_int_equal(deps[0].id.ino, st.st_ino);
	assert_int_equal(deps[1].kind, EL__DEP_STAT);
	assert_int_equal(deps[1].err, ENOENT);
	assert_int_equal(deps[2].kind, EL__DEP_READLINK);
	assert_string_equal(deps[2].text, "f");
	assert_int_equal(deps[3].kind, EL__DEP_ACCESS);
	assert_int_equal(deps[4].kind, EL__DEP_GETENV);
	assert_string_equal(deps[4].text, "one");
	assert_int_equal(deps[5].err, ENOENT);
	assert_true(all_hold(w));
	/* Made just now: not trusted yet (the racy-clean rule). */
	assert_string_equal(el__watch_unusable(w), "a file it read changed in the last two seconds");
	el__watch_free(w);
	free(f);
	free(missing);
	free(link);
}

/* The same bytes count, the same size: only the ctime tells. */
static void test_same_size_rewrite_fails(void **state)
{
	el__watch *w = watch(*state, read_file);
	char *path = el_test_path(*state, "f");
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_int_equal(pwrite(fd, "version 1.0.1\n", 14, 0), 14);
	close(fd);
	assert_false(all_hold(w));
	el__watch_free(w);
	free(path);
}

/* The mtime set back to what it was moves the ctime. */
static void test_mtime_put_back_fails(void **state)
{
	el__watch *w = watch(*state, stat_file);
	char *path = el_test_path(*state, "f");
	struct stat st;
	struct timespec times[2];

	assert_int_equal(stat(path, &st), 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	assert_false(all_hold(w));
	el__watch_free(w);
	free(path);
}

static void test_chmod_fails(void **state)
{
	el__watch *w = watch(*state, read_file);
	char *path = el_test_path(*state, "f");

	assert_int_equal(chmod(path, 0600), 0);
	assert_false(all_hold(w));
	el__watch_free(w);
	free(path);
}

/* Another file renamed over it, byte for byte the same: another inode. */
static void test_replaced_by_rename_fails(void **state)
{
	el__watch *w = watch(*state, read_file);
	char *path = el_test_path(*state, "f"), *tmp = el_test_path(*state, "f.new");

	el_test_write(*state, "f.new", "version 1.0.0\n");
	assert_int_equal(rename(tmp, path), 0);
	assert_false(all_hold(w));
	el__watch_free(w);
	free(path);
	free(tmp);
}

static void get_var(const char *dir)
{
	(void)dir;
	getenv(VAR);
}

static void test_variable_changes_fail(void **state)
{
	el__watch *w;

	setenv(VAR, "one", 1);
	w = watch(*state, get_var);
	setenv(VAR, "two", 1);
	assert_false(all_hold(w));
	unsetenv(VAR);
	assert_false(all_hold(w));
	setenv(VAR, "one", 1);
	assert_true(all_hold(w));
	el__watch_free(w);
	unsetenv(VAR);
	/* Unset, then set: a change too. */
	w = watch(*state, get_var);
	setenv(VAR, "", 1);
	assert_false(all_hold(w));
	el__watch_free(w);
	unsetenv(VAR);
}

/* The environment a capture is given (el_capture_options.env), not the process's. */
static void test_capture_environment_changes_fail(void **state)
{
	const char *const env[] = { "PYENV_VERSION=3.11.7", NULL };
	const char *const other[] = { "PYENV_VERSION=3.12.1", NULL };
	const char *const more[] = { "PYENV_VERSION=3.11.7", "PYENV_DIR=/src", NULL };
	el__watch *w;
	const el__dep *deps;
	size_t n;

	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	assert_string_equal(el__env_get(env, "PYENV_VERSION"), "3.11.7");
	assert_null(el__env_get(env, "PYENV_DIR"));
	el__watch_end(w);
	deps = el__watch_deps(w, &n);
	assert_int_equal(n, 2);
	assert_int_equal(deps[0].kind, EL__DEP_ENV);
	assert_true(el__dep_holds(&deps[0], env) && el__dep_holds(&deps[1], env));
	assert_false(el__dep_holds(&deps[0], other));
	assert_false(el__dep_holds(&deps[1], more));
	/* The process's own environment is not the capture's. */
	assert_false(el__dep_holds(&deps[0], NULL));
	el__watch_free(w);
}

static void open_missing(const char *dir)
{
	char *path = el_test_path(dir, "new");

	assert_true(open(path, O_RDONLY | O_NOFOLLOW) < 0);
	free(path);
}

static void test_missing_file_appearing_fails(void **state)
{
	el__watch *w = watch(*state, open_missing);

	el_test_write(*state, "new", "");
	assert_false(all_hold(w));
	el__watch_free(w);
}

static void list_dir(const char *dir)
{
	DIR *d = opendir(dir);

	assert_non_null(d);
	while (readdir(d))
		;
	closedir(d);
}

/* A directory's listing: its identity moves with an entry added, removed or renamed. */
static void test_directory_entry_added_fails(void **state)
{
	el__watch *w = watch(*state, list_dir);

	el_test_write(*state, "added", "");
	assert_false(all_hold(w));
	el__watch_free(w);
}

static void read_link(const char *dir)
{
	char *path = el_test_path(dir, "l"), target[64];

	assert_true(readlink(path, target, sizeof(target)) > 0);
	free(path);
}

static void test_link_retargeted_fails(void **state)
{
	char *path = el_test_path(*state, "l");
	el__watch *w;

	el_test_symlink(*state, "l", "f");
	w = watch(*state, read_link);
	assert_int_equal(unlink(path), 0);
	el_test_symlink(*state, "l", "g");
	assert_false(all_hold(w));
	el__watch_free(w);
	free(path);
}

/* Files older than two seconds (the source tree's fixtures) are trusted. */
static void test_old_files_make_a_usable_watch(void **state)
{
	el__watch *w;
	struct stat st;

	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	assert_int_equal(stat(EL_FIXTURES "/drift/a.lock", &st), 0);
	el__watch_end(w);
	assert_null(el__watch_unusable(w));
	el__watch_free(w);
}

static void expect_refused(void (*fn)(void), const char *why)
{
	el__watch *w;

	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	fn();
	el__watch_end(w);
	assert_non_null(el__watch_unusable(w));
	assert_string_equal(el__watch_unusable(w), why);
	el__watch_free(w);
}

static void read_proc(void)
{
	char buf[64];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	close(fd);
}

static void stat_sys(void)
{
	struct stat st;

	if (stat("/sys/kernel", &st) != 0)
		el_test_skip("no /sys");
}

static void run_child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	waitpid(pid, NULL, 0);
}

static void load_library(void)
{
	void *lib = dlopen("libm.so.6", RTLD_NOW);

	if (lib)
		dlclose(lib);
}

/* What an identity cannot stand for: the kernel's files, programs, libraries. */
static void test_what_identities_cannot_stand_for(void **state)
{
	expect_refused(read_proc, "a file of /proc, /sys or another kernel file system");
	expect_refused(stat_sys, "a file of /proc, /sys or another kernel file system");
	expect_refused(run_child, "a process started");
	expect_refused(load_library, "a library loaded");
}

static void stat_twice_changing(void)
{
	const char *dir = getenv("EL_TEST_STATE_DIR");
	char *path = el_test_path(dir, "f");
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	next_tick();
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(stat(path, &st), 0);
	free(path);
}

static void test_change_while_watched_is_refused(void **state)
{
	setenv("EL_TEST_STATE_DIR", *state, 1);
	expect_refused(stat_twice_changing, "a file changed while the capture read it");
	unsetenv("EL_TEST_STATE_DIR");
}

/* Two captures watched at once (two threads of one program): neither watch can be trusted. */
static void test_two_watches_at_once_refused(void **state)
{
	el__watch *w, *other;
	struct stat st;

	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	assert_int_equal(el__watch_new(&other, NULL), EL_OK);
	el__watch_begin(w);
	el__watch_begin(other);
	assert_int_equal(stat(EL_FIXTURES "/drift/a.lock", &st), 0);
	el__watch_end(other); /* not the active one: w stays active until its own end */
	assert_true(el__watch_on());
	el__watch_end(w);
	assert_false(el__watch_on());
	assert_string_equal(el__watch_unusable(w), "another capture was watched at the same time");
	assert_string_equal(el__watch_unusable(other), "another capture was watched at the same time");
	el__watch_free(w);
	el__watch_free(other);
}

/* The cache directory's own files are checked by their sources' identities, not watched. */
static void test_cache_directory_not_watched(void **state)
{
	char *inside = el_test_path(*state, "f");
	el__watch *w;
	struct stat st;
	size_t n;

	assert_int_equal(el__watch_new(&w, *state), EL_OK);
	el__watch_begin(w);
	assert_int_equal(stat(inside, &st), 0);
	el__watch_end(w);
	el__watch_deps(w, &n);
	assert_int_equal(n, 0);
	el__watch_free(w);
	free(inside);
}

/* Relative to a directory descriptor: kept under the directory's full path. */
static void test_at_calls_named_in_full(void **state)
{
	char *f = el_test_path(*state, "f");
	int dirfd = open(*state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	el__watch *w;
	const el__dep *deps;
	struct stat st;
	size_t n;
	int fd;

	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	fd = openat(dirfd, "f", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_int_equal(fstatat(dirfd, "f", &st, AT_SYMLINK_NOFOLLOW), 0);
	el__watch_end(w);
	close(fd);
	close(dirfd);
	deps = el__watch_deps(w, &n);
	/* The directory was opened before the watch began: only f. */
	assert_int_equal(n, 1);
	assert_int_equal(deps[0].kind, EL__DEP_LSTAT);
	assert_string_equal(deps[0].name, f);
	el__watch_free(w);
	free(f);
}

/* ---- the record file ---- */

static el__watch *sample_watch(const char *dir)
{
	el__watch *w;
	struct stat st;
	char *f = el_test_path(dir, "f"), *l = el_test_path(dir, "l"), target[32];

	el_test_symlink(dir, "l", "f");
	setenv(VAR, "value", 1);
	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	stat(f, &st);
	readlink(l, target, sizeof(target));
	getenv(VAR);
	getenv(VAR "_UNSET");
	el__watch_end(w);
	el__watch_warning("python", "not seen");
	free(f);
	free(l);
	return w;
}

static void key_of(el__buf *key, const char *text)
{
	el__buf_init(key);
	el__buf_add(key, text, strlen(text) + 1);
}

static void test_record_round_trip(void **state)
{
	el__watch *w = sample_watch(*state);
	el__buf key, bytes;
	el__record *r;

	key_of(&key, "key one");
	el__buf_init(&bytes);
	assert_int_equal(el__record_encode(&bytes, &key, w), EL_OK);
	assert_int_equal(el__record_decode(&r, bytes.data, bytes.len, &key), EL_OK);
	assert_non_null(r);
	assert_true(el__record_holds(r, NULL));
	assert_int_equal(el__record_warning_count(r), 0); /* the warning came after the watch ended */
	el__record_free(r);
	setenv(VAR, "other", 1);
	assert_int_equal(el__record_decode(&r, bytes.data, bytes.len, &key), EL_OK);
	assert_false(el__record_holds(r, NULL));
	el__record_free(r);
	unsetenv(VAR);
	el__buf_free(&bytes);
	el__buf_free(&key);
	el__watch_free(w);
}

static void test_record_keeps_warnings(void **state)
{
	el__watch *w;
	el__buf key, bytes;
	el__record *r;

	assert_int_equal(el__watch_new(&w, NULL), EL_OK);
	el__watch_begin(w);
	el__watch_warning("python", "first");
	el__watch_warning("libraries", "second");
	el__watch_end(w);
	key_of(&key, "k");
	el__buf_init(&bytes);
	assert_int_equal(el__record_encode(&bytes, &key, w), EL_OK);
	assert_int_equal(el__record_decode(&r, bytes.data, bytes.len, &key), EL_OK);
	assert_int_equal(el__record_warning_count(r), 2);
	assert_string_equal(el__record_warning(r, 0), "python\tfirst");
	assert_string_equal(el__record_warning(r, 1), "libraries\tsecond");
	el__record_free(r);
	el__buf_free(&bytes);
	el__buf_free(&key);
	el__watch_free(w);
}

/* Another key, a flipped byte, a cut: no record, never a wrong one. */
static void test_record_other_key_or_damage_is_none(void **state)
{
	el__watch *w = sample_watch(*state);
	el__buf key, other, bytes;
	el__record *r;

	key_of(&key, "key one");
	key_of(&other, "key two");
	el__buf_init(&bytes);
	assert_int_equal(el__record_encode(&bytes, &key, w), EL_OK);
	assert_int_equal(el__record_decode(&r, bytes.data, bytes.len, &other), EL_OK);
	assert_null(r);
	for (size_t i = 0; i < bytes.len; i += 7) {
		bytes.data[i] ^= 0x20;
		assert_int_equal(el__record_decode(&r, bytes.data, bytes.len, &key), EL_OK);
		assert_null(r);
		bytes.data[i] ^= 0x20;
	}
	for (size_t len = 0; len < bytes.len; len += 5) {
		assert_int_equal(el__record_decode(&r, bytes.data, len, &key), EL_OK);
		assert_null(r);
	}
	el__buf_free(&bytes);
	el__buf_free(&key);
	el__buf_free(&other);
	el__watch_free(w);
}

/* Saved and loaded back; a file others may write is no record. */
static void test_record_file(void **state)
{
	el__watch *w = sample_watch(*state);
	int dirfd = open(*state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char name[32], *path;
	el__buf key;
	el__record *r;

	key_of(&key, "key one");
	el__record_name(name, sizeof(name), &key);
	assert_int_equal(strncmp(name, "state-v1-", 9), 0);
	assert_int_equal(strlen(name), 9 + 16);
	assert_int_equal(el__record_save(dirfd, name, &key, w), EL_OK);
	assert_int_equal(el__record_load(&r, dirfd, name, &key), EL_OK);
	assert_non_null(r);
	assert_true(el__record_holds(r, NULL));
	el__record_free(r);
	path = el_test_path(*state, name);
	assert_int_equal(chmod(path, 0622), 0);
	assert_int_equal(el__record_load(&r, dirfd, name, &key), EL_OK);
	assert_null(r);
	/* A link planted in its place is not followed. */
	assert_int_equal(unlink(path), 0);
	el_test_symlink(*state, name, "f");
	assert_int_equal(el__record_load(&r, dirfd, name, &key), EL_OK);
	assert_null(r);
	close(dirfd);
	free(path);
	el__buf_free(&key);
	el__watch_free(w);
}

/* The least recently written records go first; nothing else in the directory is touched. */
static void test_records_pruned(void **state)
{
	int dirfd = open(*state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct timespec times[2] = { { 0, 0 }, { 0, 0 } };

	for (int i = 0; i < 20; i++) {
		const char *name = el_test_fmt("state-v1-%016d", i);

		el_test_write(*state, name, "x");
		times[0].tv_sec = times[1].tv_sec = 1000000 + (i * 7919) % 20; /* not in name order */
		assert_int_equal(utimensat(dirfd, name, times, 0), 0);
	}
	el_test_write(*state, "cache-v2.bin", "x");
	el__record_prune(dirfd, 16);
	/* The directory holds f (from setup), cache-v2.bin and 16 records. */
	assert_int_equal(el_test_count_entries(*state), 18);
	for (int i = 0; i < 20; i++) {
		struct stat st;
		bool kept = fstatat(dirfd, el_test_fmt("state-v1-%016d", i), &st, 0) == 0;

		assert_int_equal(kept, (i * 7919) % 20 >= 4);
	}
	close(dirfd);
}

/* ---- the key ---- */

static el_lock *fixture_lock(const char *name)
{
	el_lock *lock;

	assert_int_equal(el_lock_read_file(&lock, el_test_fmt("%s/drift/%s", EL_FIXTURES, name)), EL_OK);
	return lock;
}

static char *key_text(const char *workdir, const el_capture_options *opts, const char *binary, size_t *len)
{
	el__buf key;

	el__buf_init(&key);
	assert_true(el__state_key(&key, workdir, opts, binary));
	return el__buf_detach(&key, len);
}

static bool same_key(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void test_key_covers_what_the_probes_do_not_read(void **state)
{
	el_lock *a = fixture_lock("a.lock"), *b = fixture_lock("b.lock");
	el_profile *def, *strict;
	char *binary = el_test_path(*state, "envlock");
	el_capture_options opts = { .checking = a };
	el__buf key;
	size_t len, n;
	char *base, *k;

	assert_int_equal(el_profile_load(&def, "default"), EL_OK);
	assert_int_equal(el_profile_load(&strict, "strict"), EL_OK);
	el_test_write(*state, "envlock", "binary");
	opts.profile = def;
	base = key_text("/w", &opts, binary, &len);
	assert_non_null(memmem(base, len, EL_VERSION, strlen(EL_VERSION)));
	k = key_text("/w", &opts, binary, &n);
	assert_true(same_key(base, len, k, n));
	free(k);

	/* Each of these is another key. */
	k = key_text("/other", &opts, binary, &n);
	assert_false(same_key(base, len, k, n));
	free(k);
	opts.checking = b;
	k = key_text("/w", &opts, binary, &n);
	assert_false(same_key(base, len, k, n));
	free(k);
	opts.checking = a;
	opts.python = "/usr/bin/python3";
	k = key_text("/w", &opts, binary, &n);
	assert_false(same_key(base, len, k, n));
	free(k);
	opts.python = NULL;
	opts.profile = strict;
	k = key_text("/w", &opts, binary, &n);
	assert_false(same_key(base, len, k, n));
	free(k);
	opts.profile = def;
	/* envlock rebuilt: the same version, another binary. */
	next_tick();
	el_test_write(*state, "envlock", "binarz");
	k = key_text("/w", &opts, binary, &n);
	assert_false(same_key(base, len, k, n));
	free(k);

	/* A lock not read from a file has no checked fingerprint: no key. */
	opts.checking = NULL;
	{
		json_t *doc = json_deep_copy(el__lock_doc(a));
		el_lock *made = el__lock_wrap(doc);

		opts.checking = made;
		el__buf_init(&key);
		assert_false(el__state_key(&key, "/w", &opts, binary));
		el__buf_free(&key);
		el_lock_free(made);
	}
	free(base);
	free(binary);
	el_profile_free(def);
	el_profile_free(strict);
	el_lock_free(a);
	el_lock_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recorded_calls_and_outcomes, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_same_size_rewrite_fails, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_mtime_put_back_fails, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_chmod_fails, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_replaced_by_rename_fails, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_variable_changes_fail, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_capture_environment_changes_fail, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_missing_file_appearing_fails, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_directory_entry_added_fails, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_link_retargeted_fails, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_old_files_make_a_usable_watch, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_what_identities_cannot_stand_for, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_change_while_watched_is_refused, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_two_watches_at_once_refused, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_cache_directory_not_watched, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_at_calls_named_in_full, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_record_round_trip, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_record_keeps_warnings, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_record_other_key_or_damage_is_none, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_record_file, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_records_pruned, setup, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_key_covers_what_the_probes_do_not_read, setup,
						el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
